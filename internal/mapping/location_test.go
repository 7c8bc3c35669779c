package mapping

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
)

// catalogRepo reads the locations folder of the shared catalog-repo
// fixture as a snapshot (paths relative to catalog-repo).
func catalogRepo(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "testrepo", "testdata", "catalog-repo")
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(root, "locations"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// diagsOf returns the diagnostics of one file and code.
func diagsOf(res *Result, file, code string) diag.List {
	var out diag.List
	for _, d := range res.Diagnostics {
		if d.File == file && d.Code == code {
			out = append(out, d)
		}
	}
	return out
}

func specOf(t *testing.T, e *Entity) map[string]any {
	t.Helper()
	spec, ok := e.Object["spec"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no spec: %v", e.Ref, e.Object)
	}
	return spec
}

func TestLocationsOfTheCatalogRepoFixture(t *testing.T) {
	res := Map(snapshot(catalogRepo(t)), Options{SourceID: "catalog"})
	got := byName(res)

	// Relative targets that all match: checked, not published, said so.
	if _, ok := got["location:default/acme-catalog"]; ok {
		t.Error("a Location of files of the repository is published")
	}
	if ds := diagsOf(res, "locations/all.yaml", diag.CodeLocation); len(ds) != 1 || ds[0].Severity != diag.Info || ds[0].Line != 5 ||
		!strings.Contains(ds[0].Message, "not published") || !strings.Contains(ds[0].Message, "clash") {
		t.Errorf("all.yaml: want one info at line 4 saying why the Location is not published, got %v", ds)
	}
	// The files it points at are entities of the repository, read once.
	for _, ref := range []string{"group:default/acme-web", "user:default/ines.moreau", "component:default/checkout-web", "component:default/store-finder"} {
		if _, ok := got[ref]; !ok {
			t.Errorf("%s is missing", ref)
		}
	}

	// A missing file and a glob that matches nothing: a warning at each
	// target's line; the Location is not published either.
	hasDiag(t, res, "locations/missing.yaml", 10, diag.CodeLocation, "no file locations/acme/teams.yaml")
	hasDiag(t, res, "locations/missing.yaml", 11, diag.CodeLocation, "no file of the repository matches locations/legacy/**/catalog-info.yaml")
	for _, d := range diagsOf(res, "locations/missing.yaml", diag.CodeLocation) {
		if d.Line >= 10 && d.Severity != diag.Warning {
			t.Errorf("a missing target is a %s, want a warning: %v", d.Severity, d)
		}
	}
	hasDiag(t, res, "locations/missing.yaml", 4, diag.CodeLocation, "is not published")
	if _, ok := got["location:default/legacy-catalog"]; ok {
		t.Error("a Location of missing files is published")
	}

	// Absolute targets: published as written, with no diagnostic.
	payments, ok := got["location:default/payments-repositories"]
	if !ok {
		t.Fatalf("the Location of absolute targets is not published; diagnostics:\n%v", res.Diagnostics)
	}
	spec := specOf(t, payments)
	if spec["type"] != "url" || len(spec["targets"].([]any)) != 2 {
		t.Errorf("payments-repositories spec = %v", spec)
	}
	if ann := payments.Object["metadata"].(map[string]any)["annotations"].(map[string]any); ann[AnnotationFile] != "locations/other-repos.yaml" {
		t.Errorf("the published Location lacks the engine's annotations: %v", ann)
	}
	if ds := diagsOf(res, "locations/other-repos.yaml", diag.CodeLocation); len(ds) != 0 {
		t.Errorf("absolute targets got diagnostics: %v", ds)
	}
	// Without a type, Backstage would take that of the place it read the
	// Location from: the engine writes url.
	storefront := specOf(t, got["location:default/storefront-repository"])
	if storefront["type"] != "url" || storefront["target"] != "https://github.com/acme/storefront/blob/main/catalog-info.yaml" {
		t.Errorf("storefront-repository spec = %v", storefront)
	}

	// Mixed: published with the absolute target only, and said so.
	mixed := specOf(t, got["location:default/checkout-catalog"])
	if _, has := mixed["target"]; has {
		t.Errorf("the relative target is published: %v", mixed)
	}
	if targets, _ := mixed["targets"].([]any); !slices.Equal(targets, []any{"https://github.com/acme/checkout-service/blob/main/catalog-info.yaml"}) {
		t.Errorf("checkout-catalog targets = %v", mixed["targets"])
	}
	if ds := diagsOf(res, "locations/mixed.yaml", diag.CodeLocation); len(ds) != 1 || ds[0].Severity != diag.Info ||
		!strings.Contains(ds[0].Message, "absolute target(s) only") {
		t.Errorf("mixed.yaml: want one info, got %v", ds)
	}

	if res.Diagnostics.HasErrors() {
		t.Errorf("the fixture has errors:\n%v", res.Diagnostics)
	}
}

const locationHead = `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: index
spec:
`

func TestLocationTargetsOfTheWrongFormAreWarningsAndNotPublished(t *testing.T) {
	res := Map(snapshot(map[string]string{
		"catalog/index.yaml": locationHead + `  type: url
  targets:
    - ftp://files.acme.example/catalog-info.yaml
    - https:///catalog-info.yaml
    - /etc/backstage/catalog-info.yaml
    - ../../outside.yaml
    - https://gitlab.acme.example/platform/catalog/-/blob/main/all.yaml
`,
		"catalog/file-type.yaml": `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: on-disk
spec:
  type: file
  target: https://github.com/acme/payments/blob/main/catalog-info.yaml
`,
		"catalog/discovery.yaml": `apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: acme-discovery
spec:
  type: github-discovery
  target: https://github.com/acme/*/blob/main/catalog-info.yaml
`,
	}), Options{})
	hasDiag(t, res, "catalog/index.yaml", 8, diag.CodeLocation, "http or https, not ftp")
	hasDiag(t, res, "catalog/index.yaml", 9, diag.CodeLocation, "no host")
	hasDiag(t, res, "catalog/index.yaml", 10, diag.CodeLocation, "absolute path")
	hasDiag(t, res, "catalog/index.yaml", 11, diag.CodeLocation, "leaves the repository")
	hasDiag(t, res, "catalog/index.yaml", 2, diag.CodeLocation, "published with its 1 absolute target(s) only")
	got := byName(res)
	spec := specOf(t, got["location:default/index"])
	if targets := spec["targets"].([]any); len(targets) != 1 || targets[0] != "https://gitlab.acme.example/platform/catalog/-/blob/main/all.yaml" {
		t.Errorf("published targets = %v", targets)
	}

	// A URL read as a file of the backend's disk: not published.
	hasDiag(t, res, "catalog/file-type.yaml", 7, diag.CodeLocation, "spec.type is file")
	hasDiag(t, res, "catalog/file-type.yaml", 2, diag.CodeLocation, "no target Backstage could read")
	if _, ok := got["location:default/on-disk"]; ok {
		t.Error("a Location of type file with a URL is published")
	}
	// A type the engine does not know belongs to a processor of Backstage:
	// published as written, with a warning that the app must allow it.
	hasDiag(t, res, "catalog/discovery.yaml", 6, diag.CodeLocation, "setAllowedLocationTypes")
	if spec := specOf(t, got["location:default/acme-discovery"]); spec["type"] != "github-discovery" {
		t.Errorf("acme-discovery spec = %v", spec)
	}
	for _, d := range res.Diagnostics {
		if d.Severity == diag.Error {
			t.Errorf("unexpected error: %v", d)
		}
	}
}

func TestALocationIsCheckedAgainWhenItsTargetAppears(t *testing.T) {
	files := map[string]string{
		"index.yaml": locationHead + "  targets: [./teams/web.yaml, ./services/*.yaml]\n",
	}
	first := Map(snapshot(files), Options{})
	hasDiag(t, first, "index.yaml", 6, diag.CodeLocation, "no file teams/web.yaml")
	hasDiag(t, first, "index.yaml", 6, diag.CodeLocation, "no file of the repository matches services/*.yaml")

	files["teams/web.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: web}\nspec: {type: team, children: []}\n"
	files["services/shop.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: shop}\nspec: {type: website, lifecycle: production, owner: web}\n"
	second := Map(snapshot(files), Options{Previous: first})
	if ds := diagsOf(second, "index.yaml", diag.CodeLocation); len(ds) != 1 || ds[0].Severity != diag.Info {
		t.Errorf("once the targets exist only the info should remain, got %v", ds)
	}

	// Unchanged again: the Location's file is reused.
	third := Map(snapshot(files), Options{Previous: second})
	if third.Reused != len(third.Files) {
		t.Errorf("reused %d of %d files", third.Reused, len(third.Files))
	}
	delete(files, "services/shop.yaml")
	fourth := Map(snapshot(files), Options{Previous: third})
	hasDiag(t, fourth, "index.yaml", 6, diag.CodeLocation, "no file of the repository matches services/*.yaml")
}

func TestATargetTheSourceDoesNotReadSaysWhy(t *testing.T) {
	snap := snapshot(map[string]string{"index.yaml": locationHead + "  target: ./huge.yaml\n"})
	snap.Ignored = []source.FileProblem{{Path: "huge.yaml", Code: diag.CodeTooLarge, Message: "file is 9000000 bytes"}}
	res := Map(snap, Options{})
	hasDiag(t, res, "index.yaml", 6, diag.CodeLocation, "huge.yaml is not read: file is 9000000 bytes")
}

func TestWhatBackstageAcceptsOfALocationDecidesTheSeverity(t *testing.T) {
	tests := []struct {
		name      string
		spec      string
		line      int
		severity  diag.Severity
		fragment  string
		published bool
	}{
		{name: "a missing target of an optional Location is an info, as Backstage skips it",
			spec: "  presence: optional\n  target: ./teams/gone.yaml\n", line: 7, severity: diag.Info, fragment: "spec.presence is optional"},
		{name: "a glob of an optional Location that matches nothing is an info",
			spec: "  presence: optional\n  targets: [./legacy/**/catalog-info.yaml]\n", line: 7, severity: diag.Info, fragment: "no file of the repository matches"},
		{name: "a missing target of a required Location is a warning",
			spec: "  presence: required\n  target: ./teams/gone.yaml\n", line: 7, severity: diag.Warning, fragment: "no file teams/gone.yaml"},
		{name: "a missing target of a Location without presence is a warning",
			spec: "  target: ./teams/gone.yaml\n", line: 6, severity: diag.Warning, fragment: "no file teams/gone.yaml"},
		{name: "a target of an optional Location that leaves the repository is still a warning",
			spec: "  presence: optional\n  target: ../../outside.yaml\n", line: 7, severity: diag.Warning, fragment: "leaves the repository"},
		{name: "a published Location of a type other than url is a warning at its type that the app must allow it",
			spec: "  type: github-discovery\n  target: https://github.com/acme/*/blob/main/catalog-info.yaml\n", line: 6, severity: diag.Warning,
			fragment:  `spec.type "github-discovery": the Backstage catalog reads a Location of a type other than url only when the Backstage app allows that type (catalogLocationsExtensionPoint.setAllowedLocationTypes`,
			published: true},
		{name: "a published Location of type url gets no warning",
			spec: "  type: url\n  target: https://github.com/acme/a/blob/main/catalog-info.yaml\n", published: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Map(snapshot(map[string]string{"index.yaml": locationHead + tt.spec}), Options{})
			if _, ok := byName(res)["location:default/index"]; ok != tt.published {
				t.Fatalf("published = %v, want %v:\n%v", ok, tt.published, res.Diagnostics)
			}
			var found diag.List
			for _, d := range diagsOf(res, "index.yaml", diag.CodeLocation) {
				if d.Line != 2 { // what is said at kind: published or not
					found = append(found, d)
				}
			}
			if tt.fragment == "" {
				if len(found) != 0 {
					t.Fatalf("want no diagnostic, got %v", found)
				}
				return
			}
			if len(found) != 1 || found[0].Line != tt.line || found[0].Severity != tt.severity || !strings.Contains(found[0].Message, tt.fragment) {
				t.Fatalf("want one %s at line %d mentioning %q, got %v", tt.severity, tt.line, tt.fragment, found)
			}
		})
	}
}
