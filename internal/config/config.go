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
	"slices"

	"github.com/central-config/central-config/internal/catalog"
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
	// CompiledRules are Rules compiled by Load, so the expressions are
	// checked and compiled once.
	CompiledRules []*mapping.Rule
	// Catalog says which entity kinds are published, as Backstage's
	// catalog key does.
	Catalog Catalog `config:"catalog"`
	// Limits bound what one file may cost.
	Limits Limits `config:"limits"`
	// Guard refuses runs that would delete too much.
	Guard Guard `config:"guard"`
	// Database is where the engine keeps its state.
	Database Database `config:"database"`
	// Server is the engine's HTTP API.
	Server Server `config:"server"`
	// Webhooks verify push events that trigger syncs.
	Webhooks Webhooks `config:"webhooks"`
	// History bounds the stored sync runs.
	History History `config:"history"`
	// CacheDir holds git clones between runs; default .data/cache.
	CacheDir string `config:"cacheDir"`
	// Logging sets the log level and format.
	Logging Logging `config:"logging"`
	// Notify tells consumers about new generations.
	Notify Notify `config:"notify"`
	// Kafka configures what the engine does with Kafka clusters beyond
	// reading their declarations (live discovery and drift).
	Kafka Kafka `config:"kafka"`
}

// Catalog holds the allow list of entity kinds, in the shape and with the
// meaning of Backstage's catalog.rules.
type Catalog struct {
	// Rules allow kinds for every source; nil (not set) means
	// mapping.DefaultKinds, an empty list allows none.
	Rules []KindRule `config:"rules"`
}

// KindRule is one rule of an allow list: the kinds it allows.
type KindRule struct {
	Allow []string `config:"allow"`
}

// Kinds returns the allow list of the source at index i (-1: the global
// one only): the global rules (or the default kinds when none are set)
// plus the source's own rules, as Backstage adds a location's rules to
// the global ones.
func (c *Config) Kinds(i int) mapping.KindRules {
	allow := mapping.DefaultKinds
	if c.Catalog.Rules != nil {
		allow = []string{}
		for _, r := range c.Catalog.Rules {
			allow = append(allow, r.Allow...)
		}
	}
	keys := []string{mapping.GlobalKindsKey}
	if i >= 0 && i < len(c.Sources) {
		for _, r := range c.Sources[i].Rules {
			allow = append(slices.Clip(allow), r.Allow...)
		}
		keys = append(keys, fmt.Sprintf("%s.sources[%d].rules", Key, i))
	}
	return mapping.KindRules{Allow: allow, Keys: keys, GlobalRules: c.Catalog.Rules != nil}
}

// CheckKinds returns the allow list for a folder checked outside the
// service (validate, render): the global rules, plus the source's own when
// the configuration has exactly one source (the repository being
// checked is then that source's).
func (c *Config) CheckKinds() mapping.KindRules {
	if len(c.Sources) == 1 {
		return c.Kinds(0)
	}
	return c.Kinds(-1)
}

// checkKindRules checks the allow lists: every rule has allow, and every
// kind is a valid kind name.
func checkKindRules(rules []KindRule, at string) error {
	for i, r := range rules {
		p := fmt.Sprintf("%s[%d].allow", at, i)
		if r.Allow == nil {
			return fmt.Errorf("%s is required: a list of kinds, like [Component, API]", p)
		}
		for j, k := range r.Allow {
			if !catalog.IsValidKind(k) {
				return fmt.Errorf("%s[%d]: %q is not a kind: letters and digits, starting with a letter", p, j, k)
			}
		}
	}
	return nil
}

// Notify configures notifications sent after a sync publishes a new
// generation.
type Notify struct {
	Backstage BackstageNotify `config:"backstage"`
}

// BackstageNotify posts to Backstage's events HTTP ingress, so the
// central-config provider reads the new generation at once.
type BackstageNotify struct {
	// URL is the ingress endpoint, e.g.
	// http://localhost:7007/api/events/http/central-config.
	URL string `config:"url"`
	// Token is sent as a bearer token (a Backstage static access token).
	Token Secret `config:"token"`
}

// Guard is the mass-deletion guard.
type Guard struct {
	// MaxDeletionRatio is the largest share of a source's entities one run
	// may remove (default 0.5); a run past it fails and changes nothing.
	MaxDeletionRatio *float64 `config:"maxDeletionRatio"`
	// AllowMassDeletion lets the next runs past the guard.
	AllowMassDeletion bool `config:"allowMassDeletion"`
}

// Database selects the store, in Backstage's terms: client "sqlite"
// (embedded, the default) with connection a file path, or "pg" with a
// PostgreSQL URL.
type Database struct {
	Client     string `config:"client"`
	Connection Secret `config:"connection"`
}

// Server configures the HTTP API.
type Server struct {
	// Listen is the address to listen on; default 127.0.0.1:7080.
	Listen string `config:"listen"`
	// Token is the bearer token for POST /central-config/sync and
	// /central-config/catalog-acks (and for reads when ProtectReads).
	Token Secret `config:"token"`
	// ProtectReads requires the token for reads too.
	ProtectReads bool `config:"protectReads"`
	// MaxConnections bounds the open client connections; default 1024.
	// A few more are kept for the health probes.
	MaxConnections int `config:"maxConnections"`
	// ReadTimeout bounds reading one request, headers and body;
	// default 30 seconds.
	ReadTimeout *Duration `config:"readTimeout"`
	// WriteTimeout bounds writing one response; default 60 seconds. A
	// client that reads slower is cut off.
	WriteTimeout *Duration `config:"writeTimeout"`
}

// Webhooks holds the secrets webhook requests are signed with.
type Webhooks struct {
	GitHub GitHubWebhook `config:"github"`
}

// GitHubWebhook is a GitHub webhook's shared secret.
type GitHubWebhook struct {
	Secret Secret `config:"secret"`
}

// History bounds what is kept.
type History struct {
	// MaxRuns is how many runs are kept per source; default 500.
	MaxRuns int `config:"maxRuns"`
	// DeltaGenerations is how many generations of removals are kept for
	// delta reads; default 1000.
	DeltaGenerations int `config:"deltaGenerations"`
}

// Logging configures logs.
type Logging struct {
	// Level is debug, info, warn or error; default info.
	Level string `config:"level"`
	// Format is json or text; default json when stderr is not a terminal.
	Format string `config:"format"`
}

// Schedule is when a source syncs, as Backstage writes schedules.
type Schedule struct {
	// Frequency is the interval between runs; default 5 minutes.
	Frequency *Duration `config:"frequency"`
	// Timeout bounds one run; default the frequency, at most 10 minutes.
	Timeout *Duration `config:"timeout"`
	// InitialDelay waits before the first run after start-up.
	InitialDelay *Duration `config:"initialDelay"`
}

// Source is one config repository. Exactly one of Git, GitHub and Dir is set.
type Source struct {
	// ID names the source in status, metrics and annotations.
	ID string `config:"id"`
	// Paths restricts the source to doublestar globs ("catalog/**").
	Paths []string `config:"paths"`
	// Rules allow more kinds for this source, added to the global
	// Catalog.Rules (as Backstage's catalog.locations[].rules).
	Rules    []KindRule    `config:"rules"`
	Schedule Schedule      `config:"schedule"`
	Git      *GitSource    `config:"git"`
	GitHub   *GitHubSource `config:"github"`
	Dir      *DirSource    `config:"dir"`
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
	// CommitURL is the link template of a commit, with {revision}.
	CommitURL string `config:"commitUrl"`
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

// Limits bound the cost of one file and of the entities made from it (see
// document.Limits); zero means the default.
type Limits struct {
	MaxFileBytes     int `config:"maxFileBytes"`
	MaxNodes         int `config:"maxNodes"`
	MaxExpandedBytes int `config:"maxExpandedBytes"`
	MaxEntityBytes   int `config:"maxEntityBytes"`
	MaxDepth         int `config:"maxDepth"`
}

// Document returns the limits for the decoder and the mapping; the zero
// ones get their defaults there.
func (l Limits) Document() document.Limits {
	return document.Limits{MaxFileBytes: l.MaxFileBytes, MaxNodes: l.MaxNodes, MaxExpandedBytes: l.MaxExpandedBytes,
		MaxEntityBytes: l.MaxEntityBytes, MaxDepth: l.MaxDepth}
}

// sourceID and the 63-character limit below are the SourceId schema of
// internal/httpapi/openapi.yaml, from which the Backstage plugins' types are
// generated (backstage/plugins/central-config-common); its sourceId.test.ts
// reads both here.
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
		if err := checkKindRules(s.Rules, at+".rules"); err != nil {
			return err
		}
	}
	if err := checkKindRules(c.Catalog.Rules, Key+".catalog.rules"); err != nil {
		return err
	}
	if c.Server.MaxConnections < 0 {
		return fmt.Errorf("%s.server.maxConnections must be at least 1, not %d", Key, c.Server.MaxConnections)
	}
	if r := c.Guard.MaxDeletionRatio; r != nil && (*r < 0 || *r > 1) {
		return fmt.Errorf("%s.guard.maxDeletionRatio must be between 0 and 1, not %v", Key, *r)
	}
	switch c.Database.Client {
	case "", "sqlite", "pg":
	default:
		return fmt.Errorf("%s.database.client must be sqlite or pg, not %q", Key, c.Database.Client)
	}
	switch c.Logging.Level {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%s.logging.level must be debug, info, warn or error, not %q", Key, c.Logging.Level)
	}
	if err := c.Kafka.check(); err != nil {
		return err
	}
	rules, err := mapping.CompileRules(c.Rules)
	if err != nil {
		return err
	}
	c.CompiledRules = rules
	return nil
}
