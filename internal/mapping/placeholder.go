package mapping

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/document"
)

// placeholderError is a placeholder that could not be resolved, at a path
// in the entity.
type placeholderError struct {
	path []string
	msg  string
}

// resolvePlaceholders resolves Backstage's $text, $json and $yaml
// placeholders the way its PlaceholderProcessor does: a mapping with
// exactly one key, "$" and a known resolver, whose value is a string, is
// replaced by the content of that file. Anything else that looks like a
// placeholder is left alone, as Backstage leaves it. Targets are files of
// the same snapshot, relative to the entity's file; URLs are not fetched,
// so the engine never reaches out to hosts the platform team did not
// configure.
func resolvePlaceholders(v any, file string, files map[string][]byte, limits document.Limits, read func(path string)) (any, []placeholderError) {
	var errs []placeholderError
	// path is a stack of keys, copied only when an error is recorded, so
	// the walk allocates nothing for entities without placeholders.
	var path []string
	var walk func(v any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case []any:
			for i := range t {
				path = append(path, strconv.Itoa(i))
				t[i] = walk(t[i])
				path = path[:len(path)-1]
			}
			return t
		case map[string]any:
			if len(t) == 1 {
				for k, target := range t {
					kind, isPlaceholder := strings.CutPrefix(k, "$")
					s, isString := target.(string)
					if isPlaceholder && isString && (kind == "text" || kind == "json" || kind == "yaml") {
						val, err := readPlaceholder(kind, s, file, files, limits, read)
						if err != nil {
							errs = append(errs, placeholderError{path: append(slices.Clone(path), k), msg: err.Error()})
							return t
						}
						return val
					}
				}
			}
			for k, val := range t {
				switch val.(type) {
				case map[string]any, []any:
					path = append(path, k)
					t[k] = walk(val)
					path = path[:len(path)-1]
				}
			}
			return t
		}
		return v
	}
	return walk(v), errs
}

func readPlaceholder(kind, target, file string, files map[string][]byte, limits document.Limits, read func(string)) (any, error) {
	if strings.Contains(target, "://") {
		return nil, fmt.Errorf("$%s %q: only files of the same repository can be read, not URLs", kind, target)
	}
	p := path.Clean(path.Join(path.Dir(file), target))
	if strings.HasPrefix(target, "/") || p == ".." || strings.HasPrefix(p, "../") {
		return nil, fmt.Errorf("$%s %q: path leaves the repository", kind, target)
	}
	// Recorded even when missing: the file appearing later must remap.
	read(p)
	content, ok := files[p]
	if !ok {
		return nil, fmt.Errorf("$%s %q: file %s is not in the repository (or not under the source's paths)", kind, target, p)
	}
	switch kind {
	case "text":
		return string(content), nil
	case "json":
		var v any
		if err := json.Unmarshal(content, &v); err != nil {
			return nil, fmt.Errorf("$json %q: %s is not valid JSON: %w", target, p, err)
		}
		return v, nil
	}
	docs, d := document.Decode(p, content, limits)
	if d != nil {
		return nil, fmt.Errorf("$yaml %q: %s", target, d.String())
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("$yaml %q: %s must hold exactly one YAML document, it holds %d", target, p, len(docs))
	}
	return docs[0].Root.Value(), nil
}
