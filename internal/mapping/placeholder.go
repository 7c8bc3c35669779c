package mapping

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/source"
)

// placeholderError is a placeholder that could not be resolved, at a path
// in the entity.
type placeholderError struct {
	path []string
	code string
	msg  string
}

// tooLargeError is a placeholder that would pass a size limit.
type tooLargeError struct{ msg string }

func (e tooLargeError) Error() string { return e.msg }

// resolver resolves Backstage's $text, $json and $yaml placeholders in one
// entity the way its PlaceholderProcessor does: a mapping with exactly one
// key, "$" and a known resolver, whose value is a string, is replaced by
// the content of that file. Anything else that looks like a placeholder is
// left alone, as Backstage leaves it. Targets are files of the same
// snapshot, relative to the entity's file. URLs are not fetched, so the
// engine never reaches out to hosts the platform team did not configure: a
// placeholder of an absolute http(s) URL is left in the entity, as it is,
// for Backstage's PlaceholderProcessor, which reads it with the
// integrations of the Backstage backend (recorded in left); other URLs are
// errors.
//
// What the targets add is bounded: each target by limits.maxFileBytes,
// the entity by limits.maxEntityBytes, and all the placeholders of one
// file by limits.maxExpandedBytes. Placeholders are resolved in the order
// they are written; the first to pass a limit is an error, and the rest
// are left alone.
type resolver struct {
	file   string
	files  map[string][]byte
	unread map[string]source.FileProblem
	limits document.Limits
	// targets holds the targets read by the placeholders of every file.
	targets *targetCache
	// entityRoom is how many bytes of JSON the entity may still grow by;
	// fileRoom, shared by the entities of a file, how many its
	// placeholders may still add.
	entityRoom int
	fileRoom   *int
	// read records each target, found or not.
	read  func(path string)
	sites []site
	errs  []placeholderError
	// left are the placeholders of absolute http(s) URLs left in the
	// entity for Backstage.
	left []site
	// path is a stack of keys, copied only for a placeholder, so the walk
	// allocates nothing for entities without placeholders (pathBuf holds
	// it while it is as shallow as most entities).
	path    []string
	pathBuf [8]string
}

// site is one placeholder: where it is, what it reads, its own size as
// JSON, and the map or list that holds it, at key or index.
type site struct {
	path         []string
	kind, target string
	size         int
	parent       any
	key          string
	index        int
}

// set puts the placeholder's value in its place.
func (s site) set(v any) {
	switch p := s.parent.(type) {
	case map[string]any:
		p[s.key] = v
	case []any:
		p[s.index] = v
	}
}

// get returns what is in the placeholder's place.
func (s site) get() any {
	switch p := s.parent.(type) {
	case map[string]any:
		return p[s.key]
	case []any:
		return p[s.index]
	}
	return nil
}

// leftMessage is the info diagnostic of a placeholder left for Backstage.
func (s site) leftMessage() string {
	msg := fmt.Sprintf("$%s %q is left in the entity for Backstage to read with its own integrations "+
		"(central-config reads only files of this repository)", s.kind, s.target)
	if s.kind != "text" {
		msg += fmt.Sprintf("; the value it gives is not known here, so %s is not checked: Backstage validates it once it has read it",
			document.PathString(s.container()...))
	}
	return msg
}

// container is the path of the value the placeholder stands for: the key
// or index that holds the placeholder's mapping.
func (s site) container() []string { return s.path[:len(s.path)-1] }

// engineFields are the fields central-config needs to publish an entity
// (its ref, its annotations): a placeholder of a URL there cannot be left
// for Backstage.
var engineFields = [][]string{{"apiVersion"}, {"kind"}, {"metadata"}, {"metadata", "name"}, {"metadata", "namespace"}, {"metadata", "annotations"}}

// standIn puts, in the place of each placeholder left for Backstage, a
// value of the type it will have once Backstage has read it (a string for
// $text, an object for $json and $yaml), so that the entity is validated
// as Backstage validates it: after its PlaceholderProcessor. The returned
// function puts the placeholders back. What a $json or $yaml gives may be
// of any type and shape (a list of steps, a list of tags, a string), so
// the problems found at or under its place are dropped (unknown).
func (r *resolver) standIn() (restore func()) {
	if len(r.left) == 0 {
		return func() {}
	}
	saved := make([]any, len(r.left))
	for i, s := range r.left {
		saved[i] = s.get()
		if s.kind == "text" {
			s.set("stand-in for " + s.target)
		} else {
			s.set(map[string]any{})
		}
	}
	return func() {
		for i, s := range r.left {
			s.set(saved[i])
		}
	}
}

// unknown drops the problems at or under the place of a $json or $yaml
// left for Backstage: the engine cannot know the value Backstage will
// read there, and Backstage validates the entity once it has.
func (r *resolver) unknown(problems []catalog.Problem) []catalog.Problem {
	var places [][]string
	for _, s := range r.left {
		if s.kind != "text" {
			places = append(places, s.container())
		}
	}
	if len(places) == 0 {
		return problems
	}
	return slices.DeleteFunc(problems, func(p catalog.Problem) bool {
		for _, at := range places {
			if len(p.Path) >= len(at) && slices.Equal(p.Path[:len(at)], at) {
				return true
			}
		}
		return false
	})
}

// resolveAll resolves the placeholders of obj in the order of their
// positions.
func (r *resolver) resolveAll(obj map[string]any, posOf func(path []string) document.Pos) {
	r.path = r.pathBuf[:0]
	r.collect(obj)
	slices.SortFunc(r.sites, func(a, b site) int {
		pa, pb := posOf(a.path), posOf(b.path)
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Column, pb.Column), slices.Compare(a.path, b.path))
	})
	for _, s := range r.sites {
		if isHTTPURL(s.target) {
			if field := s.container(); slices.ContainsFunc(engineFields, func(f []string) bool { return slices.Equal(f, field) }) {
				r.errs = append(r.errs, placeholderError{path: s.path, code: diag.CodePlaceholder,
					msg: fmt.Sprintf("$%s %q: central-config needs %s to publish the entity (its ref and annotations), so it cannot be left for Backstage to read; write it in the file",
						s.kind, s.target, document.PathString(field...))})
				continue
			}
			r.left = append(r.left, s)
			continue
		}
		val, err := r.resolve(s.kind, s.target, s.size)
		if err == nil {
			s.set(val)
			continue
		}
		code := diag.CodePlaceholder
		if errors.As(err, new(tooLargeError)) {
			code = diag.CodeTooLarge
		}
		r.errs = append(r.errs, placeholderError{path: s.path, code: code, msg: err.Error()})
		if code == diag.CodeTooLarge {
			return
		}
	}
}

// collect finds the placeholders among the values of a map or list.
func (r *resolver) collect(v any) {
	switch t := v.(type) {
	case []any:
		for i, it := range t {
			r.path = append(r.path, strconv.Itoa(i))
			r.visit(it, site{parent: v, index: i})
			r.path = r.path[:len(r.path)-1]
		}
	case map[string]any:
		for k, it := range t {
			switch it.(type) {
			case map[string]any, []any:
				r.path = append(r.path, k)
				r.visit(it, site{parent: v, key: k})
				r.path = r.path[:len(r.path)-1]
			}
		}
	}
}

// visit records v, held where at says, if it is a placeholder, or looks
// inside it.
func (r *resolver) visit(v any, at site) {
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k, target := range m {
			kind, isPlaceholder := strings.CutPrefix(k, "$")
			s, isString := target.(string)
			if isPlaceholder && isString && (kind == "text" || kind == "json" || kind == "yaml") {
				at.path, at.kind, at.target, at.size = append(slices.Clone(r.path), k), kind, s, jsonSize(m)
				r.sites = append(r.sites, at)
				return
			}
		}
	}
	r.collect(v)
}

// resolve reads one placeholder, which takes placeholderSize bytes of the
// entity's JSON.
func (r *resolver) resolve(kind, target string, placeholderSize int) (any, error) {
	if strings.Contains(target, "://") {
		return nil, fmt.Errorf("$%s %q: only files of the same repository, and absolute http(s) URLs (left for Backstage), can be placeholders", kind, target)
	}
	p := path.Clean(path.Join(path.Dir(r.file), target))
	if strings.HasPrefix(target, "/") || p == ".." || strings.HasPrefix(p, "../") {
		return nil, fmt.Errorf("$%s %q: path leaves the repository", kind, target)
	}
	// Recorded even when missing: the file appearing later must remap.
	r.read(p)
	content, ok := r.files[p]
	if problem, unread := r.unread[p]; !ok && unread {
		msg := fmt.Sprintf("$%s %q: %s: %s", kind, target, p, problem.Message)
		if problem.Code == diag.CodeTooLarge {
			return nil, tooLargeError{msg}
		}
		return nil, errors.New(msg)
	}
	if !ok {
		return nil, fmt.Errorf("$%s %q: file %s is not in the repository (or not under the source's paths)", kind, target, p)
	}
	if len(content) > r.limits.MaxFileBytes {
		return nil, tooLargeError{fmt.Sprintf("$%s %q: %s is %d bytes, more than the limit of %d (centralConfig.limits.maxFileBytes)",
			kind, target, p, len(content), r.limits.MaxFileBytes)}
	}
	// A text's JSON is at least as long as the text: refused before it is
	// measured. A JSON or YAML file may shrink when decoded (indentation,
	// comments), so its size on disk says nothing; its decoded size is
	// known after the first decode.
	if kind == "text" {
		if err := r.fits(kind, target, len(content)-placeholderSize); err != nil {
			return nil, err
		}
	}
	t, fresh := r.targets.load(kind, p, content, r.limits)
	if t.msg != "" {
		return nil, fmt.Errorf("$%s %q: %s", kind, target, t.msg)
	}
	n := t.size - placeholderSize
	if err := r.fits(kind, target, n); err != nil {
		return nil, err
	}
	val := fresh
	if val == nil {
		val = t.value(kind, p, content, r.limits)
	}
	r.entityRoom -= n
	*r.fileRoom -= n
	return val, nil
}

// fits reports whether n more bytes fit in the entity and in the file.
func (r *resolver) fits(kind, target string, n int) error {
	switch {
	case n > r.entityRoom:
		return tooLargeError{fmt.Sprintf("$%s %q: with it the entity is more than %d bytes as JSON (centralConfig.limits.maxEntityBytes)",
			kind, target, r.limits.MaxEntityBytes)}
	case n > *r.fileRoom:
		return tooLargeError{fmt.Sprintf("$%s %q: with it the placeholders of this file add more than %d bytes (centralConfig.limits.maxExpandedBytes)",
			kind, target, r.limits.MaxExpandedBytes)}
	}
	return nil
}

// targetCache holds the placeholder targets of one Map call, each read
// once whatever the number of placeholders, entities and files that read
// it: a file of thousands of entities with the same $yaml target once
// decoded it thousands of times, failed placeholders included (they take no
// room, so nothing stopped the next one). Files are mapped on several
// workers: the first to need a target reads it, the others wait for it.
//
// It keeps, for every target, its size as JSON or why it cannot be read,
// so that a placeholder that cannot fit is refused without a decode. Each
// placeholder that fits gets a value of its own (the engine writes into
// entities, annotations for one), built from the value's JSON, which the
// cache keeps from the target's second use on when it is no larger than
// the target's file: what it holds is bounded by the targets' sizes. (The
// value is the same as JSON; a float 2.0 may come back as the integer 2,
// which JSON and Backstage do not tell apart.) A value larger than its
// file (aliases) is decoded from the file again: either way a value costs
// about its size, which is the room it takes. Decoded trees are not kept:
// they take tens of times the room of their JSON.
type targetCache struct {
	mu      sync.Mutex
	entries map[targetKey]*target
}

type targetKey struct{ kind, path string }

// target is one target, read once.
type target struct {
	once sync.Once
	// size is the length of the value as JSON; msg, when not empty, why
	// the target cannot be read (after `$kind "target": `).
	size int
	msg  string
	// keep makes json, the value as JSON, from the second use on.
	keep sync.Once
	json []byte
}

func newTargetCache() *targetCache {
	return &targetCache{entries: map[targetKey]*target{}}
}

// load returns the target of kind at path p, reading it if it is the
// first to need it; fresh is then its value, built for this placeholder.
func (c *targetCache) load(kind, p string, content []byte, limits document.Limits) (t *target, fresh any) {
	c.mu.Lock()
	t = c.entries[targetKey{kind, p}]
	if t == nil {
		t = &target{}
		c.entries[targetKey{kind, p}] = t
	}
	c.mu.Unlock()
	t.once.Do(func() {
		fresh, t.msg = decodeTarget(kind, p, content, limits)
		if t.msg == "" {
			t.size = jsonSize(fresh)
		}
	})
	return t, fresh
}

// value returns a new value of a target that was read without error.
func (t *target) value(kind, p string, content []byte, limits document.Limits) any {
	if kind == "text" || t.size > len(content) {
		v, _ := decodeTarget(kind, p, content, limits)
		return v
	}
	var fresh any
	t.keep.Do(func() {
		fresh, _ = decodeTarget(kind, p, content, limits)
		t.json, _ = json.Marshal(fresh)
	})
	if fresh != nil {
		return fresh
	}
	// The value was read once, within the limits: only its size bounds
	// it now.
	doc, d := document.DecodeJSON(p, t.json, document.Limits{MaxFileBytes: len(t.json), MaxNodes: math.MaxInt, MaxDepth: limits.MaxDepth})
	if d != nil {
		// Not reached: t.json is what encoding/json wrote.
		v, _ := decodeTarget(kind, p, content, limits)
		return v
	}
	return doc.Root.Value()
}

// decodeTarget reads a target: its value, or why it cannot be read.
func decodeTarget(kind, p string, content []byte, limits document.Limits) (any, string) {
	switch kind {
	case "json":
		doc, d := document.DecodeJSON(p, content, limits)
		if d != nil {
			return nil, d.String()
		}
		return doc.Root.Value(), ""
	case "yaml":
		docs, d := document.Decode(p, content, limits)
		if d != nil {
			return nil, d.String()
		}
		if len(docs) != 1 {
			return nil, fmt.Sprintf("%s must hold exactly one YAML document, it holds %d", p, len(docs))
		}
		return docs[0].Root.Value(), ""
	}
	return string(content), ""
}

// isHTTPURL reports whether a placeholder target is an absolute http or
// https URL with a host, which Backstage's UrlReaders can read.
func isHTTPURL(target string) bool {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	}
	return false
}
