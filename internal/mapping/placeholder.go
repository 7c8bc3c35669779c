package mapping

import (
	"cmp"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

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
// snapshot, relative to the entity's file; URLs are not fetched, so the
// engine never reaches out to hosts the platform team did not configure.
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
	// entityRoom is how many bytes of JSON the entity may still grow by;
	// fileRoom, shared by the entities of a file, how many its
	// placeholders may still add.
	entityRoom int
	fileRoom   *int
	// read records each target, found or not.
	read  func(path string)
	sites []site
	errs  []placeholderError
	// path is a stack of keys, copied only for a placeholder, so the walk
	// allocates nothing for entities without placeholders.
	path []string
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

// resolveAll resolves the placeholders of obj in the order of their
// positions.
func (r *resolver) resolveAll(obj map[string]any, posOf func(path []string) document.Pos) {
	r.collect(obj)
	slices.SortFunc(r.sites, func(a, b site) int {
		pa, pb := posOf(a.path), posOf(b.path)
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Column, pb.Column), slices.Compare(a.path, b.path))
	})
	for _, s := range r.sites {
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
		return nil, fmt.Errorf("$%s %q: only files of the same repository can be read, not URLs", kind, target)
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
	var val any
	switch kind {
	case "text":
		// Its JSON is at least as long as the text: check before copying.
		if err := r.fits(kind, target, len(content)-placeholderSize); err != nil {
			return nil, err
		}
		val = string(content)
	case "json":
		doc, d := document.DecodeJSON(p, content, r.limits)
		if d != nil {
			return nil, fmt.Errorf("$json %q: %s", target, d.String())
		}
		val = doc.Root.Value()
	case "yaml":
		docs, d := document.Decode(p, content, r.limits)
		if d != nil {
			return nil, fmt.Errorf("$yaml %q: %s", target, d.String())
		}
		if len(docs) != 1 {
			return nil, fmt.Errorf("$yaml %q: %s must hold exactly one YAML document, it holds %d", target, p, len(docs))
		}
		val = docs[0].Root.Value()
	}
	n := jsonSize(val) - placeholderSize
	if err := r.fits(kind, target, n); err != nil {
		return nil, err
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
