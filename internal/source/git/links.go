package git

import (
	"net/url"
	"strings"

	"github.com/central-config/central-config/internal/source"
)

// linksFor picks the browser links of the repository at u (credentials
// already removed). Templates from config win. github.com and gitlab.com
// have known layouts. Any other HTTP(S) host gets GitHub's view and commit
// layouts, "<URL without .git>/blob/{revision}/{path}" and
// "<URL without .git>/commit/{revision}": they are right for GitHub
// Enterprise, the most common self-hosted case, and a host that differs
// can set ViewURL and CommitURL. It gets no edit link, because a guessed
// edit URL that is wrong is worse than none. When ViewURL is set, the
// guessed layout is dropped altogether: commit links then come only from
// CommitURL. A file:// repository has no web view, so its Links are nil
// unless ViewURL is set.
func linksFor(u *url.URL, branch, viewURL, editURL, commitURL string) source.Links {
	var def *source.WebLinks
	repoPath := strings.TrimSuffix(strings.TrimSuffix(u.EscapedPath(), "/"), ".git")
	host := strings.ToLower(u.Hostname())
	switch {
	case u.Scheme == "file":
	case host == "github.com" || host == "www.github.com":
		if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); len(parts) == 2 {
			l := source.GitHubLinks("https://github.com", parts[0], strings.TrimSuffix(parts[1], ".git"), branch)
			def = &l
		}
	case host == "gitlab.com" || host == "www.gitlab.com":
		base := "https://gitlab.com" + repoPath
		def = &source.WebLinks{
			ViewTemplate:   base + "/-/blob/{revision}/{path}",
			EditTemplate:   base + "/-/edit/{branch}/{path}",
			CommitTemplate: base + "/-/commit/{revision}",
			Branch:         branch,
		}
	}
	if def == nil && u.Scheme != "file" {
		base := u.Scheme + "://" + u.Host + repoPath
		def = &source.WebLinks{
			ViewTemplate:   base + "/blob/{revision}/{path}",
			CommitTemplate: base + "/commit/{revision}",
			Branch:         branch,
		}
	}

	switch {
	case viewURL != "":
		return source.WebLinks{ViewTemplate: viewURL, EditTemplate: editURL, CommitTemplate: commitURL, Branch: branch}
	case def == nil:
		return nil
	}
	if editURL != "" {
		def.EditTemplate = editURL
	}
	if commitURL != "" {
		def.CommitTemplate = commitURL
	}
	return *def
}
