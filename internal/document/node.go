// Package document decodes user files (YAML, multi-document, and JSON) into
// trees that remember where every value came from, so that every later
// problem can name file, line and column. It enforces the limits that keep
// a hostile or broken file from taking the engine down: file size, alias
// expansion and nesting depth.
package document

import (
	"strconv"
	"strings"
)

// Kind is the type of a node's value.
type Kind uint8

// The kinds of value a node can hold.
const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Map
	Seq
)

var kindNames = [...]string{"null", "boolean", "integer", "number", "string", "mapping", "list"}

func (k Kind) String() string { return kindNames[k] }

// Pos is a 1-based line and column in a file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Node is one value of a decoded document with its position. Maps keep the
// order of their keys as written.
type Node struct {
	Kind   Kind
	Bool   bool
	Pos    Pos
	Int    int
	Float  float64
	Str    string
	Fields []Field
	Items  []*Node
}

// Field is one key of a map.
type Field struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// Document is one YAML document (or one JSON file) of a file.
type Document struct {
	// File is the repository path the document was read from.
	File string
	// Index is the document's 0-based place in a multi-document file.
	Index int
	Root  *Node
}

// Get returns the value of key in a map node, or nil when n is not a map or
// has no such key.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			return n.Fields[i].Value
		}
	}
	return nil
}

// Lookup follows a path of map keys and list indexes ("spec", "owner",
// "0") and returns the node at its end, or the deepest node on the way,
// so that an error about a missing field still points somewhere useful.
func (n *Node) Lookup(path ...string) (found *Node, exact bool) {
	cur := n
	for _, p := range path {
		var next *Node
		switch {
		case cur == nil:
		case cur.Kind == Map:
			next = cur.Get(p)
		case cur.Kind == Seq:
			if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(cur.Items) {
				next = cur.Items[i]
			}
		}
		if next == nil {
			return cur, false
		}
		cur = next
	}
	return cur, true
}

// String returns the node's scalar value as text, and "" for maps, lists
// and null.
func (n *Node) String() string {
	if n == nil {
		return ""
	}
	switch n.Kind {
	case String:
		return n.Str
	case Bool:
		return strconv.FormatBool(n.Bool)
	case Int:
		return strconv.Itoa(n.Int)
	case Float:
		return strconv.FormatFloat(n.Float, 'g', -1, 64)
	}
	return ""
}

// Value converts the node into plain Go values (map[string]any, []any,
// string, bool, int, float64, nil), the shapes encoding/json and gojq use.
func (n *Node) Value() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case Bool:
		return n.Bool
	case Int:
		return n.Int
	case Float:
		return n.Float
	case String:
		return n.Str
	case Map:
		m := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			m[f.Key] = f.Value.Value()
		}
		return m
	case Seq:
		s := make([]any, len(n.Items))
		for i, it := range n.Items {
			s[i] = it.Value()
		}
		return s
	}
	return nil
}

// PathString renders a path for messages: spec.owner, metadata.tags[2].
func PathString(path ...string) string {
	var b strings.Builder
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
