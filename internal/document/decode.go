package document

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/diag"
)

// Limits bound what one file may cost to decode and to map.
type Limits struct {
	// MaxFileBytes is the largest file read, placeholder targets included;
	// larger files are an error.
	MaxFileBytes int
	// MaxNodes bounds the values of one file after YAML aliases are
	// expanded, so a "billion laughs" file fails fast in bounded memory.
	MaxNodes int
	// MaxExpandedBytes bounds the text (keys and scalars) of one file
	// after YAML aliases are expanded, so that a few aliases of a long
	// string cannot grow a file a thousandfold; the mapping bounds what
	// the placeholders of a file's entities add by it too.
	MaxExpandedBytes int
	// MaxEntityBytes bounds one entity, as JSON, with its placeholders
	// resolved; the mapping enforces it.
	MaxEntityBytes int
	// MaxDepth bounds how deeply maps and lists may nest.
	MaxDepth int
}

// DefaultLimits are generous for config files and small enough that one
// hostile file cannot exhaust the engine's memory. MaxExpandedBytes is four
// times MaxFileBytes: room for anchors reused a few times over, and a
// thousand times less than an alias bomb reaches. MaxEntityBytes, 3 MiB,
// holds an API with a large inline OpenAPI definition; Backstage keeps
// several copies of every entity (as read, processed, stitched, in search)
// and sends it whole to the browser, so larger entities are a mistake.
var DefaultLimits = Limits{MaxFileBytes: 4 << 20, MaxNodes: 1_000_000, MaxExpandedBytes: 16 << 20, MaxEntityBytes: 3 << 20, MaxDepth: 64}

// WithDefaults fills zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	or := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	d := DefaultLimits
	return Limits{
		MaxFileBytes:     or(l.MaxFileBytes, d.MaxFileBytes),
		MaxNodes:         or(l.MaxNodes, d.MaxNodes),
		MaxExpandedBytes: or(l.MaxExpandedBytes, d.MaxExpandedBytes),
		MaxEntityBytes:   or(l.MaxEntityBytes, d.MaxEntityBytes),
		MaxDepth:         or(l.MaxDepth, d.MaxDepth),
	}
}

// Decode reads every document of a file. JSON files (by extension) hold
// one document; YAML files may hold several separated by "---". Empty
// documents are skipped. On any problem it returns no documents and one
// diagnostic naming the position: a file is either read whole or not at
// all, so a half-read file never removes entities.
func Decode(file string, data []byte, limits Limits) ([]*Document, *diag.Diagnostic) {
	if strings.EqualFold(path.Ext(file), ".json") {
		doc, d := DecodeJSON(file, data, limits)
		if d != nil {
			return nil, d
		}
		return []*Document{doc}, nil
	}
	limits = limits.WithDefaults()
	if d := tooLarge(file, data, limits); d != nil {
		return nil, d
	}
	return decodeYAML(file, data, limits)
}

// DecodeJSON reads a file of one JSON value, whatever its name.
func DecodeJSON(file string, data []byte, limits Limits) (*Document, *diag.Diagnostic) {
	limits = limits.WithDefaults()
	if d := tooLarge(file, data, limits); d != nil {
		return nil, d
	}
	root, err := decodeJSON(data, limits)
	if err != nil {
		return nil, err.diagnostic(file)
	}
	return &Document{File: file, Root: root}, nil
}

// tooLarge returns an error for a file over limits.MaxFileBytes.
func tooLarge(file string, data []byte, limits Limits) *diag.Diagnostic {
	if len(data) <= limits.MaxFileBytes {
		return nil
	}
	return &diag.Diagnostic{File: file, Severity: diag.Error, Code: diag.CodeTooLarge,
		Message: fmt.Sprintf("file is %d bytes, more than the limit of %d (centralConfig.limits.maxFileBytes)", len(data), limits.MaxFileBytes)}
}

// posError is a decoding problem at a position.
type posError struct {
	pos  Pos
	code string
	msg  string
}

func (e *posError) diagnostic(file string) *diag.Diagnostic {
	return &diag.Diagnostic{File: file, Line: e.pos.Line, Column: e.pos.Column,
		Severity: diag.Error, Code: e.code, Message: e.msg}
}

func decodeYAML(file string, data []byte, limits Limits) ([]*Document, *diag.Diagnostic) {
	// The depth is checked before the parser runs: it allocates per level.
	if perr := checkDepth(data, limits.MaxDepth); perr != nil {
		return nil, perr.diagnostic(file)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	c := converter{limits: limits}
	var docs []*Document
	for i := 0; ; i++ {
		var raw yaml.Node
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, yamlSyntaxError(file, data, err, limits)
		}
		root, perr := c.convert(&raw, 0)
		if perr != nil {
			return nil, perr.diagnostic(file)
		}
		if root == nil || root.Kind == Null {
			continue
		}
		docs = append(docs, &Document{File: file, Index: i, Root: root})
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError turns a parser error into a diagnostic. The YAML parser
// reports only a line, and sometimes the line where the broken construct
// began rather than where it broke; a second parser, run only on this error
// path, gives a column. Both report where they noticed the problem, which is
// never before the mistake, so the later of the two lines is the better one.
// Bytes YAML does not allow are found by a scan of the file instead: the
// parser does not say where they are.
func yamlSyntaxError(file string, data []byte, err error, limits Limits) *diag.Diagnostic {
	switch msg := err.Error(); {
	case strings.Contains(msg, "exceeded max depth"):
		// Deeper than checkDepth counted; the second parser would
		// allocate per level without bound.
		return &diag.Diagnostic{File: file, Severity: diag.Error, Code: diag.CodeDepthLimit,
			Message: tooDeepMessage(limits.MaxDepth)}
	case strings.Contains(msg, "UTF-8") || strings.Contains(msg, "control characters"):
		if perr := badByte(data); perr != nil {
			return perr.diagnostic(file)
		}
	}
	d := &diag.Diagnostic{File: file, Severity: diag.Error, Code: diag.CodeParse, Line: 1}
	d.Message = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		d.Line, _ = strconv.Atoi(m[1])
		d.Message = m[2]
	}
	d.Column = firstColumn(data, d.Line)
	if _, gerr := goccyparser.ParseBytes(data, 0); gerr != nil {
		var ye goccy.Error
		if errors.As(gerr, &ye) && ye.GetToken() != nil {
			if p := ye.GetToken().Position; p.Line >= d.Line {
				d.Line, d.Column = p.Line, max(p.Column, 1)
				d.Message = ye.GetMessage()
			}
		}
	}
	d.Message = "invalid YAML: " + d.Message
	return d
}

// firstColumn returns the column of the first non-blank character of a
// line, lines counted as yaml.v3 counts them.
func firstColumn(data []byte, line int) int {
	for l := 1; l < line; l++ {
		i := 0
		for i < len(data) && lineBreak(data, i) == 0 {
			i++
		}
		if i >= len(data) {
			return 1
		}
		data = data[i+lineBreak(data, i):]
	}
	for i, c := range data {
		if c != ' ' && c != '\t' {
			return i + 1
		}
	}
	return 1
}

// converter turns the yaml.Node trees of a file into Node trees,
// expanding aliases and merge keys within the limits, which count the
// whole file.
type converter struct {
	limits Limits
	nodes  int
	bytes  int
	// slab holds the nodes made last, allocated together (slabNodes at
	// a time): a file has many, all freed together.
	slab []Node
	// alias is the position of the alias being expanded, outside any
	// anchor (Line 0 when none): where a limit is crossed, that is what
	// the author wrote.
	alias Pos
}

func (c *converter) convert(n *yaml.Node, depth int) (*Node, *posError) {
	pos := Pos{Line: n.Line, Column: n.Column}
	at := cmp.Or(c.alias, pos)
	c.nodes++
	if c.nodes > c.limits.MaxNodes {
		return nil, &posError{at, diag.CodeAliasLimit, fmt.Sprintf(
			"file expands to more than %d values (centralConfig.limits.maxNodes); YAML aliases that repeat each other grow exponentially", c.limits.MaxNodes)}
	}
	if depth > c.limits.MaxDepth {
		return nil, &posError{at, diag.CodeDepthLimit, tooDeepMessage(c.limits.MaxDepth)}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.convert(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &posError{pos, diag.CodeParse, "alias to an unknown anchor"}
		}
		if c.alias == (Pos{}) {
			c.alias = pos
			defer func() { c.alias = Pos{} }()
		}
		return c.convert(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := c.node(Seq, pos)
		out.Items = make([]*Node, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, pos, depth)
	case yaml.ScalarNode:
		if err := c.count(n.Value, pos); err != nil {
			return nil, err
		}
		out := c.node(Null, pos)
		if err := scalar(n, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, &posError{pos, diag.CodeParse, "unsupported YAML node"}
}

func (c *converter) mapping(n *yaml.Node, pos Pos, depth int) (*Node, *posError) {
	out := c.node(Map, pos)
	out.Fields = make([]Field, 0, len(n.Content)/2)
	seen := keySet{fields: &out.Fields}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kpos := Pos{Line: k.Line, Column: k.Column}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, &posError{kpos, diag.CodeParse, "mapping keys must be plain values, not maps or lists"}
		}
		if seen.has(k.Value) {
			return nil, &posError{kpos, diag.CodeParse, fmt.Sprintf("duplicate key %q", k.Value)}
		}
		if err := c.count(k.Value, kpos); err != nil {
			return nil, err
		}
		val, err := c.convert(v, depth+1)
		if err != nil {
			return nil, err
		}
		seen.add(Field{Key: k.Value, KeyPos: kpos, Value: val})
	}
	// Merge keys (<<: *base) add the keys the map does not set itself;
	// earlier merged maps win over later ones, as YAML 1.1 defines.
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			merged, err := c.convert(src, depth+1)
			if err != nil {
				return nil, err
			}
			if merged.Kind != Map {
				return nil, &posError{merged.Pos, diag.CodeParse, "a merge key (<<) must refer to a mapping"}
			}
			for _, f := range merged.Fields {
				if !seen.has(f.Key) {
					seen.add(f)
				}
			}
		}
	}
	return out, nil
}

const slabNodes = 64

// node returns a new node of kind at pos, its other fields zero, made in
// place in the slab (no copy of a whole node).
func (c *converter) node(kind Kind, pos Pos) *Node {
	if len(c.slab) == cap(c.slab) {
		c.slab = make([]Node, 0, slabNodes)
	}
	c.slab = c.slab[:len(c.slab)+1]
	n := &c.slab[len(c.slab)-1]
	n.Kind, n.Pos = kind, pos
	return n
}

// keySet is the keys of a map being read, its fields: while there are
// few, a look-up reads them (most maps of a config file have a handful of
// keys, and a Go map per map was a tenth of the decoding's allocations);
// past smallMap they are indexed.
type keySet struct {
	fields *[]Field
	index  map[string]struct{}
}

const smallMap = 16

func (s *keySet) has(key string) bool {
	if s.index != nil {
		_, ok := s.index[key]
		return ok
	}
	for i := range *s.fields {
		if (*s.fields)[i].Key == key {
			return true
		}
	}
	return false
}

// add appends f, a key the map does not have yet.
func (s *keySet) add(f Field) {
	*s.fields = append(*s.fields, f)
	switch {
	case s.index != nil:
		s.index[f.Key] = struct{}{}
	case len(*s.fields) > smallMap:
		s.index = make(map[string]struct{}, 2*len(*s.fields))
		for _, f := range *s.fields {
			s.index[f.Key] = struct{}{}
		}
	}
}

// count adds a key's or a scalar's text to the file's expanded size.
func (c *converter) count(text string, at Pos) *posError {
	c.bytes += len(text)
	if c.bytes > c.limits.MaxExpandedBytes {
		return &posError{cmp.Or(c.alias, at), diag.CodeAliasLimit, fmt.Sprintf(
			"file expands to more than %d bytes (centralConfig.limits.maxExpandedBytes); YAML aliases repeat the text they refer to", c.limits.MaxExpandedBytes)}
	}
	return nil
}

// scalar resolves a scalar by the YAML 1.2 core schema tag the parser gave
// it into out, which holds its position; timestamps and binary stay
// strings, as Backstage's parser keeps them.
func scalar(n *yaml.Node, out *Node) *posError {
	pos := out.Pos
	switch n.ShortTag() {
	case "!!null":
		out.Kind = Null
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return &posError{pos, diag.CodeParse, err.Error()}
		}
		out.Kind, out.Bool = Bool, b
		return nil
	case "!!int":
		var i int
		if err := n.Decode(&i); err == nil {
			out.Kind, out.Int = Int, i
			return nil
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return &posError{pos, diag.CodeParse, fmt.Sprintf("integer %q is out of range", n.Value)}
		}
		out.Kind, out.Float = Float, f
		return nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return &posError{pos, diag.CodeParse, err.Error()}
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			// JSON cannot carry them; Backstage would turn them into null.
			out.Kind = Null
			return nil
		}
		out.Kind, out.Float = Float, f
		return nil
	}
	out.Kind, out.Str = String, n.Value
	return nil
}
