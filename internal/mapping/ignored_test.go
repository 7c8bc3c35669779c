package mapping

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/source"
)

// repoFiles reads files of the shared catalog-repo fixture, by their paths
// in it.
func repoFiles(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join("..", "testrepo", "testdata", "catalog-repo", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

// urlAPI is a native API whose definition is a placeholder of target, at
// line 10, column 5 ($text) or wherever kind puts it.
func urlAPI(name, kind, target string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: " + name +
		"\nspec:\n  type: openapi\n  lifecycle: production\n  owner: payments\n  definition:\n    $" + kind + ": " + target + "\n"
}

func TestAPlaceholderOfAURLIsLeftForBackstageWithAnInfo(t *testing.T) {
	files := repoFiles(t, "apis/payments-api.yaml", "apis/local-api.yaml", "apis/specs/local.yaml")
	files["teams/payments.yaml"] = team
	files["http.yaml"] = urlAPI("plain-http", "text", "http://wiki.acme.example/api.yaml")
	files["ours.yaml"] = "apiVersion: central-config.io/v1\napis:\n  - name: ours\n    owner: payments\n    type: openapi\n" +
		"    definition: {$text: 'HTTPS://github.com/acme/ours/blob/main/openapi.yaml'}\n"
	files["labels.yaml"] = component("labelled", "  profile:\n    $yaml: https://raw.example.com/profile.yaml\n") +
		"---\n" + component("listed", "  docs:\n    - $json: https://raw.example.com/a.json\n    - plain\n")
	res := Map(snapshot(files), Options{SourceID: "main"})

	if res.Diagnostics.HasErrors() || res.Diagnostics.Count(diag.Warning) != 2 { // acme-web is defined in no file here
		t.Fatalf("want no error and the two dangling owners only:\n%v", res.Diagnostics)
	}
	if n := res.Diagnostics.Count(diag.Info); n != 5 {
		t.Fatalf("want 5 infos, one per placeholder of a URL, got %d:\n%v", n, res.Diagnostics)
	}
	hasDiag(t, res, "apis/payments-api.yaml", 15, diag.CodePlaceholderURL, `$text "https://github.com/acme/payments/blob/main/openapi.yaml" is left in the entity for Backstage`)
	hasDiag(t, res, "http.yaml", 10, diag.CodePlaceholderURL, "http://wiki.acme.example/api.yaml")
	hasDiag(t, res, "ours.yaml", 6, diag.CodePlaceholderURL, "HTTPS://github.com")
	hasDiag(t, res, "labels.yaml", 10, diag.CodePlaceholderURL, "$yaml")
	hasDiag(t, res, "labels.yaml", 21, diag.CodePlaceholderURL, "$json")
	for _, d := range res.Diagnostics {
		if d.Code == diag.CodePlaceholderURL && (d.Severity != diag.Info || d.Column == 0) {
			t.Errorf("want an info at a line and column: %v", d)
		}
	}

	got := byName(res)
	def := func(ref string) any {
		t.Helper()
		e := got[ref]
		if e == nil {
			t.Fatalf("no %s:\n%v", ref, res.Diagnostics)
		}
		return e.Object["spec"].(map[string]any)["definition"]
	}
	want := map[string]any{"$text": "https://github.com/acme/payments/blob/main/openapi.yaml"}
	if d, ok := def("api:default/payments-api").(map[string]any); !ok || len(d) != 1 || d["$text"] != want["$text"] {
		t.Errorf("the placeholder must be left as it is, got %#v", def("api:default/payments-api"))
	}
	if d := def("api:default/store-locator-api"); !strings.HasPrefix(d.(string), "openapi: 3.0.3") {
		t.Errorf("a relative placeholder is still read by the engine, got %#v", d)
	}
	if _, ok := def("api:default/ours").(map[string]any)["$text"]; !ok {
		t.Errorf("the central-config format leaves it too, got %#v", def("api:default/ours"))
	}
	spec := got["component:default/listed"].Object["spec"].(map[string]any)
	if docs := spec["docs"].([]any); docs[0].(map[string]any)["$json"] != "https://raw.example.com/a.json" || docs[1] != "plain" {
		t.Errorf("a placeholder in a list is left in its place: %#v", docs)
	}
	if !strings.Contains(string(got["api:default/payments-api"].JSON()), `"definition":{"$text":"https://github.com/acme/payments/blob/main/openapi.yaml"}`) {
		t.Errorf("the published JSON must hold the placeholder, not its stand-in: %s", got["api:default/payments-api"].JSON())
	}
	for _, f := range res.Files {
		if f.Failed {
			t.Errorf("%s failed", f.Path)
		}
	}

	// An unchanged file is reused with its infos.
	again := Map(snapshot(files), Options{SourceID: "main", Previous: res})
	if again.Reused < len(res.Files) || again.Diagnostics.Count(diag.Info) != 5 {
		t.Fatalf("reused %d of %d files, %d infos:\n%v", again.Reused, len(res.Files), again.Diagnostics.Count(diag.Info), again.Diagnostics)
	}
}

func TestOtherURLsInPlaceholdersAreStillErrors(t *testing.T) {
	files := map[string]string{"teams/payments.yaml": team}
	for i, target := range []string{"ftp://example.com/api.yaml", "file:///etc/passwd", "s3://bucket/api.yaml", "https:///no-host.yaml"} {
		files["u"+strconv.Itoa(i)+".yaml"] = urlAPI("u"+strconv.Itoa(i), "text", target)
	}
	res := Map(snapshot(files), Options{})
	for i := range 4 {
		hasDiag(t, res, "u"+strconv.Itoa(i)+".yaml", 10, diag.CodePlaceholder, "")
	}
	if n := res.Diagnostics.Count(diag.Info); n != 0 {
		t.Fatalf("no info for a URL that is not http(s) with a host:\n%v", res.Diagnostics)
	}
}

func TestWhatAPlaceholderOfAURLGivesIsLeftForBackstageToValidate(t *testing.T) {
	const owner = "spec:\n  type: service\n  lifecycle: production\n  owner: payments\n"
	native := func(kind, name, rest string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: " + kind + "\nmetadata:\n  name: " + name + "\n" + rest
	}
	tests := []struct {
		name string
		file string
		// err is the code and a fragment of the one error expected; ""
		// means the entity is published.
		errCode, errHas string
	}{
		{name: "a Template step read from a URL is not an error for its missing action",
			file: "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  steps:\n    - $yaml: https://raw.example.com/step.yaml\n"},
		{name: "links read from a URL are not an error for not being a list",
			file: native("Component", "c", "  links:\n    $json: https://raw.example.com/links.json\n"+owner)},
		{name: "tags read from a URL are not an error for not being a list",
			file: native("Component", "c", "  tags:\n    $yaml: https://raw.example.com/tags.yaml\n"+owner)},
		{name: "an API definition read with $json may be a string, so it is not an error",
			file: urlAPI("json-def", "json", "https://example.com/api.json")},
		{name: "a whole spec read from a URL is not an error for its missing fields",
			file: native("Component", "c", "spec:\n  $yaml: https://raw.example.com/spec.yaml\n")},
		{name: "a problem elsewhere in the entity is still an error",
			file:    native("Component", "bad name", "  tags:\n    $yaml: https://raw.example.com/tags.yaml\n"+owner),
			errCode: diag.CodeInvalidEntity, errHas: "metadata.name"},
		{name: "a $text of a URL always gives a string, so links of $text are an error",
			file:    native("Component", "c", "  links:\n    $text: https://raw.example.com/links.txt\n"+owner),
			errCode: diag.CodeInvalidEntity, errHas: "metadata.links must be a list"},
		{name: "annotations read from a URL are an error, as the engine adds its own there",
			file:    native("Component", "c", "  annotations:\n    $json: https://raw.example.com/a.json\n"+owner),
			errCode: diag.CodePlaceholder, errHas: "central-config needs metadata.annotations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Map(snapshot(map[string]string{"teams/payments.yaml": team, "f.yaml": tt.file}), Options{SourceID: "main"})
			var errs diag.List
			for _, d := range res.Diagnostics {
				if d.Severity == diag.Error {
					errs = append(errs, d)
				}
			}
			if tt.errCode == "" {
				if len(errs) != 0 || len(diagsOf(res, "f.yaml", diag.CodeInvalidEntity)) != 0 {
					t.Fatalf("want no error, got:\n%v", res.Diagnostics)
				}
				hasDiag(t, res, "f.yaml", 0, diag.CodePlaceholderURL, "Backstage validates it once it has read it")
				published := 0
				for _, e := range res.Entities() {
					if e.File == "f.yaml" {
						published++
					}
				}
				if published != 1 {
					t.Fatalf("want the entity published, got %v", res.Entities())
				}
				return
			}
			if len(errs) != 1 || errs[0].Code != tt.errCode || !strings.Contains(errs[0].Message, tt.errHas) {
				t.Fatalf("want one %s error mentioning %q, got:\n%v", tt.errCode, tt.errHas, res.Diagnostics)
			}
		})
	}
}

func TestAPlaceholderLeftInCountsTowardsTheEntityLimit(t *testing.T) {
	files := map[string]string{"teams/payments.yaml": team, "a.yaml": urlAPI("a", "text", "https://example.com/"+strings.Repeat("x", 200))}
	e := byName(Map(snapshot(files), Options{}))["api:default/a"]
	if e == nil {
		t.Fatal("not mapped")
	}
	size := len(e.JSON())
	if res := Map(snapshot(files), Options{Limits: document.Limits{MaxEntityBytes: size}}); byName(res)["api:default/a"] == nil {
		t.Fatalf("an entity of %d bytes with a limit of %d: %v", size, size, res.Diagnostics)
	}
	res := Map(snapshot(files), Options{Limits: document.Limits{MaxEntityBytes: size - 1}})
	hasDiag(t, res, "a.yaml", 1, diag.CodeTooLarge, "limits.maxEntityBytes")
}

func TestEveryIgnoredFileIsListedWithItsReason(t *testing.T) {
	files := repoFiles(t, "apis/local-api.yaml", "apis/specs/local.yaml", "docs/README.md", "misc/no-shape.yaml", "kafka/kafkakewl-topology.json")
	files["teams/payments.yaml"] = team
	files["empty.yaml"] = ""
	s := snapshot(files)
	s.Ignored = []source.FileProblem{{Path: "assets/video.mp4", Code: diag.CodeTooLarge, Message: "file is 9 bytes, more than the limit"}}
	s.Outside = []string{"legacy/old.yaml", "tools/build.sh"}

	for _, list := range []bool{false, true} {
		res := Map(s, Options{ListIgnored: list})
		wantCounts := map[string]int{IgnoredNoShape: 3, IgnoredNotConfig: 1, IgnoredTooLarge: 1, IgnoredOutsidePaths: 2}
		if !mapsEqual(res.IgnoredCounts, wantCounts) || res.Ignored != 3 {
			t.Fatalf("counts %v (ignored %d), want %v", res.IgnoredCounts, res.Ignored, wantCounts)
		}
		if !list {
			if res.IgnoredFiles != nil {
				t.Fatalf("listed without ListIgnored: %v", res.IgnoredFiles)
			}
			continue
		}
		want := []IgnoredFile{
			{"assets/video.mp4", IgnoredTooLarge},
			{"docs/README.md", IgnoredNotConfig},
			{"empty.yaml", IgnoredNoShape},
			{"kafka/kafkakewl-topology.json", IgnoredNoShape},
			{"legacy/old.yaml", IgnoredOutsidePaths},
			{"misc/no-shape.yaml", IgnoredNoShape},
			{"tools/build.sh", IgnoredOutsidePaths},
		}
		if !slices.Equal(res.IgnoredFiles, want) {
			t.Fatalf("ignored files:\n%v\nwant (apis/specs/local.yaml is read by a placeholder, so it is used):\n%v", res.IgnoredFiles, want)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestAKafkaLookalikeIsAWarningNamingTheDialects(t *testing.T) {
	files := repoFiles(t, "kafka/kafkakewl-topology.json")
	files["clusters.yaml"] = "topics:\n  orders: {partitions: 3}\nclusters:\n  - name: main\n"
	files["julie-no-context.yaml"] = "# a JulieOps descriptor without its context\nprojects:\n  - name: shop\ntopics:\n  - name: orders\n"
	files["gitops-plus.yaml"] = "topics:\n  orders: {partitions: 3}\nservices:\n  shop: {type: application}\nrelationships: {}\n"
	files["mixed.yaml"] = component("beside", "") + "---\ntopics: [a]\napplications: [b]\n"
	files["teams/payments.yaml"] = team
	res := Map(snapshot(files), Options{ListIgnored: true})
	for file, line := range map[string]int{"kafka/kafkakewl-topology.json": 1, "clusters.yaml": 1, "julie-no-context.yaml": 2, "gitops-plus.yaml": 1, "mixed.yaml": 10} {
		hasDiag(t, res, file, line, kafka.CodeUnknownFormat, "looks like a Kafka topology")
	}
	for _, d := range res.Diagnostics {
		if d.Code != kafka.CodeUnknownFormat {
			continue
		}
		if d.Severity != diag.Warning {
			t.Errorf("want a warning: %v", d)
		}
		for _, name := range []string{"format central-config does not read; supported:", "central-config.io/kafka/v1", "Strimzi", "JulieOps", "kafka-gitops"} {
			if !strings.Contains(d.Message, name) {
				t.Errorf("%v does not name %q", d, name)
			}
		}
	}
	if byName(res)["component:default/beside"] == nil {
		t.Fatalf("the entity beside the lookalike must be published: %v", res.Diagnostics)
	}
	if !slices.Contains(res.IgnoredFiles, IgnoredFile{"kafka/kafkakewl-topology.json", IgnoredNoShape}) {
		t.Fatalf("the lookalike is ignored, and listed: %v", res.IgnoredFiles)
	}
}

// TestNoKafkaLookalikeWarningOnTheDialects maps every Kafka fixture of
// the four dialects, and the example repository: none may be taken for
// a lookalike.
func TestNoKafkaLookalikeWarningOnTheDialects(t *testing.T) {
	files := map[string]string{}
	for _, root := range []string{"../kafka/testdata/kafka-topologies", "../../examples/central-config"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !source.IsConfigPath(p) {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			files[filepath.Base(root)+"/"+filepath.ToSlash(rel)] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 40 {
		t.Fatalf("only %d fixtures", len(files))
	}
	res := Map(snapshot(files), Options{})
	for _, d := range res.Diagnostics {
		if d.Code == kafka.CodeUnknownFormat {
			t.Errorf("a real dialect document taken for a lookalike: %v", d)
		}
	}
}
