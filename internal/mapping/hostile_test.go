package mapping

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/memtest"
)

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
	bytes := memtest.Allocated(func() {
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
	// A compact mapping (the engine's) measures the entity as it encodes it.
	for _, compact := range []bool{false, true} {
		res = Map(snapshot(files), Options{Compact: compact, Limits: document.Limits{MaxEntityBytes: size}})
		if e := byName(res)["component:default/a"]; e == nil || len(e.JSON()) != size {
			t.Fatalf("compact %v: an entity of %d bytes with a limit of %d: %v", compact, size, size, res.Diagnostics)
		}
		res = Map(snapshot(files), Options{Compact: compact, Limits: document.Limits{MaxEntityBytes: size - 1}})
		wantOnly(t, res, "a.yaml", 1, 1, diag.CodeTooLarge, fmt.Sprintf("entity is %d bytes as JSON, more than the limit of %d", size, size-1), "limits.maxEntityBytes")
	}
}

// TestPlaceholderTargetsAreBounded maps a 2.6 KB file with 100 $text of a
// 40 MB file: it once became a 4 GB entity. A target larger than
// limits.maxFileBytes is one error, at the first placeholder.
func TestPlaceholderTargetsAreBounded(t *testing.T) {
	copies := component("copies", "  docs:\n"+strings.Repeat("    - {$text: big.txt}\n", 100))
	files := map[string]string{"copies.yaml": copies, "big.txt": strings.Repeat("x", 40<<20), "teams/payments.yaml": team}
	snap := snapshot(files)
	var res *Result
	bytes := memtest.Allocated(func() { res = Map(snap, Options{Compact: true}) })
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

// docs returns a file of n native Components, c<from>..., separated by
// "---": the extra spec line of the i-th is at line 9+10*i.
func docs(from, n int, extra string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(component("c"+strconv.Itoa(from+i), extra))
	}
	return b.String()
}

// TestPlaceholderTargetIsDecodedOncePerMap maps files of many entities
// that all read the same $yaml target, too large for any of them: each
// placeholder once decoded the target again (a failed one takes no room,
// so nothing stopped the next), and a 16 KB file of 100 of them with a
// 3.9 MB target took 17 s to validate; a 1 MB file passed the run's
// timeout. Mapping them must cost about one decode of the target, spread
// over files mapped by several workers, and each placeholder must still
// get its error at its line.
func TestPlaceholderTargetIsDecodedOncePerMap(t *testing.T) {
	big := "items:\n" + strings.Repeat("  - a list item of the target, long enough to count\n", 6000)
	lim := document.Limits{MaxEntityBytes: 64 << 10}
	const files, perFile = 4, 25
	cost := func(files, perFile int) (uint64, *Result) {
		m := map[string]string{"big.yaml": big, "teams/payments.yaml": team}
		for f := range files {
			m["c"+strconv.Itoa(f)+".yaml"] = docs(f*perFile, perFile, "  big: {$yaml: big.yaml}\n")
		}
		snap := snapshot(m)
		var res *Result
		bytes := memtest.Allocated(func() { res = Map(snap, Options{Compact: true, Workers: 2, Limits: lim}) })
		return bytes, res
	}
	one, _ := cost(1, 1)
	many, res := cost(files, perFile)
	for f := range files {
		file := "c" + strconv.Itoa(f) + ".yaml"
		var got []diag.Diagnostic
		for _, d := range res.Diagnostics {
			if d.File == file {
				got = append(got, d)
			}
		}
		if len(got) != perFile {
			t.Fatalf("%s: %d diagnostics, want one per entity (%d): %v", file, len(got), perFile, got)
		}
		for i, d := range got {
			if d.Code != diag.CodeTooLarge || d.Line != 9+10*i || d.Column != 16 || !strings.Contains(d.Message, `$yaml "big.yaml"`) || !strings.Contains(d.Message, "limits.maxEntityBytes") {
				t.Fatalf("%s, entity %d: got %v, want too-large at %d:16 naming the placeholder", file, i, d, 9+10*i)
			}
		}
	}
	if byName(res)["group:default/payments"] == nil {
		t.Fatalf("the good file was not mapped: %v", res.Diagnostics)
	}
	t.Logf("one entity: %d KB; %d entities: %d KB", one>>10, files*perFile, many>>10)
	if many > 3*one {
		t.Fatalf("%d entities reading one target allocated %d KB, one entity %d KB: the target is decoded again for each", files*perFile, many>>10, one>>10)
	}

	// A target that fits, in a long file (comments): the placeholders
	// take no room, and each once decoded the whole file again.
	big = strings.Repeat("# a comment of the target, long enough to count\n", 6000) + "a: b\n"
	one, _ = cost(1, 1)
	many, res = cost(files, perFile)
	if len(res.Diagnostics) != 0 || len(res.Entities()) != 2+files*perFile {
		t.Fatalf("%d entities, diagnostics %v", len(res.Entities()), res.Diagnostics)
	}
	t.Logf("one entity: %d KB; %d entities: %d KB", one>>10, files*perFile, many>>10)
	if many > 3*one {
		t.Fatalf("%d entities reading one target that fits allocated %d KB, one entity %d KB: the target is decoded again for each", files*perFile, many>>10, one>>10)
	}
}

// TestPlaceholderTargetsAreNotSharedBetweenEntities checks that entities
// reading the same target get values of their own, and the same values
// however often it is read: the engine writes into an entity (its
// annotations) after placeholders are resolved.
func TestPlaceholderTargetsAreNotSharedBetweenEntities(t *testing.T) {
	target := "a: 1\nb: 2.5\nc: 2.0\nd: [true, null, '<é&>', {e: 12345678901234567890}]\n# a comment long enough for the value to be kept as JSON\n"
	want, d := document.Decode("t.yaml", []byte(target), document.Limits{})
	if d != nil {
		t.Fatal(d)
	}
	extra := "  t: {$yaml: t.yaml}\n"
	ann := "metadata:\n  annotations: {$yaml: ann.yaml}\n"
	files := map[string]string{"ann.yaml": "example.com/team: payments\n", "t.yaml": target, "teams/payments.yaml": team}
	for _, f := range []string{"a", "b", "c"} {
		files[f+".yaml"] = strings.Replace(docs(0, 1, extra), "metadata:\n", ann, 1) + "---\n" +
			strings.Replace(component(f+"2", extra), "metadata:\n", ann, 1)
		files[f+".yaml"] = strings.Replace(files[f+".yaml"], "name: c0", "name: "+f+"1", 1)
	}
	res := Map(snapshot(files), Options{Workers: 3})
	got := byName(res)
	for _, f := range []string{"a", "b", "c"} {
		for _, name := range []string{f + "1", f + "2"} {
			e := got["component:default/"+name]
			if e == nil {
				t.Fatalf("%s not mapped: %v", name, res.Diagnostics)
			}
			a := e.Object["metadata"].(map[string]any)["annotations"].(map[string]any)
			if a["example.com/team"] != "payments" || a[AnnotationFile] != f+".yaml" {
				t.Fatalf("%s: annotations %v, want its own file %s.yaml", name, a, f)
			}
			// The same as JSON: a float 2.0 may come back as the
			// integer 2, which JSON (and Backstage) cannot tell apart.
			got, _ := json.Marshal(e.Object["spec"].(map[string]any)["t"])
			if wantJSON, _ := json.Marshal(want[0].Root.Value()); string(got) != string(wantJSON) {
				t.Fatalf("%s: t = %s, want %s", name, got, wantJSON)
			}
		}
	}
}

// TestDecodedSizeOfATargetCounts checks that the room a $json or $yaml
// target takes is its size as JSON, not its size on disk: an indented
// JSON file larger than the room, and a commented YAML file, fit when
// what they hold does.
func TestDecodedSizeOfATargetCounts(t *testing.T) {
	indented := "{\n" + strings.Repeat(" ", 3000) + `"a": "b"` + "\n}\n"
	commented := strings.Repeat("# a comment\n", 300) + "a: b\n"
	files := map[string]string{"a.yaml": component("a", "  j: {$json: t.json}\n  y: {$yaml: t.yaml}\n"), "t.json": indented, "t.yaml": commented, "teams/payments.yaml": team}
	res := Map(snapshot(files), Options{Limits: document.Limits{MaxEntityBytes: 1500, MaxExpandedBytes: 1500}})
	if byName(res)["component:default/a"] == nil {
		t.Fatalf("targets of 3 KB that hold a few bytes: %v", res.Diagnostics)
	}
}
