// Package walk holds what the Kafka readers share to read a document tree:
// the start of every reader (Read: no document, a document of another
// format, the "looks like ... but" prefix of messages), typed access to
// nodes that reports every wrong shape at its position, in one consistent
// wording, instead of panicking or skipping it, and what an ACL rule
// grants (Grant).
package walk

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
)

// Reader reads one document and collects its problems.
type Reader struct {
	Doc     *document.Document
	Dialect kafka.Dialect
	// Code is the diagnostic code of errors.
	Code string
	// Prefix starts every message; for a foreign dialect it says what the
	// document was taken for ("looks like a JulieOps descriptor (has
	// context and projects) but "), so an author who did not mean it as
	// Kafka config understands why it was read at all.
	Prefix string
	Diags  diag.List
}

// Format describes a dialect's documents to Read.
type Format struct {
	Dialect kafka.Dialect
	// Code is the diagnostic code of errors.
	Code string
	// Detect claims a document and says why (see dialect.Reader).
	Detect func(*document.Document) (reason string, ok bool)
	// Looks names what a claimed document was taken for ("a JulieOps
	// descriptor"): messages then start with "looks like a JulieOps
	// descriptor (has context and projects) but ". Empty: no prefix.
	Looks string
	// NotIt is the error for a document that Detect does not claim.
	NotIt string
}

// Read reads one document of a format into a fragment: no document
// reads as nothing, one the format does not claim as the one error
// NotIt at its root; any other is given to body with the Reader that
// reports on it and the fragment to fill.
func Read(doc *document.Document, f Format, body func(r *Reader, root *document.Node, out *kafka.Topology)) (*kafka.Topology, diag.List) {
	out := &kafka.Topology{}
	if doc == nil {
		return out, nil
	}
	r := &Reader{Doc: doc, Dialect: f.Dialect, Code: f.Code}
	reason, ok := f.Detect(doc)
	if !ok {
		pos := document.Pos{Line: 1, Column: 1}
		if doc.Root != nil {
			pos = doc.Root.Pos
		}
		r.Errorf(pos, "%s", f.NotIt)
		return out, r.Diags
	}
	if f.Looks != "" {
		r.Prefix = fmt.Sprintf("looks like %s (%s) but ", f.Looks, reason)
	}
	body(r, doc.Root, out)
	return out, r.Diags
}

// Errorf reports an error at a position.
func (r *Reader) Errorf(pos document.Pos, format string, args ...any) {
	r.add(diag.Error, pos, format, args...)
}

// Warnf reports a warning at a position.
func (r *Reader) Warnf(pos document.Pos, format string, args ...any) {
	r.add(diag.Warning, pos, format, args...)
}

func (r *Reader) add(sev diag.Severity, pos document.Pos, format string, args ...any) {
	r.Diags = append(r.Diags, diag.Diagnostic{File: r.Doc.File, Line: pos.Line, Column: pos.Column,
		Severity: sev, Code: r.Code, Message: r.Prefix + fmt.Sprintf(format, args...)})
}

// Failed reports whether an error was reported.
func (r *Reader) Failed() bool { return r.Diags.HasErrors() }

// Source returns the source of an element at a position of the document.
func (r *Reader) Source(pos document.Pos) kafka.Source {
	return kafka.Source{File: r.Doc.File, Pos: pos, Dialect: r.Dialect}
}

// Describe names a node's kind for messages: "a mapping", "a list",
// "a string", "empty".
func Describe(n *document.Node) string {
	if n == nil || n.Kind == document.Null {
		return "empty"
	}
	switch n.Kind {
	case document.Map:
		return "a mapping"
	case document.Seq:
		return "a list"
	case document.Int:
		return "an integer"
	case document.Float:
		return "a number"
	case document.Bool:
		return "a boolean"
	}
	return "a string"
}

func (r *Reader) wrong(n *document.Node, path, want string) {
	if n.Kind == document.Null {
		r.Errorf(n.Pos, "%s must be %s, but is empty", path, want)
		return
	}
	r.Errorf(n.Pos, "%s must be %s, not %s", path, want, Describe(n))
}

// Map checks that n is a mapping.
func (r *Reader) Map(n *document.Node, path string) bool {
	if n.Kind != document.Map {
		r.wrong(n, path, "a mapping")
		return false
	}
	return true
}

// List checks that n is a list.
func (r *Reader) List(n *document.Node, path string) bool {
	if n.Kind != document.Seq {
		r.wrong(n, path, "a list")
		return false
	}
	return true
}

// OptList returns the items of an optional list: none when the key is
// absent or empty (null), an error when it is something else.
func (r *Reader) OptList(n *document.Node, path string) []*document.Node {
	if n == nil || n.Kind == document.Null {
		return nil
	}
	if !r.List(n, path) {
		return nil
	}
	return n.Items
}

// OptMap returns the fields of an optional mapping, like OptList.
func (r *Reader) OptMap(n *document.Node, path string) []document.Field {
	if n == nil || n.Kind == document.Null {
		return nil
	}
	if !r.Map(n, path) {
		return nil
	}
	return n.Fields
}

// Str returns a string value. Numbers and booleans are not strings: a
// name written as 2024 or yes is reported rather than silently converted.
func (r *Reader) Str(n *document.Node, path string) (string, bool) {
	if n.Kind != document.String {
		r.wrong(n, path, "a string")
		return "", false
	}
	return n.Str, true
}

// Name returns a required non-empty string.
func (r *Reader) Name(n *document.Node, path string) (string, bool) {
	return r.nonEmpty(n, path, r.Str)
}

// TextName returns a required non-empty plain value as text, the way
// JulieOps name parts are written (see Text).
func (r *Reader) TextName(n *document.Node, path string) (string, bool) {
	return r.nonEmpty(n, path, r.Text)
}

func (r *Reader) nonEmpty(n *document.Node, path string, read func(*document.Node, string) (string, bool)) (string, bool) {
	s, ok := read(n, path)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		r.Errorf(n.Pos, "%s must not be empty", path)
		return "", false
	}
	return s, true
}

// Text returns any plain value (string, number, boolean) as text, the way
// Kafka configs and JulieOps name parts are written either way.
func (r *Reader) Text(n *document.Node, path string) (string, bool) {
	switch n.Kind {
	case document.String, document.Int, document.Float, document.Bool:
		return n.String(), true
	}
	r.wrong(n, path, "a plain value (text or number)")
	return "", false
}

// Int returns a positive integer.
func (r *Reader) Int(n *document.Node, path string) (int, bool) {
	if n.Kind != document.Int {
		r.wrong(n, path, "an integer")
		return 0, false
	}
	if n.Int < 1 {
		r.Errorf(n.Pos, "%s must be at least 1, not %d", path, n.Int)
		return 0, false
	}
	return n.Int, true
}

// IntText returns a positive integer written as a number or as text
// ("3"), as JulieOps configs are.
func (r *Reader) IntText(n *document.Node, path string) (int, bool) {
	if n.Kind == document.String {
		i, err := strconv.Atoi(strings.TrimSpace(n.Str))
		if err != nil {
			r.Errorf(n.Pos, "%s must be a whole number, not %q", path, n.Str)
			return 0, false
		}
		if i < 1 {
			r.Errorf(n.Pos, "%s must be at least 1, not %d", path, i)
			return 0, false
		}
		return i, true
	}
	return r.Int(n, path)
}

// Strings returns an optional list of non-empty strings with their
// positions.
func (r *Reader) Strings(n *document.Node, path string) ([]string, []document.Pos, bool) {
	if n == nil || n.Kind == document.Null {
		return nil, nil, true
	}
	if !r.List(n, path) {
		return nil, nil, false
	}
	ok := true
	var out []string
	var pos []document.Pos
	for i, it := range n.Items {
		s, good := r.Name(it, Index(path, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		pos = append(pos, it.Pos)
	}
	return out, pos, ok
}

// Config reads a mapping of plain values (a topic's config) into text,
// with the position of each value.
func (r *Reader) Config(n *document.Node, path string) (map[string]string, map[string]document.Pos, bool) {
	if n == nil || n.Kind == document.Null {
		return nil, nil, true
	}
	if !r.Map(n, path) {
		return nil, nil, false
	}
	out := make(map[string]string, len(n.Fields))
	pos := make(map[string]document.Pos, len(n.Fields))
	ok := true
	for _, f := range n.Fields {
		v, good := r.Text(f.Value, Key(path, f.Key))
		if !good {
			ok = false
			continue
		}
		out[f.Key] = v
		pos[f.Key] = f.Value.Pos
	}
	return out, pos, ok
}

// Field records where a field of an element is written, as name in
// fields (made when nil).
func (r *Reader) Field(fields *map[string]kafka.Source, name string, pos document.Pos) {
	if *fields == nil {
		*fields = map[string]kafka.Source{}
	}
	(*fields)[name] = r.Source(pos)
}

// OptInt reads the optional positive integer at key of the mapping n
// (see Int) into dst and records it as field name; false after a
// problem.
func (r *Reader) OptInt(n *document.Node, path, key string, dst *int, fields *map[string]kafka.Source, name string) bool {
	v := n.Get(key)
	if v == nil {
		return true
	}
	i, ok := r.Int(v, Key(path, key))
	if ok {
		*dst = i
		r.Field(fields, name, v.Pos)
	}
	return ok
}

// TopicConfig reads a topic's config mapping (see Config) into t, with
// the source of each value as field config.<key>.
func (r *Reader) TopicConfig(t *kafka.Topic, n *document.Node, path string) bool {
	cfg, pos, ok := r.Config(n, path)
	if len(cfg) == 0 {
		return ok
	}
	t.Config = cfg
	for k, p := range pos {
		r.Field(&t.Fields, "config."+k, p)
	}
	return ok
}

// Strict reports every key of the mapping n that is not allowed, at the
// key: a typo never goes unnoticed.
func (r *Reader) Strict(n *document.Node, path string, allowed ...string) {
	for _, f := range n.Fields {
		if !slices.Contains(allowed, f.Key) {
			where := ""
			if path != "" {
				where = " in " + path
			}
			r.Errorf(f.KeyPos, "unknown key %q%s; allowed: %s", f.Key, where, strings.Join(allowed, ", "))
		}
	}
}

// Required returns the value of a key that must be there, reporting its
// absence at the mapping.
func (r *Reader) Required(n *document.Node, path, key string) *document.Node {
	v := n.Get(key)
	if v == nil {
		if path == "" {
			r.Errorf(n.Pos, "%s is missing", key)
		} else {
			r.Errorf(n.Pos, "%s is missing", Key(path, key))
		}
	}
	return v
}

// KeyPos returns the position of a key of a mapping, or the mapping's own.
func KeyPos(n *document.Node, key string) document.Pos {
	for _, f := range n.Fields {
		if f.Key == key {
			return f.KeyPos
		}
	}
	return n.Pos
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Key renders path.key for messages, or path["key"] when the key has
// characters that would make the path ambiguous (topic names with dots).
func Key(path, key string) string {
	if !plainKey.MatchString(key) {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// Index renders path[i] for messages.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Resource is the kind of resource an ACL rule is on, as far as the
// topology cares.
type Resource int

const (
	// OtherResource is a resource that grants nothing the topology holds
	// (the cluster, a transactional id, ...).
	OtherResource Resource = iota
	// TopicResource is a topic or topic prefix.
	TopicResource
	// GroupResource is a consumer group or group prefix.
	GroupResource
)

// Grant applies an allowed ACL rule to an application: writing a topic
// makes it a producer, reading one a consumer, reading a group a member
// of that group (a prefix as prefix*). acl carries the pattern, the
// cluster and the source; Grant sets the access.
func Grant(a *kafka.Application, res Resource, acl kafka.ACL, read, write bool) {
	switch res {
	case TopicResource:
		if write {
			acl.Access = kafka.Produce
			a.Grant(acl)
		}
		if read {
			acl.Access = kafka.Consume
			a.Grant(acl)
		}
	case GroupResource:
		if read {
			g := acl.Pattern
			if acl.PatternType == kafka.Prefixed {
				g += "*"
			}
			a.ConsumerGroups = append(a.ConsumerGroups, g)
		}
	}
}
