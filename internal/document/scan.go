package document

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/central-config/central-config/internal/diag"
)

// checkDepth finds YAML nesting deeper than maxDepth before a parser sees
// the file: parsers allocate per level, and a file of 100,000 "[" once took
// gigabytes. It follows block collections by indentation and flow
// collections by brackets, skipping quoted scalars, block scalars and
// comments, in one pass that allocates only the stack of open block
// collections. Lines end where yaml.v3 ends them (lineBreak), so that the
// lines it reports are the parser's.
//
// It counts collections, the top-level one at depth 0, and refuses one at
// depth maxDepth+1, at its first byte. A scalar in a collection at depth
// maxDepth is at depth maxDepth+1 too: the scan lets it through, and the
// converter, which checks the depth of every value, refuses it at that
// scalar. It is a bound, not a parser: on unusual layouts (a plain scalar
// continued on lines that look like list entries or keys) it may be a
// level off, and the converter's check is the exact one.
func checkDepth(data []byte, maxDepth int) *posError {
	s := depthScanner{data: data, maxDepth: maxDepth, line: 1}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		s.i = 3
	}
	for s.i < len(s.data) {
		if err := s.blockLine(); err != nil {
			return err
		}
	}
	return nil
}

type depthScanner struct {
	data      []byte
	maxDepth  int
	i         int // offset of the next byte
	line      int // line of offset i
	lineStart int // offset of that line's first byte
	blocks    []block
	flow      int // open flow collections
}

// block is an open block collection: its column and whether it is a list.
type block struct {
	col int
	seq bool
}

// blockLine reads one line outside flow collections.
func (s *depthScanner) blockLine() *posError {
	col := s.skipSpaces() - s.lineStart
	switch {
	case s.i >= len(s.data) || s.isBreak(s.i) || s.data[s.i] == '#':
		s.skipLine()
		return nil
	case col == 0 && s.data[s.i] == '%':
		s.skipLine()
		return nil
	case col == 0 && (s.hasMarker("---") || s.hasMarker("...")):
		s.blocks = s.blocks[:0]
		s.i += 3
		return s.value(-1)
	}
	for len(s.blocks) > 0 && s.blocks[len(s.blocks)-1].col > col {
		s.blocks = s.blocks[:len(s.blocks)-1]
	}
	return s.entry(col)
}

// entry reads a block node that starts at column col of the current line:
// list entries ("- ", also compact ones, "- - x"), complex keys ("? "), a
// key with its value, or a value alone.
func (s *depthScanner) entry(col int) *posError {
	parent := col
	for c := s.data[s.i]; (c == '-' || c == '?') && s.blankAt(s.i+1); c = s.data[s.i] {
		if err := s.open(col, c == '-'); err != nil {
			return err
		}
		parent = col
		s.i++
		next := s.skipSpaces()
		if next >= len(s.data) || s.isBreak(next) || s.data[next] == '#' {
			s.skipLine()
			return nil
		}
		col = next - s.lineStart
	}
	if after, ok := s.keyEnd(); ok {
		if err := s.open(col, false); err != nil {
			return err
		}
		s.i, parent = after, col
	}
	return s.value(parent)
}

// open records a block collection entry at column col; a new collection
// nests one level deeper than the enclosing one.
func (s *depthScanner) open(col int, seq bool) *posError {
	if n := len(s.blocks); n > 0 {
		top := s.blocks[n-1]
		if top.col == col && top.seq == seq {
			return nil
		}
		if top.col == col && top.seq {
			// A list written at its key's column has ended.
			s.blocks = s.blocks[:n-1]
			return s.open(col, seq)
		}
	}
	if len(s.blocks) > s.maxDepth {
		return s.tooDeep(s.lineStart + col)
	}
	s.blocks = append(s.blocks, block{col, seq})
	return nil
}

// keyEnd reports whether the current line holds a key ("key: ", "'key': ")
// at offset i, and the offset after its colon.
func (s *depthScanner) keyEnd() (int, bool) {
	i := s.i
	for i < len(s.data) && (s.data[i] == '&' || s.data[i] == '!') {
		for i < len(s.data) && !s.blankAt(i) {
			i++
		}
		for i < len(s.data) && s.data[i] == ' ' {
			i++
		}
	}
	if i >= len(s.data) {
		return 0, false
	}
	switch q := s.data[i]; q {
	case '"', '\'':
		i++
		for i < len(s.data) && !s.isBreak(i) {
			if q == '"' && s.data[i] == '\\' {
				i += 2
				continue
			}
			if s.data[i] == q {
				if q == '\'' && i+1 < len(s.data) && s.data[i+1] == '\'' {
					i += 2
					continue
				}
				break
			}
			i++
		}
		for i++; i < len(s.data) && s.data[i] == ' '; i++ {
		}
		return i + 1, i < len(s.data) && s.data[i] == ':' && s.blankAt(i+1)
	case '[', '{', '*', '|', '>', '#':
		return 0, false
	}
	for ; i < len(s.data) && !s.isBreak(i); i++ {
		switch {
		case s.data[i] == ':' && s.blankAt(i+1):
			return i + 1, true
		case s.data[i] == '#' && (s.data[i-1] == ' ' || s.data[i-1] == '\t'):
			return 0, false
		}
	}
	return 0, false
}

// value reads the rest of a line from a node's start: a flow collection,
// a quoted scalar, a block scalar (whose lines, indented more than parent,
// are skipped), or a plain scalar.
func (s *depthScanner) value(parent int) *posError {
	for {
		i := s.skipSpaces()
		if i >= len(s.data) {
			return nil
		}
		switch s.data[i] {
		case '&', '!':
			for s.i < len(s.data) && !s.blankAt(s.i) {
				s.i++
			}
			continue
		case '[', '{':
			if err := s.flowCollection(); err != nil {
				return err
			}
		case '"', '\'':
			s.quoted()
		case '|', '>':
			s.skipLine()
			s.skipBlockScalar(parent)
			return nil
		}
		s.skipLine()
		return nil
	}
}

// flowCollection reads from a "[" or "{" to its closing bracket, across
// lines.
func (s *depthScanner) flowCollection() *posError {
	nodeStart := true
	for ; s.i < len(s.data); s.i++ {
		c := s.data[s.i]
		switch {
		case c == '[' || c == '{':
			if len(s.blocks)+s.flow > s.maxDepth {
				return s.tooDeep(s.i)
			}
			s.flow++
		case c == ']' || c == '}':
			s.flow--
			if s.flow <= 0 {
				s.flow = 0
				s.i++
				return nil
			}
		case (c == '"' || c == '\'') && nodeStart:
			s.quoted()
			s.i--
		case c == '#' && (s.i == s.lineStart || s.data[s.i-1] == ' ' || s.data[s.i-1] == '\t'):
			for s.i+1 < len(s.data) && !s.isBreak(s.i+1) {
				s.i++
			}
		case s.isBreak(s.i):
			s.lineBreak()
			continue
		}
		// A quote opens a scalar only where a value starts: after a
		// bracket, a comma, or a ": ", and any spaces; in "a 'b" it is
		// text.
		switch c {
		case '[', '{', ',':
			nodeStart = true
		case ':', '?':
			nodeStart = s.blankAt(s.i + 1)
		case ' ', '\t', '\r', '\n':
		default:
			nodeStart = false
		}
	}
	return nil
}

// quoted skips a quoted scalar that starts at offset i, across lines.
func (s *depthScanner) quoted() {
	q := s.data[s.i]
	for s.i++; s.i < len(s.data); s.i++ {
		switch c := s.data[s.i]; {
		case c == '\\' && q == '"':
			s.i++
			if s.i < len(s.data) && s.isBreak(s.i) {
				s.lineBreak()
			}
		case s.isBreak(s.i):
			s.lineBreak()
		case c == q && q == '\'' && s.i+1 < len(s.data) && s.data[s.i+1] == '\'':
			s.i++
		case c == q:
			s.i++
			return
		}
	}
}

// skipBlockScalar skips the lines of a block scalar: blank lines and lines
// indented more than its parent's column.
func (s *depthScanner) skipBlockScalar(parent int) {
	for s.i < len(s.data) {
		start := s.i
		j := start
		for j < len(s.data) && s.data[j] == ' ' {
			j++
		}
		if j-start <= parent && j < len(s.data) && !s.isBreak(j) || j == start && (s.hasMarker("---") || s.hasMarker("...")) {
			return
		}
		s.skipLine()
	}
}

// skipSpaces moves past spaces and tabs and returns the new offset.
func (s *depthScanner) skipSpaces() int {
	for s.i < len(s.data) && (s.data[s.i] == ' ' || s.data[s.i] == '\t') {
		s.i++
	}
	return s.i
}

// skipLine moves to the start of the next line.
func (s *depthScanner) skipLine() {
	for ; s.i < len(s.data); s.i++ {
		if s.isBreak(s.i) {
			s.lineBreak()
			s.i = s.lineStart
			return
		}
	}
}

// lineBreak counts the line break at offset i and moves i to its last
// byte.
func (s *depthScanner) lineBreak() {
	n := lineBreak(s.data, s.i)
	s.line++
	s.lineStart = s.i + n
	s.i += n - 1
}

func (s *depthScanner) isBreak(i int) bool { return lineBreak(s.data, i) > 0 }

// lineBreak returns the length of the line break at data[i], or 0: "\n",
// "\r\n" and a lone "\r", and NEL, LS and PS, as yaml.v3 counts the lines
// of its errors and of every value.
func lineBreak(data []byte, i int) int {
	switch data[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(data) && data[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2: // NEL, U+0085
		if i+1 < len(data) && data[i+1] == 0x85 {
			return 2
		}
	case 0xE2: // LS and PS, U+2028 and U+2029
		if i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

func (s *depthScanner) blankAt(i int) bool {
	return i >= len(s.data) || s.data[i] == ' ' || s.data[i] == '\t' || s.isBreak(i)
}

func (s *depthScanner) hasMarker(m string) bool {
	return bytes.HasPrefix(s.data[s.i:], []byte(m)) && s.blankAt(s.i+len(m))
}

func (s *depthScanner) tooDeep(off int) *posError {
	col := utf8.RuneCount(s.data[s.lineStart:off]) + 1
	return &posError{Pos{s.line, col}, diag.CodeDepthLimit, tooDeepMessage(s.maxDepth)}
}

// tooDeepMessage is the message of every depth-limit error.
func tooDeepMessage(maxDepth int) string {
	return fmt.Sprintf("values nest deeper than %d levels (centralConfig.limits.maxDepth)", maxDepth)
}

// badByte finds the first byte YAML does not allow: invalid UTF-8, or a
// control character other than tab, line feed and carriage return. Lines
// are counted as yaml.v3 counts them (lineBreak).
func badByte(data []byte) *posError {
	line, lineStart := 1, 0
	for i := 0; i < len(data); {
		if n := lineBreak(data, i); n > 0 {
			i += n
			line, lineStart = line+1, i
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		var msg string
		switch {
		case r == utf8.RuneError && size == 1:
			msg = fmt.Sprintf("invalid UTF-8 (byte 0x%02X); save the file as UTF-8", data[i])
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r >= 0x7F && r < 0xA0 && r != 0x85, r == 0xFFFE, r == 0xFFFF:
			msg = fmt.Sprintf("control character %U is not allowed", r)
		}
		if msg != "" {
			return &posError{Pos{line, utf8.RuneCount(data[lineStart:i]) + 1}, diag.CodeParse, "invalid YAML: " + msg}
		}
		i += size
	}
	return nil
}
