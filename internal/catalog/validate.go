package catalog

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Problem is a rule an entity breaks, at a path of keys and list indexes
// inside the entity ("spec", "owner").
type Problem struct {
	Path    []string
	Message string
}

// The API versions Backstage's built-in kinds accept.
var builtinAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

// kindRule is the part of a kind's JSON schema that Backstage enforces on
// spec, and which spec fields are refs to other entities.
type kindRule struct {
	name        string     // the kind as its schema spells it (an enum of one)
	apiVersions []string   // the apiVersions the kind's schema accepts; nil means builtinAPIVersions
	required    []string   // spec fields that must be non-empty strings or lists
	strings     []string   // spec fields that must be non-empty strings when set
	lists       []string   // spec fields that must be lists of non-empty strings
	refs        []refField // the spec fields that are refs, in the order Refs gives them
	more        func(v *validator, spec map[string]any)
}

// RefFields are the spec fields of every kind that hold refs, each once,
// sorted: an index into it names a field in a byte.
var RefFields = func() []string {
	var out []string
	for _, k := range Kinds {
		for _, rf := range k.refs {
			out = append(out, rf.field)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}()

// refField is a spec field that holds refs, and the kind a ref of it
// names when it names none ("" = the ref must name its kind).
type refField struct{ field, defKind string }

// TemplateAPIVersion is the apiVersion of the scaffolder's Template kind
// (@backstage/plugin-scaffolder-common's Template.v1beta3 schema).
const TemplateAPIVersion = "scaffolder.backstage.io/v1beta3"

// Kinds lists the kinds whose schema Backstage defines, with their rules:
// the catalog-model's built-in kinds and the scaffolder's Template. An
// entity of another kind gets the checks every entity gets (Validate);
// which kinds are published at all is the engine's allow list, not this
// table.
var Kinds = map[string]kindRule{
	"component": {
		name:     "Component",
		required: []string{"type", "lifecycle", "owner"},
		strings:  []string{"system", "subcomponentOf"},
		lists:    []string{"providesApis", "consumesApis", "dependsOn", "dependencyOf"},
		refs:     []refField{{"owner", "Group"}, {"system", "System"}, {"subcomponentOf", "Component"}, {"providesApis", "API"}, {"consumesApis", "API"}, {"dependsOn", ""}, {"dependencyOf", ""}},
	},
	"api": {
		name:     "API",
		required: []string{"type", "lifecycle", "owner", "definition"},
		strings:  []string{"system"},
		refs:     []refField{{"owner", "Group"}, {"system", "System"}},
	},
	"resource": {
		name:     "Resource",
		required: []string{"type", "owner"},
		strings:  []string{"system"},
		lists:    []string{"dependsOn", "dependencyOf"},
		refs:     []refField{{"owner", "Group"}, {"system", "System"}, {"dependsOn", ""}, {"dependencyOf", ""}},
	},
	"system": {
		name:     "System",
		required: []string{"owner"},
		strings:  []string{"domain", "type"},
		refs:     []refField{{"owner", "Group"}, {"domain", "Domain"}},
	},
	"domain": {
		name:     "Domain",
		required: []string{"owner"},
		strings:  []string{"subdomainOf", "type"},
		refs:     []refField{{"owner", "Group"}, {"subdomainOf", "Domain"}},
	},
	"group": {
		name:     "Group",
		required: []string{"type"},
		strings:  []string{"parent"},
		lists:    []string{"children", "members"},
		refs:     []refField{{"parent", "Group"}, {"children", "Group"}, {"members", "User"}},
	},
	"user": {
		name:  "User",
		lists: []string{"memberOf"},
		refs:  []refField{{"memberOf", "Group"}},
	},
	// Location.v1alpha1.schema.json: every spec field is optional (a
	// Location with no target is accepted, and reads nothing).
	"location": {
		name:    "Location",
		strings: []string{"type", "target"},
		lists:   []string{"targets"},
		more:    locationSpec,
	},
	// Template.v1beta3.schema.json; the scaffolder's catalog module makes
	// spec.owner an ownedBy relation, a Group by default.
	"template": {
		name:        "Template",
		apiVersions: []string{TemplateAPIVersion},
		required:    []string{"type"},
		strings:     []string{"owner", "lifecycle"},
		refs:        []refField{{"owner", "Group"}},
		more:        templateSpec,
	},
}

const nameRule = "sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters"

// The checks below are Backstage's regular expressions written out by hand:
// they run several times per entity, and regexp would dominate the cost of
// validating a large repository.

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// IsValidName reports whether s is a valid metadata.name:
// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$, at most 63 characters.
func IsValidName(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isSeparated checks ^[x]+(-[x]+)*$ for a character class x.
func isSeparated(s string, class func(byte) bool) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			if s[i-1] == '-' {
				return false
			}
			continue
		}
		if !class(c) {
			return false
		}
	}
	return true
}

func isDNSLabel(s string) bool { return len(s) <= 63 && isSeparated(s, isLowerAlnum) }

func isTag(s string) bool {
	return len(s) <= 63 && isSeparated(s, func(c byte) bool { return isLowerAlnum(c) || c == ':' || c == '+' || c == '#' })
}

func isKind(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// IsValidKind reports whether s is a valid entity kind: letters and
// digits, starting with a letter, at most 63 characters.
func IsValidKind(s string) bool { return isKind(s) }

func isVersion(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func isDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	// Each label between dots (strings.Split, without its slice).
	for {
		l, rest, more := strings.Cut(s, ".")
		if !isDNSLabel(l) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// prefixed checks "[prefix/]suffix" keys as Kubernetes and Backstage do.
func prefixed(s string, prefix, suffix func(string) bool) bool {
	p, rest, found := strings.Cut(s, "/")
	switch {
	case !found:
		return suffix(s)
	case strings.Contains(rest, "/"):
		return false
	}
	return prefix(p) && suffix(rest)
}

func isValidAPIVersion(s string) bool {
	return prefixed(s, isDNSSubdomain, isVersion)
}

// IsGroupVersion reports whether s is an apiVersion with a group, such as
// backstage.io/v1alpha1 or example.com/v1: the mark of an entity document.
func IsGroupVersion(s string) bool {
	return strings.Contains(s, "/") && isValidAPIVersion(s)
}

// Validate checks an entity as the Backstage catalog does when a provider
// applies it: the entity policies (root fields, field formats, the entity
// envelope schema) and, for a kind in Kinds in one of Backstage's API
// groups, the schema of its kind, which spells the kind exactly. An
// entity of another kind, or of a kind of Kinds in another group
// (IsForeign), gets the policies only. It returns every problem,
// not only the first.
func Validate(e map[string]any) []Problem {
	v := &validator{}
	for k := range e {
		switch k {
		case "apiVersion", "kind", "metadata", "spec", "relations", "status":
		default:
			v.add([]string{k}, fmt.Sprintf("unknown top-level field %q; an entity has apiVersion, kind, metadata and spec", k))
		}
	}
	apiVersion := v.requiredString(e, nil, "apiVersion")
	kind := v.requiredString(e, nil, "kind")
	if apiVersion != "" && !isValidAPIVersion(apiVersion) {
		v.add([]string{"apiVersion"}, fmt.Sprintf("apiVersion %q is not of the form group/version", apiVersion))
	}
	if kind != "" && !isKind(kind) {
		v.add([]string{"kind"}, fmt.Sprintf("kind %q must be letters and digits starting with a letter, at most 63 characters", kind))
	}
	v.metadata(e)
	rule, known := schemaOf(apiVersion, kind)
	versions := rule.apiVersions
	if versions == nil {
		versions = builtinAPIVersions
	}
	// A kind's schema spells it exactly (an enum of one): Backstage's
	// processors recognise no other spelling, though its rules compare
	// kinds case-insensitively.
	if known && kind != rule.name {
		v.add([]string{"kind"}, fmt.Sprintf("kind %q must be written %s", kind, rule.name))
	}
	switch {
	case kind == "" || !known:
	case apiVersion != "" && !slices.Contains(versions, apiVersion):
		v.add([]string{"apiVersion"}, fmt.Sprintf("apiVersion %q is not valid for kind %s; use %s", apiVersion, kind, versions[0]))
	default:
		v.spec(e, lowerKind(kind), rule)
	}
	return v.problems
}

// backstageGroups are the API groups of the kinds in Kinds: the
// catalog-model's (backstage.io) and the scaffolder's
// (scaffolder.backstage.io). An old Template of backstage.io/v1beta2 is
// still a Template, with an apiVersion to fix.
var backstageGroups = []string{"backstage.io", "scaffolder.backstage.io"}

// schemaOf returns the rule of the kind Backstage defines that an entity
// of apiVersion and kind is: one of Kinds, spelled in any case, in one of
// Backstage's API groups (or with no group).
func schemaOf(apiVersion, kind string) (kindRule, bool) {
	rule, known := Kinds[lowerKind(kind)]
	if !known || IsForeign(apiVersion, kind) {
		return kindRule{}, false
	}
	return rule, true
}

// IsForeign reports whether an entity of apiVersion and kind has the name
// of a kind Backstage defines (Component, User, Template...; in any case)
// in an API group that is not Backstage's: a Crossplane
// iam.aws.upbound.io/v1beta1 User, an example.com/v1 Group. It is not that
// kind (Backstage's processors do not recognise it as such), and its
// schema does not apply to it.
func IsForeign(apiVersion, kind string) bool {
	if _, known := Kinds[lowerKind(kind)]; !known {
		return false
	}
	group, _, hasGroup := strings.Cut(apiVersion, "/")
	return hasGroup && !slices.Contains(backstageGroups, group)
}

// SchemaKindName returns how the schema of a kind Backstage defines spells
// it (Component for component), or "" for another kind.
func SchemaKindName(kind string) string {
	return Kinds[lowerKind(kind)].name
}

type validator struct{ problems []Problem }

func (v *validator) add(path []string, msg string) {
	v.problems = append(v.problems, Problem{Path: path, Message: msg})
}

func (v *validator) requiredString(m map[string]any, parent []string, key string) string {
	val, ok := m[key]
	if s, isStr := val.(string); isStr && strings.TrimSpace(s) != "" {
		return s
	}
	path := append(slices.Clone(parent), key)
	if !ok || val == nil {
		v.add(path, fmt.Sprintf("%s is required", strings.Join(path, ".")))
		return ""
	}
	s, ok := val.(string)
	if !ok {
		v.add(path, fmt.Sprintf("%s must be a string, not %s", strings.Join(path, "."), typeName(val)))
		return ""
	}
	if strings.TrimSpace(s) == "" {
		v.add(path, fmt.Sprintf("%s must not be empty", strings.Join(path, ".")))
		return ""
	}
	return s
}

// section returns the mapping e holds at key (metadata, spec), or reports
// that it is missing or not a mapping and returns false.
func (v *validator) section(e map[string]any, key string) (map[string]any, bool) {
	raw, ok := e[key]
	if !ok {
		v.add([]string{key}, key+" is required")
		return nil, false
	}
	m, ok := raw.(map[string]any)
	if !ok {
		v.add([]string{key}, key+" must be a mapping")
		return nil, false
	}
	return m, true
}

func (v *validator) metadata(e map[string]any) {
	md, ok := v.section(e, "metadata")
	if !ok {
		return
	}
	at := func(p ...string) []string { return append([]string{"metadata"}, p...) }
	if name := v.requiredString(md, []string{"metadata"}, "name"); name != "" && !IsValidName(name) {
		v.add(at("name"), fmt.Sprintf("metadata.name %q is not valid: expected %s", name, nameRule))
	}
	if ns, ok := md["namespace"]; ok {
		if s, isStr := ns.(string); !isStr || !isDNSLabel(s) {
			v.add(at("namespace"), fmt.Sprintf("metadata.namespace %v is not valid: expected sequences of [a-z0-9] separated by [-], at most 63 characters", quote(ns)))
		}
	}
	for _, f := range []string{"title", "uid", "etag"} {
		if val, ok := md[f]; ok {
			if s, isStr := val.(string); !isStr || s == "" {
				v.add(at(f), fmt.Sprintf("metadata.%s must be a non-empty string", f))
			}
		}
	}
	if val, ok := md["description"]; ok {
		if _, isStr := val.(string); !isStr {
			v.add(at("description"), "metadata.description must be a string")
		}
	}
	v.keyValues(md, "labels", func(k string) bool { return prefixed(k, isDNSSubdomain, IsValidName) },
		func(val string) bool { return val == "" || IsValidName(val) })
	v.keyValues(md, "annotations", func(k string) bool { return prefixed(k, isDNSSubdomain, IsValidName) }, nil)
	if raw, ok := md["tags"]; ok {
		tags, isList := raw.([]any)
		if !isList {
			v.add(at("tags"), "metadata.tags must be a list")
		}
		for i, t := range tags {
			if s, isStr := t.(string); !isStr || !isTag(s) {
				v.add(at("tags", strconv.Itoa(i)), fmt.Sprintf("tag %v is not valid: expected sequences of [a-z0-9:+#] separated by [-], at most 63 characters", quote(t)))
			}
		}
	}
	if raw, ok := md["links"]; ok {
		links, isList := raw.([]any)
		if !isList {
			v.add(at("links"), "metadata.links must be a list")
		}
		for i, l := range links {
			p := at("links", strconv.Itoa(i))
			link, isMap := l.(map[string]any)
			if !isMap {
				v.add(p, "a link must be a mapping with url, title and icon")
				continue
			}
			if u, _ := link["url"].(string); !isURL(u) {
				v.add(append(p, "url"), fmt.Sprintf("link url %v is not a valid URL", quote(link["url"])))
			}
			for _, f := range []string{"title", "icon", "type"} {
				if val, ok := link[f]; ok {
					if s, isStr := val.(string); !isStr || strings.TrimSpace(s) == "" {
						v.add(append(p, f), fmt.Sprintf("link %s must be a non-empty string", f))
					}
				}
			}
		}
	}
}

func (v *validator) keyValues(md map[string]any, field string, validKey func(string) bool, validValue func(string) bool) {
	raw, ok := md[field]
	if !ok {
		return
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		v.add([]string{"metadata", field}, fmt.Sprintf("metadata.%s must be a mapping of strings", field))
		return
	}
	for k, val := range m {
		p := []string{"metadata", field, k}
		if !validKey(k) {
			v.add(p, fmt.Sprintf("%s key %q is not valid: expected [prefix/]name, the prefix a DNS subdomain and the name %s", field[:len(field)-1], k, nameRule))
		}
		s, isStr := val.(string)
		switch {
		case !isStr:
			v.add(p, fmt.Sprintf("%s %q must be a string, not %s", field[:len(field)-1], k, typeName(val)))
		case validValue != nil && !validValue(s):
			v.add(p, fmt.Sprintf("label value %q is not valid: expected %s", s, nameRule))
		}
	}
}

func (v *validator) spec(e map[string]any, kind string, rule kindRule) {
	// Every kind's schema requires spec.
	spec, ok := v.section(e, "spec")
	if !ok {
		return
	}
	for _, f := range rule.required {
		v.requiredString(spec, []string{"spec"}, f)
	}
	for _, f := range rule.strings {
		if val, ok := spec[f]; ok {
			if s, isStr := val.(string); !isStr || s == "" {
				v.add([]string{"spec", f}, fmt.Sprintf("spec.%s must be a non-empty string", f))
			}
		}
	}
	for _, f := range rule.lists {
		v.stringList(spec, f)
	}
	// The schemas require these lists to be present even when empty.
	switch kind {
	case "group":
		if _, ok := spec["children"]; !ok {
			v.add([]string{"spec", "children"}, "spec.children is required (use [] for none)")
		}
	case "user":
		if _, ok := spec["memberOf"]; !ok {
			v.add([]string{"spec", "memberOf"}, "spec.memberOf is required (use [] for none)")
		}
	}
	if rule.more != nil {
		rule.more(v, spec)
	}
	if p, ok := spec["profile"]; ok && (kind == "group" || kind == "user") {
		if _, isMap := p.(map[string]any); !isMap {
			v.add([]string{"spec", "profile"}, "spec.profile must be a mapping")
		}
	}
	namespace := DefaultNamespace
	if md, ok := e["metadata"].(map[string]any); ok {
		if ns, ok := md["namespace"].(string); ok && ns != "" {
			namespace = ns
		}
	}
	eachRef(rule, spec, namespace, func(f FieldRef, err error) {
		if err != nil {
			v.add(f.Path(), err.Error())
		}
	})
}

func (v *validator) stringList(spec map[string]any, f string) {
	val, ok := spec[f]
	if !ok {
		return
	}
	list, isList := val.([]any)
	if !isList {
		v.add([]string{"spec", f}, fmt.Sprintf("spec.%s must be a list of strings", f))
		return
	}
	for i, item := range list {
		if s, isStr := item.(string); !isStr || s == "" {
			v.add([]string{"spec", f, strconv.Itoa(i)}, fmt.Sprintf("spec.%s[%d] must be a non-empty string", f, i))
		}
	}
}

// eachRef calls found with every ref string of the ref fields of spec,
// parsed against namespace (err says why it does not parse), in the order
// of rule.refs and of each list.
func eachRef(rule kindRule, spec map[string]any, namespace string, found func(FieldRef, error)) {
	for _, rf := range rule.refs {
		switch t := spec[rf.field].(type) {
		case string:
			r, err := ParseRef(t, rf.defKind, namespace)
			found(FieldRef{Field: rf.field, Index: -1, Ref: r}, err)
		case []any:
			for i, item := range t {
				if s, ok := item.(string); ok && s != "" {
					r, err := ParseRef(s, rf.defKind, namespace)
					found(FieldRef{Field: rf.field, Index: i, Ref: r}, err)
				}
			}
		}
	}
}

// Refs returns every entity an entity's spec points at, with the spec
// field, resolved against the entity's namespace, in a fixed order (the
// kind's ref fields, then each list's order). Malformed refs are left out
// (Validate reports them).
func Refs(e map[string]any) []FieldRef {
	kind, _ := e["kind"].(string)
	apiVersion, _ := e["apiVersion"].(string)
	rule, ok := schemaOf(apiVersion, kind)
	spec, isMap := e["spec"].(map[string]any)
	if !ok || !isMap {
		return nil
	}
	namespace := DefaultNamespace
	if md, ok := e["metadata"].(map[string]any); ok {
		if ns, ok := md["namespace"].(string); ok && ns != "" {
			namespace = ns
		}
	}
	n := 0
	for _, rf := range rule.refs {
		switch t := spec[rf.field].(type) {
		case string:
			n++
		case []any:
			n += len(t)
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]FieldRef, 0, n)
	eachRef(rule, spec, namespace, func(f FieldRef, err error) {
		if err == nil {
			out = append(out, f)
		}
	})
	return out
}

// FieldRef is a ref found in a spec field (at Index when the field is a
// list, else Index is -1).
type FieldRef struct {
	Field string
	Index int
	Ref   Ref
}

// Path returns the ref's path inside the entity, such as spec.dependsOn.2.
func (f FieldRef) Path() []string {
	if f.Index < 0 {
		return []string{"spec", f.Field}
	}
	return []string{"spec", f.Field, strconv.Itoa(f.Index)}
}

// RefOf returns the ref of an entity from its kind, namespace and name.
func RefOf(e map[string]any) (Ref, bool) {
	kind, _ := e["kind"].(string)
	md, _ := e["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	if kind == "" || name == "" {
		return Ref{}, false
	}
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: kind, Namespace: ns, Name: name}, true
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case int, float64:
		return "a number"
	case nil:
		return "null"
	}
	return "a string"
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return typeName(v)
}
