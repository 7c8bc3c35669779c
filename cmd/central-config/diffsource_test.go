package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/config"
	"github.com/central-config/central-config/internal/metrics"
	"github.com/central-config/central-config/internal/review"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/testrepo"
)

// outsider is a Group in a file outside the source's paths.
const outsider = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: outsiders\nspec:\n  type: team\n  children: []\n"

// nested returns a repository with the example repository under catalog/
// and a file outside it, edited by edits (paths under the root).
func nested(t *testing.T, edits ...testrepo.Edit) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "catalog"), os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "other", "outsiders.yaml"), []byte(outsider), 0o600); err != nil {
		t.Fatal(err)
	}
	return testrepo.Checkout(t, root, edits...)
}

// engineRuns runs the engine's own syncer (built as serve builds it, on
// a real SQLite store) on the source sourceID of the configuration in
// cfgFile, whose dir source reads work: once on each folder of revs, in
// turn copied into work. It returns the runs.
func engineRuns(t *testing.T, cfgFile, sourceID, work string, revs ...string) []store.Run {
	t.Helper()
	cfg, err := config.Load([]string{cfgFile}, func(string) (string, bool) { return "", false }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "engine.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sources, err := newSources(cfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	sy, err := newSyncer(cfg, st, sources, log, metrics.New(nil))
	if err != nil {
		t.Fatal(err)
	}
	var runs []store.Run
	for _, rev := range revs {
		if err := os.RemoveAll(work); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(work, os.DirFS(rev)); err != nil {
			t.Fatal(err)
		}
		run, err := sy.SyncOnce(context.Background(), sourceID, store.TriggerManual)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	return runs
}

func diffJSON(t *testing.T, args ...string) (review.Report, int, string) {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	var r review.Report
	if code == exitUsage {
		return r, code, errOut
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s%s", code, err, out, errOut)
	}
	return r, code, errOut
}

// TestDiffReadsTheSourcesPathsAndKinds: a source with paths: [catalog/**]
// never reads a file outside them, so diff does not either; its counts
// and guard total are the engine's own run's. With several sources diff
// asks which one.
func TestDiffReadsTheSourcesPathsAndKinds(t *testing.T) {
	work := filepath.Join(t.TempDir(), "work")
	cfgFile := filepath.Join(t.TempDir(), "app-config.yaml")
	cfgText := "centralConfig:\n  sources:\n    - id: central\n      paths: [\"catalog/**\"]\n      dir: {path: " + work + "}\n"
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	base := nested(t)
	// The head removes a system and the file outside the paths.
	head := nested(t, testrepo.Edit{Path: "catalog/systems/supply-chain.yaml", Delete: true}, testrepo.Edit{Path: "other", Delete: true})
	runs := engineRuns(t, cfgFile, "central", work, base, head)
	r, code, errOut := diffJSON(t, "--config", cfgFile, "diff", "--format", "json", base, head)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	first, second := runs[0].Counts, runs[1].Counts
	if r.Guard.Total != first.Added || r.Counts.Before != first.Added {
		t.Errorf("guard total %d, before %d; the engine published %d", r.Guard.Total, r.Counts.Before, first.Added)
	}
	got := []int{r.Counts.Added, r.Counts.Changed, r.Counts.Removed, r.Counts.Unchanged}
	want := []int{second.Added, second.Changed, second.Removed, second.Unchanged}
	if !slices.Equal(got, want) || r.Guard.Removed != second.Removed {
		t.Errorf("diff counts %v (guard removes %d), the engine's run %v", got, r.Guard.Removed, want)
	}
	for _, e := range r.Removed {
		if strings.Contains(e.Ref, "outsiders") {
			t.Errorf("diff removes %s, from a file outside the source's paths", e.Ref)
		}
	}
	// --include overrides the paths: now the outsiders go too.
	r, _, _ = diffJSON(t, "--config", cfgFile, "diff", "--format", "json", "--include", "**", base, head)
	if r.Counts.Removed != second.Removed+1 {
		t.Errorf("with --include '**': %d removed, want %d", r.Counts.Removed, second.Removed+1)
	}

	// Two sources: the second allows only Groups, on top of no global
	// rule but its own.
	two := filepath.Join(t.TempDir(), "two.yaml")
	twoText := "centralConfig:\n  catalog:\n    rules: []\n  sources:\n    - id: central\n      dir: {path: " + work + "}\n      rules: [{allow: [Component]}]\n" +
		"    - id: teams\n      dir: {path: " + work + "}\n      rules: [{allow: [Group]}]\n"
	if err := os.WriteFile(two, []byte(twoText), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCLI(t, "--config", two, "diff", base, head)
	if code != exitUsage || !strings.Contains(errOut, "the configuration has 2 sources (central, teams): name the one the repository is with --source ID") {
		t.Errorf("two sources, no --source: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "--config", two, "diff", "--source", "nope", base, head)
	if code != exitUsage || !strings.Contains(errOut, `--source "nope" is not a configured source; the sources are central, teams`) {
		t.Errorf("an unknown --source: exit %d\n%s", code, errOut)
	}
	runs = engineRuns(t, two, "teams", work, base, head)
	r, _, _ = diffJSON(t, "--config", two, "diff", "--format", "json", "--source", "teams", base, head)
	if r.Guard.Total != runs[0].Counts.Added || r.Counts.Removed != runs[1].Counts.Removed || r.Counts.Unchanged != runs[1].Counts.Unchanged {
		t.Errorf("--source teams: total %d, counts %+v; the engine's runs %+v then %+v", r.Guard.Total, r.Counts, runs[0].Counts, runs[1].Counts)
	}
}

// hangingGitServer accepts connections and never answers, as a git host
// that stalls does; it returns a repository URL on it.
func hangingGitServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		for {
			select {
			case c := <-conns:
				_ = c.Close()
			default:
				return
			}
		}
	})
	return "http://" + l.Addr().String() + "/config.git"
}

// TestDiffGivesUpOnAGitHostThatNeverAnswers: --timeout bounds the clone;
// diff says so and exits 2 instead of waiting for ever.
func TestDiffGivesUpOnAGitHostThatNeverAnswers(t *testing.T) {
	url := hangingGitServer(t)
	code, out, errOut := runCLI(t, "diff", "--timeout", "300ms", "--git", url, "--base", "main", "--head", "pr")
	if code != exitUsage || !strings.Contains(errOut, "context deadline exceeded (--timeout 300ms)") || !strings.Contains(errOut, "config.git") {
		t.Errorf("exit %d, want %d with the timeout named:\n%s%s", code, exitUsage, out, errOut)
	}
	code, _, errOut = runCLI(t, "diff", "--timeout", "0s", "--git", url, "--base", "main", "--head", "pr")
	if code != exitUsage || !strings.Contains(errOut, "--timeout must be a positive duration") {
		t.Errorf("--timeout 0s: exit %d\n%s", code, errOut)
	}
}

// TestDiffReadsAPrivateRepositoryWithATokenFromTheEnvironment: the token
// comes from CENTRAL_CONFIG_GIT_TOKEN, not the command line, and is
// never printed, not even when the server refuses it.
func TestDiffReadsAPrivateRepositoryWithATokenFromTheEnvironment(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("private")
	base := repo.Commit("main", map[string]string{"teams.yaml": "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n"})
	head := repo.Commit("main", map[string]string{"teams.yaml": "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n  - name: orders\n"})
	diff := func(token string) (int, string) {
		var out, errOut bytes.Buffer
		code := run([]string{"diff", "--format", "json", "--git", repo.URL, "--base", base, "--head", head}, &out, &errOut, func(k string) (string, bool) {
			return token, k == gitTokenEnv && token != ""
		})
		return code, out.String() + errOut.String()
	}
	code, out := diff(gittest.Token)
	if code != 0 || !strings.Contains(out, `"ref": "group:default/orders"`) {
		t.Errorf("with the token: exit %d\n%s", code, out)
	}
	if code, out := diff(""); code != exitUsage || !strings.Contains(out, "authentication required") {
		t.Errorf("without a token: exit %d\n%s", code, out)
	}
	wrong := "wrong-" + gittest.Token
	if code, out := diff(wrong); code != exitUsage || !strings.Contains(out, "authentication failed") || strings.Contains(out, wrong) {
		t.Errorf("a wrong token: exit %d\n%s", code, out)
	}
	if strings.Contains(out, gittest.Token) {
		t.Errorf("the token is in the output:\n%s", out)
	}
}
