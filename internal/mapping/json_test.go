package mapping

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"testing"

	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/testrepo"
)

// jsonCases are values whose encoding could differ from encoding/json's:
// every escape, invalid UTF-8, the two separators JSONP cannot carry, nil
// and empty containers, floats and values only a mapping rule makes.
var jsonCases = []any{
	nil, true, false, 0, -1, math.MaxInt64, math.MinInt64, "",
	"plain", "quote \" backslash \\ slash /", "<script>&amp;</script>",
	"\b\f\n\r\t\x00\x01\x1f\x7f", "é ü 日本 🎉", "\u2028 and \u2029", "bad \xff\xfe utf-8 \xc3",
	"\xed\xa0\x80 surrogate", []any{}, []any(nil), map[string]any{}, map[string]any(nil),
	1.5, 1e21, 1e-7, 123456789.0, math.Copysign(0, -1), float32(2.5), int64(7), uint8(3), json.Number("12"),
	big.NewInt(42), map[string]string{"b": "<", "a": "x"}, []string{"x"},
	map[string]any{"z": 1, "a": []any{map[string]any{"k\u2028": "v", "K": nil}}, "é": "x", "<": ">", "": true,
		"17": 1, "10": 2, "b": map[string]any{"y": 1.25, "x": []any{nil, false, "s"}}},
	map[string]any{"bad": math.NaN()}, []any{1, math.Inf(1)},
}

// TestAppendJSONMatchesEncodingJSON checks that appendJSON writes what
// encoding/json writes, byte for byte, and fails where it fails: entity
// hashes and the published JSON must not change.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	check := func(v any) {
		t.Helper()
		want, wantErr := json.Marshal(v)
		got, err := appendJSON([]byte("prefix"), v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%#v: error %v, encoding/json's %v", v, err, wantErr)
		}
		if wantErr != nil {
			return
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("%#v:\n got %s\nwant %s", v, got[len("prefix"):], want)
		}
		// jsonSize counts a nil list or map as empty (the mapping makes
		// none).
		if l, isList := v.([]any); isList && l == nil {
			return
		}
		if m, isMap := v.(map[string]any); isMap && m == nil {
			return
		}
		if size := jsonSize(v); size != len(want) {
			t.Errorf("%#v: jsonSize %d, encoded %d bytes", v, size, len(want))
		}
	}
	for _, v := range jsonCases {
		check(v)
	}
	for i := range 0x800 {
		check(string(rune(i)))
		check(map[string]any{string(rune(i)): string([]byte{byte(i), byte(i >> 4)})})
	}
	// Every entity of a generated repository and of the example one.
	files := testrepo.Generate(2000)
	res := Map(&source.Snapshot{Revision: "r1", Files: files}, Options{SourceID: "s"})
	if len(res.Entities()) < 1000 {
		t.Fatalf("%d entities", len(res.Entities()))
	}
	for _, e := range res.Entities() {
		check(e.Object)
	}
}

// TestCompactJSONIsEncodingJSON checks a compact mapping's JSON and hash,
// written by appendJSON, against encoding/json's of the same entity.
func TestCompactJSONIsEncodingJSON(t *testing.T) {
	files := testrepo.Generate(500)
	full := Map(&source.Snapshot{Revision: "r1", Files: files}, Options{SourceID: "s"})
	compact := Map(&source.Snapshot{Revision: "r1", Files: files}, Options{SourceID: "s", Compact: true})
	a, b := full.Entities(), compact.Entities()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d entities", len(a), len(b))
	}
	for i := range a {
		want, err := json.Marshal(a[i].Object)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[i].JSON(), want) {
			t.Fatalf("%s: JSON %s, want %s", b[i].Key(), b[i].JSON(), want)
		}
		if a[i].Hash() != b[i].Hash() {
			t.Fatalf("%s: hash differs", a[i].Key())
		}
	}
}

// FuzzAppendJSON compares appendJSON with encoding/json on any string, as
// a value and as a key.
func FuzzAppendJSON(f *testing.F) {
	for _, v := range jsonCases {
		if s, ok := v.(string); ok {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{s, map[string]any{s: []any{s, 1}}} {
			want, _ := json.Marshal(v)
			got, err := appendJSON(nil, v)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%q: got %s (%v), want %s", s, got, err, want)
			}
		}
	})
}
