package review

import (
	"fmt"
	"strings"
)

// Size limits of where a summary goes.
const (
	// MaxComment is the longest pull-request comment GitHub accepts
	// (65,536 characters); a summary of at most this many bytes fits a
	// comment and a job summary (1 MiB) alike.
	MaxComment = 65536
	// MinMarkdown is the smallest size Markdown is asked for: the counts
	// and the verdict always fit.
	MinMarkdown = 4096
)

// maxTouched is how many entities changed only by their file's revision
// are named in one line.
const maxTouched = 20

// footerRoom is kept free for the line that says what was left out.
const footerRoom = 300

// Markdown returns a short review summary for a GitHub Actions job summary
// or a pull-request comment: the counts and the guard's verdict first, the
// details folded in <details> blocks, at most maxBytes long (at least
// MinMarkdown). Details that do not fit are left out, with a last line
// that says how many.
func (r *Report) Markdown(maxBytes int) string {
	maxBytes = max(maxBytes, MinMarkdown)
	w := &mdWriter{max: maxBytes - footerRoom}
	w.head("### central-config: what this pull request does to the catalog\n\n")
	w.head(fmt.Sprintf("Base `%s`, head `%s`.\n\n", Short(r.Base), Short(r.Head)))
	w.head("| Added | Changed | Removed | Unchanged | Ownership moves | Files kept (failing) |\n|---:|---:|---:|---:|---:|---:|\n")
	w.head(fmt.Sprintf("| %d | %d | %d | %d | %d | %d |\n\n", r.Counts.Added, r.Counts.Changed, r.Counts.Removed, r.Counts.Unchanged, len(r.OwnerMoves()), len(r.Kept)))
	mark := "✅"
	if r.Guard.Refused {
		mark = "⛔"
	}
	w.head(fmt.Sprintf("%s **Mass-deletion guard:** %s.\n\n", mark, r.GuardLine()))
	if !r.Kafka.Empty() {
		w.head("**Kafka:** " + r.Kafka.Summary() + ".\n\n")
	}
	w.head("**Diagnostics:** " + r.DiagSummary() + ".\n\n")

	for _, g := range r.byKind() {
		var items []string
		for _, e := range g.added {
			items = append(items, fmt.Sprintf("- added %s in %s", code(e.Ref), code(where(e))))
		}
		var touched []string
		for _, c := range g.changed {
			if len(c.Fields) == 0 {
				touched = append(touched, code(c.Ref))
				continue
			}
			items = append(items, fmt.Sprintf("- changed %s in %s: %s", code(c.Ref), code(where(c.Entity)), fieldsMarkdown(c)))
		}
		if n := len(touched); n > 0 {
			if n > maxTouched {
				touched = append(touched[:maxTouched], fmt.Sprintf("and %d more", n-maxTouched))
			}
			items = append(items, fmt.Sprintf("- %d changed only by their file's new revision (the engine's annotations): %s", n, strings.Join(touched, ", ")))
		}
		for _, e := range g.removed {
			items = append(items, fmt.Sprintf("- removed %s (was in %s)", code(e.Ref), code(where(e))))
		}
		w.section(fmt.Sprintf("%s: %d added, %d changed, %d removed", g.kind, len(g.added), len(g.changed), len(g.removed)), items)
	}
	if moves := r.OwnerMoves(); len(moves) > 0 {
		var items []string
		for _, c := range moves {
			f, _ := c.owner()
			items = append(items, fmt.Sprintf("- %s: %s → %s", code(c.Ref), code(value(f.Old)), code(value(f.New))))
		}
		w.section(fmt.Sprintf("Ownership moves: %d", len(moves)), items)
	}
	if len(r.Kept) > 0 {
		var items []string
		for _, k := range r.Kept {
			items = append(items, fmt.Sprintf("- %s fails: %s", code(k.File), codeList(k)))
		}
		w.section(fmt.Sprintf("Files that fail at the head, their base entities kept: %d", len(r.Kept)), items)
	}
	if !r.Kafka.Empty() {
		var items []string
		for _, line := range r.Kafka.Lines() {
			items = append(items, "- "+code(line))
		}
		w.section("Kafka topology", items)
	}
	if len(r.NewDiags)+len(r.Fixed) > 0 {
		var items []string
		for _, d := range r.NewDiags {
			items = append(items, "- new: "+code(d.String()))
		}
		for _, d := range r.Fixed {
			items = append(items, "- fixed: "+code(d.String()))
		}
		w.section(fmt.Sprintf("Diagnostics: %d new, %d fixed", len(r.NewDiags), len(r.Fixed)), items)
	}
	if w.omitted > 0 {
		fmt.Fprintf(&w.b, "\n_%d more %s left out to keep this summary under %d bytes; `central-config diff` (text or json) lists everything._\n",
			w.omitted, plural(w.omitted, "line", "lines"), maxBytes)
	}
	return w.b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func fieldsMarkdown(c Change) string {
	parts := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		parts[i] = code(FieldText(f))
	}
	return strings.Join(parts, ", ")
}

func codeList(k Kept) string {
	if len(k.Entities) == 0 {
		return keptText(k)
	}
	parts := make([]string, len(k.Entities))
	for i, e := range k.Entities {
		parts[i] = code(e)
	}
	return fmt.Sprintf("keeps %d: %s", len(k.Entities), strings.Join(parts, ", "))
}

// code renders s as a Markdown code span, which shows text as written
// (no emphasis, links or HTML): the fence is one backtick longer than the
// longest run inside, line breaks become spaces.
func code(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdWriter writes a summary up to a size: the head always, then sections
// whose lines go in while they fit; the lines that do not are counted.
type mdWriter struct {
	b       strings.Builder
	max     int
	omitted int
	// full is set once a line did not fit: every later line is left
	// out too, so what is shown is a prefix, not a sample.
	full bool
}

func (w *mdWriter) head(s string) { w.b.WriteString(s) }

func (w *mdWriter) section(summary string, items []string) {
	open := "<details><summary>" + htmlText(summary) + "</summary>\n\n"
	const closing = "\n</details>\n\n"
	if w.full || w.b.Len()+len(open)+len(closing) > w.max {
		w.full = true
		w.omitted += len(items)
		return
	}
	w.b.WriteString(open)
	for _, item := range items {
		if w.full || w.b.Len()+len(item)+1+len(closing) > w.max {
			w.full = true
			w.omitted++
			continue
		}
		w.b.WriteString(item + "\n")
	}
	w.b.WriteString(closing)
}

// htmlText escapes text for the HTML of a <summary>.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
