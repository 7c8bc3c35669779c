package document

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
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

// TestDeepNestingFailsOnTheDepthLimitInBoundedMemory decodes files of
// 100,000 nested flow lists or maps: the depth limit must hold before any
// parser allocates per level (a second YAML parser once took 15 GB here).
func TestDeepNestingFailsOnTheDepthLimitInBoundedMemory(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name, file, src string
		line, column    int
	}{
		{"flow lists", "a.yaml", "x: " + strings.Repeat("[", n) + strings.Repeat("]", n), 1, 68},
		{"flow maps", "a.yaml", "x: " + strings.Repeat("{a: ", n) + "1" + strings.Repeat("}", n), 1, 4 + 4*64},
		{"flow lists on later lines", "a.yaml", "a: 1\n# [[[ not counted\ns: '[[[[['\nx:\n  - " + strings.Repeat("[", n), 5, 68},
		{"a quote inside a flow scalar is text", "a.yaml", "x: [a 'b, " + strings.Repeat("[", n), 1, 74},
		{"indented maps", "a.yaml", indented(100), 66, 131},
		{"compact block lists", "a.yaml", "x:\n" + strings.Repeat("- ", n) + "1\n", 2, 1 + 2*64},
		{"JSON lists", "a.json", `{"x": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + "}", 1, 71},
		{"JSON maps", "a.json", `{"x": ` + strings.Repeat(`{"a": `, n) + "1" + strings.Repeat("}", n) + "}", 1, 7 + 6*64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *diag.Diagnostic
			bytes := allocated(func() { _, d = Decode(tt.file, []byte(tt.src), Limits{MaxFileBytes: 1 << 20}) })
			if d == nil || d.Code != diag.CodeDepthLimit || !strings.Contains(d.Message, "limits.maxDepth") {
				t.Fatalf("got %v, want a depth-limit error", d)
			}
			if d.Line != tt.line || d.Column != tt.column {
				t.Fatalf("got %d:%d, want %d:%d: %v", d.Line, d.Column, tt.line, tt.column, d)
			}
			if bytes > 50<<20 {
				t.Fatalf("decoding allocated %d MB, want well under 50", bytes>>20)
			}
		})
	}
}

// TestParserDepthErrorSkipsTheSecondParser checks that when the YAML
// parser gives up on depth, the error is a depth-limit one and the second
// parser, which has no depth bound, is not run.
func TestParserDepthErrorSkipsTheSecondParser(t *testing.T) {
	src := []byte("x: " + strings.Repeat("{a: ", 100_000))
	var d *diag.Diagnostic
	bytes := allocated(func() {
		d = yamlSyntaxError("a.yaml", src, errors.New("yaml: exceeded max depth of 10000"), DefaultLimits)
	})
	if d.Code != diag.CodeDepthLimit || !strings.Contains(d.Message, "limits.maxDepth") {
		t.Fatalf("got %v, want a depth-limit error", d)
	}
	if bytes > 1<<20 {
		t.Fatalf("allocated %d bytes: the second parser ran", bytes)
	}
}

// indented returns n maps nested by indentation.
func indented(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat("  ", i) + "a:\n")
	}
	return b.String()
}

// TestNestingAtTheDepthLimitPasses checks the bound: exactly maxDepth
// levels decode, one more does not.
func TestNestingAtTheDepthLimitPasses(t *testing.T) {
	for _, file := range []string{"a.yaml", "a.json"} {
		// The top-level map is level 0; k lists nest k levels inside it.
		for _, k := range []int{8, 9} {
			src := `{"x": ` + strings.Repeat("[", k) + strings.Repeat("]", k) + "}"
			_, d := Decode(file, []byte(src), Limits{MaxDepth: 8})
			if k == 8 && d != nil {
				t.Fatalf("%s: %d levels with maxDepth 8: %v", file, k, d)
			}
			if k == 9 && (d == nil || d.Code != diag.CodeDepthLimit) {
				t.Fatalf("%s: %d levels with maxDepth 8: got %v, want depth-limit", file, k, d)
			}
		}
	}
}

// TestDepthScanIgnoresBracketsInScalarsAndComments checks that brackets in
// quoted and plain scalars, block scalars and comments are not nesting.
func TestDepthScanIgnoresBracketsInScalarsAndComments(t *testing.T) {
	deep := strings.Repeat("[", 80)
	src := "a: '" + deep + "'\nb: \"" + deep + `\"` + "\"\nc: x" + deep + "\n# " + deep + "\nd: |\n  " + deep + "\n  " + deep + "\ne: [x, '" + deep + "', {f: g}] # " + deep + "\n"
	docs, d := Decode("a.yaml", []byte(src), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	if got := docs[0].Root.Get("d").Str; got != deep+"\n"+deep+"\n" {
		t.Fatalf("d = %q", got)
	}
}

// TestBadBytesAreReportedWhereTheyAre checks that invalid UTF-8 and
// control characters are reported at their line and column, not at 1:1.
func TestBadBytesAreReportedWhereTheyAre(t *testing.T) {
	tests := []struct {
		name, file, src string
		line, column    int
		msg             string
	}{
		{"invalid UTF-8", "a.yaml", "a: 1\nb: 2\nc: 3\nd: café \xe9\ne: \x00\n", 4, 9, "invalid UTF-8"},
		{"a NUL byte", "a.yaml", "a: 1\nb: 2\nc: 3\nd: 4\ne: x\x00\n", 5, 5, "control character U+0000"},
		{"a NUL byte in JSON", "a.json", "{\n  \"a\": 1,\n  \"b\": \"x\x00\"\n}", 3, 10, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := Decode(tt.file, []byte(tt.src), Limits{})
			if d == nil || d.Code != diag.CodeParse || !strings.Contains(d.Message, tt.msg) {
				t.Fatalf("got %v, want a parse error with %q", d, tt.msg)
			}
			if d.Line != tt.line || d.Column != tt.column {
				t.Fatalf("got %d:%d, want %d:%d: %v", d.Line, d.Column, tt.line, tt.column, d)
			}
		})
	}
}

// TestAliasesOfALongStringFailOnTheExpandedSize decodes a 1.1 MB file
// whose 1 MB string is aliased 10x10x10 times: a gigabyte once expanded,
// though it holds few values. The error names the alias being expanded.
func TestAliasesOfALongStringFailOnTheExpandedSize(t *testing.T) {
	src := "a: &a " + strings.Repeat("x", 1<<20) + "\n" +
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
		"d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	var d *diag.Diagnostic
	bytes := allocated(func() { _, d = Decode("a.yaml", []byte(src), Limits{MaxFileBytes: 2 << 20}) })
	if d == nil || d.Code != diag.CodeAliasLimit || !strings.Contains(d.Message, "limits.maxExpandedBytes") {
		t.Fatalf("got %v, want an alias-limit error naming limits.maxExpandedBytes", d)
	}
	// a and b hold 11 MB; the first *b of c passes 16 MiB.
	if d.Line != 3 || d.Column != 8 {
		t.Fatalf("got %d:%d, want the alias at 3:8: %v", d.Line, d.Column, d)
	}
	if bytes > 50<<20 {
		t.Fatalf("decoding allocated %d MB", bytes>>20)
	}
}

// TestExpandedSizeAtTheLimitPasses checks the bound, and that it counts
// every document of a file together.
func TestExpandedSizeAtTheLimitPasses(t *testing.T) {
	// Keys a and b, and three times ten x: 32 bytes.
	src := "a: &a xxxxxxxxxx\nb: [*a, *a]\n"
	if _, d := Decode("a.yaml", []byte(src), Limits{MaxExpandedBytes: 32}); d != nil {
		t.Fatalf("32 bytes with a limit of 32: %v", d)
	}
	_, d := Decode("a.yaml", []byte(src), Limits{MaxExpandedBytes: 31})
	if d == nil || d.Code != diag.CodeAliasLimit || d.Line != 2 || d.Column != 9 {
		t.Fatalf("32 bytes with a limit of 31: got %v, want alias-limit at the second alias, 2:9", d)
	}
	if _, d := Decode("a.yaml", []byte(src+"---\n"+src), Limits{MaxExpandedBytes: 63}); d == nil || d.Line != 5 {
		t.Fatalf("two documents of 32 bytes with a limit of 63: got %v, want an error in the second", d)
	}
}
