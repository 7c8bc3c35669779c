package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const example = "../../examples/central-config"
const exampleConfig = "../../examples/app-config.yaml"

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut, func(string) (string, bool) { return "", false })
	return code, out.String(), errOut.String()
}

// validateLists are the lists of validate --format json, as a script
// reads them; a test embeds them next to the counts it reads.
type validateLists struct {
	IgnoredFiles []struct {
		Path   string `json:"path"`
		Reason string `json:"reason"`
	} `json:"ignoredFiles"`
	Diagnostics []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Severity string `json:"severity"`
		Code     string `json:"code"`
	} `json:"diagnostics"`
}

// brokenCopy copies the example repository and breaks one file.
func brokenCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "services", "checkout.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), "owner: payments", "owner: [payments", 1)
	if broken == string(data) {
		t.Fatal("the example changed: no 'owner: payments' to break")
	}
	if err := os.WriteFile(p, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestValidateAcceptsTheExampleRepository(t *testing.T) {
	code, out, errOut := runCLI(t, "--config", exampleConfig, "validate", example)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "0 errors, 0 warnings") {
		t.Fatalf("summary: %s", out)
	}
}

func TestValidateFailsOnABrokenFileNamingFileAndLine(t *testing.T) {
	dir := brokenCopy(t)
	code, out, _ := runCLI(t, "validate", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "services/checkout.yaml:") || !strings.Contains(out, "error: invalid YAML") {
		t.Fatalf("output does not name the file and line:\n%s", out)
	}

	code, out, _ = runCLI(t, "validate", "--format", "github", dir)
	if code != 1 || !strings.Contains(out, "::error file=services/checkout.yaml,line=") || !strings.Contains(out, ",col=") {
		t.Fatalf("exit %d, want GitHub annotations:\n%s", code, out)
	}

	code, out, _ = runCLI(t, "validate", "--format", "json", dir)
	var report struct {
		Errors      int `json:"errors"`
		Diagnostics []struct {
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 1 || report.Errors == 0 || report.Diagnostics[0].Line == 0 {
		t.Fatalf("json report: exit %d, %v\n%s", code, err, out)
	}
}

func TestGitHubAnnotationsEscapeWhatTheRunnerParses(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "--format", "github", brokenCopy(t))
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, "::") && strings.Count(line, "::") != 2 {
			t.Fatalf("an annotation must have exactly two '::' separators: %q", line)
		}
	}
}

func TestRenderPrintsEveryEntity(t *testing.T) {
	code, out, errOut := runCLI(t, "--config", exampleConfig, "render", "--format", "json", example)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rendered struct {
		Entities []map[string]any `json:"entities"`
	}
	if err := json.Unmarshal([]byte(out), &rendered); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range rendered.Entities {
		kinds[e["kind"].(string)]++
	}
	// The example README promises these counts (plus the native files, the
	// two components of the legacy mapping rule and the 10 Kafka topics).
	want := map[string]int{"Group": 6, "User": 23, "Domain": 3, "System": 6, "Component": 23, "API": 11, "Resource": 18}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s entities, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}

	code, out, _ = runCLI(t, "render", example)
	docs := 0
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var v map[string]any
		if dec.Decode(&v) != nil {
			break
		}
		docs++
	}
	if code != 0 || docs != len(rendered.Entities)-2 {
		t.Fatalf("yaml render: exit %d, %d documents, want %d (no legacy rule without config)", code, docs, len(rendered.Entities)-2)
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"validate"}, {"validate", "a", "b"}, {"validate", "--format", "xml", "."},
		{"render", "--format", "github", "."}, {"--nope"}, {"--config", "/does/not/exist.yaml", "validate", example},
	} {
		if code, _, errOut := runCLI(t, args...); code != exitUsage || errOut == "" {
			t.Errorf("%v: exit %d with %q, want %d and a message", args, code, errOut, exitUsage)
		}
	}
	if code, out, _ := runCLI(t, "--version"); code != 0 || !strings.HasPrefix(out, "central-config ") {
		t.Fatalf("--version: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "--help"); code != 0 || !strings.Contains(out, "validate") {
		t.Fatalf("--help: %d %q", code, out)
	}
}

// The example's mapping rule lives in the engine's config, not in the
// repository: validate without it says so, instead of a silent lower count.
func TestValidateSaysWhenMappingRulesWereNotApplied(t *testing.T) {
	const hint = "hint: no mapping rules applied (no --config given); 1 file of no known document shape may be meant for the rules in the engine's config: central-config --config app-config.yaml validate DIR\n"
	code, out, errOut := runCLI(t, "validate", example)
	if code != 0 || !strings.Contains(out, hint) {
		t.Fatalf("exit %d, want the hint %q:\n%s%s", code, hint, out, errOut)
	}
	code, out, _ = runCLI(t, "validate", "--format", "github", example)
	if code != 0 || !strings.Contains(out, hint) {
		t.Fatalf("github format: exit %d, want the hint:\n%s", code, out)
	}

	// A config without rules: the hint names that instead.
	noRules := filepath.Join(t.TempDir(), "app-config.yaml")
	if err := os.WriteFile(noRules, []byte("centralConfig:\n  limits:\n    maxFileBytes: 4194304\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runCLI(t, "--config", noRules, "validate", example)
	if !strings.Contains(out, "hint: no mapping rules applied (the --config files have no centralConfig.rules); 1 file ") {
		t.Fatalf("config without rules, want its hint:\n%s", out)
	}

	// With the engine's config the rule applies: no hint, two more entities.
	_, withRules, _ := runCLI(t, "--config", exampleConfig, "validate", example)
	if strings.Contains(withRules, "hint:") {
		t.Fatalf("rules applied, yet a hint:\n%s", withRules)
	}
	var without, with struct {
		Entities int `json:"entities"`
		Rules    int `json:"rules"`
	}
	_, out, _ = runCLI(t, "validate", "--format", "json", example)
	_, out2, _ := runCLI(t, "--config", exampleConfig, "validate", "--format", "json", example)
	if json.Unmarshal([]byte(out), &without) != nil || json.Unmarshal([]byte(out2), &with) != nil ||
		without.Rules != 0 || with.Rules != 1 || with.Entities != without.Entities+2 {
		t.Fatalf("json: without config %+v, with %+v", without, with)
	}
}
