package document

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/diag"
)

// decodeJSON reads one JSON value with encoding/json's tokenizer, tracking
// byte offsets so that every value and every error gets a line and column.
func decodeJSON(data []byte, limits Limits) (*Node, *posError) {
	d := &jsonDecoder{dec: json.NewDecoder(bytes.NewReader(data)), data: data, lines: lineStarts(data), limits: limits}
	d.dec.UseNumber()
	root, err := d.value(0)
	if err != nil {
		return nil, err
	}
	end := d.tokenStart()
	if _, terr := d.dec.Token(); !errors.Is(terr, io.EOF) {
		return nil, &posError{d.pos(end), diag.CodeParse, "invalid JSON: unexpected data after the top-level value"}
	}
	return root, nil
}

type jsonDecoder struct {
	dec    *json.Decoder
	data   []byte
	lines  []int
	limits Limits
	nodes  int
}

// lineStarts returns the offsets of the lines of a JSON file, which may
// end with "\n", "\r\n" or "\r" (JSON's own whitespace).
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\r':
			if i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		case '\n':
			starts = append(starts, i+1)
		}
	}
	return starts
}

// pos converts a byte offset to a 1-based line and column.
func (d *jsonDecoder) pos(off int64) Pos {
	lo, hi := 0, len(d.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if int64(d.lines[mid]) <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return Pos{Line: lo + 1, Column: int(off) - d.lines[lo] + 1}
}

// token reads the next token and returns it with its position.
func (d *jsonDecoder) token() (json.Token, Pos, *posError) {
	start := d.tokenStart()
	tok, err := d.dec.Token()
	if err != nil {
		msg := err.Error()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			if strings.Contains(msg, "literal") || strings.Contains(msg, "escape code") {
				start = d.badLiteralByte(start)
			} else {
				start = se.Offset
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			msg = "unexpected end of file"
		}
		return nil, Pos{}, &posError{d.pos(max(start, 0)), diag.CodeParse, "invalid JSON: " + msg}
	}
	return tok, d.pos(start), nil
}

// badLiteralByte returns the offset of the byte that breaks the string,
// number or true/false/null at off. The stream decoder's error offset
// there counts from where it began buffering, not from the file's start; a
// new decoder that starts at the literal gives the byte exactly.
func (d *jsonDecoder) badLiteralByte(off int64) int64 {
	var se *json.SyntaxError
	if _, err := json.NewDecoder(bytes.NewReader(d.data[off:])).Token(); errors.As(err, &se) {
		return off + se.Offset - 1
	}
	return off
}

// tokenStart returns the offset of the next token's first byte: the
// decoder's offset stops before the whitespace and separators in between.
func (d *jsonDecoder) tokenStart() int64 {
	off := d.dec.InputOffset()
	for off < int64(len(d.data)) {
		switch d.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (d *jsonDecoder) value(depth int) (*Node, *posError) {
	tok, pos, err := d.token()
	if err != nil {
		return nil, err
	}
	d.nodes++
	if d.nodes > d.limits.MaxNodes {
		return nil, &posError{pos, diag.CodeTooLarge, fmt.Sprintf("document has more than %d values (centralConfig.limits.maxNodes)", d.limits.MaxNodes)}
	}
	if depth > d.limits.MaxDepth {
		return nil, &posError{pos, diag.CodeDepthLimit, tooDeepMessage(d.limits.MaxDepth)}
	}
	switch t := tok.(type) {
	case nil:
		return &Node{Kind: Null, Pos: pos}, nil
	case bool:
		return &Node{Kind: Bool, Pos: pos, Bool: t}, nil
	case string:
		return &Node{Kind: String, Pos: pos, Str: t}, nil
	case json.Number:
		if i, perr := strconv.Atoi(string(t)); perr == nil {
			return &Node{Kind: Int, Pos: pos, Int: i}, nil
		}
		f, perr := t.Float64()
		if perr != nil {
			return nil, &posError{pos, diag.CodeParse, fmt.Sprintf("number %s is out of range", t)}
		}
		return &Node{Kind: Float, Pos: pos, Float: f}, nil
	case json.Delim:
		if t == '[' {
			n := &Node{Kind: Seq, Pos: pos}
			for d.dec.More() {
				item, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, item)
			}
			if _, _, err := d.token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		n := &Node{Kind: Map, Pos: pos}
		seen := map[string]bool{}
		for d.dec.More() {
			ktok, kpos, err := d.token()
			if err != nil {
				return nil, err
			}
			key := ktok.(string)
			if seen[key] {
				return nil, &posError{kpos, diag.CodeParse, fmt.Sprintf("invalid JSON: duplicate key %q", key)}
			}
			seen[key] = true
			val, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.Fields = append(n.Fields, Field{Key: key, KeyPos: kpos, Value: val})
		}
		if _, _, err := d.token(); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, &posError{pos, diag.CodeParse, "invalid JSON"}
}
