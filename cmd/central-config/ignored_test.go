package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/testrepo"
)

// catalogCopy copies files of the shared catalog-repo fixture into a new
// folder, with a team that owns what they name.
func catalogCopy(t *testing.T, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"teams/acme-web.yaml": "apiVersion: central-config.io/v1\nteams:\n  - name: acme-web\n"}
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join("..", "..", "internal", "testrepo", "testdata", "catalog-repo", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		files[p] = string(b)
	}
	testrepo.Write(t, dir, files)
	return dir
}

var movedCatalog = []string{"apis/payments-api.yaml", "apis/local-api.yaml", "apis/specs/local.yaml",
	"kafka/kafkakewl-topology.json", "docs/README.md", "misc/no-shape.yaml"}

const infoLine = `apis/payments-api.yaml:15:12: info: $text "https://github.com/acme/payments/blob/main/openapi.yaml" is left in the entity for Backstage`

func TestValidateTextShowsInfosAndIgnoredFilesWithVerbose(t *testing.T) {
	dir := catalogCopy(t, movedCatalog...)
	code, out, errOut := runCLI(t, "validate", dir)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (an info and a warning fail nothing)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"kafka/kafkakewl-topology.json:1:1: warning: looks like a Kafka topology (top-level topics and applications) in a format central-config does not read; supported: ",
		"3 files read, 3 entities, 0 errors, 1 warnings, 1 infos (--verbose shows them)\n",
		"3 files ignored (2 no known document shape, 1 not YAML/JSON); --verbose lists them\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "info:") || strings.Contains(out, "ignored: ") {
		t.Errorf("without --verbose, no info and no list of ignored files:\n%s", out)
	}

	code, out, _ = runCLI(t, "validate", dir, "--verbose")
	for _, want := range []string{
		infoLine,
		"3 files read, 3 entities, 0 errors, 1 warnings, 1 infos\n",
		"3 files ignored (2 no known document shape, 1 not YAML/JSON)\n" +
			"  docs/README.md: ignored: not YAML/JSON\n" +
			"  kafka/kafkakewl-topology.json: ignored: no known document shape\n" +
			"  misc/no-shape.yaml: ignored: no known document shape\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; --verbose output lacks %q:\n%s", code, want, out)
		}
	}

	// Files the --include globs leave out are listed too.
	_, out, _ = runCLI(t, "validate", "--verbose", "--include", "apis/**", "--include", "teams/**", dir)
	for _, want := range []string{
		"3 files read, 3 entities, 0 errors, 0 warnings, 1 infos\n",
		"3 files ignored (3 outside paths)\n  docs/README.md: ignored: outside paths\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--include output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateJSONListsInfosAndEveryIgnoredFile(t *testing.T) {
	dir := catalogCopy(t, movedCatalog...)
	code, out, _ := runCLI(t, "validate", "--format", "json", "--include", "apis/**", "--include", "kafka/**", "--include", "misc/**", "--include", "teams/**", dir)
	var report struct {
		Files    int `json:"files"`
		Ignored  int `json:"ignored"`
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
		Infos    int `json:"infos"`
		validateLists
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if report.Files != 3 || report.Errors != 0 || report.Warnings != 1 || report.Infos != 1 || report.Ignored != 3 {
		t.Errorf("counts: %+v", report)
	}
	var ignored []string
	for _, f := range report.IgnoredFiles {
		ignored = append(ignored, f.Path+": "+f.Reason)
	}
	want := []string{"docs/README.md: outside paths", "kafka/kafkakewl-topology.json: no known document shape", "misc/no-shape.yaml: no known document shape"}
	if !slices.Equal(ignored, want) {
		t.Errorf("ignoredFiles = %v, want %v", ignored, want)
	}
	found := false
	for _, d := range report.Diagnostics {
		found = found || d.File == "apis/payments-api.yaml" && d.Line == 15 && d.Severity == "info" && d.Code == "placeholder-url"
	}
	if !found {
		t.Errorf("the info is not in the diagnostics:\n%s", out)
	}

	// Nothing ignored: an empty list, not null.
	_, out, _ = runCLI(t, "validate", "--format", "json", catalogCopy(t))
	if !strings.Contains(out, `"ignoredFiles": []`) || !strings.Contains(out, `"ignored": 0`) {
		t.Errorf("want an empty list:\n%s", out)
	}
}

func TestValidateGitHubMakesInfosNotices(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "--format", "github", catalogCopy(t, movedCatalog...))
	for _, want := range []string{
		"::notice file=apis/payments-api.yaml,line=15,col=12,title=central-config placeholder-url::$text \"https://github.com/acme/payments/blob/main/openapi.yaml\" is left",
		"::warning file=kafka/kafkakewl-topology.json,line=1,col=1,title=central-config kafka-unknown-format::looks like a Kafka topology",
		"3 files ignored (2 no known document shape, 1 not YAML/JSON); --verbose lists them",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d; output lacks %q:\n%s", code, want, out)
		}
	}
}
