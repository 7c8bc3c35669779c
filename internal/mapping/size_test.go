package mapping

import (
	"encoding/json"
	"testing"
)

// FuzzJSONSizeIsTheLengthOfTheEncoding: the size an entity is checked
// against limits.maxEntityBytes with is the length encoding/json gives it.
func FuzzJSONSizeIsTheLengthOfTheEncoding(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "\n\r\t\b\f\x00\x1f\x7f", "<a href='x'>&amp;</a>",
		"é ü 日本", "\u2028\u2029", "\xff\xfe bad utf-8 \xc3", "tail \xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := map[string]any{s: []any{s, 1, true, nil, map[string]any{"k": s}}}
		b, err := json.Marshal(v)
		if err != nil {
			t.Skip()
		}
		if got := jsonSize(v); got != len(b) {
			t.Fatalf("jsonSize(%q) = %d, encoding/json writes %d bytes", s, got, len(b))
		}
	})
}
