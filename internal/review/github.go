package review

import (
	"fmt"
	"io"

	"github.com/central-config/central-config/internal/diag"
)

// GitHub writes GitHub Actions workflow commands: a notice on the line of
// each added entity and a warning on the line of each changed one (in the
// head's file; not for one whose file's revision is all that changes), a warning on the file of each removed entity and of each
// file whose base entities are kept, an error when the guard would refuse
// the revision, and each new diagnostic at its severity. The last line is
// the headline, as plain text.
func (r *Report) GitHub(w io.Writer) {
	const title = "central-config diff"
	for _, e := range r.Added {
		fmt.Fprintln(w, diag.GitHubCommand("notice", r.inRepo(e.File), e.Line, 1, title+": entity added", e.Ref+" is added to the catalog"))
	}
	for _, c := range r.Changed {
		if len(c.Fields) == 0 {
			// Only the engine's annotations: noise on the line.
			continue
		}
		fmt.Fprintln(w, diag.GitHubCommand("warning", r.inRepo(c.File), c.Line, 1, title+": entity changed", c.Ref+" changes: "+ChangeText(c)))
	}
	for _, e := range r.Removed {
		// The base's line may hold something else at the head.
		fmt.Fprintln(w, diag.GitHubCommand("warning", r.inRepo(e.File), 0, 0, title+": entity removed",
			fmt.Sprintf("%s (was at %s) is removed from the catalog", e.Ref, where(e))))
	}
	for _, k := range r.Kept {
		fmt.Fprintln(w, diag.GitHubCommand("warning", k.File, 0, 0, title+": entities kept",
			k.File+" fails at this revision, so the engine publishes nothing new from it and "+keptText(k)))
	}
	if r.Guard.Refused {
		fmt.Fprintln(w, diag.GitHubCommand("error", "", 0, 0, title+": mass-deletion guard", r.GuardLine()))
	}
	for _, d := range r.NewDiags {
		fmt.Fprintln(w, d.GitHub())
	}
	fmt.Fprintln(w, r.Headline())
	fmt.Fprintln(w, "guard: "+r.GuardLine())
}
