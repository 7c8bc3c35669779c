package mapping

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
)

// fixture reads files of the shared catalog-repo fixture, keyed by their
// path in it.
func fixture(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join("..", "testrepo", "testdata", "catalog-repo", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	return files
}

const (
	sourceKey = "centralConfig.sources[0].rules"
	costYAML  = `apiVersion: finance.acme.example/v1alpha1
kind: CostCenter
metadata:
  name: cc-4711
spec:
  currency: EUR
`
	mixedYAML = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
spec: {type: service, lifecycle: production, owner: group:default/orders}
---
apiVersion: finance.acme.example/v1alpha1
kind: CostCenter
metadata:
  name: cc-4711
spec: {currency: EUR}
`
	locationYAML = `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: payments
spec:
  type: url
  target: https://github.com/acme/payments/blob/main/catalog-info.yaml
`
	deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  replicas: 2
`
)

func TestKindsAreGovernedByTheAllowList(t *testing.T) {
	// kinds are the rules as config.Kinds builds them for source 0 or for
	// every source (keys say which).
	global := []string{GlobalKindsKey}
	perSource := []string{GlobalKindsKey, sourceKey}
	tests := []struct {
		name      string
		kinds     KindRules
		files     map[string]string
		published []string // refs, sorted
		// warning: file and line of a kind-not-allowed warning, with the
		// message fragments it must hold ("" file: none expected).
		warnFile string
		warnLine int
		warnHas  []string
	}{
		{name: "a Template is published by default",
			files: fixture(t, "templates/create-service.yaml"), published: []string{"template:default/create-go-service"}},
		{name: "a Location with an absolute target is published by default",
			files: map[string]string{"locations.yaml": locationYAML}, published: []string{"location:default/payments"}},
		{name: "a custom kind is not allowed by default, and the warning names the kind, the line of kind and a source's rules first",
			files:    fixture(t, "custom/not-allowed.yaml"),
			warnFile: "custom/not-allowed.yaml", warnLine: 4, warnHas: []string{`kind "CostCenter"`, "costcenter:default/cc-4711 is not published",
				"add CostCenter to centralConfig.sources[N].rules", "which adds it to the default kinds",
				"centralConfig.catalog.rules replaces the default kinds (Component, API, Resource, System, Domain, Group, User, Location, Template)"}},
		{name: "a custom kind allowed globally is published as it is",
			kinds: KindRules{Allow: append(slices.Clone(DefaultKinds), "Database"), Keys: global},
			files: fixture(t, "custom/database.yaml"), published: []string{"database:default/orders-db"}},
		{name: "a custom kind allowed for one source is published from that source",
			kinds: KindRules{Allow: append(slices.Clone(DefaultKinds), "Database"), Keys: perSource},
			files: fixture(t, "custom/database.yaml"), published: []string{"database:default/orders-db"}},
		{name: "without global rules a kind the source's rules do not allow names the source's key, which adds to the defaults",
			kinds: KindRules{Allow: append(slices.Clone(DefaultKinds), "Database"), Keys: perSource},
			files: fixture(t, "custom/not-allowed.yaml"), warnFile: "custom/not-allowed.yaml", warnLine: 4,
			warnHas: []string{"add CostCenter to " + sourceKey + ", which adds it to the default kinds", "centralConfig.catalog.rules replaces the default kinds"}},
		{name: "with global rules a kind that neither the global nor the source's rules allow names both keys",
			kinds: KindRules{Allow: []string{"Component", "Database"}, Keys: perSource, GlobalRules: true},
			files: fixture(t, "custom/not-allowed.yaml"), warnFile: "custom/not-allowed.yaml", warnLine: 4,
			warnHas: []string{"add CostCenter to centralConfig.catalog.rules or " + sourceKey}},
		{name: "global rules replace the default list, so a Component is then not allowed",
			kinds: KindRules{Allow: []string{"Database"}, Keys: global, GlobalRules: true},
			files: map[string]string{"component.yaml": strings.SplitN(mixedYAML, "---\n", 2)[0]}, warnFile: "component.yaml", warnLine: 2, warnHas: []string{`kind "Component"`}},
		{name: "an empty allow list publishes nothing, and says so",
			kinds: KindRules{Allow: []string{}, Keys: global, GlobalRules: true},
			files: map[string]string{"locations.yaml": locationYAML}, warnFile: "locations.yaml", warnLine: 2, warnHas: []string{`kind "Location"`}},
		{name: "kinds compare case-insensitively, as in Backstage",
			kinds: KindRules{Allow: []string{"costcenter"}, Keys: global, GlobalRules: true},
			files: map[string]string{"cost.yaml": costYAML}, published: []string{"costcenter:default/cc-4711"}},
		{name: "the other entities of a file with a kind not allowed still publish",
			files: map[string]string{"mixed.yaml": mixedYAML}, published: []string{"component:default/checkout"},
			warnFile: "mixed.yaml", warnLine: 8, warnHas: []string{`kind "CostCenter"`}},
		{name: "a Kubernetes manifest whose kind the allow list names explicitly is published as a custom kind",
			kinds: KindRules{Allow: append(slices.Clone(DefaultKinds), "Deployment"), Keys: global},
			files: map[string]string{"deploy/checkout.yaml": deploymentYAML}, published: []string{"deployment:default/checkout"}},
		{name: "a custom kind of another group is still a warning",
			files:    map[string]string{"db.yaml": "apiVersion: example.com/v1\nkind: Database\nmetadata:\n  name: orders\n"},
			warnFile: "db.yaml", warnLine: 2, warnHas: []string{`kind "Database" is not in the allow list`}},
		{name: "a User of another group is not Backstage's User, so it is a warning that says so, even though the allow list names User",
			files:    map[string]string{"u.yaml": "apiVersion: example.com/v1\nkind: User\nmetadata:\n  name: bot\nspec: {}\n"},
			warnFile: "u.yaml", warnLine: 2, warnHas: []string{`kind "User" of apiVersion "example.com/v1" is not Backstage's User (apiVersion backstage.io/v1alpha1)`, "user:default/bot is not published"}},
		{name: "a Component of another group with Backstage's fields is a warning, not an apiVersion error",
			files:    map[string]string{"c.yaml": "apiVersion: acme.example/v2\nkind: Component\nmetadata:\n  name: c\nspec: {type: service}\n"},
			warnFile: "c.yaml", warnLine: 2, warnHas: []string{"is not Backstage's Component"}},
		{name: "an entity of a custom kind is not allowed even with the backstage.io group",
			files:    map[string]string{"db.yaml": strings.Replace(costYAML, "finance.acme.example/v1alpha1", "backstage.io/v1alpha1", 1)},
			warnFile: "db.yaml", warnLine: 2, warnHas: []string{`kind "CostCenter"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Map(snapshot(tt.files), Options{SourceID: "main", Kinds: tt.kinds})
			var got []string
			for _, e := range res.Entities() {
				got = append(got, e.Ref.String())
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.published) {
				t.Errorf("published %v, want %v", got, tt.published)
			}
			var warnings diag.List
			for _, d := range res.Diagnostics {
				switch {
				case d.Code == diag.CodeKindNotAllowed:
					warnings = append(warnings, d)
				case d.Severity == diag.Error:
					t.Errorf("unexpected error %v", d)
				}
			}
			if tt.warnFile == "" {
				if len(warnings) > 0 {
					t.Fatalf("unexpected warnings %v", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("want one %s warning, got %v", diag.CodeKindNotAllowed, res.Diagnostics)
			}
			w := warnings[0]
			if w.File != tt.warnFile || w.Line != tt.warnLine || w.Column != 7 || w.Severity != diag.Warning {
				t.Errorf("warning at %s:%d:%d (%s), want %s:%d:7 warning", w.File, w.Line, w.Column, w.Severity, tt.warnFile, tt.warnLine)
			}
			for _, frag := range tt.warnHas {
				if !strings.Contains(w.Message, frag) {
					t.Errorf("warning %q does not mention %q", w.Message, frag)
				}
			}
			if len(res.Files) != 1 || res.Files[0].Failed {
				t.Errorf("the file must be read, and not fail: %+v", res.Files)
			}
		})
	}
}

func TestEntitiesOfAllowedKindsGetBackstagesChecks(t *testing.T) {
	allowDatabase := KindRules{Allow: []string{"Database", "Template"}}
	tests := []struct {
		name       string
		file       string
		line, col  int
		fragment   string
		kinds      KindRules
		wantErrors int
	}{
		{name: "a custom kind with a bad name is an error at the name",
			file: "apiVersion: acme.example/v1\nkind: Database\nmetadata:\n  name: orders db\n", line: 4, col: 9, fragment: "metadata.name", kinds: allowDatabase},
		{name: "a custom kind with a bad label is an error at the label",
			file: "apiVersion: acme.example/v1\nkind: Database\nmetadata:\n  name: orders\n  labels: {tier: very gold}\n", line: 5, col: 18, fragment: "label value", kinds: allowDatabase},
		{name: "a Template without steps is an error at its spec",
			file: "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\nspec:\n  type: service\n", line: 5, col: 3, fragment: "spec.steps is required", kinds: allowDatabase},
		{name: "a Template step without an action is an error at the step",
			file: "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\nspec:\n  type: service\n  steps:\n    - id: fetch\n      input: {url: ./skeleton}\n", line: 7, col: 7, fragment: "spec.steps.0.action is required"},
		{name: "a Location whose presence is neither required nor optional is an error at presence",
			file: "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec:\n  target: https://github.com/acme/a/blob/main/catalog-info.yaml\n  presence: sometimes\n", line: 6, col: 13, fragment: "required or optional"},
		{name: "a component written in lower case is an error at its kind that names the spelling Backstage requires",
			file: "apiVersion: backstage.io/v1alpha1\nkind: component\nmetadata: {name: c}\nspec: {type: service, lifecycle: production, owner: payments}\n",
			line: 2, col: 7, fragment: `kind "component" must be written Component`},
		{name: "a location written in lower case is an error at its kind",
			file: "apiVersion: backstage.io/v1alpha1\nkind: location\nmetadata: {name: l}\nspec:\n  target: https://github.com/acme/a/blob/main/catalog-info.yaml\n",
			line: 2, col: 7, fragment: `kind "location" must be written Location`},
		{name: "a template written in lower case is an error at its kind",
			file: "apiVersion: scaffolder.backstage.io/v1beta3\nkind: template\nmetadata: {name: t}\nspec: {type: service, steps: []}\n",
			line: 2, col: 7, fragment: `kind "template" must be written Template`},
		{name: "a Template of the old backstage.io/v1beta2 apiVersion is an error at apiVersion",
			file: "apiVersion: backstage.io/v1beta2\nkind: Template\nmetadata: {name: t}\nspec: {type: service, steps: []}\n", line: 1, col: 13, fragment: "use scaffolder.backstage.io/v1beta3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Map(snapshot(map[string]string{"f.yaml": tt.file}), Options{Kinds: tt.kinds})
			hasDiag(t, res, "f.yaml", tt.line, diag.CodeInvalidEntity, tt.fragment)
			for _, d := range res.Diagnostics {
				if d.Message != "" && strings.Contains(d.Message, tt.fragment) && d.Column != tt.col {
					t.Errorf("%v: want column %d", d, tt.col)
				}
			}
			if len(res.Entities()) != 0 {
				t.Fatalf("an invalid entity was published: %v", res.Entities())
			}
		})
	}
}

func TestKafkaDocumentsStayKafka(t *testing.T) {
	root := filepath.Join("..", "kafka", "testdata", "kafka-topologies")
	for _, name := range []string{"strimzi/kafka-topic.yaml", "strimzi/kafka-user.yaml", "strimzi/kafka-persistent.yaml", "julieops/descriptor-only-topics.yaml"} {
		t.Run(name+" is read as Kafka, not as an entity", func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
			if err != nil {
				t.Fatal(err)
			}
			res := Map(snapshot(map[string]string{name: string(b)}), Options{SourceID: "main"})
			for _, d := range res.Diagnostics {
				if d.Code == diag.CodeKindNotAllowed || d.Code == diag.CodeInvalidEntity {
					t.Fatalf("read as an entity: %v", d)
				}
			}
			if res.Topology == nil || len(res.Topology.Clusters)+len(res.Topology.Topics)+len(res.Topology.Applications) == 0 {
				t.Fatalf("no Kafka topology read from %s: %+v", name, res.Topology)
			}
			for _, e := range res.Entities() {
				if strings.HasPrefix(e.Ref.Kind, "Kafka") {
					t.Fatalf("a Kafka resource became an entity: %v", e.Ref)
				}
			}
		})
	}
}

func TestAStrimziResourceWithoutTopologyIsNotAnEntity(t *testing.T) {
	res := Map(snapshot(map[string]string{"kafka/connect.yaml": "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnect\nmetadata:\n  name: connect\nspec:\n  replicas: 1\n"}),
		Options{SourceID: "main"})
	for _, d := range res.Diagnostics {
		if d.Code == diag.CodeKindNotAllowed || d.Code == diag.CodeInvalidEntity {
			t.Fatalf("a KafkaConnect was read as an entity: %v", d)
		}
	}
	if len(res.Entities()) != 0 {
		t.Fatalf("entities %v", res.Entities())
	}
}

func TestTheDefaultAllowListIsBackstagesKindsWithLocationAndTemplate(t *testing.T) {
	want := []string{"API", "Component", "Domain", "Group", "Location", "Resource", "System", "Template", "User"}
	got := slices.Sorted(slices.Values(DefaultKinds))
	if !slices.Equal(got, want) {
		t.Fatalf("DefaultKinds = %v, want %v", got, want)
	}
	k := KindRules{}.compile()
	if !k.allowed["template"] || k.allowed["database"] || !slices.Equal(k.Keys, []string{GlobalKindsKey}) {
		t.Fatalf("zero KindRules compile to %+v", k)
	}
}

func TestKubernetesManifestsAreIgnoredFilesNotEntities(t *testing.T) {
	manifest := func(apiVersion, kind string) string {
		return "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata:\n  name: checkout\nspec: {}\n"
	}
	tests := []struct {
		name, file string
		reason     string
	}{
		{"an apps/v1 Deployment is a Kubernetes manifest", manifest("apps/v1", "Deployment"), IgnoredKubernetes},
		{"a batch/v1 Job is a Kubernetes manifest", manifest("batch/v1", "Job"), IgnoredKubernetes},
		{"an autoscaling/v2 HorizontalPodAutoscaler is a Kubernetes manifest", manifest("autoscaling/v2", "HorizontalPodAutoscaler"), IgnoredKubernetes},
		{"a policy/v1 PodDisruptionBudget is a Kubernetes manifest", manifest("policy/v1", "PodDisruptionBudget"), IgnoredKubernetes},
		{"a networking.k8s.io/v1 Ingress is a Kubernetes manifest", manifest("networking.k8s.io/v1", "Ingress"), IgnoredKubernetes},
		{"an argoproj.io/v1alpha1 Application is a Kubernetes manifest", manifest("argoproj.io/v1alpha1", "Application"), IgnoredKubernetes},
		{"a cert-manager.io/v1 Certificate is a Kubernetes manifest", manifest("cert-manager.io/v1", "Certificate"), IgnoredKubernetes},
		{"a monitoring.coreos.com/v1 ServiceMonitor is a Kubernetes manifest", manifest("monitoring.coreos.com/v1", "ServiceMonitor"), IgnoredKubernetes},
		{"a networking.istio.io/v1 VirtualService is a Kubernetes manifest", manifest("networking.istio.io/v1", "VirtualService"), IgnoredKubernetes},
		{"a Crossplane pkg.crossplane.io/v1 Provider is a Kubernetes manifest", manifest("pkg.crossplane.io/v1", "Provider"), IgnoredKubernetes},
		{"a Crossplane User is a Kubernetes manifest, though the allow list names User", manifest("iam.aws.upbound.io/v1beta1", "User"), IgnoredKubernetes},
		{"a Crossplane Group is a Kubernetes manifest, though the allow list names Group", manifest("iam.aws.upbound.io/v1beta1", "Group"), IgnoredKubernetes},
		{"a Crossplane Resource is a Kubernetes manifest", manifest("apiextensions.crossplane.io/v1", "Resource"), IgnoredKubernetes},
		{"a file of a Deployment and a core Service is a Kubernetes manifest",
			manifest("apps/v1", "Deployment") + "---\n" + manifest("v1", "Service"), IgnoredKubernetes},
		{"a core v1 ConfigMap has no group, so it has no known document shape", manifest("v1", "ConfigMap"), IgnoredNoShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Map(snapshot(map[string]string{"deploy/checkout.yaml": tt.file}), Options{SourceID: "main", ListIgnored: true})
			if len(res.Diagnostics) != 0 {
				t.Fatalf("want no diagnostic (validate used to pass), got:\n%v", res.Diagnostics)
			}
			if len(res.Entities()) != 0 || len(res.Files) != 0 {
				t.Fatalf("want no entity and no config file, got %v, %v", res.Entities(), res.Files)
			}
			if want := []IgnoredFile{{"deploy/checkout.yaml", tt.reason}}; !slices.Equal(res.IgnoredFiles, want) {
				t.Fatalf("ignored files %v, want %v", res.IgnoredFiles, want)
			}
			if res.Ignored != 1 || res.IgnoredCounts[tt.reason] != 1 {
				t.Fatalf("ignored %d, counts %v", res.Ignored, res.IgnoredCounts)
			}
		})
	}
}

func TestAKubernetesManifestNextToAnEntityLeavesTheEntityAlone(t *testing.T) {
	res := Map(snapshot(map[string]string{"mixed.yaml": strings.SplitN(mixedYAML, "---\n", 2)[0] + "---\n" + deploymentYAML}),
		Options{SourceID: "main", ListIgnored: true})
	if res.Diagnostics.Count(diag.Warning) != 1 || res.Diagnostics.HasErrors() || len(res.Entities()) != 1 || len(res.IgnoredFiles) != 0 { // the dangling owner
		t.Fatalf("want the Component only, no diagnostic and no ignored file: %v %v %v", res.Entities(), res.Diagnostics, res.IgnoredFiles)
	}
}
