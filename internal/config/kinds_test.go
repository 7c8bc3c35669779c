package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/mapping"
)

func TestKindRulesFollowBackstagesCatalogRules(t *testing.T) {
	defaults := slices.Clone(mapping.DefaultKinds)
	tests := []struct {
		name     string
		content  string
		source   int // -1: the global list only
		allow    []string
		keys     []string
		check    []string // CheckKinds, the list validate and render use
		checkKey []string
		// global: catalog.rules is set, so it replaced the defaults (the
		// warning then names it first).
		global bool
	}{
		{name: "without rules the default kinds are allowed",
			content: "centralConfig:\n  sources: [{id: a, dir: {path: x}}]\n", source: 0,
			allow: defaults, keys: []string{"centralConfig.catalog.rules", "centralConfig.sources[0].rules"}},
		{name: "global rules replace the default kinds",
			content: "centralConfig:\n  catalog:\n    rules:\n      - allow: [Component, API]\n      - allow: [Database]\n", source: -1,
			allow: []string{"Component", "API", "Database"}, keys: []string{"centralConfig.catalog.rules"}, global: true},
		{name: "a source's rules are added to the global rules",
			content: "centralConfig:\n  catalog:\n    rules: [{allow: [Component]}]\n  sources:\n    - {id: a, dir: {path: x}}\n    - {id: b, dir: {path: y}, rules: [{allow: [Group, User]}]}\n", source: 1,
			allow: []string{"Component", "Group", "User"}, keys: []string{"centralConfig.catalog.rules", "centralConfig.sources[1].rules"}, global: true},
		{name: "a source's rules are added to the default kinds when there are no global rules",
			content: "centralConfig:\n  sources:\n    - {id: a, dir: {path: x}, rules: [{allow: [Database]}]}\n", source: 0,
			allow: append(slices.Clone(defaults), "Database"), keys: []string{"centralConfig.catalog.rules", "centralConfig.sources[0].rules"},
			check: append(slices.Clone(defaults), "Database"), checkKey: []string{"centralConfig.catalog.rules", "centralConfig.sources[0].rules"}},
		{name: "a source's rules do not apply to another source",
			content: "centralConfig:\n  sources:\n    - {id: a, dir: {path: x}, rules: [{allow: [Database]}]}\n    - {id: b, dir: {path: y}}\n", source: 1,
			allow: defaults, keys: []string{"centralConfig.catalog.rules", "centralConfig.sources[1].rules"},
			check: defaults, checkKey: []string{"centralConfig.catalog.rules"}},
		{name: "an empty list of global rules allows nothing",
			content: "centralConfig:\n  catalog: {rules: []}\n", source: -1, allow: []string{}, keys: []string{"centralConfig.catalog.rules"}, global: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load([]string{write(t, t.TempDir(), "app-config.yaml", tt.content)}, envOf(nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Kinds(tt.source)
			if !slices.Equal(got.Allow, tt.allow) || got.Allow == nil || !slices.Equal(got.Keys, tt.keys) || got.GlobalRules != tt.global {
				t.Errorf("Kinds(%d) = %v %v global=%v, want %v %v global=%v", tt.source, got.Allow, got.Keys, got.GlobalRules, tt.allow, tt.keys, tt.global)
			}
			if tt.check != nil {
				if c := cfg.CheckKinds(); !slices.Equal(c.Allow, tt.check) || !slices.Equal(c.Keys, tt.checkKey) {
					t.Errorf("CheckKinds() = %v %v, want %v %v", c.Allow, c.Keys, tt.check, tt.checkKey)
				}
			}
			if !slices.Equal(mapping.DefaultKinds, defaults) {
				t.Fatalf("DefaultKinds changed: %v", mapping.DefaultKinds)
			}
		})
	}
}

func TestKindRulesMistakesNameTheKey(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"a rule without allow", "centralConfig:\n  catalog:\n    rules: [{}]\n", "centralConfig.catalog.rules[0].allow is required"},
		{"a kind that is not a kind name", "centralConfig:\n  catalog:\n    rules: [{allow: [Component, my-kind]}]\n", `centralConfig.catalog.rules[0].allow[1]: "my-kind" is not a kind`},
		{"a source rule with a bad kind", "centralConfig:\n  sources:\n    - {id: a, dir: {path: x}, rules: [{allow: ['']}]}\n", `centralConfig.sources[0].rules[0].allow[0]: "" is not a kind`},
		{"Backstage's location filters are not read", "centralConfig:\n  catalog:\n    rules:\n      - allow: [Template]\n        locations: [{type: url, pattern: x}]\n", "unknown key centralConfig.catalog.rules[0].locations"},
		{"an allow entry of Backstage's object form is refused", "centralConfig:\n  catalog:\n    rules: [{allow: [{kind: Resource}]}]\n", "centralConfig.catalog.rules[0].allow[0]: must be a string"},
	}
	checkLoadErrors(t, tests)
}

func TestBackstagesRuleFormsThatAreRefusedAreDocumentedWithTheirError(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, content string }{
		{"a locations filter is refused when the configuration loads",
			"centralConfig:\n  catalog:\n    rules:\n      - allow: [Template]\n        locations: [{type: url, pattern: x}]\n"},
		{"an allow entry of the {kind, spec.type} form is refused when the configuration loads",
			"centralConfig:\n  catalog:\n    rules:\n      - allow: [{kind: Resource, spec.type: database}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]string{write(t, t.TempDir(), "app-config.yaml", tt.content)}, envOf(nil), nil)
			if err == nil {
				t.Fatal("the configuration loads")
			}
			// The docs quote the message after the file's position.
			msg := regexp.MustCompile(`^.*app-config\.yaml:\d+:\d+: `).ReplaceAllString(err.Error(), "")
			if !strings.Contains(string(doc), msg) {
				t.Fatalf("docs/configuration.md does not quote the error %q", msg)
			}
		})
	}
}
