package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/testrepo"
)

// workflow is the part of a GitHub Actions workflow file the tests read.
type workflow struct {
	Name        string            `yaml:"name"`
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]any    `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// readWorkflow reads deploy/github-actions/validate.yaml.
func readWorkflow(t *testing.T) workflow {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/github-actions/validate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	return wf
}

// TestTheValidateWorkflowRunsThisCommand reads the GitHub Actions
// workflow offered to config repositories
// (deploy/github-actions/validate.yaml): it must check out the
// repository, set up Go, install this module's command by its real path,
// and run a validate command line that this binary accepts: the line is
// run as written against the example repository (passes) and a broken
// one (fails with GitHub annotations).
func TestTheValidateWorkflowRunsThisCommand(t *testing.T) {
	wf := readWorkflow(t)
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
		case strings.Contains(s.Run, "central-config diff"):
			// TestTheWorkflowReviewsPullRequestsWithDiff runs it.
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

// TestTheWorkflowReviewsPullRequestsWithDiff reads the workflow's diff
// step: on pull requests only, with the full history checked out, the
// base and head commits from the event, the markdown summary appended to
// $GITHUB_STEP_SUMMARY and a github-format run that sets the result. Each
// command line is run as written (the variables filled in as the runner
// would) against a git repository with a base commit and two heads: an
// owner move (passes, with the summary and an annotation on the line) and
// a deletion past the guard (fails with the guard's exit code).
func TestTheWorkflowReviewsPullRequestsWithDiff(t *testing.T) {
	job := readWorkflow(t).Jobs["validate"]
	fullHistory := false
	var lines []string
	var stepEnv map[string]string
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			fullHistory = s.With["fetch-depth"] == 0
		}
		if strings.Contains(s.Run, "central-config diff") {
			if !strings.Contains(s.If, "github.event_name == 'pull_request'") {
				t.Errorf("the diff step runs if %q, want on pull requests only", s.If)
			}
			stepEnv = s.Env
			for line := range strings.Lines(s.Run) {
				if line = strings.TrimSpace(line); line != "" {
					lines = append(lines, line)
				}
			}
		}
	}
	if !fullHistory {
		t.Error("the checkout must fetch the whole history (fetch-depth: 0): diff reads the base commit")
	}
	if stepEnv["BASE"] != "${{ github.event.pull_request.base.sha }}" || stepEnv["HEAD"] != "${{ github.sha }}" {
		t.Errorf("the diff step's env %v: BASE must be the pull request's base commit, HEAD the commit checked out", stepEnv)
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "--format markdown") || !strings.HasSuffix(lines[0], `>> "$GITHUB_STEP_SUMMARY" || true`) ||
		!strings.Contains(lines[1], "--format github") {
		t.Fatalf("the diff step must write the markdown summary to $GITHUB_STEP_SUMMARY, then annotate: %q", lines)
	}

	work := testrepo.Checkout(t, example)
	gittest.Run(t, work, "-c", "init.defaultBranch=main", "init", "-q", ".")
	commit := func() string {
		gittest.Run(t, work, "add", "-A")
		gittest.Run(t, work, "commit", "-q", "--allow-empty", "-m", "change")
		return gittest.Run(t, work, "rev-parse", "HEAD")
	}
	base := commit()
	checkout := filepath.Join(work, "services", "checkout.yaml")
	b, err := os.ReadFile(checkout)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(checkout, []byte(strings.Replace(string(b), "    owner: payments", "    owner: orders", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	ownerMove := commit()
	for _, d := range []string{"services", "teams", "systems", "apis", "kafka"} {
		if err := os.RemoveAll(filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	emptied := commit()

	// runLine runs a line of the step in the repository's folder, as bash
	// would after the runner set BASE and HEAD.
	runLine := func(line, head string) (int, string) {
		line, _, _ = strings.Cut(line, " >> ")
		vars := strings.NewReplacer(`"$BASE"`, base, `"$HEAD"`, head)
		var args []string
		for _, f := range strings.Fields(vars.Replace(line))[1:] {
			if f == "." {
				f = work
			}
			args = append(args, f)
		}
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut, func(string) (string, bool) { return "", false })
		return code, out.String() + errOut.String()
	}
	if code, out := runLine(lines[0], ownerMove); code != 0 || !strings.HasPrefix(out, "### central-config") || !strings.Contains(out, "`component:default/cart-service`: `group:default/payments` → `group:default/orders`") {
		t.Errorf("summary line: exit %d\n%s", code, out)
	}
	if code, out := runLine(lines[1], ownerMove); code != 0 || !strings.Contains(out, "::warning file=services/checkout.yaml,line=3,") {
		t.Errorf("annotations line on an owner move: exit %d\n%s", code, out)
	}
	if code, out := runLine(lines[1], emptied); code != exitGuard || !strings.Contains(out, "::error title=central-config diff%3A mass-deletion guard::") {
		t.Errorf("annotations line on a mass deletion: exit %d, want %d\n%s", code, exitGuard, out)
	}
}
