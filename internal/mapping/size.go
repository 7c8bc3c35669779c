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

// jsonStringSize is the length of s as a JSON string, escaped as
// encoding/json escapes it.
func jsonStringSize(s string) int {
	n := len(`""`)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += len(`\u0000`)
			default:
				n++
			}
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
