package catalog

import (
	"slices"
	"strings"
	"testing"
)

func component(mutate func(e map[string]any)) map[string]any {
	e := map[string]any{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata": map[string]any{
			"name": "payment-gateway", "namespace": "default", "tags": []any{"go", "c++", "team:payments"},
			"labels":      map[string]any{"acme.example/tier": "gold"},
			"annotations": map[string]any{"backstage.io/source-location": "url:https://example.com/"},
			"links":       []any{map[string]any{"url": "https://example.com", "title": "Docs"}},
		},
		"spec": map[string]any{"type": "service", "lifecycle": "production", "owner": "payments",
			"dependsOn": []any{"resource:payments-db"}, "providesApis": []any{"payments-api"}},
	}
	if mutate != nil {
		mutate(e)
	}
	return e
}

func md(e map[string]any) map[string]any   { return e["metadata"].(map[string]any) }
func spec(e map[string]any) map[string]any { return e["spec"].(map[string]any) }

func TestValidateAppliesBackstageRules(t *testing.T) {
	tests := []validateCase{
		{"a complete component is valid", component(nil), "", ""},
		{"a name of 64 characters is refused", component(func(e map[string]any) { md(e)["name"] = strings.Repeat("a", 64) }), "metadata.name", "at most 63"},
		{"a name with a double dash is allowed as in Backstage", component(func(e map[string]any) { md(e)["name"] = "a--b" }), "", ""},
		{"a name ending in a dash is refused", component(func(e map[string]any) { md(e)["name"] = "svc-" }), "metadata.name", "not valid"},
		{"an upper-case namespace is refused", component(func(e map[string]any) { md(e)["namespace"] = "Prod" }), "metadata.namespace", "[a-z0-9]"},
		{"an upper-case tag is refused", component(func(e map[string]any) { md(e)["tags"] = []any{"Go"} }), "metadata.tags.0", "tag"},
		{"a label value with a space is refused", component(func(e map[string]any) { md(e)["labels"] = map[string]any{"tier": "very gold"} }), "metadata.labels.tier", "label value"},
		{"an annotation key with two slashes is refused", component(func(e map[string]any) { md(e)["annotations"] = map[string]any{"a/b/c": "x"} }), "metadata.annotations.a/b/c", "annotation key"},
		{"an annotation value must be a string", component(func(e map[string]any) { md(e)["annotations"] = map[string]any{"a": 1} }), "metadata.annotations.a", "must be a string"},
		{"a link without a URL is refused", component(func(e map[string]any) { md(e)["links"] = []any{map[string]any{"title": "x"}} }), "metadata.links.0.url", "valid URL"},
		{"a missing owner is refused", component(func(e map[string]any) { delete(spec(e), "owner") }), "spec.owner", "required"},
		{"an empty lifecycle is refused", component(func(e map[string]any) { spec(e)["lifecycle"] = " " }), "spec.lifecycle", "must not be empty"},
		{"dependsOn must name a kind", component(func(e map[string]any) { spec(e)["dependsOn"] = []any{"payments-db"} }), "spec.dependsOn.0", "must name its kind"},
		{"a foreign root field is refused", component(func(e map[string]any) { e["extra"] = 1 }), "extra", "unknown top-level field"},
		{"a Template needs the scaffolder's apiVersion", component(func(e map[string]any) { e["kind"] = "Template" }), "apiVersion", "use scaffolder.backstage.io/v1beta3"},
		{"a kind Backstage does not define gets the envelope checks only", component(func(e map[string]any) { e["kind"] = "Database"; e["apiVersion"] = "example.com/v1" }), "", ""},
		{"a kind of a foreign group still gets the name rules", component(func(e map[string]any) { e["kind"] = "Database"; md(e)["name"] = "bad name" }), "metadata.name", "not valid"},
		{"a kind with a dash is refused", component(func(e map[string]any) { e["kind"] = "My-Kind" }), "kind", "letters and digits"},
		{"a wrong apiVersion for a built-in kind is refused", component(func(e map[string]any) { e["apiVersion"] = "backstage.io/v2" }), "apiVersion", "not valid for kind"},
		{"an apiVersion without a group is refused", component(func(e map[string]any) { e["apiVersion"] = "v1/x/y" }), "apiVersion", "group/version"},
		{"a group needs children, even empty", map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": map[string]any{"name": "g"}, "spec": map[string]any{"type": "team"}}, "spec.children", "required"},
		{"a user needs memberOf, even empty", map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "User", "metadata": map[string]any{"name": "u"}, "spec": map[string]any{}}, "spec.memberOf", "required"},
		{"an API needs a definition", map[string]any{"apiVersion": "backstage.io/v1beta1", "kind": "API", "metadata": map[string]any{"name": "a"}, "spec": map[string]any{"type": "openapi", "lifecycle": "production", "owner": "t"}}, "spec.definition", "required"},
	}
	checkValidate(t, tests)
}

func TestParseRefFollowsBackstage(t *testing.T) {
	tests := []struct {
		in, defKind, want, err string
	}{
		{"payments", "Group", "group:default/payments", ""},
		{"user:alice", "Group", "user:default/alice", ""},
		{"ops/payments", "Group", "group:ops/payments", ""},
		{"Component:Ops/Gateway", "", "component:ops/Gateway", ""},
		{"payments-db", "", "", "must name its kind"},
		{":x", "Group", "", "empty kind"},
		{"a/", "Group", "", "empty name"},
		{"a/b/c", "Group", "", "not of the form"},
		{"", "Group", "", "empty"},
	}
	for _, tt := range tests {
		r, err := ParseRef(tt.in, tt.defKind, DefaultNamespace)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseRef(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || r.String() != tt.want {
			t.Errorf("ParseRef(%q) = %v, %v; want %s", tt.in, r, err, tt.want)
		}
	}
	a, _ := ParseRef("Component:Default/Gateway", "", "default")
	b, _ := ParseRef("component:default/gateway", "", "default")
	if a.Key() != b.Key() {
		t.Fatalf("refs differing only in case must compare equal: %s vs %s", a.Key(), b.Key())
	}
}

// TestRefsListsEveryRelationTarget checks every ref of an entity, in the
// same order every time (the dangling-ref warnings and the engine's
// records follow it), at its index in its list even after an item that is
// not a ref.
func TestRefsListsEveryRelationTarget(t *testing.T) {
	for range 5 {
		var got []string
		for _, r := range Refs(component(func(e map[string]any) { e["spec"].(map[string]any)["consumesApis"] = []any{"", "orders-api"} })) {
			got = append(got, strings.Join(r.Path(), ".")+"="+r.Ref.String())
		}
		want := []string{"spec.owner=group:default/payments", "spec.providesApis.0=api:default/payments-api",
			"spec.consumesApis.1=api:default/orders-api", "spec.dependsOn.0=resource:default/payments-db"}
		if !slices.Equal(got, want) {
			t.Fatalf("refs %v, want %v", got, want)
		}
	}
}

// TestRefFieldsNameEveryRefField checks the table the engine's ref
// records index in a byte.
func TestRefFieldsNameEveryRefField(t *testing.T) {
	if len(RefFields) > 255 || !slices.IsSorted(RefFields) {
		t.Fatalf("RefFields %v: more than a byte indexes, or not sorted", RefFields)
	}
	for kind, rule := range Kinds {
		for _, rf := range rule.refs {
			if !slices.Contains(RefFields, rf.field) {
				t.Errorf("%s: %s is not in RefFields", kind, rf.field)
			}
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"a", "k:n/a", ":", "/", "k:/", "a:b:c", "é:x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s, "Group", DefaultNamespace)
		if err != nil {
			return
		}
		if r.Kind == "" || r.Namespace == "" || r.Name == "" {
			t.Fatalf("ParseRef(%q) = %+v with an empty part", s, r)
		}
		again, err := ParseRef(r.String(), "", DefaultNamespace)
		if err != nil || again.Key() != r.Key() {
			t.Fatalf("round trip of %q: %v, %v", r.String(), again, err)
		}
		if r.Key() != strings.ToLower(r.String()) {
			t.Fatalf("Key %q differs from lower-cased String %q", r.Key(), r.String())
		}
	})
}

// validateCase is an entity and the problem Validate must find in it: one
// at path whose message holds message, or none when path is "".
type validateCase struct {
	name    string
	entity  map[string]any
	path    string
	message string
}

// checkValidate runs Validate on each case, as a subtest.
func checkValidate(t *testing.T, tests []validateCase) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := Validate(tt.entity)
			if tt.path == "" {
				if len(problems) != 0 {
					t.Fatalf("want valid, got %+v", problems)
				}
				return
			}
			for _, p := range problems {
				if strings.Join(p.Path, ".") == tt.path && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Fatalf("want a problem at %s mentioning %q, got %+v", tt.path, tt.message, problems)
		})
	}
}

// TestLowerKind checks that lowerKind is strings.ToLower, for the kinds
// Backstage defines in every spelling and for others.
func TestLowerKind(t *testing.T) {
	kinds := []string{"", "Unknown", "İstanbul", "ÄPI", "x"}
	for k, rule := range Kinds {
		kinds = append(kinds, k, rule.name, strings.ToUpper(k))
	}
	for _, k := range kinds {
		if got, want := lowerKind(k), strings.ToLower(k); got != want {
			t.Errorf("lowerKind(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestPrefixedAsSplit checks the [prefix/]name and DNS subdomain checks
// against what they were written as: strings.Split into parts.
func TestPrefixedAsSplit(t *testing.T) {
	splitDNS := func(s string) bool {
		if len(s) < 1 || len(s) > 253 {
			return false
		}
		for _, l := range strings.Split(s, ".") {
			if !isDNSLabel(l) {
				return false
			}
		}
		return true
	}
	splitPrefixed := func(s string) bool {
		parts := strings.Split(s, "/")
		switch len(parts) {
		case 1:
			return isVersion(parts[0])
		case 2:
			return splitDNS(parts[0]) && isVersion(parts[1])
		}
		return false
	}
	for _, s := range []string{"", "/", "//", "v1", "a/v1", "a.b/v1", "a..b/v1", ".a/v1", "a./v1", "a/b/v1", "backstage.io/v1alpha1",
		"a/", "/v1", "A.b/v1", "a-b.c/v1beta2", strings.Repeat("a.", 127) + "a/v1", strings.Repeat("a.", 126) + "a/v1"} {
		if got, want := isValidAPIVersion(s), splitPrefixed(s); got != want {
			t.Errorf("isValidAPIVersion(%q) = %v, want %v", s, got, want)
		}
		if got, want := isDNSSubdomain(s), splitDNS(s); got != want {
			t.Errorf("isDNSSubdomain(%q) = %v, want %v", s, got, want)
		}
	}
}
