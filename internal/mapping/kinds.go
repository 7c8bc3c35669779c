package mapping

import (
	"fmt"
	"strings"

	"github.com/central-config/central-config/internal/catalog"
	"github.com/central-config/central-config/internal/diag"
)

// DefaultKinds are the kinds published when no allow list is configured:
// Backstage's built-in kinds, Location and the scaffolder's Template.
var DefaultKinds = []string{"Component", "API", "Resource", "System", "Domain", "Group", "User", "Location", "Template"}

// GlobalKindsKey is the configuration key of the allow list of every
// source, named in the warning about an entity of another kind.
const GlobalKindsKey = "centralConfig.catalog.rules"

// KindRules is the allow list of entity kinds, with the meaning of
// Backstage's catalog.rules: an entity whose kind is not in it is not
// published, and is a kind-not-allowed warning at its kind (never a silent
// drop; the file's other entities publish). Kinds compare
// case-insensitively, as Backstage compares them.
type KindRules struct {
	// Allow lists the kinds published; nil means DefaultKinds, an empty
	// list allows none.
	Allow []string
	// Keys are the configuration keys that would allow another kind,
	// named in the warning; nil means GlobalKindsKey.
	Keys []string

	allowed map[string]bool // kinds as written and in lower case, set by compile
}

// compile builds the lookup set once per Map.
func (k KindRules) compile() KindRules {
	allow := k.Allow
	if allow == nil {
		allow = DefaultKinds
	}
	k.allowed = make(map[string]bool, 2*len(allow))
	for _, kind := range allow {
		// As written too, so the common exact match needs no ToLower.
		k.allowed[kind] = true
		k.allowed[strings.ToLower(kind)] = true
	}
	if k.Keys == nil {
		k.Keys = []string{GlobalKindsKey}
	}
	return k
}

// allow reports whether a candidate's kind is allowed, or adds the
// warning that says it is not and how to allow it. A missing or malformed
// kind is left to the entity checks.
func (k KindRules) allow(file string, c candidate, diags *diag.List) bool {
	kind, _ := c.object["kind"].(string)
	if kind == "" || k.allowed[kind] || k.allowed[strings.ToLower(kind)] {
		return true
	}
	what := "this entity"
	if ref, ok := catalog.RefOf(c.object); ok {
		what = ref.String()
	}
	p := c.posOf([]string{"kind"})
	*diags = append(*diags, diag.Diagnostic{File: file, Line: p.Line, Column: p.Column, Severity: diag.Warning, Code: diag.CodeKindNotAllowed,
		Message: fmt.Sprintf("kind %q is not in the allow list, so %s is not published; to publish entities of this kind, add %s to %s",
			kind, what, kind, strings.Join(k.Keys, " or "))})
	return false
}
