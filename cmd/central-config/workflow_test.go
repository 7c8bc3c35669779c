package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/enginetest"
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
// step: on pull requests only, even when validate failed (a status
// function in if:), with the full history checked out, comparing the test
// merge commit GitHub checks out (github.sha) with its first parent. The
// step's script is run by bash as the runner runs it (-eo pipefail, with
// HEAD and $GITHUB_STEP_SUMMARY set, the built command on PATH) in a git
// repository laid out as GitHub's: a base branch that moved on after the
// pull requests branched off, and a merge commit of each into it. An owner
// move passes; a broken file fails with 1 and a guard refusal with 3, and
// both still write the summary; none of them is blamed for the commit
// merged into the base branch meanwhile.
func TestTheWorkflowReviewsPullRequestsWithDiff(t *testing.T) {
	job := readWorkflow(t).Jobs["validate"]
	fullHistory := false
	var script string
	var stepEnv map[string]string
	for _, s := range job.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") {
			fullHistory = s.With["fetch-depth"] == 0
		}
		if strings.Contains(s.Run, "central-config diff") {
			if s.If != "${{ !cancelled() && github.event_name == 'pull_request' }}" {
				t.Errorf("the diff step runs if %q: on pull requests only, and with !cancelled() so that it runs when validate fails", s.If)
			}
			stepEnv, script = s.Env, s.Run
		}
	}
	if !fullHistory {
		t.Error("the checkout must fetch the whole history (fetch-depth: 0): diff reads the base commit")
	}
	if len(stepEnv) != 1 || stepEnv["HEAD"] != "${{ github.sha }}" {
		t.Errorf("the diff step's env %v: HEAD must be the commit checked out (the test merge commit), and nothing else", stepEnv)
	}
	if !strings.Contains(script, `--base "$HEAD^1" --head "$HEAD"`) || !strings.Contains(script, `>> "$GITHUB_STEP_SUMMARY" || true`) {
		t.Fatalf("the diff step must compare $HEAD^1 with $HEAD and append the summary to $GITHUB_STEP_SUMMARY: %q", script)
	}

	work := testrepo.Checkout(t, example)
	git := func(args ...string) string { return gittest.Run(t, work, args...) }
	git("-c", "init.defaultBranch=main", "init", "-q", ".")
	commit := func(edit func()) string {
		edit()
		git("add", "-A")
		git("commit", "-q", "--allow-empty", "-m", "change")
		return git("rev-parse", "HEAD")
	}
	write := func(rel, content string) {
		testrepo.WriteFile(t, filepath.Join(work, filepath.FromSlash(rel)), content)
	}
	replace := func(rel, old, new string) {
		b, err := os.ReadFile(filepath.Join(work, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		write(rel, strings.Replace(string(b), old, new, 1))
	}
	base := commit(func() {})
	// mergeOf branches off base, commits edit, and merges it into main
	// (which moved on) as GitHub's test merge commit; it returns that.
	mergeOf := func(name string, edit func()) string {
		git("checkout", "-q", "-b", name, base)
		commit(edit)
		git("checkout", "-q", "main")
		git("merge", "-q", "--no-ff", "-m", "Merge "+name, name)
		merge := git("rev-parse", "HEAD")
		git("reset", "-q", "--hard", "HEAD^1")
		return merge
	}
	// The base branch moves on: a team added by another pull request.
	commit(func() {
		write("native/newcomers.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: newcomers\nspec:\n  type: team\n  children: []\n")
	})
	ownerMove := mergeOf("owner-move", func() { replace("services/checkout.yaml", "    owner: payments", "    owner: orders") })
	broken := mergeOf("broken", func() { replace("systems/supply-chain.yaml", "    tags: [stock]", "    tags: [stock") })
	emptied := mergeOf("emptied", func() {
		for _, d := range []string{"services", "teams", "systems", "apis", "kafka"} {
			if err := os.RemoveAll(filepath.Join(work, d)); err != nil {
				t.Fatal(err)
			}
		}
	})

	bin := filepath.Dir(enginetest.Binary(t))
	scriptFile := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	// step runs the step's script as the runner does (shell: bash) and
	// returns its exit code, its output and the job summary.
	step := func(head string) (int, string, string) {
		summary := filepath.Join(t.TempDir(), "summary.md")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "HEAD="+head, "GITHUB_STEP_SUMMARY="+summary, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		written, err := os.ReadFile(summary)
		if err != nil {
			t.Fatalf("no job summary: %v\n%s", err, out)
		}
		return code, string(out), string(written)
	}
	for _, tc := range []struct {
		name, head string
		code       int
		out, sum   string
	}{
		{"an owner move", ownerMove, 0, "::warning file=services/checkout.yaml,line=3,",
			"`component:default/cart-service`: `group:default/payments` → `group:default/orders`"},
		{"a broken file", broken, 1, "::warning file=systems/supply-chain.yaml,title=central-config diff%3A entities kept::",
			"Files kept (failing)"},
		{"a deletion past the guard", emptied, exitGuard, "::error title=central-config diff%3A mass-deletion guard::",
			"⛔ **Mass-deletion guard:**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, sum := step(tc.head)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Errorf("the step exits %d, want %d, with %q in:\n%s", code, tc.code, tc.out, out)
			}
			if !strings.HasPrefix(sum, "### central-config") || !strings.Contains(sum, tc.sum) {
				t.Errorf("the job summary has no %q:\n%s", tc.sum, sum)
			}
			if strings.Contains(out+sum, "newcomers") {
				t.Errorf("the team merged into the base branch meanwhile is blamed on the pull request:\n%s\n%s", out, sum)
			}
		})
	}
}
