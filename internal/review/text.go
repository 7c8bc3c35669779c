package review

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/central-config/central-config/internal/diag"
)

// maxValue is the longest field value shown as is; a longer or multi-line
// one (an API definition) is shown by its size.
const maxValue = 80

// Short returns a revision as git shows it, its first 12 hex digits
// (after the "sha256:" of a folder's content hash).
func Short(rev string) string {
	prefix, hex := "", rev
	if h, ok := strings.CutPrefix(rev, "sha256:"); ok {
		prefix, hex = "sha256:", h
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	return prefix + hex
}

// Headline sums the change up in one line: the counts, as the engine's run
// would record them.
func (r *Report) Headline() string {
	return fmt.Sprintf("%d entities at the base, %d at the head: %d added, %d changed, %d removed, %d unchanged",
		r.Counts.Before, r.Counts.After, r.Counts.Added, r.Counts.Changed, r.Counts.Removed, r.Counts.Unchanged)
}

// GuardLine is the guard's verdict with the numbers.
func (r *Report) GuardLine() string {
	g := r.Guard
	if g.Removed == 0 {
		return "removes no entities: the mass-deletion guard has nothing to say"
	}
	share := fmt.Sprintf("would remove %d of %d entities (%.0f%%)", g.Removed, g.Total, percent(g.Removed, g.Total))
	switch {
	case g.Refused:
		return fmt.Sprintf("%s: the sync would refuse it (more than the allowed %.0f%%, centralConfig.guard.maxDeletionRatio); nothing of this revision would be published",
			share, g.MaxRatio*100)
	case g.AllowMassDeletion:
		return share + ": allowed, as centralConfig.guard.allowMassDeletion is set"
	}
	return fmt.Sprintf("%s: within the allowed %.0f%%", share, g.MaxRatio*100)
}

func percent(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total) * 100
}

// FieldText renders a changed field for a reader: the items a list gains
// and loses, or the old and the new value.
func FieldText(f Field) string {
	switch {
	case f.Added != nil || f.Removed != nil:
		var parts []string
		for _, s := range f.Added {
			parts = append(parts, "+"+value(s))
		}
		for _, s := range f.Removed {
			parts = append(parts, "-"+value(s))
		}
		return diag.Printable(f.Path) + ": " + strings.Join(parts, ", ")
	case f.Old == nil:
		return diag.Printable(f.Path) + ": added " + value(f.New)
	case f.New == nil:
		return diag.Printable(f.Path) + ": removed (was " + value(f.Old) + ")"
	}
	return diag.Printable(f.Path) + ": " + value(f.Old) + " → " + value(f.New)
}

// value shows a field value, or its size when it is too long to read in a
// line.
func value(v any) string {
	s := text(v)
	if utf8.RuneCountInString(s) > maxValue || strings.ContainsAny(s, "\r\n") {
		return fmt.Sprintf("(%d characters)", utf8.RuneCountInString(s))
	}
	return diag.Printable(s)
}

// ChangeText is a changed entity's fields in one line.
func ChangeText(c Change) string {
	if len(c.Fields) == 0 {
		return "only its file's revision (the engine's annotations)"
	}
	parts := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		parts[i] = FieldText(f)
	}
	return strings.Join(parts, "; ")
}

// where is an entity's file and line, printable (diag.Printable).
func where(e Entity) string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d", diag.Printable(e.File), e.Line)
	}
	return diag.Printable(e.File)
}

// kindGroup is the added, changed and removed entities of one kind.
type kindGroup struct {
	kind    string
	added   []Entity
	changed []Change
	removed []Entity
}

// byKind groups the entities by kind, sorted by kind.
func (r *Report) byKind() []*kindGroup {
	var out []*kindGroup
	get := func(kind string) *kindGroup {
		for _, g := range out {
			if strings.EqualFold(g.kind, kind) {
				return g
			}
		}
		g := &kindGroup{kind: kind}
		out = append(out, g)
		return g
	}
	for _, e := range r.Added {
		g := get(e.Kind)
		g.added = append(g.added, e)
	}
	for _, c := range r.Changed {
		g := get(c.Kind)
		g.changed = append(g.changed, c)
	}
	for _, e := range r.Removed {
		g := get(e.Kind)
		g.removed = append(g.removed, e)
	}
	slices.SortFunc(out, func(a, b *kindGroup) int { return strings.Compare(strings.ToLower(a.kind), strings.ToLower(b.kind)) })
	return out
}

// Text writes the whole report for a terminal.
func (r *Report) Text(w io.Writer) {
	fmt.Fprintf(w, "central-config diff %s..%s\n", Short(r.Base), Short(r.Head))
	fmt.Fprintln(w, r.Headline())
	fmt.Fprintln(w, "guard: "+r.GuardLine())
	for _, g := range r.byKind() {
		fmt.Fprintf(w, "\n%s: %d added, %d changed, %d removed\n", g.kind, len(g.added), len(g.changed), len(g.removed))
		for _, e := range g.added {
			fmt.Fprintf(w, "  + %s (%s)\n", diag.Printable(e.Ref), where(e))
		}
		for _, c := range g.changed {
			fmt.Fprintf(w, "  ~ %s (%s)\n", diag.Printable(c.Ref), where(c.Entity))
			for _, f := range c.Fields {
				fmt.Fprintf(w, "      %s\n", FieldText(f))
			}
			if len(c.Fields) == 0 {
				fmt.Fprintf(w, "      %s\n", ChangeText(c))
			}
		}
		for _, e := range g.removed {
			fmt.Fprintf(w, "  - %s (was %s)\n", diag.Printable(e.Ref), where(e))
		}
	}
	if moves := r.OwnerMoves(); len(moves) > 0 {
		fmt.Fprintf(w, "\nownership moves: %d\n", len(moves))
		for _, c := range moves {
			f, _ := c.owner()
			fmt.Fprintf(w, "  %s: %s → %s\n", diag.Printable(c.Ref), value(f.Old), value(f.New))
		}
	}
	if len(r.Kept) > 0 {
		fmt.Fprintf(w, "\nkept: %d files fail at the head; the engine keeps the entities they published at the base\n", len(r.Kept))
		for _, k := range r.Kept {
			fmt.Fprintf(w, "  %s: %s\n", diag.Printable(k.File), keptText(k))
		}
	}
	if !r.Kafka.Empty() {
		fmt.Fprintf(w, "\nkafka: %s\n", r.Kafka.Summary())
		for _, line := range r.Kafka.Lines() {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	fmt.Fprintf(w, "\ndiagnostics: %s\n", r.DiagSummary())
	for _, d := range r.NewDiags {
		fmt.Fprintf(w, "  new: %s\n", d)
	}
	for _, d := range r.Fixed {
		fmt.Fprintf(w, "  fixed: %s\n", d)
	}
}

func keptText(k Kept) string {
	if len(k.Entities) == 0 {
		return "keeps no entities (none were published from it at the base)"
	}
	refs := make([]string, len(k.Entities))
	for i, ref := range k.Entities {
		refs[i] = diag.Printable(ref)
	}
	return fmt.Sprintf("keeps %d: %s", len(k.Entities), strings.Join(refs, ", "))
}

// DiagSummary counts the diagnostics the head adds and fixes.
func (r *Report) DiagSummary() string {
	return fmt.Sprintf("%d new (%s, %s), %d fixed; the head has %s and %s in all",
		len(r.NewDiags),
		count(r.NewDiags.Count(diag.Error), "error", "errors"), count(r.NewDiags.Count(diag.Warning), "warning", "warnings"),
		len(r.Fixed), count(r.HeadErrors, "error", "errors"), count(r.HeadWarnings, "warning", "warnings"))
}

// count writes n with the noun in its number.
func count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + plural(n, one, many)
}

// Summary counts the topology's changes; only what changes is named.
func (k Kafka) Summary() string {
	edges := func(es []Edge, access, one, many, how string) string {
		n := 0
		for _, e := range es {
			if e.Access == access {
				n++
			}
		}
		if s := nonZero(n, one, many); s != "" {
			return s + " " + how
		}
		return ""
	}
	var parts []string
	for _, p := range []string{
		nonZero(len(k.TopicsAdded), "topic added", "topics added"),
		nonZero(len(k.TopicsRemoved), "topic removed", "topics removed"),
		nonZero(len(k.Partitions), "topic with a new partition count", "topics with new partition counts"),
		edges(k.EdgesAdded, "produces", "producer", "producers", "added"),
		edges(k.EdgesAdded, "consumes", "consumer", "consumers", "added"),
		edges(k.EdgesRemoved, "produces", "producer", "producers", "removed"),
		edges(k.EdgesRemoved, "consumes", "consumer", "consumers", "removed"),
	} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

func nonZero(n int, one, many string) string {
	if n == 0 {
		return ""
	}
	return count(n, one, many)
}

// Lines lists the topology's changes, one per line.
func (k Kafka) Lines() []string {
	var out []string
	p := diag.Printable
	for _, t := range k.TopicsAdded {
		out = append(out, "+ topic "+p(t))
	}
	for _, t := range k.TopicsRemoved {
		out = append(out, "- topic "+p(t))
	}
	for _, c := range k.Partitions {
		out = append(out, fmt.Sprintf("~ topic %s: partitions %d → %d", p(c.Topic), c.Old, c.New))
	}
	for _, e := range k.EdgesAdded {
		out = append(out, fmt.Sprintf("+ %s %s %s", p(e.Application), e.Access, p(e.Topic)))
	}
	for _, e := range k.EdgesRemoved {
		out = append(out, fmt.Sprintf("- %s %s %s", p(e.Application), e.Access, p(e.Topic)))
	}
	return out
}
