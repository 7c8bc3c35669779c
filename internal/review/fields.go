package review

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source"
)

// The categories of a changed field, so a reviewer sees at once an
// ownership move or a relation that appears.
const (
	CategoryOwner       = "owner"
	CategorySystem      = "system"
	CategoryLifecycle   = "lifecycle"
	CategoryRelations   = "relations"
	CategoryAnnotations = "annotations"
	CategorySpec        = "spec"
	CategoryMetadata    = "metadata"
	CategoryFile        = "file"
	CategoryOther       = "other"
)

// engineAnnotations are the annotations the engine always writes itself,
// whatever the author wrote, from the file and revision an entity comes
// from (mapping's annotate): they change with every edit of the file, so
// the field diff leaves them out (a move to another file is the "file"
// field). Its other central-config.io annotations (a topic's consumers)
// say something of the entity and are shown.
var engineAnnotations = []string{
	mapping.AnnotationManagedByLocation, mapping.AnnotationManagedByOriginLocation,
	mapping.AnnotationSource, mapping.AnnotationFile, mapping.AnnotationRevision,
}

// linkDefaults returns the link annotations the engine gives an entity
// (mapping.LinkAnnotations) at the file and revision its own annotations
// name.
func linkDefaults(links source.Links, obj map[string]any) map[string]string {
	md, _ := obj["metadata"].(map[string]any)
	ann, _ := md["annotations"].(map[string]any)
	file, _ := ann[mapping.AnnotationFile].(string)
	rev, _ := ann[mapping.AnnotationRevision].(string)
	return mapping.LinkAnnotations(links, rev, file)
}

// Field is one changed field of an entity. Old or New is absent when the
// field is added or removed. For a list of plain values, Added and
// Removed name the items that come and go.
type Field struct {
	// Path is the field's dotted path (spec.owner,
	// metadata.annotations.backstage.io/techdocs-ref).
	Path     string   `json:"path"`
	Category string   `json:"category"`
	Old      any      `json:"old,omitempty"`
	New      any      `json:"new,omitempty"`
	Added    []string `json:"added,omitempty"`
	Removed  []string `json:"removed,omitempty"`
}

// diffFields lists the fields that differ between two versions of an
// entity, in path order. A map is compared key by key; any other value
// (a list, a definition text) as a whole. The engine's own annotations are
// left out, and so is a link annotation (view-url, edit-url,
// source-location) whose old and new values are the ones the source's
// links give at the old and new revision: an author's own link is
// published as written, so a change to it is shown.
func diffFields(old, cur map[string]any, links source.Links) []Field {
	oldLinks, curLinks := linkDefaults(links, old), linkDefaults(links, cur)
	engineSet := func(key string, a, b any) bool {
		if slices.Contains(engineAnnotations, key) {
			return true
		}
		ol, ok1 := oldLinks[key]
		cl, ok2 := curLinks[key]
		return ok1 && ok2 && a == any(ol) && b == any(cl)
	}
	relations := map[string]bool{}
	for _, fr := range slices.Concat(catalog.Refs(old), catalog.Refs(cur)) {
		relations[fr.Field] = true
	}
	var out []Field
	var walk func(path []string, a, b any)
	walk = func(path []string, a, b any) {
		am, aIsMap := a.(map[string]any)
		bm, bIsMap := b.(map[string]any)
		if aIsMap && bIsMap {
			keys := map[string]bool{}
			for k := range am {
				keys[k] = true
			}
			for k := range bm {
				keys[k] = true
			}
			for _, k := range sortedKeys(keys) {
				walk(append(slices.Clip(path), k), am[k], bm[k])
			}
			return
		}
		if reflect.DeepEqual(a, b) {
			return
		}
		if len(path) == 3 && path[0] == "metadata" && path[1] == "annotations" && engineSet(path[2], a, b) {
			return
		}
		f := Field{Path: strings.Join(path, "."), Category: category(path, relations), Old: a, New: b}
		if as, ok := scalarList(a); ok {
			if bs, ok := scalarList(b); ok {
				f.Added, f.Removed = minus(bs, as), minus(as, bs)
			}
		}
		out = append(out, f)
	}
	walk(nil, old, cur)
	return out
}

func category(path []string, relations map[string]bool) string {
	switch {
	case len(path) >= 2 && path[0] == "spec" && path[1] == "owner":
		return CategoryOwner
	case len(path) >= 2 && path[0] == "spec" && path[1] == "system":
		return CategorySystem
	case len(path) >= 2 && path[0] == "spec" && path[1] == "lifecycle":
		return CategoryLifecycle
	case len(path) >= 2 && path[0] == "spec" && relations[path[1]]:
		return CategoryRelations
	case len(path) >= 2 && path[0] == "metadata" && path[1] == "annotations":
		return CategoryAnnotations
	case len(path) >= 1 && path[0] == "spec":
		return CategorySpec
	case len(path) >= 1 && path[0] == "metadata":
		return CategoryMetadata
	}
	return CategoryOther
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// scalarList returns a list of strings, numbers or booleans as text; ok is
// false for anything else (nil is an empty list, so a relation list that
// appears lists its items as added).
func scalarList(v any) ([]string, bool) {
	if v == nil {
		return nil, true
	}
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, item := range l {
		switch item.(type) {
		case map[string]any, []any, nil:
			return nil, false
		}
		out = append(out, text(item))
	}
	return out, true
}

// minus returns the items of a that b does not hold.
func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// text renders a field value for a reader: a string as is, anything else
// as compact JSON.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}
