package syncer

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/store"
)

// TestEveryFailureReasonIsInTroubleshooting reads the reasons a run can
// fail with from the syncer's source files (the text before the first ": " or
// verb) and checks docs/troubleshooting.md explains each, so a new reason
// cannot ship unexplained; and that its table lists every reason code.
func TestEveryFailureReasonIsInTroubleshooting(t *testing.T) {
	doc, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	reasons := map[string]bool{ErrLocked.Error(): true}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`reason: "([^"]+)"`),
		regexp.MustCompile(`storeFailure\("([^"]+)"`),
		regexp.MustCompile(`Reason: "([^"]+)"`),
		regexp.MustCompile(`reason, wait = "([^"]+)"`),
		regexp.MustCompile(`fmt\.Sprintf\("(refused: [^%"]+)`),
	} {
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			reasons[strings.TrimSpace(m[1])] = true
		}
	}
	if len(reasons) < 5 {
		t.Fatalf("found only %v", reasons)
	}
	for reason := range reasons {
		if !strings.Contains(string(doc), "`"+reason) {
			t.Errorf("failure reason %q is not in docs/troubleshooting.md", reason)
		}
	}
	for _, code := range store.ReasonCodes {
		if !strings.Contains(string(doc), "| `"+string(code)+"` |") {
			t.Errorf("reason code %q is not in the table of docs/troubleshooting.md", code)
		}
	}
}
