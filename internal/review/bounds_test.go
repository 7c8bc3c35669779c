package review

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

// renamedRepo is a generated repository of n entities before and after a
// change that renames every entity: thousands of entities added and
// removed, and as many dangling refs.
func renamedRepo(n int) (base, head *source.Snapshot) {
	files := testrepo.Generate(n)
	renamed := make([]source.File, len(files))
	for i, f := range files {
		c := strings.ReplaceAll(string(f.Content), "  - name: ", "  - name: renamed-")
		renamed[i] = source.File{Path: f.Path, Content: []byte(c)}
	}
	return &source.Snapshot{Revision: "base", Files: files}, &source.Snapshot{Revision: "head", Files: renamed}
}

var leftOut = regexp.MustCompile(`(?m)^_(\d+) more lines? left out to keep this summary under (\d+) bytes`)

// items counts a summary's list lines.
func items(md string) int {
	n := 0
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "- ") {
			n++
		}
	}
	return n
}

func TestAHugeSummaryIsCutToSizeAndSaysWhatItLeftOut(t *testing.T) {
	base, head := renamedRepo(3000)
	r := Compare(base, head, defaultOptions())
	if r.Counts.Added < 2000 || r.Counts.Removed < 2000 || !r.Guard.Refused {
		t.Fatalf("the generated change is not huge: %+v, guard %+v", r.Counts, r.Guard)
	}
	full := r.Markdown(1 << 30)
	if leftOut.MatchString(full) || len(full) <= MaxComment {
		t.Fatalf("the unbounded summary (%d bytes) should hold everything and be past %d bytes", len(full), MaxComment)
	}
	all := items(full)
	for _, limit := range []int{MinMarkdown, MaxComment, 1 << 20} {
		md := r.Markdown(limit)
		if len(md) > limit || utf8.RuneCountInString(md) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(md))
		}
		m := leftOut.FindStringSubmatch(md)
		if m == nil {
			t.Errorf("limit %d: no line says what was left out:\n%s", limit, md[max(0, len(md)-300):])
			continue
		}
		omitted, _ := strconv.Atoi(m[1])
		if shown := items(md); shown+omitted != all {
			t.Errorf("limit %d: %d lines shown + %d left out, want %d in all", limit, shown, omitted, all)
		}
		if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
			t.Errorf("limit %d: a <details> block is left open", limit)
		}
		// The counts and the verdict come first, whatever the size.
		if !strings.Contains(md, "| "+strconv.Itoa(r.Counts.Added)+" |") || !strings.Contains(md, "the sync would refuse it") {
			t.Errorf("limit %d: the counts or the verdict are missing", limit)
		}
	}
}

func TestTheMarkdownShowsUserTextAsCodeOnly(t *testing.T) {
	for _, s := range []string{"plain", "a `tick`", "``", "<script>alert(1)</script>", "line\nbreak", " space "} {
		got := code(s)
		fence := got[:strings.IndexFunc(got, func(r rune) bool { return r != '`' })]
		inner := strings.TrimSuffix(strings.TrimPrefix(got, fence), fence)
		if strings.Contains(inner, fence) || strings.ContainsAny(got, "\r\n") {
			t.Errorf("code(%q) = %q: the text can close its code span or break the line", s, got)
		}
	}
}

// FuzzCompare compares a base and a head file of any content: Compare
// must not panic, its counts agree with its lists, the summary stays in
// its bound, and every GitHub annotation stays on one line.
func FuzzCompare(f *testing.F) {
	base, head := renamedRepo(20)
	f.Add("catalog.yaml", base.Files[0].Content, head.Files[0].Content)
	f.Add("catalog.yaml", []byte("apiVersion: central-config.io/v1\nservices:\n  - name: a\n    owner: t\n"), []byte("apiVersion: central-config.io/v1\nservices:\n  - name: a\n    owner: u\n    dependsOn: [b]\n"))
	f.Add("catalog.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {owner: t, type: service, lifecycle: production}\n"), []byte("{"))
	// Names that would inject workflow commands or escapes: a path with
	// a newline, ::, % and a CR; a removed entity and a failing file in
	// it; an annotation key and a title with them.
	native := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  title: \"a\\n::error::t %0A\"\n  annotations: {\"k\\n::stop-commands::s\": \"v\\r::warning::w\"}\nspec: {owner: t, type: service, lifecycle: production}\n"
	f.Add("a\n::stop-commands::x\n::error::y %25 %0A.yaml", []byte(native), []byte("{"))
	f.Add("a\r::error file=b,line=1::c.yaml", []byte(native), []byte(strings.Replace(native, "v\\r", "w\\n", 1)))
	f.Add("%0A::notice::n.yaml", []byte(native), []byte(""))
	f.Fuzz(func(t *testing.T, path string, b, h []byte) {
		if path == "" {
			path = "catalog.yaml"
		}
		r := Compare(&source.Snapshot{Revision: "b", Files: []source.File{{Path: path, Content: b}}},
			&source.Snapshot{Revision: "h", Files: []source.File{{Path: path, Content: h}}}, defaultOptions())
		if r.Counts.Added != len(r.Added) || r.Counts.Changed != len(r.Changed) || r.Counts.Removed != len(r.Removed) {
			t.Fatalf("counts %+v disagree with the lists", r.Counts)
		}
		if md := r.Markdown(MinMarkdown); len(md) > MinMarkdown {
			t.Fatalf("summary of %d bytes, limit %d", len(md), MinMarkdown)
		}
		var out bytes.Buffer
		r.GitHub(&out)
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		for _, line := range lines[:len(lines)-2] {
			if !strings.HasPrefix(line, "::") || strings.Contains(line, "\r") {
				t.Fatalf("not one workflow command: %q", line)
			}
		}
		// The text report is for people: no line of it is a workflow
		// command, nor holds a control character (a name is quoted).
		out.Reset()
		r.Text(&out)
		for line := range strings.Lines(out.String()) {
			line = strings.TrimSuffix(line, "\n")
			if strings.HasPrefix(line, "::") || strings.IndexFunc(line, unicode.IsControl) >= 0 {
				t.Fatalf("text line %q", line)
			}
		}
	})
}
