// Package catalog holds the Backstage entity model as the engine needs it:
// entity refs, the rules Backstage's catalog applies to every entity, and
// which spec fields point at other entities.
package catalog

import (
	"fmt"
	"strings"
)

// Ref identifies an entity: kind, namespace and name. Backstage compares
// refs case-insensitively; Key gives the form to compare.
type Ref struct {
	Kind      string
	Namespace string
	Name      string
}

// DefaultNamespace is the namespace of entities that name none.
const DefaultNamespace = "default"

// ParseRef reads an entity ref "[kind:][namespace/]name" as Backstage's
// parseEntityRef does. defaultKind may be empty, in which case the ref must
// name its kind.
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("entity ref is empty")
	}
	r := Ref{Kind: defaultKind, Namespace: defaultNamespace}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		r.Kind, rest = rest[:i], rest[i+1:]
		if r.Kind == "" {
			return Ref{}, fmt.Errorf("entity ref %q has an empty kind", s)
		}
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		r.Namespace, rest = rest[:i], rest[i+1:]
		if r.Namespace == "" {
			return Ref{}, fmt.Errorf("entity ref %q has an empty namespace", s)
		}
	}
	r.Name = rest
	switch {
	case r.Kind == "":
		return Ref{}, fmt.Errorf("entity ref %q must name its kind, like component:%s", s, rest)
	case r.Name == "":
		return Ref{}, fmt.Errorf("entity ref %q has an empty name", s)
	case strings.ContainsAny(r.Name, ":/"):
		return Ref{}, fmt.Errorf("entity ref %q is not of the form [kind:][namespace/]name", s)
	}
	if r.Namespace == "" {
		r.Namespace = DefaultNamespace
	}
	return r, nil
}

// String renders the ref with kind and namespace in lower case and the
// name as written (Backstage's stringifyEntityRef lower-cases the name too;
// Key gives that form, which is what refs are compared by).
func (r Ref) String() string {
	return lowerKind(r.Kind) + ":" + strings.ToLower(r.Namespace) + "/" + r.Name
}

// lowerKinds maps the spellings of the kinds Backstage defines (component,
// Component) to the kind in lower case.
var lowerKinds = func() map[string]string {
	m := make(map[string]string, 2*len(Kinds))
	for k, rule := range Kinds {
		m[k] = k
		if strings.ToLower(rule.name) == k {
			m[rule.name] = k
		}
	}
	return m
}()

// lowerKind is strings.ToLower(kind), without a copy for the kinds
// Backstage defines as they are written: it runs a few times for every
// entity and ref.
func lowerKind(kind string) string {
	if l, ok := lowerKinds[kind]; ok {
		return l
	}
	return strings.ToLower(kind)
}

// Key is the ref in the form used to compare: all lower case.
func (r Ref) Key() string {
	var b strings.Builder
	b.Grow(len(r.Kind) + len(r.Namespace) + len(r.Name) + 2)
	for _, part := range [...]string{r.Kind, ":", r.Namespace, "/", r.Name} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			} else if c >= 0x80 {
				// Rare: non-ASCII needs Unicode case folding.
				return strings.ToLower(r.String())
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
