package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/review"
	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/testrepo"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// reviewEdits is a pull request on the example repository that does a bit
// of everything a reviewer should see: an ownership move, a rename, an
// API whose definition file changes, a Kafka consumer removed, and a file
// broken (its entities are kept).
var reviewEdits = []testrepo.Edit{
	{Path: "services/checkout.yaml", Old: "    owner: payments", New: "    owner: orders"},
	{Path: "services/checkout.yaml", Old: "- name: fraud-scorer", New: "- name: fraud-detector"},
	{Path: "apis/payments-api.openapi.yaml", Old: "Authorize, capture and refund payments.", New: "Authorize, capture, refund and void payments."},
	{Path: "kafka/users.yaml",
		Old: "      - resource:\n          type: topic\n          name: payments.refund-issued.v1\n          patternType: literal\n        operation: Read\n        host: \"*\"\n"},
	{Path: "systems/supply-chain.yaml", Old: "    tags: [stock]", New: "    tags: [stock"},
}

func TestDiffExitCodes(t *testing.T) {
	base := testrepo.Checkout(t, example)
	allowAll := filepath.Join(t.TempDir(), "allow.yaml")
	refuseAny := filepath.Join(t.TempDir(), "refuse.yaml")
	for p, c := range map[string]string{
		allowAll:  "centralConfig:\n  guard:\n    allowMassDeletion: true\n",
		refuseAny: "centralConfig:\n  guard:\n    maxDeletionRatio: 0\n",
	} {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	emptied := testrepo.Checkout(t, example, testrepo.Edit{Path: "services", Delete: true}, testrepo.Edit{Path: "teams", Delete: true},
		testrepo.Edit{Path: "systems", Delete: true}, testrepo.Edit{Path: "apis", Delete: true}, testrepo.Edit{Path: "kafka", Delete: true})
	oneSystemLess := testrepo.Checkout(t, example, testrepo.Edit{Path: "systems/supply-chain.yaml", Delete: true})
	cases := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"the same repository twice", []string{"diff", base, base}, 0, "0 added, 0 changed, 0 removed"},
		{"a pull request with a broken file", []string{"diff", base, testrepo.Checkout(t, example, reviewEdits...)}, 1, "ownership moves: 1"},
		{"deleting most entities", []string{"diff", base, emptied}, exitGuard, "the sync would refuse it"},
		{"deleting most entities with allowMassDeletion", []string{"--config", allowAll, "diff", base, emptied}, 0, "allowed, as centralConfig.guard.allowMassDeletion is set"},
		{"deleting two of 89 under a ratio of 0", []string{"--config", refuseAny, "diff", base, oneSystemLess}, exitGuard, "would remove 2 of 89 entities (2%): the sync would refuse it"},
		{"one folder", []string{"diff", base}, exitUsage, "give two folders"},
		{"a missing folder", []string{"diff", base, filepath.Join(base, "nope")}, exitUsage, "HEAD:"},
		{"an unknown format", []string{"diff", "--format", "html", base, base}, exitUsage, "--format must be one of"},
		{"--git without revisions", []string{"diff", "--git", base}, exitUsage, "--git REPO takes --base REV and --head REV"},
		{"revisions without --git", []string{"diff", "--base", "main", base, base}, exitUsage, "without --git give two folders"},
		{"a summary too small to hold the counts", []string{"diff", "--format", "markdown", "--max-bytes", "100", base, base}, exitUsage, "--max-bytes must be at least"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.output) {
				t.Errorf("exit %d, want %d, with %q in:\n%s%s", code, tc.code, tc.output, out, errOut)
			}
		})
	}
}

// TestDiffMarkdownSummaryGolden pins the review summary of reviewEdits;
// docs/config-repo.md shows the same file. Rewrite both with
// go test ./cmd/central-config -run Golden -update.
func TestDiffMarkdownSummaryGolden(t *testing.T) {
	code, out, errOut := runCLI(t, "diff", "--format", "markdown", testrepo.Checkout(t, example), testrepo.Checkout(t, example, reviewEdits...))
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the head has a broken file)\n%s", code, errOut)
	}
	golden := filepath.Join("testdata", "diff-summary.md")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("the summary differs from %s (run with -update if the change is meant):\n%s", golden, out)
	}
	docs, err := os.ReadFile("../../docs/config-repo.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "````markdown\n"+out+"````\n") {
		t.Errorf("docs/config-repo.md does not show the summary of %s in a ````markdown block", golden)
	}
}

// TestDiffReadsTwoRevisionsOfAGitRepository runs --git against the real
// git server, by URL (cloned into memory) and by local path (read in
// place), with branch names and commit SHAs.
func TestDiffReadsTwoRevisionsOfAGitRepository(t *testing.T) {
	srv := gittest.NewServer(t)
	repo := srv.NewRepo("config")
	files := testrepo.Read(t, example)
	baseSHA := repo.Commit("main", files)
	headSHA := repo.Commit("owner-move", map[string]string{
		"services/checkout.yaml": strings.Replace(files["services/checkout.yaml"], "    owner: payments", "    owner: orders", 1),
	})
	authed := strings.Replace(repo.URL, "://", "://x-access-token:"+gittest.Token+"@", 1)
	for _, tc := range []struct{ name, repo, base, head string }{
		{"by URL and branch", authed, "main", "owner-move"},
		{"by URL and SHA", authed, baseSHA, headSHA},
		{"by local path and SHA", repo.Dir(), baseSHA, headSHA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "diff", "--format", "json", "--git", tc.repo, "--base", tc.base, "--head", tc.head)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			if strings.Contains(out+errOut, gittest.Token) {
				t.Fatal("the token is in the output")
			}
			var r review.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if r.Base != baseSHA || r.Head != headSHA {
				t.Errorf("revisions %s..%s, want %s..%s", r.Base, r.Head, baseSHA, headSHA)
			}
			if moves := r.OwnerMoves(); len(moves) != 1 || moves[0].Ref != "component:default/cart-service" {
				t.Errorf("ownership moves %+v", moves)
			}
			// The links the engine gives checkout-service change with its
			// file's revision, not by its author: no field changes.
			i := slices.IndexFunc(r.Changed, func(c review.Change) bool { return c.Ref == "component:default/checkout-service" })
			if i < 0 || len(r.Changed[i].Fields) != 0 {
				t.Errorf("checkout-service, whose file changed but not its content: %+v", r.Changed)
			}
		})
	}
	code, _, errOut := runCLI(t, "diff", "--git", authed, "--base", "main", "--head", "no-such-branch")
	if code != exitUsage || !strings.Contains(errOut, `revision "no-such-branch" not found`) || strings.Contains(errOut, gittest.Token) {
		t.Errorf("an unknown revision: exit %d\n%s", code, errOut)
	}
}

// TestDiffGitHubAnnotatesTheChangedLines checks --format github: a warning
// on the line of each changed entity in its head file, errors for the
// head's new errors, escaped as the runner parses them.
func TestDiffGitHubAnnotatesTheChangedLines(t *testing.T) {
	_, out, _ := runCLI(t, "diff", "--format", "github", testrepo.Checkout(t, example), testrepo.Checkout(t, example, reviewEdits...))
	for _, want := range []string{
		"::warning file=services/checkout.yaml,line=3,col=1,title=central-config diff%3A entity changed::component:default/cart-service changes: spec.owner: group:default/payments → group:default/orders",
		"::notice file=services/checkout.yaml,line=",
		"::warning file=services/checkout.yaml,title=central-config diff%3A entity removed::component:default/fraud-scorer",
		"::warning file=systems/supply-chain.yaml,title=central-config diff%3A entities kept::",
		"::error file=systems/supply-chain.yaml,line=",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

// ownLinks gives legacy-billing its own source-location and edit-url
// annotations; repointLinks moves them elsewhere.
func ownLinks(repo string) testrepo.Edit {
	return testrepo.Edit{Path: "native/legacy-billing/catalog-info.yaml", Old: "  title: Legacy billing\n",
		New: "  title: Legacy billing\n  annotations:\n    backstage.io/source-location: url:https://git.acme.example/billing/" + repo + "/\n" +
			"    backstage.io/edit-url: https://git.acme.example/billing/" + repo + "/edit/main/pom.xml\n"}
}

// TestDiffShowsAnAuthorsOwnLinks repoints an author's source-location and
// edit-url (where TechDocs and dir: refs read from): the engine publishes
// them as written, so every format shows the change.
func TestDiffShowsAnAuthorsOwnLinks(t *testing.T) {
	base := testrepo.Checkout(t, example, ownLinks("legacy-billing"))
	head := testrepo.Checkout(t, example, ownLinks("billing-fork"))
	wants := map[string][]string{
		"text": {"~ component:default/legacy-billing",
			"metadata.annotations.backstage.io/source-location: url:https://git.acme.example/billing/legacy-billing/ → url:https://git.acme.example/billing/billing-fork/",
			"metadata.annotations.backstage.io/edit-url: https://git.acme.example/billing/legacy-billing/edit/main/pom.xml → https://git.acme.example/billing/billing-fork/edit/main/pom.xml"},
		"markdown": {"- changed `component:default/legacy-billing` in `native/legacy-billing/catalog-info.yaml:5`",
			"`metadata.annotations.backstage.io/source-location: url:https://git.acme.example/billing/legacy-billing/ → url:https://git.acme.example/billing/billing-fork/`"},
		"github": {"::warning file=native/legacy-billing/catalog-info.yaml,line=5,col=1,title=central-config diff%3A entity changed::component:default/legacy-billing changes: metadata.annotations.backstage.io/edit-url",
			"metadata.annotations.backstage.io/source-location: url:https://git.acme.example/billing/legacy-billing/ → url:https://git.acme.example/billing/billing-fork/"},
	}
	for format, want := range wants {
		code, out, errOut := runCLI(t, "diff", "--format", format, base, head)
		if code != 0 {
			t.Fatalf("--format %s: exit %d\n%s", format, code, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("--format %s: no %q in:\n%s", format, w, out)
			}
		}
	}
}

// TestNamesCannotInjectWorkflowCommands adds a file whose name holds a
// newline and GitHub Actions workflow commands (::stop-commands:: would
// silence every later annotation, ::error:: would fake one): no line of
// diff's or validate's output, in any format but json, starts with them;
// the name is printed quoted.
func TestNamesCannotInjectWorkflowCommands(t *testing.T) {
	evil := "services/x\n::stop-commands::tok\n::error::injected %0A.yaml"
	base := testrepo.Checkout(t, example)
	head := testrepo.Checkout(t, example,
		testrepo.Edit{Path: evil, New: "apiVersion: central-config.io/v1\nservices:\n  - name: injected\n    owner: payments\n    system: checkout\n"},
		testrepo.Edit{Path: "services/broken\r::error::x.yaml", New: "apiVersion: central-config.io/v1\nservices: [\n"},
		testrepo.Edit{Path: "notes\n::error::ignored.txt", New: "not config\n"})
	for _, args := range [][]string{
		{"diff", base, head}, {"diff", "--format", "github", base, head}, {"diff", "--format", "markdown", base, head},
		{"validate", head}, {"validate", "--format", "github", head}, {"validate", "--verbose", head},
	} {
		code, out, errOut := runCLI(t, args...)
		if code == exitUsage {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
		for _, line := range strings.FieldsFunc(out+errOut, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if strings.HasPrefix(line, "::stop-commands::") || strings.HasPrefix(line, "::error::") {
				t.Errorf("%v: an injected workflow command %q in:\n%s", args, line, out)
			}
		}
		quoted := `"services/x\n::stop-commands::tok\n::error::injected %0A.yaml"`
		if args[0] == "validate" {
			quoted = `"services/broken\r::error::x.yaml":2:`
		}
		if args[1] != "--format" && !strings.Contains(out, quoted) {
			t.Errorf("%v: the name is not printed quoted (%s):\n%s", args, quoted, out)
		}
	}
}
