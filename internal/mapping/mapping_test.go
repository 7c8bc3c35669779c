package mapping

import (
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
)

func snapshot(files map[string]string) *source.Snapshot {
	s := &source.Snapshot{Revision: "abc123", Links: source.GitHubLinks("https://github.com", "acme", "config", "main")}
	for p, c := range files {
		s.Files = append(s.Files, source.File{Path: p, Content: []byte(c)})
	}
	// Sources return files sorted by path (source.Snapshot).
	slices.SortFunc(s.Files, func(a, b source.File) int { return strings.Compare(a.Path, b.Path) })
	return s
}

func byName(res *Result) map[string]*Entity {
	out := map[string]*Entity{}
	for _, e := range res.Entities() {
		out[e.Ref.String()] = e
	}
	return out
}

// hasDiag finds a diagnostic by file, line, code and message fragment.
func hasDiag(t *testing.T, res *Result, file string, line int, code, fragment string) {
	t.Helper()
	for _, d := range res.Diagnostics {
		if d.File == file && (line == 0 || d.Line == line) && d.Code == code && strings.Contains(d.Message, fragment) {
			if d.Line > 0 && d.Column < 1 {
				t.Fatalf("diagnostic has a line but no column: %v", d)
			}
			return
		}
	}
	t.Fatalf("no %s diagnostic in %s:%d mentioning %q; got:\n%v", code, file, line, fragment, res.Diagnostics)
}

const team = `apiVersion: central-config.io/v1
teams:
  - name: payments
    title: Payments
    email: payments@acme.example
    members: [alice]
people:
  - name: alice
    displayName: Alice
    teams: [payments]
`

func TestOurFormatBecomesBackstageEntitiesWithFullRefs(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"services/checkout.yaml": `apiVersion: central-config.io/v1
systems:
  - name: checkout
    owner: payments
services:
  - name: gateway
    owner: payments
    system: checkout
    provides: [payments-api]
    dependsOn: [resource:payments-db, fraud]
    repo: https://github.com/acme/gateway
  - name: fraud
    owner: payments
    type: library
    lifecycle: experimental
apis:
  - name: payments-api
    owner: payments
    type: openapi
    definition: {$text: ../apis/payments.yaml}
resources:
  - name: payments-db
    owner: payments
    type: database
`,
		"apis/payments.yaml": "openapi: 3.0.0\n",
	}), Options{SourceID: "main"})
	if len(res.Diagnostics) != 0 {
		t.Fatalf("unexpected diagnostics:\n%v", res.Diagnostics)
	}
	got := byName(res)
	gw := got["component:default/gateway"]
	if gw == nil {
		t.Fatalf("gateway missing; have %v", got)
	}
	spec := gw.Object["spec"].(map[string]any)
	if spec["owner"] != "group:default/payments" || spec["system"] != "system:default/checkout" || spec["type"] != "service" || spec["lifecycle"] != "production" {
		t.Fatalf("gateway spec = %v", spec)
	}
	if deps := spec["dependsOn"].([]any); deps[0] != "resource:default/payments-db" || deps[1] != "component:default/fraud" {
		t.Fatalf("dependsOn = %v; a bare name means a component", deps)
	}
	ann := gw.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
	wantAnn := map[string]string{
		AnnotationManagedByLocation: "url:https://github.com/acme/config/blob/abc123/services/checkout.yaml",
		AnnotationViewURL:           "https://github.com/acme/config/blob/abc123/services/checkout.yaml",
		AnnotationEditURL:           "https://github.com/acme/config/edit/main/services/checkout.yaml",
		AnnotationSourceLocation:    "url:https://github.com/acme/gateway/",
		"github.com/project-slug":   "acme/gateway",
		AnnotationSource:            "main", AnnotationFile: "services/checkout.yaml", AnnotationRevision: "abc123",
	}
	for k, v := range wantAnn {
		if ann[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, ann[k], v)
		}
	}
	if def := got["api:default/payments-api"].Object["spec"].(map[string]any)["definition"]; def != "openapi: 3.0.0\n" {
		t.Fatalf("API definition = %q; the $text placeholder should read the file", def)
	}
	group := got["group:default/payments"].Object["spec"].(map[string]any)
	if group["type"] != "team" || group["members"].([]any)[0] != "user:default/alice" || group["profile"].(map[string]any)["displayName"] != "Payments" {
		t.Fatalf("group spec = %v", group)
	}
	if user := got["user:default/alice"].Object["spec"].(map[string]any); user["memberOf"].([]any)[0] != "group:default/payments" {
		t.Fatalf("user spec = %v", user)
	}
	if len(got) != 7 {
		t.Fatalf("want 7 entities, got %d", len(got))
	}
}

func TestNativeEntitiesPassThroughWithPlaceholders(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"legacy/catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: billing
  annotations:
    backstage.io/view-url: https://wiki.example.com/billing
spec:
  type: openapi
  lifecycle: production
  owner: payments
  definition:
    $text: ./billing.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: billing
  labels:
    $json: ./labels.json
spec:
  type: service
  lifecycle: production
  owner: payments
  profile: {$yaml: ./profile.yaml}
  notAPlaceholder: {$text: ./a, other: 1}
`,
		"legacy/billing.yaml": "openapi: 3.1.0\n",
		"legacy/labels.json":  `{"tier": "gold"}`,
		"legacy/profile.yaml": "team: billing\n",
		"legacy/a":            "x",
		"package.json":        `{"name": "not-config"}`,
	}), Options{SourceID: "main"})
	if len(res.Diagnostics) != 0 {
		t.Fatalf("unexpected diagnostics:\n%v", res.Diagnostics)
	}
	got := byName(res)
	api := got["api:default/billing"].Object
	if api["spec"].(map[string]any)["definition"] != "openapi: 3.1.0\n" {
		t.Fatalf("definition = %v", api["spec"])
	}
	if v := api["metadata"].(map[string]any)["annotations"].(map[string]any)[AnnotationViewURL]; v != "https://wiki.example.com/billing" {
		t.Fatalf("a view-url set by the author must be kept, got %v", v)
	}
	comp := got["component:default/billing"].Object
	if comp["metadata"].(map[string]any)["labels"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("$json labels not resolved: %v", comp["metadata"])
	}
	spec := comp["spec"].(map[string]any)
	if spec["profile"].(map[string]any)["team"] != "billing" {
		t.Fatalf("$yaml not resolved: %v", spec["profile"])
	}
	if _, kept := spec["notAPlaceholder"].(map[string]any)["$text"]; !kept {
		t.Fatalf("a mapping with more keys than a placeholder must be left alone: %v", spec["notAPlaceholder"])
	}
	// billing.yaml, labels.json and profile.yaml hold no entities, but
	// placeholders read them: only package.json is ignored, and "a",
	// which only a mapping that is no placeholder names.
	if res.Ignored != 1 || res.IgnoredCounts[IgnoredNoShape] != 1 || res.IgnoredCounts[IgnoredNotConfig] != 1 {
		t.Fatalf("want package.json and a ignored, got %d (%v)", res.Ignored, res.IgnoredCounts)
	}
}

func TestBadInputIsReportedWithPositionAndLosesNothingElse(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"broken.yaml":         "apiVersion: central-config.io/v1\nservices:\n  - name: a\n    owner: [payments\n",
		"unknown-key.yaml":    "apiVersion: central-config.io/v1\nservices:\n  - name: a\n    owner: payments\n    ownr: x\n",
		"missing.yaml":        "apiVersion: central-config.io/v1\nservices:\n  - name: b\n",
		"badref.yaml":         "apiVersion: central-config.io/v1\nservices:\n  - name: c\n    owner: payments\n    dependsOn: ['component:']\n",
		"native-bad.yaml":     "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n",
		"placeholder.yaml":    "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: p\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition:\n    $text: ftp://example.com/api.yaml\n",
		"missing-file.yaml":   "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: q\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition: {$text: ../../etc/passwd}\n",
		"half-good.yaml":      "apiVersion: central-config.io/v1\nservices:\n  - name: good\n    owner: payments\n  - name: bad\n",
		"good.yaml":           "apiVersion: central-config.io/v1\nservices:\n  - name: fine\n    owner: payments\n    system: nowhere\n",
	}), Options{SourceID: "main"})
	hasDiag(t, res, "broken.yaml", 4, diag.CodeParse, "invalid YAML")
	hasDiag(t, res, "unknown-key.yaml", 5, diag.CodeSchema, `unknown key "ownr"`)
	hasDiag(t, res, "missing.yaml", 3, diag.CodeSchema, `services entry "b" has no owner`)
	hasDiag(t, res, "badref.yaml", 5, diag.CodeInvalidRef, "empty name")
	hasDiag(t, res, "native-bad.yaml", 4, diag.CodeInvalidEntity, `metadata.name "bad name"`)
	hasDiag(t, res, "placeholder.yaml", 10, diag.CodePlaceholder, "absolute http(s) URLs (left for Backstage)")
	hasDiag(t, res, "missing-file.yaml", 9, diag.CodePlaceholder, "leaves the repository")
	hasDiag(t, res, "half-good.yaml", 5, diag.CodeSchema, "has no owner")
	hasDiag(t, res, "good.yaml", 5, diag.CodeDanglingRef, "system:default/nowhere")

	failed := map[string]bool{}
	for _, f := range res.Files {
		failed[f.Path] = f.Failed
	}
	for _, p := range []string{"broken.yaml", "unknown-key.yaml", "missing.yaml", "badref.yaml", "native-bad.yaml", "placeholder.yaml", "missing-file.yaml", "half-good.yaml"} {
		if !failed[p] {
			t.Errorf("%s has an error and must be marked failed (it keeps its last good entities)", p)
		}
	}
	if failed["good.yaml"] || failed["teams/payments.yaml"] {
		t.Fatalf("a warning must not fail a file: %v", failed)
	}
	got := byName(res)
	if got["component:default/fine"] == nil || got["group:default/payments"] == nil {
		t.Fatalf("good files must still produce their entities; got %v", got)
	}
	if got["component:default/good"] != nil {
		t.Fatalf("a failed file publishes none of its entities at this revision")
	}
}

// TestRefsCompareInAnyCaseAndAreNamedAsWritten: Backstage compares refs
// without case, so a ref in capitals to an entity that exists is no
// warning, and a warning names the ref as it is written.
func TestRefsCompareInAnyCaseAndAreNamedAsWritten(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"a.yaml":              "apiVersion: central-config.io/v1\nservices:\n  - name: fine\n    owner: Payments\n    system: NoWhere\n    dependsOn: [component:FINE, resource:Gone]\n",
	}), Options{SourceID: "main", Workers: 2})
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := []string{
		"a.yaml:5:13: warning: spec.system refers to system:default/NoWhere, which no file in the repository defines [dangling-ref]",
		"a.yaml:6:33: warning: spec.dependsOn[1] refers to resource:default/Gone, which no file in the repository defines [dangling-ref]",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDuplicateEntitiesAreAnErrorOnBothFiles(t *testing.T) {
	svc := "apiVersion: central-config.io/v1\nservices:\n  - name: twin\n    owner: payments\n"
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"a.yaml":              svc,
		"b/c.yaml":            "# the same service\n" + svc,
		"same.yaml":           svc + "  - name: TWIN2\n    owner: payments\n  - name: twin2\n    owner: payments\n",
	}), Options{})
	hasDiag(t, res, "a.yaml", 3, diag.CodeDuplicateEntity, "also defined at b/c.yaml:4")
	hasDiag(t, res, "b/c.yaml", 4, diag.CodeDuplicateEntity, "also defined at")
	hasDiag(t, res, "same.yaml", 7, diag.CodeDuplicateEntity, "defined twice in this file")
	for _, f := range res.Files {
		if (f.Path == "a.yaml" || f.Path == "b/c.yaml") && !f.Failed {
			t.Errorf("%s must fail", f.Path)
		}
	}
}

func TestMappingRulesMapOtherLayoutsWithJQ(t *testing.T) {
	rules, err := CompileRules([]RuleSpec{{
		ID: "legacy", Files: []string{"legacy/**/*.yaml"}, Select: ".apps[]", Filter: `.tier != "retired"`,
		Entity: map[string]any{
			"apiVersion": `"backstage.io/v1alpha1"`, "kind": `"Component"`,
			"metadata": map[string]any{"name": ".id", "description": ".description", "tags": "[.tier]"},
			"spec":     map[string]any{"type": `"service"`, "lifecycle": `"production"`, "owner": ".team"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	res := Map(snapshot(map[string]string{
		"teams/payments.yaml": team,
		"legacy/apps.yaml":    "apps:\n  - {id: one, team: payments, tier: gold, description: First}\n  - {id: two, team: payments, tier: silver}\n  - {id: old, team: payments, tier: retired}\n",
		"legacy/bad.yaml":     "apps:\n  - {id: 'not valid!', team: payments, tier: gold}\n",
		"legacy/err.yaml":     "apps: 3\n",
	}), Options{Rules: rules})
	got := byName(res)
	if got["component:default/one"] == nil || got["component:default/two"] == nil || got["component:default/old"] != nil {
		t.Fatalf("want one and two, not the retired one; got %v", got)
	}
	if _, has := got["component:default/two"].Object["metadata"].(map[string]any)["description"]; has {
		t.Fatalf("a jq expression yielding null must drop the key")
	}
	hasDiag(t, res, "legacy/bad.yaml", 1, diag.CodeInvalidEntity, "metadata.name")
	hasDiag(t, res, "legacy/err.yaml", 1, diag.CodeRule, `rule "legacy": select`)
}

func TestCompileRulesNamesTheBrokenKey(t *testing.T) {
	tests := []struct {
		spec RuleSpec
		want string
	}{
		{RuleSpec{Files: []string{"*"}, Entity: map[string]any{}}, "rules[0].id is required"},
		{RuleSpec{ID: "a", Entity: map[string]any{}}, "rules[0].files"},
		{RuleSpec{ID: "a", Files: []string{"["}, Entity: map[string]any{}}, "invalid glob"},
		{RuleSpec{ID: "a", Files: []string{"*"}, Select: ".[", Entity: map[string]any{}}, "rules[0].select: invalid jq"},
		{RuleSpec{ID: "a", Files: []string{"*"}, Entity: map[string]any{"metadata": map[string]any{"name": ".id |"}}}, "rules[0].entity.metadata.name: invalid jq"},
		{RuleSpec{ID: "a", Files: []string{"*"}}, "rules[0].entity is required"},
	}
	for _, tt := range tests {
		if _, err := CompileRules([]RuleSpec{tt.spec}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CompileRules(%+v) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestSourceProblemsAreReportedAsFileErrors(t *testing.T) {
	s := snapshot(map[string]string{"teams/payments.yaml": team})
	s.Problems = []source.FileProblem{{Path: "catalog/evil.yaml", Code: diag.CodeSymlink, Message: "symlink points outside the repository"}}
	res := Map(s, Options{})
	hasDiag(t, res, "catalog/evil.yaml", 0, diag.CodeSymlink, "outside")
}

// FuzzMap feeds arbitrary documents through the whole mapping: it must not
// panic, every diagnostic must name its file, and every entity it accepts
// must pass Backstage's rules.
func FuzzMap(f *testing.F) {
	f.Add(team)
	f.Add("apiVersion: central-config.io/v1\nservices:\n  - name: a\n    owner: b\n    dependsOn: [x, 'resource:y']\n")
	f.Add("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a}\nspec: {type: s, lifecycle: l, owner: o, x: {$text: ./f.yaml}}\n")
	f.Add("apiVersion: central-config.io/v1\napis: [{name: a, owner: b, type: c, definition: {$yaml: f.yaml}}]\n")
	f.Add("apiVersion: central-config.io/v1\nnamespace: 1\nteams: {}\n")
	// Other kinds: a Template, a custom kind (not allowed by default), a
	// Strimzi topic (Kafka, not an entity), a Location without a spec.
	f.Add("apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\nspec: {type: service, owner: platform, parameters: [{properties: {}}], steps: [{action: 'fetch:template', if: true}], output: {links: [{url: x}], x: y}}\n")
	f.Add("apiVersion: example.com/v1\nkind: Database\nmetadata: {name: orders-db, labels: {tier: gold}}\nspec: {engine: postgresql}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n")
	f.Add("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata: {name: orders, labels: {strimzi.io/cluster: main}}\nspec: {partitions: 3, replicas: 3}\n")
	f.Add("apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\n")
	// Hostile files: placeholders that copy a file a hundred times, an
	// entity grown by aliases, deep nesting, bytes YAML does not allow.
	f.Add(component("a", "  docs:\n"+strings.Repeat("    - {$text: f.yaml}\n", 100)))
	f.Add(component("a", "  j: {$json: g.json}\n  y: {$yaml: f.yaml}\n  t: {$text: g.json}\n"))
	f.Add(component("a", "  big: &a "+strings.Repeat("x", 5000)+"\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"))
	f.Add(component("a", "  x: "+strings.Repeat("[", 10_000)+strings.Repeat("]", 10_000)+"\n"))
	f.Add(component("a", "  x: caf\xe9\n  y: \x00\n"))
	// Many entities reading the same targets (each once decoded them
	// again), with line breaks other than "\n".
	f.Add(docs(0, 50, "  y: {$yaml: f.yaml}\n  j: {$json: g.json}\n"))
	f.Add("a: {$yaml: g.json}\n" + docs(0, 20, "  y: {$yaml: g.json}\n  t: {$text: f.yaml}\n"))
	f.Add(strings.ReplaceAll(docs(0, 3, "  x: [[[[[[[{$yaml: f.yaml}]]]]]]]\n"), "\n", "\r"))
	// Placeholders of URLs, left for Backstage; a Kafka topology in a
	// format the engine does not read (kafkakewl).
	f.Add(component("a", "  d: {$text: https://github.com/acme/a/blob/main/openapi.yaml}\n  j: [{$json: 'http://h/x.json'}, {$yaml: 'ftp://h/x'}]\n"))
	f.Add(`{"namespace": "acme", "topics": {"t": {"name": "acme.t"}}, "applications": {"a": {"user": "u"}}, "relationships": {"a": {"produce": ["t"]}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		res := Map(snapshot(map[string]string{"f.yaml": doc, "g.json": doc}), Options{Limits: limitsForFuzz})
		for _, d := range res.Diagnostics {
			if d.File == "" || d.Message == "" || d.Code == "" {
				t.Fatalf("incomplete diagnostic %+v", d)
			}
		}
		for _, e := range res.Entities() {
			if e.Ref.Name == "" {
				t.Fatalf("entity without a name: %v", e.Object)
			}
		}
	})
}

func TestAnUnchangedFileIsReusedAndAChangedOneRemapped(t *testing.T) {
	files := map[string]string{
		"teams/payments.yaml": team,
		"apis.yaml":           "apiVersion: central-config.io/v1\napis:\n  - {name: a, owner: payments, type: openapi, definition: {$text: ./a.yaml}}\n",
		"a.yaml":              "openapi: 3.0.0\n",
		"svc.yaml":            "apiVersion: central-config.io/v1\nservices:\n  - {name: s, owner: payments}\n",
	}
	first := Map(snapshot(files), Options{})
	if first.Reused != 0 || len(first.Entities()) != 4 {
		t.Fatalf("first run: reused %d, %d entities", first.Reused, len(first.Entities()))
	}
	files["svc.yaml"] = "apiVersion: central-config.io/v1\nservices:\n  - {name: s2, owner: payments}\n"
	files["a.yaml"] = "openapi: 3.1.0\n"
	second := Map(snapshot(files), Options{Previous: first})
	// teams/payments.yaml is reused; svc.yaml changed; apis.yaml is
	// unchanged but the file its placeholder reads changed; a.yaml holds no
	// entity and is decoded again.
	if second.Reused != 1 {
		t.Fatalf("reused %d files, want 1 (teams/payments.yaml)", second.Reused)
	}
	got := byName(second)
	if got["component:default/s2"] == nil || got["component:default/s"] != nil {
		t.Fatalf("the changed file must be remapped: %v", got)
	}
	if def := got["api:default/a"].Object["spec"].(map[string]any)["definition"]; def != "openapi: 3.1.0\n" {
		t.Fatalf("a changed placeholder target must remap the file that reads it: %v", def)
	}
	if got["group:default/payments"] != byName(first)["group:default/payments"] {
		t.Fatalf("a reused file must keep its entity objects")
	}
}

// TestAReusedFileKeepsItsDanglingRefWarnings maps again after commits:
// one that changes a file but not what the repository defines (the warnings
// of the reused files are taken from the last run, not looked up again),
// one that stops defining what a reused file points at (its warning
// appears), and one that defines it again (the warning goes).
func TestAReusedFileKeepsItsDanglingRefWarnings(t *testing.T) {
	files := map[string]string{
		"teams/payments.yaml": team,
		"svc.yaml":            "apiVersion: central-config.io/v1\nservices:\n  - {name: s, owner: payments, system: nowhere}\n",
		"sys.yaml":            "apiVersion: central-config.io/v1\nsystems:\n  - {name: shop, owner: payments}\n",
		"other.yaml":          "apiVersion: central-config.io/v1\nservices:\n  - {name: o, owner: payments, system: shop}\n",
	}
	dangling := func(res *Result) []string {
		var out []string
		for _, d := range res.Diagnostics {
			if d.Code == diag.CodeDanglingRef {
				out = append(out, d.String())
			}
		}
		return out
	}
	nowhere := "svc.yaml:3:40: warning: spec.system refers to system:default/nowhere, which no file in the repository defines [dangling-ref]"
	shop := "other.yaml:3:40: warning: spec.system refers to system:default/shop, which no file in the repository defines [dangling-ref]"
	res := Map(snapshot(files), Options{Compact: true})
	for _, step := range []struct {
		name, file, content string
		want                []string
	}{
		{"a change that defines the same keys", "sys.yaml", strings.Replace(files["sys.yaml"], "shop, owner", "shop, title: Shop, owner", 1), []string{nowhere}},
		{"the system goes", "sys.yaml", "apiVersion: central-config.io/v1\nsystems:\n  - {name: mall, owner: payments}\n", []string{shop, nowhere}},
		{"it comes back", "sys.yaml", files["sys.yaml"], []string{nowhere}},
	} {
		files[step.file] = step.content
		res = Map(snapshot(files), Options{Compact: true, Previous: res, Workers: 2})
		if res.Reused != 3 {
			t.Fatalf("%s: %d files reused, want 3", step.name, res.Reused)
		}
		if got := dangling(res); !slices.Equal(got, step.want) {
			t.Fatalf("%s: dangling refs\n%s\nwant\n%s", step.name, strings.Join(got, "\n"), strings.Join(step.want, "\n"))
		}
	}
}
