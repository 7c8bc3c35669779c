package mapping

import (
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// component is a native entity whose spec ends with extra, written at
// line 9.
func component(name, extra string) string {
	return "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: " + name +
		"\nspec:\n  type: service\n  lifecycle: production\n  owner: payments\n" + extra
}

// wantOnly checks that file failed with one diagnostic at line:column, and
// that the team file beside it was still mapped.
func wantOnly(t *testing.T, res *Result, file string, line, column int, code string, fragments ...string) {
	t.Helper()
	var got []diag.Diagnostic
	for _, d := range res.Diagnostics {
		if d.File == file {
			got = append(got, d)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one diagnostic in %s, got %v", file, got)
	}
	d := got[0]
	if d.Severity != diag.Error || d.Code != code || d.Line != line || d.Column != column {
		t.Fatalf("got %v, want a %s error at %d:%d", d, code, line, column)
	}
	for _, f := range fragments {
		if !strings.Contains(d.Message, f) {
			t.Fatalf("%v does not mention %q", d, f)
		}
	}
	if byName(res)["group:default/payments"] == nil {
		t.Fatalf("the good file beside %s was not mapped: %v", file, res.Diagnostics)
	}
}

// TestAliasedStringFailsItsFileInBoundedMemory maps a 1.1 MB file whose
// 1 MB string is aliased 10x10x10 times into an entity: it once became a
// 1 GB entity and killed the engine while hashing it.
func TestAliasedStringFailsItsFileInBoundedMemory(t *testing.T) {
	bomb := component("bomb", "  big: &a "+strings.Repeat("x", 1<<20)+"\n"+
		"  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"+
		"  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"+
		"  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n")
	snap := snapshot(map[string]string{"bomb.yaml": bomb, "teams/payments.yaml": team})
	var res *Result
	bytes := allocated(func() {
		res = Map(snap, Options{Compact: true, Limits: document.Limits{MaxFileBytes: 2 << 20}})
	})
	wantOnly(t, res, "bomb.yaml", 11, 10, diag.CodeAliasLimit, "limits.maxExpandedBytes")
	if bytes > 100<<20 {
		t.Fatalf("mapping allocated %d MB", bytes>>20)
	}
}

// TestEntityAtTheByteLimitPasses checks the entity limit at its bound: an
// entity exactly as large as limits.maxEntityBytes, as JSON, is published,
// one a byte larger is an error at the entity.
func TestEntityAtTheByteLimitPasses(t *testing.T) {
	files := map[string]string{"a.yaml": component("a", "  notes: '"+strings.Repeat("<é\"", 100)+"'\n"), "teams/payments.yaml": team}
	res := Map(snapshot(files), Options{})
	e := byName(res)["component:default/a"]
	if e == nil {
		t.Fatal(res.Diagnostics)
	}
	size := len(e.JSON())
	res = Map(snapshot(files), Options{Limits: document.Limits{MaxEntityBytes: size}})
	if byName(res)["component:default/a"] == nil {
		t.Fatalf("an entity of %d bytes with a limit of %d: %v", size, size, res.Diagnostics)
	}
	res = Map(snapshot(files), Options{Limits: document.Limits{MaxEntityBytes: size - 1}})
	wantOnly(t, res, "a.yaml", 1, 1, diag.CodeTooLarge, strconv.Itoa(size-1), "limits.maxEntityBytes")
}

// TestPlaceholderTargetsAreBounded maps a 2.6 KB file with 100 $text of a
// 40 MB file: it once became a 4 GB entity. A target larger than
// limits.maxFileBytes is one error, at the first placeholder.
func TestPlaceholderTargetsAreBounded(t *testing.T) {
	copies := component("copies", "  docs:\n"+strings.Repeat("    - {$text: big.txt}\n", 100))
	files := map[string]string{"copies.yaml": copies, "big.txt": strings.Repeat("x", 40<<20), "teams/payments.yaml": team}
	snap := snapshot(files)
	var res *Result
	bytes := allocated(func() { res = Map(snap, Options{Compact: true}) })
	wantOnly(t, res, "copies.yaml", 10, 15, diag.CodeTooLarge, `"big.txt"`, "41943040 bytes", "limits.maxFileBytes")
	if bytes > 50<<20 {
		t.Fatalf("mapping allocated %d MB", bytes>>20)
	}

	// A source does not read a file over the limit: the placeholder says
	// why the target is missing.
	delete(files, "big.txt")
	snap = snapshot(files)
	snap.TooLarge("big.txt", 40<<20, 4<<20)
	wantOnly(t, Map(snap, Options{}), "copies.yaml", 10, 15, diag.CodeTooLarge, `"big.txt"`, "41943040 bytes", "limits.maxFileBytes")

	// At the bound.
	lim := document.Limits{MaxFileBytes: 1000}
	files = map[string]string{"a.yaml": component("a", "  doc: {$text: t.txt}\n"), "t.txt": strings.Repeat("x", 1000), "teams/payments.yaml": team}
	if res := Map(snapshot(files), Options{Limits: lim}); len(res.Diagnostics) != 0 {
		t.Fatalf("a target of 1000 bytes with maxFileBytes 1000: %v", res.Diagnostics)
	}
	files["t.txt"] += "x"
	wantOnly(t, Map(snapshot(files), Options{Limits: lim}), "a.yaml", 9, 16, diag.CodeTooLarge, "1001 bytes", "limits.maxFileBytes")
}

// TestPlaceholdersCountTowardsTheEntityAndFileLimits checks that what
// $text, $json and $yaml read counts towards limits.maxEntityBytes, at the
// placeholder that passes it, and towards limits.maxExpandedBytes across
// the entities of a file.
func TestPlaceholdersCountTowardsTheEntityAndFileLimits(t *testing.T) {
	targets := map[string]string{
		"t.txt":     strings.Repeat("x", 1000),
		"t.json":    `{"a": "` + strings.Repeat("x", 1000) + `"}`,
		"t.yaml":    "a: &a " + strings.Repeat("x", 1000) + "\nb: *a\n",
		"bomb.yaml": "a: &a " + strings.Repeat("x", 1000) + "\nb: [*a, *a, *a]\n",
	}
	tests := []struct {
		name, extra  string
		lim          document.Limits
		line, column int
		code         string
		fragments    []string
	}{
		{"$text", "  a: {$text: t.txt}\n  b: {$text: t.txt}\n  c: {$text: t.txt}\n", document.Limits{MaxEntityBytes: 2600},
			11, 14, diag.CodeTooLarge, []string{`$text "t.txt"`, "limits.maxEntityBytes"}},
		{"$json", "  a: {$text: t.txt}\n  b: {$json: t.json}\n", document.Limits{MaxEntityBytes: 2000},
			10, 14, diag.CodeTooLarge, []string{`$json "t.json"`, "limits.maxEntityBytes"}},
		{"$yaml counts aliases expanded", "  a: {$yaml: t.yaml}\n", document.Limits{MaxEntityBytes: 2000},
			9, 14, diag.CodeTooLarge, []string{`$yaml "t.yaml"`, "limits.maxEntityBytes"}},
		{"$yaml is decoded within the limits", "  a: {$yaml: bomb.yaml}\n", document.Limits{MaxExpandedBytes: 2500},
			9, 14, diag.CodePlaceholder, []string{`$yaml "bomb.yaml"`, "limits.maxExpandedBytes"}},
		{"placeholders of a file", "  a: {$text: t.txt}\n---\n" + component("b", "  a: {$text: t.txt}\n"), document.Limits{MaxExpandedBytes: 1500},
			19, 14, diag.CodeTooLarge, []string{`$text "t.txt"`, "limits.maxExpandedBytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"a.yaml": component("a", tt.extra), "teams/payments.yaml": team}
			for p, c := range targets {
				files[p] = c
			}
			wantOnly(t, Map(snapshot(files), Options{Limits: tt.lim}), "a.yaml", tt.line, tt.column, tt.code, tt.fragments...)
		})
	}
}
