// Package mapping turns the files of a snapshot into Backstage entities.
// Every document is classified once (a native Backstage entity, our own
// central-config format, or a file matched by a user mapping rule); each
// way produces plain entity objects that then go through one pipeline:
// placeholders, annotations, Backstage's validation, and the checks across
// files (duplicates, refs to entities nobody defines).
package mapping

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/source"
)

// Options say how to map a snapshot.
type Options struct {
	// SourceID names the source in annotations.
	SourceID string
	// Rules are the compiled user mapping rules.
	Rules []*Rule
	// Kinds is the allow list of entity kinds (Backstage's catalog.rules):
	// an entity of another kind is a warning and is not published.
	Kinds KindRules
	// Limits bound the cost of decoding each file and the size of the
	// entities made from it.
	Limits document.Limits
	// FileRevision returns the revision a file was last read at, so that an
	// unchanged file keeps its annotations; nil means the snapshot revision.
	FileRevision func(path string) string
	// ListIgnored fills Result.IgnoredFiles (validate); the engine only
	// counts them.
	ListIgnored bool
	// Workers is how many files are mapped at once; 0 means GOMAXPROCS.
	Workers int
	// Compact keeps only each entity's JSON and hash, not its object
	// tree: a long-running engine holds the entities of every source in
	// memory, and the JSON is a third of the size.
	Compact bool
	// Spool, with Compact, takes each entity's JSON out of the heap once
	// it is hashed; JSON reads it back. Nil keeps it in memory.
	Spool *Spool
	// Previous is the result of the previous run of the same source. A
	// file whose content, and the content of every file its placeholders
	// read, is unchanged reuses its entities instead of being decoded
	// again, so a commit that changes one file of a large repository costs
	// one file's work (plus the checks across files).
	Previous *Result
	// LastGood returns the entities a file published at its last good
	// revision, for a file that fails now and that Previous does not know
	// (the first run of a process): those entities stay in the catalog,
	// so the checks across files and the Kafka mapping count them. Nil
	// means none are known.
	LastGood func(path string) []*Entity
}

// Entity is one Backstage entity produced from a file.
type Entity struct {
	Ref  catalog.Ref
	File string
	Pos  document.Pos
	// Object is the entity as published to Backstage; nil with
	// Options.Compact (use JSON).
	Object map[string]any

	body []byte // Object as JSON, computed once
	// sum is the hash of body, computed once (zero until then). The
	// engine keeps every entity's between runs: 16 bytes here, where its
	// hex string took 48.
	sum [16]byte
	// spooled says where body is once it is spooled.
	spooled *spooled

	key  string     // Ref.Key(), computed once
	refs []fieldRef // the entities this one points at
}

// spooled is where in a spool an entity's JSON is.
type spooled struct {
	spool *Spool
	at    int64
	n     int
}

// JSON returns the entity as JSON, encoding it once: an entity reused
// across runs is not encoded again. It is nil once Result.Release dropped
// it (the store holds the entity as published), and when its spool cannot
// be read (ReadJSON says why).
func (e *Entity) JSON() []byte {
	b, _ := e.ReadJSON()
	return b
}

// ReadJSON is JSON with the error of reading a spooled entity back.
func (e *Entity) ReadJSON() ([]byte, error) {
	if e.body == nil && e.spooled != nil {
		return e.spooled.spool.read(e.spooled.at, e.spooled.n)
	}
	if e.body == nil && e.Object != nil {
		e.body = marshalJSON(e.Object, jsonSize(e.Object))
	}
	return e.body, nil
}

// marshalJSON is json.Marshal(v), written by appendJSON into a buffer of
// size bytes (its length as JSON, jsonSize): nil when v cannot be encoded.
func marshalJSON(v any, size int) []byte {
	b, err := appendJSON(make([]byte, 0, size), v)
	if err != nil {
		return nil
	}
	return b
}

// spoolJSON moves the entity's JSON to s; it stays in memory when s
// cannot take it.
func (e *Entity) spoolJSON(s *Spool) {
	if off, err := s.put(e.body); err == nil {
		e.spooled = &spooled{spool: s, at: off, n: len(e.body)}
		e.body = nil
	}
}

// Key returns the entity's ref in the form refs are compared by
// (catalog.Ref.Key), computed once.
func (e *Entity) Key() string { return e.key }

// System returns the name of the system an entity belongs to
// (spec.system), or "".
func (e *Entity) System() string {
	for _, fr := range e.refs {
		if fr.Field() == "system" {
			return fr.ref[strings.LastIndexByte(fr.ref, '/')+1:]
		}
	}
	return ""
}

// Hash returns a hash of the entity's JSON: equal hashes, equal entities.
func (e *Entity) Hash() string {
	e.hashJSON()
	return hex.EncodeToString(e.sum[:])
}

// hashJSON computes the entity's hash, once.
func (e *Entity) hashJSON() {
	if e.sum == [16]byte{} {
		full := sha256.Sum256(e.JSON())
		e.sum = [16]byte(full[:16])
	}
}

// PublishedEntity rebuilds an entity of file from its published JSON (as
// the store keeps it), for Options.LastGood; compact keeps only the JSON
// and the refs, as Options.Compact does.
func PublishedEntity(file string, body []byte, compact bool) (*Entity, error) {
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	ref, ok := catalog.RefOf(obj)
	if !ok {
		return nil, fmt.Errorf("published entity of %s has no kind and name", file)
	}
	e := &Entity{Ref: ref, File: file, Object: obj, body: body}
	e.index(nil, func([]string) document.Pos { return document.Pos{} })
	if compact {
		e.hashJSON()
		e.Object = nil
	}
	return e, nil
}

// index fills the entity's key and the refs it points at, with where
// each is written (posOf). The engine keeps these of every entity between
// runs, for the checks across files: the refs' strings go through intern
// (nil for none), so the refs of a file to one entity share one copy.
func (e *Entity) index(intern *interner, posOf func(path []string) document.Pos) {
	// The entity's own key is unique: only the refs are worth interning.
	e.key = e.Ref.Key()
	refs := catalog.Refs(e.Object)
	if len(refs) == 0 {
		return
	}
	e.refs = make([]fieldRef, len(refs))
	// One path for every ref (fr.Path()): posOf does not keep it.
	path := make([]string, 0, 3)
	for i, fr := range refs {
		path = append(path[:0], "spec", fr.Field)
		if fr.Index >= 0 {
			path = append(path, strconv.Itoa(fr.Index))
		}
		pos := posOf(path)
		e.refs[i] = fieldRef{ref: intern.ref(fr.Ref), field: refField(fr.Field), index: int32(fr.Index), line: clamp32(pos.Line), column: clamp32(pos.Column)}
	}
}

// fieldRef is a ref an entity points at: the ref as catalog.Ref.String
// writes it (kind and namespace in lower case, the name as written), the
// spec field and list index that hold it, and where it is written. The
// engine keeps these of every entity between runs, so they are small: 32
// bytes, where a catalog.FieldRef with its key and position took 104.
type fieldRef struct {
	ref          string
	index        int32 // in the field's list, -1 when the field is one ref
	line, column int32
	field        uint8 // in catalog.RefFields
}

// Field is the spec field that holds the ref.
func (fr fieldRef) Field() string { return catalog.RefFields[fr.field] }

// Path is the ref's path inside the entity, as catalog.FieldRef.Path.
func (fr fieldRef) Path() []string {
	return catalog.FieldRef{Field: fr.Field(), Index: int(fr.index)}.Path()
}

// String is the ref as catalog.Ref.String writes it.
func (fr fieldRef) String() string { return fr.ref }

// key is the ref's key (catalog.Ref.Key): the ref in lower case, which
// it is already unless its name has capitals.
func (fr fieldRef) key() string { return refKey(fr.ref) }

// refKey is catalog.Ref.Key of a ref written as catalog.Ref.String writes
// it: that, lower-cased.
func refKey(ref string) string {
	for i := 0; i < len(ref); i++ {
		if c := ref[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(ref)
		}
	}
	return ref
}

func (fr fieldRef) pos() document.Pos {
	return document.Pos{Line: int(fr.line), Column: int(fr.column)}
}

// refField is the index of a ref field in catalog.RefFields.
func refField(name string) uint8 {
	return uint8(slices.Index(catalog.RefFields, name))
}

// clamp32 is n as an int32, at most math.MaxInt32 (a line past it is
// past any file the limits let through).
func clamp32(n int) int32 { return int32(min(n, math.MaxInt32)) }

// interner hands out one copy of each string it is given, for the strings
// an entity keeps after its document is freed. One serves one file (the
// entities of a file mostly point at the same few owners and systems):
// a small map is quick to look in, and needs no lock.
type interner struct {
	m map[string]string
	// ann are the annotations of the file's entities (annotate).
	ann *fileAnnotations
	// buf is where the file's entities are encoded (finish).
	buf []byte
}

func newInterner() *interner { return &interner{m: make(map[string]string, 16)} }

// ref returns r as catalog.Ref.String writes it, interned; a nil
// interner returns it as it is. A ref seen before costs no allocation:
// it is written in a buffer on the stack to be looked up.
func (in *interner) ref(r catalog.Ref) string {
	if in == nil {
		return r.String()
	}
	var buf [128]byte
	b, ok := appendRefString(buf[:0], r)
	if !ok {
		return in.of(r.String())
	}
	if c, ok := in.m[string(b)]; ok {
		return c
	}
	s := string(b)
	in.m[s] = s
	return s
}

// appendRefString appends r as catalog.Ref.String writes it (kind and
// namespace in lower case), when they are ASCII; ok is false when not
// (strings.ToLower folds other letters).
func appendRefString(b []byte, r catalog.Ref) ([]byte, bool) {
	for _, part := range [...]string{r.Kind, ":", r.Namespace, "/"} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c >= 0x80 {
				return b, false
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	}
	return append(b, r.Name...), true
}

// of returns the interned copy of s, a string of its own.
func (in *interner) of(s string) string {
	if c, ok := in.m[s]; ok {
		return c
	}
	in.m[s] = s
	return s
}

// File is what one file produced.
type File struct {
	Path     string
	Entities []*Entity
	// Failed is true when the file has an error: none of its entities are
	// published at this revision; the engine keeps those of the file's last
	// good revision.
	Failed bool
	// Reused is true when the file, and every file its placeholders read,
	// is unchanged since Options.Previous: its entities are the very same.
	Reused bool
}

// Result is the mapping of a whole snapshot.
type Result struct {
	// Files holds every config file read (ignored files are not listed),
	// sorted by path.
	Files []*File
	// Diagnostics holds every problem found, sorted by file and position.
	Diagnostics diag.List
	// Ignored counts YAML/JSON files that hold nothing the engine reads
	// (IgnoredNoShape, IgnoredKubernetes).
	Ignored int
	// IgnoredCounts counts every file of the snapshot that produced
	// nothing and that no placeholder reads, by reason (IgnoredNotConfig,
	// IgnoredOutsidePaths, IgnoredNoShape, IgnoredKubernetes,
	// IgnoredTooLarge).
	IgnoredCounts map[string]int
	// IgnoredFiles lists those files with their reason, sorted by path;
	// only with Options.ListIgnored, as a large repository may hold many.
	IgnoredFiles []IgnoredFile
	// Reused counts files taken unchanged from Options.Previous.
	Reused int
	// Topology is the Kafka topology of every good file, merged.
	Topology *kafka.Topology

	// own holds each file's result before the checks across files, for
	// reuse by the next run.
	own map[string]*fileResult
	// kept holds, for each file that failed, the entities of its last
	// good revision (which stay published), for the next run's checks.
	kept map[string][]*Entity
	// definedSum is a hash of the set of keys the checks across files
	// found defined, and dangling the warnings of refs to no entity, by
	// file: when the next run defines the same keys, a file it reuses
	// has the same warnings, without a look-up.
	definedSum uint64
	dangling   map[string]diag.List
	// index counts the keys the files define; the next mapping against
	// this one takes it over.
	index *keyIndex
}

// lastGood returns the entities path published at its last good revision
// as this result knows them: its own if the file was good here, else
// those it kept.
func (r *Result) lastGood(path string) ([]*Entity, bool) {
	if r == nil {
		return nil, false
	}
	if es, ok := r.kept[path]; ok {
		return es, true
	}
	i, found := slices.BinarySearchFunc(r.Files, path, func(f *File, p string) int { return strings.Compare(f.Path, p) })
	if found && !r.Files[i].Failed {
		return r.Files[i].Entities, true
	}
	return nil, false
}

// Release drops the JSON of the entities that are published exactly as
// this result has them: those of every file for which published reports
// true, and those kept for failing files (the last good ones, which stay
// published as they are). A long-running engine keeps the last result for
// reuse; what the next run needs of such an entity is its key, hash and
// refs, and the store holds its JSON. The entities of the other files keep
// theirs, read back from the spool: a file that now fails only because of
// another (a duplicate, a source conflict) may be published as it is,
// reused, when that one goes; if its spool cannot be read, the next run
// decodes it again. After Release the result no longer needs its spool.
// Release must not run while another goroutine reads the entities' JSON.
func (r *Result) Release(published func(path string) bool) {
	for _, f := range r.Files {
		own := r.own[f.Path]
		if published(f.Path) {
			if f.Reused && own != nil && own.released {
				continue
			}
			for _, e := range f.Entities {
				e.release()
			}
			if own != nil {
				own.released = true
			}
			continue
		}
		if own != nil {
			own.released = false
		}
		for _, e := range f.Entities {
			if e.spooled == nil {
				continue
			}
			body, err := e.ReadJSON()
			e.body, e.spooled = body, nil
			if err != nil {
				delete(r.own, f.Path)
			}
		}
	}
	for _, es := range r.kept {
		for _, e := range es {
			e.release()
		}
	}
}

// release drops the entity's JSON (and object tree), keeping its hash.
func (e *Entity) release() {
	e.hashJSON()
	e.body, e.Object, e.spooled = nil, nil, nil
}

// Entities returns the entities of the files that did not fail.
func (r *Result) Entities() []*Entity {
	var out []*Entity
	for _, f := range r.Files {
		if !f.Failed {
			out = append(out, f.Entities...)
		}
	}
	return out
}

// Map decodes, classifies, maps and validates every file of a snapshot.
func Map(snap *source.Snapshot, opts Options) *Result {
	files := make(map[string][]byte, len(snap.Files))
	for _, f := range snap.Files {
		files[f.Path] = f.Content
	}
	unread := make(map[string]source.FileProblem, len(snap.Problems)+len(snap.Ignored))
	for _, p := range slices.Concat(snap.Problems, snap.Ignored) {
		unread[p.Path] = p
	}
	opts.Limits = opts.Limits.WithDefaults()
	opts.Kinds = opts.Kinds.compile()
	m := &mapper{opts: opts, snap: snap, files: files, unread: unread, targets: newTargetCache()}

	var configFiles []source.File
	for _, f := range snap.Files {
		if source.IsConfigPath(f.Path) {
			configFiles = append(configFiles, f)
		}
	}
	results := make([]*fileResult, len(configFiles))
	m.hashes = make(map[string]uint64, len(snap.Files))
	for _, f := range snap.Files {
		m.hashes[f.Path] = maphash.Bytes(hashSeed, f.Content)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				results[i] = m.reuseOrMap(configFiles[i])
			}
		})
	}
	for i := range configFiles {
		next <- i
	}
	close(next)
	wg.Wait()

	res := &Result{own: make(map[string]*fileResult, len(results))}
	for _, p := range snap.Problems {
		res.Diagnostics = append(res.Diagnostics, diag.Diagnostic{File: p.Path, Severity: diag.Error, Code: p.Code, Message: p.Message})
	}
	// Files the source left unread (not config, and too large) are listed
	// with the reason, not dropped in silence.
	for _, p := range snap.Ignored {
		res.Diagnostics = append(res.Diagnostics, diag.Diagnostic{File: p.Path, Severity: diag.Warning, Code: p.Code, Message: p.Message})
	}
	byPath := map[string]*File{}
	for _, r := range results {
		res.own[r.path] = r
		if r.reused {
			res.Reused++
		}
		if r.ignored {
			// Counted and listed by listIgnored; an ignored file may
			// still have a warning (a Kafka topology lookalike).
			res.Diagnostics = append(res.Diagnostics, r.diags...)
			continue
		}
		f := &File{Path: r.path, Entities: r.entities, Failed: r.diags.HasErrors(), Reused: r.reused}
		res.Files = append(res.Files, f)
		byPath[f.Path] = f
		res.Diagnostics = append(res.Diagnostics, r.diags...)
	}
	m.listIgnored(res, results)
	res.kept = m.keptEntities(res)
	res.Topology = m.kafkaEntities(res, results, byPath)
	res.Diagnostics = append(res.Diagnostics, crossFileChecks(res, byPath, m.opts.Previous, workers)...)
	res.Diagnostics.Sort()
	return res
}

// keptEntities collects, for every file that fails now (or that the
// source could not read), the entities of its last good revision: they
// stay published, so other files may refer to them and Kafka topics stay
// linked to their services.
func (m *mapper) keptEntities(res *Result) map[string][]*Entity {
	kept := map[string][]*Entity{}
	keep := func(path string) {
		if _, done := kept[path]; done {
			return
		}
		es, ok := m.opts.Previous.lastGood(path)
		if !ok && m.opts.LastGood != nil {
			es = m.opts.LastGood(path)
		}
		if len(es) > 0 {
			kept[path] = es
		}
	}
	for _, f := range res.Files {
		if f.Failed {
			keep(f.Path)
		}
	}
	for _, p := range m.snap.Problems {
		keep(p.Path)
	}
	return kept
}

// crossFileChecks finds entity refs defined in more than one place (an
// error on every file involved) and refs to entities that no file defines
// (a warning where the ref is written). Duplicates mark their files failed.
// The kept entities of failing files count as defined: they stay
// published.
func crossFileChecks(res *Result, byPath map[string]*File, prev *Result, workers int) diag.List {
	files, kept := res.Files, res.kept
	var out diag.List
	// The keys the files define, counted; its keys defined more than
	// once are the duplicates, whose entities are collected in file
	// order from the files (only when there are any).
	idx := definedKeys(res, prev)
	res.index = idx
	if len(idx.extra) > 0 {
		dups := make(map[string][]*Entity, len(idx.extra))
		for _, f := range files {
			for _, e := range f.Entities {
				if _, dup := idx.extra[e.key]; dup {
					dups[e.key] = append(dups[e.key], e)
				}
			}
		}
		for _, es := range dups {
			for _, e := range es {
				var others []string
				for _, o := range es {
					if o != e {
						others = append(others, o.File+":"+strconv.Itoa(o.Pos.Line))
					}
				}
				slices.Sort(others)
				out = append(out, diag.Diagnostic{File: e.File, Line: e.Pos.Line, Column: e.Pos.Column, Severity: diag.Error,
					Code: diag.CodeDuplicateEntity, Message: "entity " + e.Ref.String() + " is also defined at " + strings.Join(others, ", ")})
				byPath[e.File].Failed = true
			}
		}
	}
	// The kept entities count as defined too.
	keptOnly := map[string]struct{}{}
	res.definedSum = idx.sum
	for _, es := range kept {
		for _, e := range es {
			if _, seen := keptOnly[e.key]; !seen && !idx.has(e.key) {
				keptOnly[e.key] = struct{}{}
				res.definedSum += maphash.String(hashSeed, e.key)
			}
		}
	}
	defined := func(key string) bool {
		if idx.has(key) {
			return true
		}
		_, ok := keptOnly[key]
		return ok
	}
	var reuse func(f *File) (diag.List, bool)
	if prev != nil && prev.dangling != nil && prev.definedSum == res.definedSum {
		// A reused file has the very entities it had there.
		reuse = func(f *File) (diag.List, bool) { return prev.dangling[f.Path], f.Reused }
	}
	res.dangling = map[string]diag.List{}
	for i, d := range danglingRefs(files, defined, reuse, workers) {
		if len(d) > 0 {
			res.dangling[files[i].Path] = d
			out = append(out, d...)
		}
	}
	return out
}

// danglingRefs warns, where each is written, of the refs to entities that
// defined does not hold, file by file. The look-ups are most of what a
// small commit costs the mapping, so a file that reuse gives the warnings
// of is not looked at again, and the other files are split among workers
// (in chunks, as files differ in size).
func danglingRefs(files []*File, defined func(key string) bool, reuse func(*File) (diag.List, bool), workers int) []diag.List {
	out := make([]diag.List, len(files))
	chunk := max(len(files)/(8*workers), 1)
	chunks := (len(files) + chunk - 1) / chunk
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, chunks) {
		wg.Go(func() {
			for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
				for i := c * chunk; i < min((c+1)*chunk, len(files)); i++ {
					if reuse != nil {
						if d, ok := reuse(files[i]); ok {
							out[i] = d
							continue
						}
					}
					out[i] = appendDangling(nil, files[i], defined)
				}
			}
		})
	}
	wg.Wait()
	return out
}

// appendDangling appends the warnings of the refs of f that defined does
// not hold.
func appendDangling(out diag.List, f *File, defined func(key string) bool) diag.List {
	for _, e := range f.Entities {
		for _, fr := range e.refs {
			if defined(fr.key()) {
				continue
			}
			pos := fr.pos()
			out = append(out, diag.Diagnostic{File: e.File, Line: pos.Line, Column: pos.Column, Severity: diag.Warning,
				Code: diag.CodeDanglingRef, Message: document.PathString(fr.Path()...) + " refers to " + fr.String() + ", which no file in the repository defines"})
		}
	}
	return out
}

// fileResult is the outcome of one file before the checks across files.
type fileResult struct {
	path     string
	entities []*Entity
	diags    diag.List
	ignored  bool
	// ignoredReason says why an ignored file is; "" means IgnoredNoShape.
	ignoredReason string
	// hash is the file's content hash; deps the hashes of the files its
	// placeholders read, when it was mapped.
	hash   uint64
	deps   map[string]uint64
	reused bool
	// released is true once Release dropped the JSON of every entity:
	// a file reused from there needs no second look.
	released bool
	// kafka holds the Kafka topology fragments of the file's documents.
	kafka []*kafka.Topology
}

type mapper struct {
	opts  Options
	snap  *source.Snapshot
	files map[string][]byte
	// unread holds the files the source did not read, and why.
	unread map[string]source.FileProblem
	hashes map[string]uint64
	// targets holds the placeholder targets read in this Map call.
	targets *targetCache
}

// hashSeed seeds the content hashes that decide reuse; they live only in
// this process's memory, so a per-process seed is enough.
var hashSeed = maphash.MakeSeed()

// reuseOrMap reuses the previous run's result for an unchanged file, or
// maps it.
func (m *mapper) reuseOrMap(f source.File) *fileResult {
	if m.opts.Previous != nil {
		if prev, ok := m.opts.Previous.own[f.Path]; ok && prev.hash == m.hashes[f.Path] && m.depsUnchanged(prev) {
			r := *prev
			r.reused = true
			return &r
		}
	}
	r := m.mapFile(f)
	r.hash = m.hashes[f.Path]
	return r
}

func (m *mapper) depsUnchanged(prev *fileResult) bool {
	for p, h := range prev.deps {
		if cur, ok := m.hashes[p]; !ok || cur != h {
			return false
		}
	}
	return true
}

// candidate is an entity object before the shared pipeline, with a way to
// find where in the file a path of the entity came from.
type candidate struct {
	object map[string]any
	pos    document.Pos
	posOf  func(path []string) document.Pos
	// placeholders is true when Backstage's $text/$json/$yaml placeholders
	// are resolved in the object; placeholderRoom is then how many bytes
	// the placeholders of its file may still add.
	placeholders    bool
	placeholderRoom *int
}

func (m *mapper) mapFile(f source.File) *fileResult {
	r := &fileResult{path: f.Path}
	rule := m.ruleFor(f.Path)
	docs, d := document.Decode(f.Path, f.Content, m.opts.Limits)
	if d != nil {
		r.diags = append(r.diags, *d)
		return r
	}
	var cands []candidate
	// manifest is true when a document is a Kubernetes manifest, which
	// names the reason when nothing else in the file is read.
	read, manifest := false, false
	for _, doc := range docs {
		switch {
		case rule != nil:
			read = true
			cands = append(cands, rule.apply(doc, &r.diags)...)
		case isNative(doc.Root):
			read = true
			cands = append(cands, nativeCandidate(doc))
		case isOurs(doc.Root):
			read = true
			cands = append(cands, schemaCandidates(doc, &r.diags)...)
		default:
			if fragment, diags, claimed := dialect.ReadDocument(doc); claimed {
				read = true
				r.kafka = append(r.kafka, fragment)
				r.diags = append(r.diags, diags...)
			} else if isEntity(doc.Root) {
				// After the Kafka dialects: a Strimzi resource has the
				// envelope of an entity too.
				if m.opts.Kinds.skipsManifest(doc.Root) {
					manifest = true
					continue
				}
				read = true
				cands = append(cands, nativeCandidate(doc))
			} else if d, ok := dialect.Lookalike(doc); ok {
				r.diags = append(r.diags, d)
			}
		}
	}
	if !read {
		r.ignored = true
		if manifest {
			r.ignoredReason = IgnoredKubernetes
		}
		return r
	}
	seen := map[string]bool{}
	placeholderRoom := m.opts.Limits.MaxExpandedBytes
	strs := newInterner()
	for _, c := range cands {
		c.placeholderRoom = &placeholderRoom
		if e := m.finish(f.Path, c, &r.diags, &r.deps, strs); e != nil {
			if seen[e.key] {
				r.diags = append(r.diags, diag.Diagnostic{File: f.Path, Line: e.Pos.Line, Column: e.Pos.Column, Severity: diag.Error,
					Code: diag.CodeDuplicateEntity, Message: "entity " + e.Ref.String() + " is defined twice in this file"})
				continue
			}
			seen[e.key] = true
			r.entities = append(r.entities, e)
		}
	}
	if m.opts.Compact {
		r.entities = pack(r.entities)
	}
	return r
}

// pack moves the entities of a file, their refs and their strings into
// one slice of each and one string, and returns the new entities. The
// engine keeps them between runs and they all go at once, when the file
// changes; made one by one, among the garbage of decoding, each kept a
// span of the heap from being reused (a sync of 100k entities left 30 MB
// of heap in use beyond what was live). The strings of the refs of a
// file to one entity are one copy (interned), and each file holds its
// own, so what one file keeps never holds another's in memory. Only a
// compact mapping (the engine's) is kept.
func pack(es []*Entity) []*Entity {
	refs, size := 0, 0
	for _, e := range es {
		refs += len(e.refs)
		size += len(e.Ref.Kind) + len(e.Ref.Namespace) + len(e.Ref.Name)
	}
	slab := make([]Entity, len(es))
	refSlab := make([]fieldRef, 0, refs)
	out := make([]*Entity, len(es))
	for i, e := range es {
		slab[i] = *e
		start := len(refSlab)
		refSlab = append(refSlab, e.refs...)
		slab[i].refs = refSlab[start:len(refSlab):len(refSlab)]
		out[i] = &slab[i]
		// The key is a string of its own: the syncer keeps it for as long
		// as the entity is published, which may outlive the file's text.
		// Made here, next to each other, the keys share spans.
		slab[i].key = strings.Clone(e.key)
	}
	var text strings.Builder
	text.Grow(size)
	// at holds where each ref string is in text, written once.
	at := map[string]int{}
	strs := func(e *Entity, each func(*string)) {
		for _, s := range []*string{&e.Ref.Kind, &e.Ref.Namespace, &e.Ref.Name} {
			each(s)
		}
		for i := range e.refs {
			each(&e.refs[i].ref)
		}
	}
	for i := range slab {
		strs(&slab[i], func(s *string) {
			if _, ok := at[*s]; !ok {
				at[*s] = text.Len()
				text.WriteString(*s)
			}
		})
	}
	all := text.String()
	for i := range slab {
		strs(&slab[i], func(s *string) { *s = all[at[*s]:][:len(*s)] })
	}
	return out
}

// finish runs the shared pipeline on one candidate: placeholders,
// annotations, validation, size. It returns nil when the entity is
// invalid. The strings the entity keeps go through strs.
func (m *mapper) finish(file string, c candidate, diags *diag.List, deps *map[string]uint64, strs *interner) *Entity {
	errorAt := func(p document.Pos, code, msg string) {
		*diags = append(*diags, diag.Diagnostic{File: file, Line: p.Line, Column: p.Column, Severity: diag.Error, Code: code, Message: msg})
	}
	if !m.opts.Kinds.allow(file, c, diags) {
		return nil
	}
	limit := m.opts.Limits.MaxEntityBytes
	tooLarge := func(size int) *Entity {
		errorAt(c.pos, diag.CodeTooLarge, fmt.Sprintf("entity is %d bytes as JSON, more than the limit of %d (centralConfig.limits.maxEntityBytes)", size, limit))
		return nil
	}
	// restore puts back the placeholders left for Backstage, which stand
	// in for what Backstage will read only while the entity is validated.
	restore := func() {}
	// unknown drops the problems where Backstage will put what a $json
	// or $yaml of a URL gives.
	unknown := func(ps []catalog.Problem) []catalog.Problem { return ps }
	if c.placeholders {
		size := jsonSize(c.object)
		if size > limit {
			return tooLarge(size)
		}
		r := &resolver{file: file, files: m.files, unread: m.unread, limits: m.opts.Limits, targets: m.targets, entityRoom: limit - size, fileRoom: c.placeholderRoom,
			read: func(p string) {
				if *deps == nil {
					*deps = map[string]uint64{}
				}
				(*deps)[p] = m.hashes[p]
			}}
		r.resolveAll(c.object, c.posOf)
		for _, pe := range r.errs {
			errorAt(c.posOf(pe.path), pe.code, pe.msg)
		}
		for _, s := range r.left {
			p := c.posOf(s.path)
			*diags = append(*diags, diag.Diagnostic{File: file, Line: p.Line, Column: p.Column, Severity: diag.Info,
				Code: diag.CodePlaceholderURL, Message: s.leftMessage()})
		}
		if len(r.errs) > 0 {
			return nil
		}
		restore, unknown = r.standIn(), r.unknown
	}
	problems := unknown(catalog.Validate(c.object))
	restore()
	slices.SortFunc(problems, func(a, b catalog.Problem) int {
		return strings.Compare(strings.Join(a.Path, "."), strings.Join(b.Path, "."))
	})
	for _, p := range problems {
		errorAt(c.posOf(p.Path), diag.CodeInvalidEntity, p.Message)
	}
	if len(problems) > 0 {
		return nil
	}
	// A Location is published with its absolute targets only (location.go).
	if isLocation(c.object) && !m.location(file, c, diags, deps) {
		return nil
	}
	ref, _ := catalog.RefOf(c.object)
	m.annotate(c.object, file, strs)
	// Checked before the entity is hashed. A compact mapping encodes the
	// entity now anyway, so its size is the encoding's (in the file's
	// buffer, then copied to fit).
	var body []byte
	if m.opts.Compact && strs != nil {
		var err error
		strs.buf, err = appendJSON(strs.buf[:0], c.object)
		if err == nil {
			if len(strs.buf) > limit {
				return tooLarge(len(strs.buf))
			}
			body = bytes.Clone(strs.buf)
		}
	}
	if body == nil {
		size := jsonSize(c.object)
		if size > limit {
			return tooLarge(size)
		}
		if m.opts.Compact {
			body = marshalJSON(c.object, size)
		}
	}
	e := &Entity{Ref: ref, File: file, Pos: c.pos, Object: c.object}
	// Positions are looked up now, so the document tree can be freed.
	e.index(strs, c.posOf)
	if m.opts.Compact {
		e.body = body
		e.hashJSON()
		e.Object = nil
		if m.opts.Spool != nil {
			e.spoolJSON(m.opts.Spool)
		}
	}
	return e
}
