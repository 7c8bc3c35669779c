package document

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
)

func TestDecodeYAMLKeepsPositionsOfEveryValue(t *testing.T) {
	src := "apiVersion: v1\nkind: Component\nmetadata:\n  name: svc\n  tags:\n    - a\n    - b\n"
	docs, d := Decode("catalog/a.yaml", []byte(src), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	if len(docs) != 1 {
		t.Fatalf("want 1 document, got %d", len(docs))
	}
	n, ok := docs[0].Root.Lookup("metadata", "tags", "1")
	if !ok || n.Str != "b" || n.Pos != (Pos{Line: 7, Column: 7}) {
		t.Fatalf("tags[1] = %+v (found %v), want b at 7:7", n, ok)
	}
	name, _ := docs[0].Root.Lookup("metadata", "name")
	if name.Pos != (Pos{Line: 4, Column: 9}) {
		t.Fatalf("name at %+v, want 4:9", name.Pos)
	}
}

func TestDecodeYAMLReadsEveryDocumentAndSkipsEmptyOnes(t *testing.T) {
	src := "---\na: 1\n---\n---\n# only a comment\n---\nb: [true, null, 1.5, '2', 2026-01-01]\n"
	docs, d := Decode("x.yml", []byte(src), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	if len(docs) != 2 {
		t.Fatalf("want 2 documents, got %d", len(docs))
	}
	got := docs[1].Root.Value()
	want := map[string]any{"b": []any{true, nil, 1.5, "2", "2026-01-01"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if docs[1].Index != 3 {
		t.Fatalf("second document index = %d, want 3 (its place in the file)", docs[1].Index)
	}
}

func TestDecodeYAMLExpandsAnchorsAndMergeKeys(t *testing.T) {
	src := "base: &b {owner: team-a, lifecycle: production}\nsvc:\n  <<: *b\n  lifecycle: experimental\n  tags: &t [x]\nother: *t\n"
	docs, d := Decode("x.yaml", []byte(src), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	svc := docs[0].Root.Get("svc").Value()
	want := map[string]any{"owner": "team-a", "lifecycle": "experimental", "tags": []any{"x"}}
	if !reflect.DeepEqual(svc, want) {
		t.Fatalf("svc = %#v, want %#v", svc, want)
	}
}

// TestLargeMapsKeepEveryKeyOnce checks maps past the size where keys are
// indexed (keySet): a duplicate key is still found, at its line, and a
// merge adds only the keys a map does not set, whichever side is large.
func TestLargeMapsKeepEveryKeyOnce(t *testing.T) {
	var keys, flow []string
	for i := range 3 * smallMap {
		keys = append(keys, fmt.Sprintf("k%d: %d\n", i, i))
		flow = append(flow, fmt.Sprintf("k%d: base", i))
	}
	dup := strings.Join(keys, "") + "k1: again\n"
	_, d := Decode("x.yaml", []byte(dup), Limits{})
	if d == nil || d.Line != 3*smallMap+1 || !strings.Contains(d.Message, `duplicate key "k1"`) {
		t.Fatalf("duplicate after %d keys: %v", 3*smallMap, d)
	}
	merged := "base: &b {" + strings.Join(flow, ", ") + "}\nsmall:\n  <<: *b\n  k2: own\nlarge:\n  <<: *b\n  " + strings.Join(keys[:2*smallMap], "  ")
	docs, d := Decode("x.yaml", []byte(merged), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	small := docs[0].Root.Get("small").Value().(map[string]any)
	large := docs[0].Root.Get("large").Value().(map[string]any)
	if len(small) != 3*smallMap || small["k2"] != "own" || small["k40"] != "base" || len(docs[0].Root.Get("small").Fields) != 3*smallMap {
		t.Fatalf("small map merging a large one: %v", small)
	}
	if len(large) != 3*smallMap || large["k2"] != 2 || large["k40"] != "base" || len(docs[0].Root.Get("large").Fields) != 3*smallMap {
		t.Fatalf("large map merging a large one: %v", large)
	}
}

func TestDecodeRejectsBadInputWithPosition(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\ni: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
	tests := []struct {
		name, file, src string
		code            string
		line, column    int
		msg             string
	}{
		{"a YAML syntax error names line and column", "a.yaml", "a: 1\nb: [1, 2\nc: 3\n", diag.CodeParse, 3, 1, "invalid YAML"},
		{"a bad indentation names its line", "a.yaml", "metadata:\n  name: x\n   owner: y\n", diag.CodeParse, 3, 4, "invalid YAML"},
		{"a duplicate key is refused", "a.yaml", "a: 1\nb: 2\na: 3\n", diag.CodeParse, 3, 1, `duplicate key "a"`},
		{"billion laughs fail on the node limit", "a.yaml", laughs, diag.CodeAliasLimit, 0, 0, "limits.maxNodes"},
		{"deep nesting fails on the depth limit", "a.yaml", strings.Repeat("[", 100) + strings.Repeat("]", 100), diag.CodeDepthLimit, 1, 66, "limits.maxDepth"},
		{"a JSON syntax error names line and column", "a.json", "{\n  \"a\": 1,\n  \"b\": ]\n}", diag.CodeParse, 3, 8, "invalid JSON"},
		{"a JSON duplicate key is refused", "a.json", "{\"a\": 1,\n \"a\": 2}", diag.CodeParse, 2, 2, `duplicate key "a"`},
		{"trailing JSON is refused", "a.json", "{} {}", diag.CodeParse, 1, 4, "after the top-level value"},
		{"a truncated JSON file says so", "a.json", "{\"a\": [1,", diag.CodeParse, 1, 0, "unexpected end"},
		{"a file over the size limit is refused", "a.yaml", strings.Repeat("a: 1\n", 2000), diag.CodeTooLarge, 0, 0, "limits.maxFileBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, d := Decode(tt.file, []byte(tt.src), Limits{MaxFileBytes: 5000, MaxNodes: 100_000})
			if d == nil {
				t.Fatalf("no error; got %d documents", len(docs))
			}
			if docs != nil {
				t.Fatalf("documents returned beside an error")
			}
			if d.File != tt.file || d.Code != tt.code || !strings.Contains(d.Message, tt.msg) {
				t.Fatalf("got %v, want code %s with %q", d, tt.code, tt.msg)
			}
			if tt.line != 0 && d.Line != tt.line {
				t.Fatalf("got line %d, want %d: %v", d.Line, tt.line, d)
			}
			if tt.column != 0 && d.Column != tt.column {
				t.Fatalf("got column %d, want %d: %v", d.Column, tt.column, d)
			}
		})
	}
}

func TestDecodeJSONKeepsPositionsAndTypes(t *testing.T) {
	src := "{\n  \"kind\": \"API\",\n  \"spec\": {\"n\": 3, \"f\": 1.5, \"big\": 1e400, \"ok\": true, \"none\": null}\n}\n"
	if _, d := Decode("a.json", []byte(src), Limits{}); d == nil {
		t.Fatal("1e400 must be refused as out of range")
	}
	src = strings.Replace(src, "1e400", "12345678901234567890123", 1)
	docs, d := Decode("a.json", []byte(src), Limits{})
	if d != nil {
		t.Fatal(d)
	}
	spec := docs[0].Root.Get("spec")
	if n := spec.Get("n"); n.Kind != Int || n.Int != 3 || n.Pos != (Pos{3, 17}) {
		t.Fatalf("n = %+v", n)
	}
	if k := docs[0].Root.Get("kind"); k.Pos != (Pos{2, 11}) {
		t.Fatalf("kind at %+v, want 2:11", k.Pos)
	}
	if b := spec.Get("big"); b.Kind != Float {
		t.Fatalf("a huge integer should become a float, got %v", b.Kind)
	}
}

// FuzzDecode feeds arbitrary bytes to both decoders: they must never panic,
// must either return documents or one positioned diagnostic, and whatever
// encoding/json accepts as a JSON object the JSON decoder must read to the
// same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"a: 1\n", "---\na: [1, 2]\n---\nb: {c: d}\n", "a: &x [1]\nb: *x\n", "<<: {a: 1}\n",
		`{"a": [1, 2.5, "x", true, null]}`, "a: 'unterminated", "- - - -", "\t- a", "? complex\n: key",
		"a: !!binary aGVsbG8=", "a: 0x1F\nb: 1_000\nc: .inf\nd: ~", `{"a":1}{`,
		// Hostile files: deep nesting, flow and block, with quotes and
		// comments that hide brackets or seem to; a long string aliased
		// a thousand times; bytes YAML does not allow.
		"x: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"x: " + strings.Repeat("{a: ", 5000) + "1" + strings.Repeat("}", 5000),
		`{"x": ` + strings.Repeat(`{"a": [`, 3000),
		"x:\n" + strings.Repeat("- ", 5000) + "1\n",
		"x: [a 'b, " + strings.Repeat("[", 5000),
		"a: '[[[[['\nb: |\n  [[[[[\nc: [x, \"]]\", {d: e}] # [[[[\n? [a]\n: b\n",
		"a: &a " + strings.Repeat("x", 30_000) + "\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
		"a: 1\nb: 2\nc: 3\nd: caf\xe9\ne: \x00\n", "a: 1\n\x7f: \xc2\x85\n", `{"a": "x` + "\x00" + `"}`,
		// Line breaks other than "\n", which the depth scan once did not
		// see: deep nesting after a "\r" (and NEL, LS, PS, which yaml.v3
		// also breaks lines at), inside quotes and comments too.
		"a: 1\r# [[[\rs: '[[\r[[['\rx:\r  - " + strings.Repeat("[", 5000),
		"a: 1\r\nx:\r\n" + strings.Repeat("- ", 5000) + "1\r\n",
		"a: \"x\\\r [[\"\u0085b: |\u2028  [[[[\u2029x: " + strings.Repeat("{a: ", 5000),
		"a: 1\rb: caf\xe9\rc: \x00\r", "{\r\"a\": 1,\r\"a\": 2\r}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lim := Limits{MaxFileBytes: 1 << 16, MaxNodes: 10_000, MaxExpandedBytes: 1 << 20, MaxDepth: 32}
		for _, file := range []string{"f.yaml", "f.json"} {
			docs, d := Decode(file, []byte(s), lim)
			if d != nil {
				if docs != nil || d.File != file || d.Severity != diag.Error || d.Message == "" {
					t.Fatalf("bad diagnostic %+v with %d docs", d, len(docs))
				}
				if d.Code == diag.CodeParse && d.Line < 1 {
					t.Fatalf("parse error without a line: %v", d)
				}
				continue
			}
			for _, doc := range docs {
				if _, err := json.Marshal(doc.Root.Value()); err != nil {
					t.Fatalf("decoded value does not encode as JSON: %v", err)
				}
			}
		}
		var want map[string]any
		if json.Unmarshal([]byte(s), &want) == nil && len(s) < 1<<16 {
			docs, d := Decode("f.json", []byte(s), Limits{MaxFileBytes: 1 << 16, MaxNodes: 1 << 20, MaxDepth: 10_000})
			if d != nil {
				if d.Code == diag.CodeParse && !strings.Contains(d.Message, "duplicate key") {
					t.Fatalf("encoding/json accepts %q but Decode says %v", s, d)
				}
				return
			}
			gotJSON, _ := json.Marshal(docs[0].Root.Value())
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Fatalf("value differs from encoding/json:\n got %s\nwant %s", gotJSON, wantJSON)
			}
		}
	})
}
