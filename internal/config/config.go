// Package config reads the engine's configuration from Backstage-style
// app-config files: several files merged in order (later ones win, as
// app-config.local.yaml overrides app-config.yaml), ${VAR} substitution from
// the environment, $env and $file directives, and durations written as
// { minutes: 5 } or ISO 8601 (PT5M). The engine reads the centralConfig key;
// every other key belongs to Backstage and is left alone.
package config

import (
	"fmt"
	"regexp"

	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/mapping"
)

// Key is the top-level key the engine reads.
const Key = "centralConfig"

// Config is the engine's configuration (centralConfig in app-config.yaml).
type Config struct {
	// Sources are the config repositories to read.
	Sources []Source `config:"sources"`
	// Rules map files of other layouts to entities with jq.
	Rules []mapping.RuleSpec `config:"rules"`
	// Limits bound what one file may cost.
	Limits Limits `config:"limits"`
}

// Source is one config repository. Exactly one of Git, GitHub and Dir is set.
type Source struct {
	// ID names the source in status, metrics and annotations.
	ID string `config:"id"`
	// Paths restricts the source to doublestar globs ("catalog/**").
	Paths  []string      `config:"paths"`
	Git    *GitSource    `config:"git"`
	GitHub *GitHubSource `config:"github"`
	Dir    *DirSource    `config:"dir"`
}

// GitSource reads a repository with git over HTTP(S).
type GitSource struct {
	URL      string `config:"url"`
	Branch   string `config:"branch"`
	Username string `config:"username"`
	Token    Secret `config:"token"`
	// ViewURL and EditURL are link templates with {revision}, {branch}
	// and {path}, for hosts whose web address the engine cannot derive.
	ViewURL string `config:"viewUrl"`
	EditURL string `config:"editUrl"`
}

// GitHubSource reads a repository through the GitHub REST API.
type GitHubSource struct {
	Owner  string `config:"owner"`
	Repo   string `config:"repo"`
	Branch string `config:"branch"`
	Token  Secret `config:"token"`
	// APIBaseURL is the API of a GitHub Enterprise Server
	// (https://ghe.example.com/api/v3/); empty means api.github.com.
	APIBaseURL string `config:"apiBaseUrl"`
	// WebURL is the browser address used in links; derived when empty.
	WebURL string `config:"webUrl"`
}

// DirSource reads a local folder.
type DirSource struct {
	Path string `config:"path"`
}

// Limits bound the cost of one file (see document.Limits).
type Limits struct {
	MaxFileBytes int `config:"maxFileBytes"`
	MaxNodes     int `config:"maxNodes"`
	MaxDepth     int `config:"maxDepth"`
}

// Document returns the limits for the decoder, defaults filled in.
func (l Limits) Document() document.Limits {
	return document.Limits{MaxFileBytes: l.MaxFileBytes, MaxNodes: l.MaxNodes, MaxDepth: l.MaxDepth}
}

var sourceID = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// check validates what the decoder cannot: ids, and one kind per source.
func (c *Config) check() error {
	seen := map[string]bool{}
	for i, s := range c.Sources {
		at := fmt.Sprintf("%s.sources[%d]", Key, i)
		if !sourceID.MatchString(s.ID) || len(s.ID) > 63 {
			return fmt.Errorf("%s.id: %q must be lower-case letters, digits and dashes (at most 63)", at, s.ID)
		}
		if seen[s.ID] {
			return fmt.Errorf("%s.id: source id %q is used twice", at, s.ID)
		}
		seen[s.ID] = true
		n := 0
		for _, set := range []bool{s.Git != nil, s.GitHub != nil, s.Dir != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: set exactly one of git, github or dir", at)
		}
		switch {
		case s.Git != nil && s.Git.URL == "":
			return fmt.Errorf("%s.git.url is required", at)
		case s.GitHub != nil && (s.GitHub.Owner == "" || s.GitHub.Repo == ""):
			return fmt.Errorf("%s.github: owner and repo are required", at)
		case s.Dir != nil && s.Dir.Path == "":
			return fmt.Errorf("%s.dir.path is required", at)
		}
	}
	if _, err := mapping.CompileRules(c.Rules); err != nil {
		return err
	}
	return nil
}
