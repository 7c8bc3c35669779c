package mapping

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// jsonSize returns the length of v encoded by encoding/json, without
// encoding it: the limits are checked before an entity is copied into JSON.
func jsonSize(v any) int {
	switch t := v.(type) {
	case nil:
		return len("null")
	case bool:
		return len(strconv.FormatBool(t))
	case int:
		var buf [20]byte
		return len(strconv.AppendInt(buf[:0], int64(t), 10))
	case string:
		return jsonStringSize(t)
	case []any:
		n := len("[]") + max(len(t)-1, 0)
		for _, it := range t {
			n += jsonSize(it)
		}
		return n
	case map[string]any:
		n := len("{}") + max(len(t)-1, 0)
		for k, it := range t {
			n += jsonStringSize(k) + len(":") + jsonSize(it)
		}
		return n
	}
	// Floats and the rarer values of mapping rules are small.
	b, _ := json.Marshal(v)
	return len(b)
}

// asciiJSONSize is the length of each ASCII byte in a JSON string, escaped
// as encoding/json escapes it: one table look-up per byte on the hot path
// of every entity's size check.
var asciiJSONSize = func() (t [utf8.RuneSelf]uint8) {
	for c := range t {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			t[c] = 2
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			t[c] = uint8(len(`\u0000`))
		default:
			t[c] = 1
		}
	}
	return t
}()

// jsonStringSize is the length of s as a JSON string, escaped as
// encoding/json escapes it.
func jsonStringSize(s string) int {
	n := len(`""`)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			n += int(asciiJSONSize[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += len(`\ufffd`)
		default:
			n += size
		}
		i += size
	}
	return n
}
