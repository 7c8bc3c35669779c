package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestTheValidateWorkflowRunsThisCommand reads the GitHub Actions
// workflow offered to config repositories
// (deploy/github-actions/validate.yaml): it must check out the
// repository, set up Go, install this module's command by its real path,
// and run a validate command line that this binary accepts: the line is
// run as written against the example repository (passes) and a broken
// one (fails with GitHub annotations).
func TestTheValidateWorkflowRunsThisCommand(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/github-actions/validate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Name        string            `yaml:"name"`
		On          map[string]any    `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Jobs        map[string]struct {
			RunsOn string `yaml:"runs-on"`
			Steps  []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]any    `yaml:"with"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if _, ok := wf.On["pull_request"]; !ok {
		t.Error("the workflow must run on pull_request")
	}
	if wf.Permissions["contents"] != "read" || len(wf.Permissions) != 1 {
		t.Errorf("permissions %v: read the contents, nothing more", wf.Permissions)
	}
	job, ok := wf.Jobs["validate"]
	if !ok || job.RunsOn == "" {
		t.Fatalf("no validate job with runs-on: %+v", wf.Jobs)
	}
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)$`).FindSubmatch(mod)[1]
	var checkout, setupGo, install bool
	var validate string
	for _, s := range job.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			checkout = true
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			setupGo = s.With["go-version"] != nil
		case strings.Contains(s.Run, "go install"):
			install = strings.Contains(s.Run, `"`+string(module)+`/cmd/central-config@${CENTRAL_CONFIG_VERSION}"`) && wf.Env["CENTRAL_CONFIG_VERSION"] != ""
		case strings.HasPrefix(strings.TrimSpace(s.Run), "central-config "):
			validate = strings.TrimSpace(s.Run)
		}
	}
	if !checkout || !setupGo || !install || validate == "" {
		t.Fatalf("steps: checkout %v, setup-go with go-version %v, go install %s/cmd/central-config@${CENTRAL_CONFIG_VERSION} %v, central-config run %q",
			checkout, setupGo, module, install, validate)
	}
	args := strings.Fields(validate)[1:]
	if len(args) < 2 || args[len(args)-1] != "." || !strings.Contains(validate, "validate --format github") {
		t.Fatalf("the check must be `central-config validate --format github .`, is %q", validate)
	}
	lookup := func(string) (string, bool) { return "", false }
	runOn := func(dir string) (int, string) {
		var out, errOut bytes.Buffer
		a := append(append([]string{}, args[:len(args)-1]...), dir)
		code := run(a, &out, &errOut, lookup)
		return code, out.String() + errOut.String()
	}
	if code, out := runOn("../../examples/central-config"); code != 0 {
		t.Errorf("on the example repository: exit %d\n%s", code, out)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "services.yaml"), []byte("apiVersion: central-config.io/v1\nservices: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runOn(broken); code != 1 || !strings.Contains(out, "::error file=services.yaml,line=") {
		t.Errorf("on a broken repository: exit %d, want 1 with a GitHub annotation\n%s", code, out)
	}
}
