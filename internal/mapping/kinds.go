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
	// GlobalRules is true when centralConfig.catalog.rules is set: it
	// then replaces DefaultKinds. When it is not, the warning suggests a
	// source's rules first (they add to the default kinds), so that the
	// advice does not unpublish every built-in kind.
	GlobalRules bool

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

// names reports whether the allow list names kind (in any case).
func (k KindRules) names(kind string) bool {
	return k.allowed[kind] || k.allowed[strings.ToLower(kind)]
}

// allow reports whether a candidate's kind is allowed, or adds the
// warning that says it is not and how to allow it. A missing or malformed
// kind is left to the entity checks. A kind with the name of one of
// Backstage's (User, Group...) in another API group (a Crossplane
// iam.aws.upbound.io/v1beta1 User) is never allowed: the allow list's
// User is Backstage's, and Backstage's processors would not recognise it.
func (k KindRules) allow(file string, c candidate, diags *diag.List) bool {
	kind, _ := c.object["kind"].(string)
	apiVersion, _ := c.object["apiVersion"].(string)
	foreign := catalog.IsForeign(apiVersion, kind)
	if kind == "" || !foreign && k.names(kind) {
		return true
	}
	what := "this entity"
	if ref, ok := catalog.RefOf(c.object); ok {
		what = ref.String()
	}
	var msg string
	if foreign {
		name := catalog.SchemaKindName(kind)
		builtin := "backstage.io/v1alpha1"
		if name == "Template" {
			builtin = catalog.TemplateAPIVersion
		}
		msg = fmt.Sprintf("kind %q of apiVersion %q is not Backstage's %s (apiVersion %s), so %s is not published: "+
			"the allow list's %s is Backstage's, and the Backstage catalog would not recognise this entity; "+
			"if it is meant for the catalog, write apiVersion: %s, else keep the file out of the source's paths",
			kind, apiVersion, name, builtin, what, name, builtin)
	} else {
		msg = fmt.Sprintf("kind %q is not in the allow list, so %s is not published; to publish entities of this kind, %s",
			kind, what, k.advice(kind))
	}
	p := c.posOf([]string{"kind"})
	*diags = append(*diags, diag.Diagnostic{File: file, Line: p.Line, Column: p.Column, Severity: diag.Warning, Code: diag.CodeKindNotAllowed,
		Message: msg})
	return false
}

// advice says which key would allow kind. centralConfig.catalog.rules
// replaces the default kinds: while it is not set, a source's rules (which
// add to them) come first, and the message names the kinds that setting
// it would drop.
func (k KindRules) advice(kind string) string {
	if k.GlobalRules {
		return fmt.Sprintf("add %s to %s", kind, strings.Join(k.Keys, " or "))
	}
	var source string
	for _, key := range k.Keys {
		if key != GlobalKindsKey {
			source = key
			break
		}
	}
	if source == "" {
		source = "centralConfig.sources[N].rules (N: the source that reads this repository)"
	}
	return fmt.Sprintf("add %s to %s, which adds it to the default kinds; %s replaces the default kinds (%s), so list those you keep if you set it",
		kind, source, GlobalKindsKey, strings.Join(DefaultKinds, ", "))
}
