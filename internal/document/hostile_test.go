package document

import (
	"errors"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/memtest"
)

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
			bytes := memtest.Allocated(func() { _, d = Decode(tt.file, []byte(tt.src), Limits{MaxFileBytes: 1 << 20}) })
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
	bytes := memtest.Allocated(func() {
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

// TestNestingAtTheDepthLimitPasses checks the bound at its edge. The
// top-level value is at depth 0 and no value may be deeper than maxDepth:
// with maxDepth 8, the top-level map and 8 lists inside it decode when the
// innermost list is empty, and not when it holds a value (at depth 9), nor
// with a 9th list. The byte scan counts collections only: it refuses the
// 9th list, at its bracket, and lets the value in the 8th list through to
// the converter (the JSON decoder for JSON), which refuses it at that
// value. Together the bound is exact.
func TestNestingAtTheDepthLimitPasses(t *testing.T) {
	for _, file := range []string{"a.yaml", "a.json"} {
		tests := []struct {
			lists  int
			inside string
			column int // of the error, 0 for none
		}{
			{8, "", 0},
			{7, "1", 0},
			{8, "1", 15},
			{9, "", 15},
			{7, "{}", 0},
			{8, "{}", 15},
		}
		for _, tt := range tests {
			src := `{"x": ` + strings.Repeat("[", tt.lists) + tt.inside + strings.Repeat("]", tt.lists) + "}"
			_, d := Decode(file, []byte(src), Limits{MaxDepth: 8})
			if tt.column == 0 && d != nil {
				t.Fatalf("%s: %s with maxDepth 8: %v", file, src, d)
			}
			if tt.column != 0 && (d == nil || d.Code != diag.CodeDepthLimit || d.Line != 1 || d.Column != tt.column) {
				t.Fatalf("%s: %s with maxDepth 8: got %v, want depth-limit at 1:%d", file, src, d, tt.column)
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
	bytes := memtest.Allocated(func() { _, d = Decode("a.yaml", []byte(src), Limits{MaxFileBytes: 2 << 20}) })
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

// breaks are the line breaks YAML files are written with, besides "\n":
// yaml.v3 counts each as one line (and so do NEL, LS and PS).
var breaks = []struct{ name, nl string }{
	{"CR", "\r"}, {"CRLF", "\r\n"}, {"NEL", "\u0085"}, {"LS", "\u2028"}, {"PS", "\u2029"},
}

// TestDepthScanCountsEveryLineBreak decodes the deep-nesting files written
// with each line break: the scan once looked only for "\n", so with "\r"
// line endings it skipped everything after the first line as one plain
// scalar, the YAML parser nested up to its own cap, and the error came
// without a position. Each must fail where the "\n" file fails, in bounded
// memory.
func TestDepthScanCountsEveryLineBreak(t *testing.T) {
	const n = 100_000
	tests := []struct {
		name, src    string
		line, column int
	}{
		{"flow lists on later lines", "a: 1\n# [[[ not counted\ns: '[[[[['\nx:\n  - " + strings.Repeat("[", n), 5, 68},
		{"flow lists after a multi-line quoted scalar", "a: 'x\n  [[[['\nb: \"y\\\n  [[[\"\nc: [x, '\n [[', # [[[\n  d]\nx: " + strings.Repeat("[", n), 8, 68},
		{"indented maps", indented(100), 66, 131},
		{"compact block lists", "x:\n" + strings.Repeat("- ", n) + "1\n", 2, 1 + 2*64},
		{"a block scalar", "a: |\n  [[[[\n\n  [[[[\nx: " + strings.Repeat("[", n), 5, 68},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := Decode("a.yaml", []byte(tt.src), Limits{MaxFileBytes: 1 << 20})
			if d == nil || d.Code != diag.CodeDepthLimit || d.Line != tt.line || d.Column != tt.column {
				t.Fatalf(`with "\n": got %v, want depth-limit at %d:%d`, d, tt.line, tt.column)
			}
			for _, br := range breaks {
				src := []byte(strings.ReplaceAll(tt.src, "\n", br.nl))
				bytes := memtest.Allocated(func() { _, d = Decode("a.yaml", src, Limits{MaxFileBytes: 1 << 20}) })
				if d == nil || d.Code != diag.CodeDepthLimit || !strings.Contains(d.Message, "limits.maxDepth") {
					t.Fatalf("%s: got %v, want a depth-limit error", br.name, d)
				}
				if d.Line != tt.line || d.Column != tt.column {
					t.Fatalf("%s: got %d:%d, want %d:%d: %v", br.name, d.Line, d.Column, tt.line, tt.column, d)
				}
				if bytes > 10<<20 {
					t.Fatalf("%s: decoding allocated %d MB, want well under 10", br.name, bytes>>20)
				}
			}
		})
	}
}

// TestPositionsCountEveryLineBreak checks that bad bytes, syntax errors
// and depth errors in files with "\r" or "\r\n" line breaks (and, but for
// syntax errors, the others yaml.v3 knows) are reported at the line and
// column they have with "\n", which is where yaml.v3 counts them too.
func TestPositionsCountEveryLineBreak(t *testing.T) {
	tests := []struct {
		name, src    string
		line, column int
		// syntax: the column comes from the second parser, or the
		// first's line, for CR and CRLF only.
		syntax bool
	}{
		{"invalid UTF-8", "a: 1\nb: 2\nc: 3\nd: café \xe9\ne: \x00\n", 4, 9, false},
		{"a NUL byte", "a: 1\nb: 2\nc: 3\nd: 4\ne: x\x00\n", 5, 5, false},
		{"deeper than the limit", "a:\n  - b: [[[[[[[[[[[\n", 2, 14, false},
		{"a scalar deeper than the limit", "a:\n  b:\n    c:\n      - [[[[[1]]]]]\n", 4, 14, false},
		{"a syntax error", "a: 1\nb: [1, 2\nc: 3\n", 3, 1, true},
		{"a bad indentation", "metadata:\n  name: x\n   owner: y\n", 3, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, br := range append([]struct{ name, nl string }{{"LF", "\n"}}, breaks...) {
				if tt.syntax && br.name != "LF" && br.name != "CR" && br.name != "CRLF" {
					continue
				}
				src := strings.ReplaceAll(tt.src, "\n", br.nl)
				_, d := Decode("a.yaml", []byte(src), Limits{MaxDepth: 8})
				if d == nil || d.Line != tt.line || d.Column != tt.column {
					t.Fatalf("%s: got %v, want an error at %d:%d", br.name, d, tt.line, tt.column)
				}
			}
		})
	}
	// JSON knows "\n", "\r\n" and "\r".
	for _, nl := range []string{"\n", "\r\n", "\r"} {
		src := strings.ReplaceAll("{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}\n", "\n", nl)
		if _, d := Decode("a.json", []byte(src), Limits{}); d == nil || d.Line != 4 || d.Column != 3 {
			t.Fatalf("JSON with %q: got %v, want an error at 4:3", nl, d)
		}
		src = strings.ReplaceAll("{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n", "\n", nl)
		docs, d := Decode("a.json", []byte(src), Limits{})
		if d != nil || docs[0].Root.Get("b").Get("c").Pos != (Pos{3, 14}) {
			t.Fatalf("JSON with %q: %v, c at %+v, want 3:14", nl, d, docs[0].Root.Get("b").Get("c").Pos)
		}
	}
}
