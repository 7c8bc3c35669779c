package syncer

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// Published is what one source publishes, as the syncer keeps it in
// memory: each entity's ref, file and hash, the keys of each file's
// entities, and each file's state. A run plans against it, and the
// commit applies the plan to it. `central-config diff` plans a head
// revision against the Published of its base the same way.
type Published struct {
	entities map[string]published
	// byFile lists the published entity keys of each file.
	byFile map[string][]string
	files  map[string]store.File
	// locations counts the Locations among entities.
	locations int
	// oddHashes holds the hashes that are not the hex of 16 bytes, by key.
	oddHashes map[string]string
}

// NewPublished returns the state of a source that publishes nothing yet.
func NewPublished() *Published {
	return &Published{entities: map[string]published{}, byFile: map[string][]string{}, files: map[string]store.File{}}
}

// published is what the engine keeps of a published entity. It is kept
// of every entity between runs, so it is small: the ref only when it is
// not the key (a name with capitals), and the hash as its 16 bytes when
// it is the lower-case hex of 16 bytes (the engine's are; any other is
// kept in Published.oddHashes).
type published struct {
	ref, file string
	sum       [16]byte
}

// hashSum is the 16 bytes hash is the hex of, if it is.
func hashSum(hash string) ([16]byte, bool) {
	var sum [16]byte
	if len(hash) != 2*len(sum) {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(hash)); err != nil || hex.EncodeToString(sum[:]) != hash {
		return sum, false
	}
	return sum, true
}

// set records the entity key as published with ref, file and hash.
func (pub *Published) set(key, ref, file, hash string) {
	p := published{file: file}
	if ref != key {
		p.ref = ref
	}
	sum, ok := hashSum(hash)
	if ok {
		p.sum = sum
		delete(pub.oddHashes, key)
	} else {
		if pub.oddHashes == nil {
			pub.oddHashes = map[string]string{}
		}
		pub.oddHashes[key] = hash
	}
	pub.entities[key] = p
}

// refOf is the ref of the published entity key.
func (p published) refOf(key string) string {
	if p.ref == "" {
		return key
	}
	return p.ref
}

// hashIs reports whether the published entity key, p, has hash.
func (pub *Published) hashIs(key string, p published, hash string) bool {
	if odd, ok := pub.oddHashes[key]; ok {
		return odd == hash
	}
	sum, ok := hashSum(hash)
	return ok && sum == p.sum
}

// Len is how many entities (Locations included) the source publishes: the
// total the mass-deletion guard measures removals against.
func (pub *Published) Len() int { return len(pub.entities) }

// File returns a file's published state.
func (pub *Published) File(path string) (store.File, bool) {
	f, ok := pub.files[path]
	return f, ok
}

// unindex removes key from the keys of file.
func (pub *Published) unindex(key, file string) {
	keys := pub.byFile[file]
	for i, k := range keys {
		if k == key {
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			break
		}
	}
	if len(keys) == 0 {
		delete(pub.byFile, file)
		return
	}
	pub.byFile[file] = keys
}

// FileRevision returns the revision each file of snap is annotated with:
// a file whose content is what was published keeps the revision it was
// published at, so its entities' annotations (and hashes) stay the same
// across commits that do not touch it. It is safe for concurrent use.
func (pub *Published) FileRevision(snap *source.Snapshot) func(path string) string {
	content := contentOf(snap.Files)
	files := pub.files
	// Called for every entity of the files the mapping decodes (from
	// several workers); hashing only those files keeps a small commit cheap.
	var mu sync.Mutex
	revisions := map[string]string{}
	return func(p string) string {
		mu.Lock()
		defer mu.Unlock()
		if rev, ok := revisions[p]; ok {
			return rev
		}
		rev := snap.Revision
		if old, ok := files[p]; ok && !old.Failed && old.Hash == contentHash(content(p)) {
			rev = old.Revision
		}
		revisions[p] = rev
		return rev
	}
}

// contentOf looks up the content of a file of files by path: by binary
// search, as a snapshot's files are sorted by path (a map only when they
// are not), so a small commit does not index every file.
func contentOf(files []source.File) func(path string) []byte {
	byPath := func(f source.File, p string) int { return strings.Compare(f.Path, p) }
	if slices.IsSortedFunc(files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) }) {
		return func(p string) []byte {
			if i, ok := slices.BinarySearchFunc(files, p, byPath); ok {
				return files[i].Content
			}
			return nil
		}
	}
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		m[f.Path] = f.Content
	}
	return func(p string) []byte { return m[p] }
}

// Upsert is an entity a plan publishes, new or changed.
type Upsert struct {
	Key, Ref, File, Hash string
	Entity               *mapping.Entity
}

// Plan is what a run would publish: the entities to upsert and remove,
// every file's next state, the run's counts and its diagnostics.
type Plan struct {
	Upserts  []Upsert
	Removals []store.Removal
	Files    []store.File
	Counts   store.Counts
	// Diagnostics are the mapping's plus a source-conflict error for
	// each entity another source publishes first.
	Diagnostics diag.List
	// Conflicted is true when a file was refused for an entity another
	// source publishes.
	Conflicted bool
}

// Plan compares a mapping result with what is published, file by file. A
// file with errors keeps the entities of its last good revision; so does a
// file with an entity that another source published first (owners maps
// such an entity's key to that source). A good file that the mapping
// reused unchanged, and that was good before, has exactly the published
// entities and is skipped, so a commit that touches one file costs that
// file's entities, not the repository's.
func (pub *Published) Plan(sourceID string, snap *source.Snapshot, res *mapping.Result, owners map[string]string) Plan {
	refused, conflicts := refusals(res, owners)
	b := newPlanner(pub, snap)
	for _, f := range res.Files {
		if f.Failed || refused[f.Path] {
			b.keep(f.Path)
			continue
		}
		b.file(f)
	}
	for _, prob := range snap.Problems {
		if !b.seen[prob.Path] {
			b.keep(prob.Path)
		}
	}
	b.remove(sourceID)
	b.countLocations()
	p := b.p
	p.Counts.Entities = len(pub.entities) + p.Counts.Added - p.Counts.Removed - p.Counts.Locations
	p.Counts.Files = len(p.Files)
	slices.SortFunc(p.Files, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(p.Upserts, func(a, b Upsert) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(p.Removals, func(a, b store.Removal) int { return strings.Compare(a.Key, b.Key) })
	p.Diagnostics = res.Diagnostics
	if len(conflicts) > 0 {
		p.Diagnostics = append(slices.Clone(p.Diagnostics), conflicts...)
		p.Diagnostics.Sort()
	}
	p.Conflicted = len(refused) > 0
	return p
}

// refusals returns the good files of res that define an entity another
// source publishes first (owners), with a source-conflict error for each
// such entity.
func refusals(res *mapping.Result, owners map[string]string) (map[string]bool, diag.List) {
	refused := map[string]bool{}
	var conflicts diag.List
	if len(owners) == 0 {
		return refused, nil
	}
	for _, f := range res.Files {
		for _, e := range f.Entities {
			if owner, ok := owners[e.Key()]; ok && !f.Failed {
				refused[f.Path] = true
				conflicts = append(conflicts, diag.SourceConflict(f.Path, e.Pos.Line, e.Pos.Column, e.Ref.String(), owner))
			}
		}
	}
	return refused, conflicts
}

// planner builds one Plan.
type planner struct {
	pub      *Published
	p        Plan
	revision string
	content  func(path string) []byte
	// seen holds the paths the plan has a state for.
	seen map[string]bool
	// emitted holds the keys changed files publish, so an entity that
	// moved from one file to another is not removed.
	emitted map[string]bool
	// gone holds the keys of published entities no file publishes now.
	gone []string
}

func newPlanner(pub *Published, snap *source.Snapshot) *planner {
	b := &planner{pub: pub, revision: snap.Revision, content: contentOf(snap.Files), seen: make(map[string]bool, len(snap.Files)), emitted: map[string]bool{}}
	b.p.Files = make([]store.File, 0, len(snap.Files)+len(snap.Problems))
	return b
}

// keep holds a file at its last good revision, with its entities.
func (b *planner) keep(path string) {
	b.seen[path] = true
	old, ok := b.pub.files[path]
	if !ok || old.Revision == "" {
		b.p.Files = append(b.p.Files, store.File{Path: path, Failed: true})
		return
	}
	b.p.Files = append(b.p.Files, store.File{Path: path, Hash: old.Hash, Revision: old.Revision, Failed: true})
	b.p.Counts.Unchanged += len(b.pub.byFile[path])
}

// file plans a good file: its state, and its entities against those it
// published.
func (b *planner) file(f *mapping.File) {
	b.seen[f.Path] = true
	old, had := b.pub.files[f.Path]
	if f.Reused && had && !old.Failed {
		b.p.Files = append(b.p.Files, old)
		b.p.Counts.Unchanged += len(b.pub.byFile[f.Path])
		return
	}
	hash := contentHash(b.content(f.Path))
	rev := b.revision
	if had && !old.Failed && old.Hash == hash {
		rev = old.Revision
	}
	b.p.Files = append(b.p.Files, store.File{Path: f.Path, Hash: hash, Revision: rev})
	mine := make(map[string]bool, len(f.Entities))
	c := &b.p.Counts
	for _, e := range f.Entities {
		key := e.Key()
		mine[key], b.emitted[key] = true, true
		u := Upsert{Key: key, Ref: e.Ref.String(), File: f.Path, Hash: e.Hash(), Entity: e}
		old, ok := b.pub.entities[key]
		switch {
		case !ok:
			c.Added++
			b.p.Upserts = append(b.p.Upserts, u)
		case !b.pub.hashIs(key, old, u.Hash) || old.file != u.File:
			c.Changed++
			b.p.Upserts = append(b.p.Upserts, u)
		default:
			c.Unchanged++
		}
	}
	for _, key := range b.pub.byFile[f.Path] {
		if !mine[key] {
			b.gone = append(b.gone, key)
		}
	}
}

// remove plans the removal of the entities no file publishes now: those
// a file dropped, and those of files that are no longer there (deleted,
// or no longer config).
func (b *planner) remove(sourceID string) {
	for path := range b.pub.files {
		if !b.seen[path] {
			b.gone = append(b.gone, b.pub.byFile[path]...)
		}
	}
	for _, key := range b.gone {
		if b.emitted[key] {
			continue
		}
		b.p.Counts.Removed++
		b.p.Removals = append(b.p.Removals, store.Removal{SourceID: sourceID, Key: key, Ref: b.pub.entities[key].refOf(key)})
	}
}

// countLocations counts the Locations published after the plan, apart
// from the other entities.
func (b *planner) countLocations() {
	c := &b.p.Counts
	_, c.Locations = b.pub.counts()
	for _, u := range b.p.Upserts {
		if _, had := b.pub.entities[u.Key]; !had && isLocationKey(u.Key) {
			c.Locations++
		}
	}
	for _, rm := range b.p.Removals {
		if isLocationKey(rm.Key) {
			c.Locations--
		}
	}
}

// Apply makes a committed plan what is published.
func (pub *Published) Apply(p Plan) {
	for _, e := range p.Upserts {
		old, had := pub.entities[e.Key]
		if had && old.file != e.File {
			pub.unindex(e.Key, old.file)
		}
		if !had || old.file != e.File {
			pub.byFile[e.File] = append(pub.byFile[e.File], e.Key)
		}
		if !had && isLocationKey(e.Key) {
			pub.locations++
		}
		pub.set(e.Key, e.Ref, e.File, e.Hash)
	}
	for _, rm := range p.Removals {
		old, had := pub.entities[rm.Key]
		if !had {
			continue
		}
		pub.unindex(rm.Key, old.file)
		delete(pub.entities, rm.Key)
		delete(pub.oddHashes, rm.Key)
		if isLocationKey(rm.Key) {
			pub.locations--
		}
	}
	// p.Files is every file's next state, sorted by path: the map is
	// updated in place, not built anew.
	byPath := func(f store.File, p string) int { return strings.Compare(f.Path, p) }
	if !slices.IsSortedFunc(p.Files, func(a, b store.File) int { return strings.Compare(a.Path, b.Path) }) {
		pub.files = make(map[string]store.File, len(p.Files))
	}
	for path := range pub.files {
		if _, ok := slices.BinarySearchFunc(p.Files, path, byPath); !ok {
			delete(pub.files, path)
		}
	}
	for _, f := range p.Files {
		pub.files[f.Path] = f
	}
}

// Guard is the mass-deletion guard: a run may remove at most
// MaxDeletionRatio of a source's entities, unless AllowMassDeletion.
type Guard struct {
	MaxDeletionRatio  float64
	AllowMassDeletion bool
}

// DefaultMaxDeletionRatio is the guard's share when the config sets none.
const DefaultMaxDeletionRatio = 0.5

// GuardOf returns the guard that config asks for (centralConfig.guard):
// maxRatio nil is the default, and 0 refuses every removal.
func GuardOf(maxRatio *float64, allowMassDeletion bool) Guard {
	g := Guard{MaxDeletionRatio: DefaultMaxDeletionRatio, AllowMassDeletion: allowMassDeletion}
	if maxRatio != nil {
		g.MaxDeletionRatio = *maxRatio
		if *maxRatio == 0 {
			// Options.MaxDeletionRatio 0 means "unset"; a tiny ratio
			// still refuses every removal.
			g.MaxDeletionRatio = 1e-9
		}
	}
	return g
}

// Refusal returns why a run that removes removed of the total entities a
// source publishes is refused, or "" when it may go ahead: a deleted
// folder or a wrong branch must not empty the catalog.
func (g Guard) Refusal(removed, total int) string {
	if g.AllowMassDeletion || total == 0 || removed == 0 {
		return ""
	}
	ratio := float64(removed) / float64(total)
	if ratio <= g.MaxDeletionRatio {
		return ""
	}
	return fmt.Sprintf("refused: this revision would remove %d of %d entities (%.0f%%), more than the allowed %.0f%% "+
		"(centralConfig.guard.maxDeletionRatio); a deleted folder or a wrong branch? Set centralConfig.guard.allowMassDeletion "+
		"to accept it, or push a revision that brings them back", removed, total, ratio*100, g.MaxDeletionRatio*100)
}
