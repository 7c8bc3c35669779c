package source

import (
	"net/url"
	"strings"
)

// WebLinks builds file URLs from templates with the placeholders {revision},
// {branch} and {path}, for example
// "https://github.com/org/repo/blob/{revision}/{path}", and commit URLs
// from a template with {revision}, for example
// "https://github.com/org/repo/commit/{revision}".
type WebLinks struct {
	// ViewTemplate is the browser URL of a file at a revision.
	ViewTemplate string
	// EditTemplate is the browser URL to edit a file on its branch; may
	// be empty.
	EditTemplate string
	// CommitTemplate is the browser URL of a commit; may be empty, then
	// there are no commit links.
	CommitTemplate string
	// Branch fills {branch}.
	Branch string
}

// GitHubLinks returns the links of a repository on github.com or a GitHub
// Enterprise server whose web address is webBase (for example
// "https://github.com" or "https://ghe.example.com").
func GitHubLinks(webBase, owner, repo, branch string) WebLinks {
	base := strings.TrimSuffix(webBase, "/") + "/" + url.PathEscape(owner) + "/" + url.PathEscape(repo)
	return WebLinks{
		ViewTemplate:   base + "/blob/{revision}/{path}",
		EditTemplate:   base + "/edit/{branch}/{path}",
		CommitTemplate: base + "/commit/{revision}",
		Branch:         branch,
	}
}

// Location implements Links: a Backstage location ref of type url.
func (w WebLinks) Location(revision, p string) string {
	return "url:" + w.View(revision, p)
}

// View implements Links.
func (w WebLinks) View(revision, p string) string {
	return w.expand(w.ViewTemplate, revision, p)
}

// Edit implements Links.
func (w WebLinks) Edit(p string) string {
	if w.EditTemplate == "" {
		return ""
	}
	return w.expand(w.EditTemplate, "", p)
}

// Commit implements Links: "" without a template or a revision.
func (w WebLinks) Commit(revision string) string {
	if w.CommitTemplate == "" || revision == "" {
		return ""
	}
	return w.expand(w.CommitTemplate, revision, "")
}

// expand fills a template's placeholders. It runs for every entity of a
// sync, so it scans the template once instead of building a replacer.
func (w WebLinks) expand(tmpl, revision, p string) string {
	var b strings.Builder
	b.Grow(len(tmpl) + len(revision) + len(p))
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		rest := tmpl[i:]
		switch {
		case strings.HasPrefix(rest, "{revision}"):
			b.WriteString(revision)
			tmpl = rest[len("{revision}"):]
		case strings.HasPrefix(rest, "{branch}"):
			b.WriteString(w.Branch)
			tmpl = rest[len("{branch}"):]
		case strings.HasPrefix(rest, "{path}"):
			b.WriteString(escapePath(p))
			tmpl = rest[len("{path}"):]
		default:
			b.WriteByte('{')
			tmpl = rest[1:]
		}
	}
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		parts[i] = url.PathEscape(part)
	}
	return strings.Join(parts, "/")
}
