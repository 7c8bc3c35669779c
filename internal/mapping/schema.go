package mapping

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
)

// SchemaAPIVersion marks a document in the central-config format.
const SchemaAPIVersion = "central-config.io/v1"

func isOurs(root *document.Node) bool {
	return root.Get("apiVersion").String() == SchemaAPIVersion
}

// listSpec describes one list of the central-config format: the entity kind
// it becomes, the keys its items may have beyond the common ones, and where
// each entity path comes from in the item (for positions of problems).
type listSpec struct {
	kind string
	// kindValue is kind in an interface, made once.
	kindValue any
	keys      []string
	// allowed is commonKeys and keys, filled in at start-up.
	allowed []string
	// from maps an entity path ("spec.owner") to the item key it is
	// built from ("owner").
	from  map[string]string
	build func(it *item, e *entityBuilder)
}

var commonKeys = []string{"name", "title", "description", "tags", "links", "labels", "annotations"}

var commonFrom = map[string]string{
	"metadata.name": "name", "metadata.title": "title", "metadata.description": "description",
	"metadata.tags": "tags", "metadata.links": "links", "metadata.labels": "labels", "metadata.annotations": "annotations",
}

var lists = map[string]listSpec{
	"teams": {
		kind: "Group",
		keys: []string{"type", "parent", "email", "picture", "members"},
		from: map[string]string{"spec.type": "type", "spec.parent": "parent", "spec.members": "members",
			"spec.profile.email": "email", "spec.profile.picture": "picture", "spec.profile.displayName": "title"},
		build: func(it *item, e *entityBuilder) {
			e.spec["type"] = it.stringOr("type", "team")
			e.spec["children"] = []any{}
			it.ref(e.spec, "parent", "parent", "Group")
			it.refs(e.spec, "members", "members", "User")
			it.profile(e, "title")
		},
	},
	"people": {
		kind: "User",
		keys: []string{"displayName", "email", "picture", "teams"},
		from: map[string]string{"spec.memberOf": "teams", "spec.profile.displayName": "displayName",
			"spec.profile.email": "email", "spec.profile.picture": "picture"},
		build: func(it *item, e *entityBuilder) {
			e.spec["memberOf"] = []any{}
			it.refs(e.spec, "teams", "memberOf", "Group")
			it.profile(e, "displayName")
		},
	},
	"domains": {
		kind: "Domain",
		keys: []string{"owner", "subdomainOf"},
		from: map[string]string{"spec.owner": "owner", "spec.subdomainOf": "subdomainOf"},
		build: func(it *item, e *entityBuilder) {
			it.requiredRef(e.spec, "owner", "owner", "Group")
			it.ref(e.spec, "subdomainOf", "subdomainOf", "Domain")
		},
	},
	"systems": {
		kind: "System",
		keys: []string{"owner", "domain"},
		from: map[string]string{"spec.owner": "owner", "spec.domain": "domain"},
		build: func(it *item, e *entityBuilder) {
			it.requiredRef(e.spec, "owner", "owner", "Group")
			it.ref(e.spec, "domain", "domain", "Domain")
		},
	},
	"services": {
		kind: "Component",
		keys: []string{"owner", "system", "type", "lifecycle", "provides", "consumes", "dependsOn", "subcomponentOf", "repo"},
		from: map[string]string{"spec.owner": "owner", "spec.system": "system", "spec.type": "type", "spec.lifecycle": "lifecycle",
			"spec.providesApis": "provides", "spec.consumesApis": "consumes", "spec.dependsOn": "dependsOn", "spec.subcomponentOf": "subcomponentOf"},
		build: func(it *item, e *entityBuilder) {
			e.spec["type"] = it.stringOr("type", "service")
			e.spec["lifecycle"] = it.stringOr("lifecycle", "production")
			it.requiredRef(e.spec, "owner", "owner", "Group")
			it.ref(e.spec, "system", "system", "System")
			it.ref(e.spec, "subcomponentOf", "subcomponentOf", "Component")
			it.refs(e.spec, "provides", "providesApis", "API")
			it.refs(e.spec, "consumes", "consumesApis", "API")
			it.refs(e.spec, "dependsOn", "dependsOn", "Component")
			if repo := it.string("repo"); repo != "" {
				u, err := url.Parse(repo)
				if err != nil || u.Scheme == "" || u.Host == "" {
					it.errorAt("repo", "repo must be a URL like https://github.com/org/repo")
					return
				}
				e.annotations[AnnotationSourceLocation] = "url:" + strings.TrimSuffix(repo, "/") + "/"
				if u.Host == "github.com" {
					e.annotations["github.com/project-slug"] = strings.Trim(strings.TrimSuffix(u.Path, ".git"), "/")
				}
			}
		},
	},
	"apis": {
		kind: "API",
		keys: []string{"owner", "system", "type", "lifecycle", "definition"},
		from: map[string]string{"spec.owner": "owner", "spec.system": "system", "spec.type": "type",
			"spec.lifecycle": "lifecycle", "spec.definition": "definition"},
		build: func(it *item, e *entityBuilder) {
			e.spec["lifecycle"] = it.stringOr("lifecycle", "production")
			it.requiredRef(e.spec, "owner", "owner", "Group")
			it.ref(e.spec, "system", "system", "System")
			if it.required("type") {
				e.spec["type"] = it.string("type")
			}
			if it.required("definition") {
				e.spec["definition"] = it.node.Get("definition").Value()
			}
		},
	},
	"resources": {
		kind: "Resource",
		keys: []string{"owner", "system", "type", "dependsOn"},
		from: map[string]string{"spec.owner": "owner", "spec.system": "system", "spec.type": "type", "spec.dependsOn": "dependsOn"},
		build: func(it *item, e *entityBuilder) {
			it.requiredRef(e.spec, "owner", "owner", "Group")
			it.ref(e.spec, "system", "system", "System")
			if it.required("type") {
				e.spec["type"] = it.string("type")
			}
			it.refs(e.spec, "dependsOn", "dependsOn", "Resource")
		},
	},
}

var listNames = func() []string {
	var names []string
	for k, spec := range lists {
		names = append(names, k)
		spec.allowed = append(slices.Clone(commonKeys), spec.keys...)
		spec.kindValue = spec.kind
		lists[k] = spec
	}
	slices.Sort(names)
	return names
}()

// schemaCandidates reads a document in the central-config format. Problems
// with the format itself (unknown keys, missing required keys, wrong types,
// malformed refs) are reported at the exact key; an item with such a
// problem produces no entity.
func schemaCandidates(doc *document.Document, diags *diag.List) []candidate {
	errorAt := func(n *document.Node, msg string) {
		*diags = append(*diags, diag.Diagnostic{File: doc.File, Line: n.Pos.Line, Column: n.Pos.Column, Severity: diag.Error, Code: diag.CodeSchema, Message: msg})
	}
	root := doc.Root
	namespace := catalog.DefaultNamespace
	if ns := root.Get("namespace"); ns != nil {
		if ns.Kind != document.String {
			errorAt(ns, "namespace must be a string")
			return nil
		}
		namespace = ns.Str
	}
	// The namespace in an interface once, for every entity.
	var namespaceValue any = namespace
	var out []candidate
	for _, f := range root.Fields {
		if f.Key == "apiVersion" || f.Key == "namespace" {
			continue
		}
		spec, ok := lists[f.Key]
		if !ok {
			*diags = append(*diags, diag.Diagnostic{File: doc.File, Line: f.KeyPos.Line, Column: f.KeyPos.Column, Severity: diag.Error, Code: diag.CodeSchema,
				Message: fmt.Sprintf("unknown key %q; a %s document may hold apiVersion, namespace, %s", f.Key, SchemaAPIVersion, strings.Join(listNames, ", "))})
			continue
		}
		if f.Value.Kind != document.Seq {
			errorAt(f.Value, fmt.Sprintf("%s must be a list", f.Key))
			continue
		}
		for _, n := range f.Value.Items {
			if c, ok := buildItem(doc.File, f.Key, &spec, n, namespace, namespaceValue, diags); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

func buildItem(file, list string, spec *listSpec, n *document.Node, namespace string, namespaceValue any, diags *diag.List) (candidate, bool) {
	// The item and its entity are one allocation.
	it := &item{file: file, list: list, node: n, namespace: namespace, diags: diags}
	if n.Kind != document.Map {
		it.errorNode(n, fmt.Sprintf("each entry of %s must be a mapping with at least a name", list))
		return candidate{}, false
	}
	allowed := spec.allowed
	for _, f := range n.Fields {
		if !slices.Contains(allowed, f.Key) {
			*diags = append(*diags, diag.Diagnostic{File: file, Line: f.KeyPos.Line, Column: f.KeyPos.Column, Severity: diag.Error, Code: diag.CodeSchema,
				Message: fmt.Sprintf("unknown key %q in %s; allowed: %s", f.Key, list, strings.Join(allowed, ", "))})
			it.failed = true
		}
	}
	e := &it.entity
	*e = entityBuilder{metadata: map[string]any{"namespace": namespaceValue}, spec: map[string]any{}, annotations: map[string]any{}}
	if it.required("name") {
		e.metadata["name"] = it.string("name")
	}
	it.copyString(e.metadata, "title", "title")
	it.copyString(e.metadata, "description", "description")
	for _, k := range []string{"tags", "links", "labels"} {
		if v := n.Get(k); v != nil {
			e.metadata[k] = v.Value()
		}
	}
	if v := n.Get("annotations"); v != nil {
		if m, ok := v.Value().(map[string]any); ok {
			e.annotations = m
		} else {
			it.errorAt("annotations", "annotations must be a mapping of strings")
		}
	}
	spec.build(it, e)
	if it.failed {
		return candidate{}, false
	}
	e.metadata["annotations"] = e.annotations
	obj := map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": spec.kindValue, "metadata": e.metadata, "spec": e.spec}
	from := spec.from
	return candidate{
		object:       obj,
		pos:          n.Pos,
		placeholders: true,
		posOf: func(p []string) document.Pos {
			// The keys p[:i] joined, for i from len(p) down, are
			// prefixes of the whole path joined (on the stack when
			// short: this runs for every ref of every entity).
			var buf [64]byte
			joined := buf[:0]
			for i, k := range p {
				if i > 0 {
					joined = append(joined, '.')
				}
				joined = append(joined, k...)
			}
			end := len(joined)
			for i := len(p); i > 0; i-- {
				key := joined[:end]
				end -= len(p[i-1]) + 1
				src, ok := from[string(key)]
				if !ok {
					src, ok = commonFrom[string(key)]
				}
				if ok {
					// n.Lookup(src, p[i:]...): n is a map.
					v := n.Get(src)
					if v == nil {
						return n.Pos
					}
					found, _ := v.Lookup(p[i:]...)
					return found.Pos
				}
			}
			return n.Pos
		},
	}, true
}

// entityBuilder collects the parts of one entity.
type entityBuilder struct {
	metadata, spec, annotations map[string]any
}

// item reads the keys of one list entry and reports what is wrong with them.
type item struct {
	file, list, namespace string
	node                  *document.Node
	diags                 *diag.List
	failed                bool
	entity                entityBuilder
}

func (it *item) errorNode(n *document.Node, msg string) {
	*it.diags = append(*it.diags, diag.Diagnostic{File: it.file, Line: n.Pos.Line, Column: n.Pos.Column, Severity: diag.Error, Code: diag.CodeSchema, Message: msg})
	it.failed = true
}

func (it *item) errorAt(key, msg string) {
	n := it.node.Get(key)
	if n == nil {
		n = it.node
	}
	it.errorNode(n, msg)
}

// required reports whether a key is present, and reports it missing.
func (it *item) required(key string) bool {
	if it.node.Get(key) == nil {
		name := it.node.Get("name").String()
		where := it.list + " entry"
		if name != "" {
			where = fmt.Sprintf("%s entry %q", it.list, name)
		}
		it.errorNode(it.node, fmt.Sprintf("%s has no %s, which is required", where, key))
		return false
	}
	return true
}

// string returns a string key, reporting other types.
func (it *item) string(key string) string {
	n := it.node.Get(key)
	if n == nil {
		return ""
	}
	if n.Kind != document.String && n.Kind != document.Int && n.Kind != document.Float && n.Kind != document.Bool {
		if key != "definition" {
			it.errorNode(n, fmt.Sprintf("%s must be a string, not a %s", key, n.Kind))
		}
		return ""
	}
	if n.Str == "" && n.Kind == document.String {
		it.errorNode(n, fmt.Sprintf("%s must not be empty", key))
	}
	return n.String()
}

func (it *item) stringOr(key, def string) string {
	if s := it.string(key); s != "" {
		return s
	}
	return def
}

func (it *item) copyString(dst map[string]any, key, to string) {
	if it.node.Get(key) != nil {
		if s := it.string(key); s != "" {
			dst[to] = s
		}
	}
}

// profile sets spec.profile of a Group or User from the item's display
// name (read from displayNameKey), email and picture; an item with none of
// them gets no profile.
func (it *item) profile(e *entityBuilder, displayNameKey string) {
	profile := map[string]any{}
	it.copyString(profile, displayNameKey, "displayName")
	it.copyString(profile, "email", "email")
	it.copyString(profile, "picture", "picture")
	if len(profile) > 0 {
		e.spec["profile"] = profile
	}
}

// fullRef parses a ref written in our format and returns it in Backstage's
// fully qualified form, so the published entity says exactly what it means.
func (it *item) fullRef(n *document.Node, defaultKind string) (string, bool) {
	if n.Kind != document.String {
		it.errorNode(n, fmt.Sprintf("an entity ref must be a string, not a %s", n.Kind))
		return "", false
	}
	r, err := catalog.ParseRef(n.Str, defaultKind, it.namespace)
	if err != nil {
		*it.diags = append(*it.diags, diag.Diagnostic{File: it.file, Line: n.Pos.Line, Column: n.Pos.Column, Severity: diag.Error, Code: diag.CodeInvalidRef, Message: err.Error()})
		it.failed = true
		return "", false
	}
	return r.String(), true
}

func (it *item) ref(dst map[string]any, key, to, defaultKind string) {
	if n := it.node.Get(key); n != nil {
		if s, ok := it.fullRef(n, defaultKind); ok {
			dst[to] = s
		}
	}
}

func (it *item) requiredRef(dst map[string]any, key, to, defaultKind string) {
	if it.required(key) {
		it.ref(dst, key, to, defaultKind)
	}
}

func (it *item) refs(dst map[string]any, key, to, defaultKind string) {
	n := it.node.Get(key)
	if n == nil {
		return
	}
	if n.Kind != document.Seq {
		it.errorNode(n, fmt.Sprintf("%s must be a list of entity refs", key))
		return
	}
	out, _ := dst[to].([]any)
	if out == nil {
		out = make([]any, 0, len(n.Items))
	}
	for _, item := range n.Items {
		if s, ok := it.fullRef(item, defaultKind); ok {
			out = append(out, s)
		}
	}
	dst[to] = out
}
