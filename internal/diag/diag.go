// Package diag holds the problems the engine reports about user files:
// where (file, line, column), how bad (error or warning), which rule (code)
// and what is wrong, in words a config repo author can act on.
package diag

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Severity says whether a problem blocks the file (error) or is only worth
// knowing about (warning).
type Severity string

const (
	// Error means the file's entities are not published at this revision.
	Error Severity = "error"
	// Warning means the entities are published; something looks wrong.
	Warning Severity = "warning"
	// Info is worth knowing but needs no action: something the engine
	// leaves to Backstage, such as a placeholder of a URL. It is counted
	// neither as an error nor as a warning.
	Info Severity = "info"
)

// Codes name the rule that a problem breaks. They are stable: alert rules,
// dashboards and the status page filter on them.
const (
	CodeParse           = "parse"            // not valid YAML or JSON
	CodeTooLarge        = "too-large"        // a file, placeholder target or entity over limits.maxFileBytes, maxExpandedBytes or maxEntityBytes
	CodeAliasLimit      = "alias-limit"      // YAML aliases expand past limits.maxNodes or limits.maxExpandedBytes
	CodeDepthLimit      = "depth-limit"      // nesting deeper than limits.maxDepth
	CodeSymlink         = "symlink"          // a symlink that leaves the repository
	CodeInvalidEntity   = "invalid-entity"   // breaks Backstage's entity rules
	CodeInvalidRef      = "invalid-ref"      // a malformed entity reference
	CodeDuplicateEntity = "duplicate-entity" // the same entity ref defined twice
	CodeSourceConflict  = "source-conflict"  // an entity another source already publishes
	CodeDanglingRef     = "dangling-ref"     // a ref to an entity no file defines
	CodePlaceholder     = "placeholder"      // a $text/$json/$yaml that cannot be resolved
	CodePlaceholderURL  = "placeholder-url"  // info: a $text/$json/$yaml of an http(s) URL, left for Backstage to resolve
	CodeSchema          = "schema"           // breaks the central-config file format
	CodeRule            = "rule"             // a mapping rule failed on this file
	CodeLocation        = "location"         // a Location's target (missing file, bad URL form), or a Location not published
	CodeKindNotAllowed  = "kind-not-allowed" // an entity of a kind the allow list (catalog.rules) does not allow: not published
	CodeUnknownDocument = "unknown-document" // a document in a config folder that nothing reads
)

// Diagnostic is one problem in one file. Line and Column are 1-based; 0
// means the position is not known (a whole-file problem).
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Severity Severity `json:"severity"`
	Code     string   `json:"code"`
	Message  string   `json:"message"`
}

// String renders the diagnostic the way compilers do, so editors and
// terminals can jump to it: file:line:col: severity: message [code].
func (d Diagnostic) String() string {
	loc := Printable(d.File)
	if d.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", loc, d.Line, max(d.Column, 1))
	}
	return fmt.Sprintf("%s: %s: %s [%s]", loc, d.Severity, Printable(d.Message), d.Code)
}

// Printable returns s as is, or quoted as Go's %q does when it holds a
// control character: a file name or a message printed in a line can then
// not start a line of its own (a GitHub Actions workflow command such as
// ::error:: or ::stop-commands::) or move a terminal's cursor.
func Printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	return strconv.Quote(s)
}

// Error makes a Diagnostic usable as an error value.
func (d Diagnostic) Error() string { return d.String() }

// List is a set of diagnostics, usually of one snapshot.
type List []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(d Diagnostic) bool { return d.Severity == Error })
}

// Count returns how many diagnostics have the given severity.
func (l List) Count(s Severity) int {
	n := 0
	for _, d := range l {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders diagnostics by file, line and column, so output is stable
// whatever order files were processed in.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column), cmp.Compare(a.Message, b.Message))
	})
}

// GitHubCommand renders a GitHub Actions workflow command (level is
// error, warning or notice) that annotates file at line and column (0:
// the whole file), escaped as the runner expects: %, CR and LF in the
// message, and also : and , in the properties.
func GitHubCommand(level, file string, line, column int, title, message string) string {
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	msg := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	s := "::" + level
	var props []string
	if file != "" {
		props = append(props, "file="+prop.Replace(file))
	}
	if file != "" && line > 0 {
		props = append(props, fmt.Sprintf("line=%d,col=%d", line, max(column, 1)))
	}
	if title != "" {
		props = append(props, "title="+prop.Replace(title))
	}
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return s + "::" + msg.Replace(message)
}

// GitHub renders the diagnostic as a GitHub Actions annotation on its
// line; infos become notices, which GitHub shows (and caps) apart from
// errors and warnings.
func (d Diagnostic) GitHub() string {
	level := "error"
	switch d.Severity {
	case Warning:
		level = "warning"
	case Info:
		level = "notice"
	}
	return GitHubCommand(level, d.File, d.Line, d.Column, "central-config "+d.Code, d.Message)
}

// sourceConflict is the message of a source-conflict error: a copy of an
// entity that another source published first is refused. ConflictOf reads
// it back (the status API shows the conflict on that source too).
const sourceConflict = "entity %s is already published by source %q, which published it first; " +
	"this copy is refused and the file keeps the entities of its last good revision"

var sourceConflictPattern = regexp.MustCompile(`^entity (\S+) is already published by source "([^"]+)"`)

// SourceConflict is the error of a file's copy of entity ref (at line and
// column) that source owner publishes first.
func SourceConflict(file string, line, column int, ref, owner string) Diagnostic {
	return Diagnostic{File: file, Line: line, Column: column, Severity: Error, Code: CodeSourceConflict,
		Message: fmt.Sprintf(sourceConflict, ref, owner)}
}

// ConflictOf reads a source-conflict error's message: the entity ref and
// the source that publishes it.
func ConflictOf(message string) (ref, owner string, ok bool) {
	m := sourceConflictPattern.FindStringSubmatch(message)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}
