package config

import (
	"crypto/rsa"
	"fmt"
	"net/url"
	"strings"

	"github.com/central-config/central-config/internal/source/githubauth"
)

// IntegrationsKey is Backstage's top-level key of integrations; the
// engine reads its github list, so one app-config serves both.
const IntegrationsKey = "integrations"

// GitHubHost is the host of github.com, whose integration applies when a
// source names no other.
const GitHubHost = "github.com"

// GitHubApp is a source's own GitHub App: the engine signs a JWT with the
// key and reads with the app's installation token.
type GitHubApp struct {
	// AppID is the app's id (a number, or a string of digits).
	AppID int64 `config:"appId"`
	// PrivateKey is the app's private key in PEM.
	PrivateKey Secret `config:"privateKey"`
	// InstallationID skips finding the installation of the repository.
	InstallationID int64 `config:"installationId"`
	// Key is PrivateKey parsed by Load; never marshalled.
	Key *rsa.PrivateKey `json:"-"`
}

// Integrations is Backstage's integrations key. Only github is read;
// other kinds (gitlab, azure, ...) are Backstage's and left alone.
type Integrations struct {
	GitHub []GitHubIntegration `config:"github"`
}

// GitHubIntegration is one entry of Backstage's integrations.github.
type GitHubIntegration struct {
	// Host is the GitHub host, github.com by default.
	Host string `config:"host"`
	// APIBaseURL is the API of the host; deduced for github.com only.
	APIBaseURL string `config:"apiBaseUrl"`
	// RawBaseURL is Backstage's; the engine does not use it.
	RawBaseURL string `config:"rawBaseUrl"`
	// Token is used when no app applies.
	Token Secret `config:"token"`
	// Apps are tried in order.
	Apps []GitHubIntegrationApp `config:"apps"`
}

// GitHubIntegrationApp is one app of an integration, in Backstage's
// shape. The engine uses appId, privateKey and allowedInstallationOwners;
// the other keys are Backstage's (sign-in, webhooks) and read only so
// the same file is accepted.
type GitHubIntegrationApp struct {
	AppID                     int64    `config:"appId"`
	PrivateKey                Secret   `config:"privateKey"`
	ClientID                  string   `config:"clientId"`
	ClientSecret              Secret   `config:"clientSecret"`
	WebhookSecret             Secret   `config:"webhookSecret"`
	AllowedInstallationOwners []string `config:"allowedInstallationOwners"`
	PublicAccess              bool     `config:"publicAccess"`
	// Key is PrivateKey parsed by Load; never marshalled.
	Key *rsa.PrivateKey `json:"-"`
}

// checkApp checks an app's id and parses its key; at is its config key.
// A key or id left unset (a ${VAR} not set where validate runs, say) is
// not an error here: it is one when a source that uses the app is built
// (serve), so checking a repository needs no GitHub secrets.
func checkApp(id int64, key Secret, at string) (*rsa.PrivateKey, error) {
	if id < 0 {
		return nil, fmt.Errorf("%s.appId must be the app's id, a positive number", at)
	}
	if key == "" {
		return nil, nil
	}
	k, err := githubauth.ParseKey(key.Reveal())
	if err != nil {
		return nil, fmt.Errorf("%s.privateKey %w", at, err)
	}
	return k, nil
}

// checkGitHub checks the sources' own apps and the integrations, and
// parses every private key, so a broken key fails when the config is
// loaded, naming its key.
func (c *Config) checkGitHub() error {
	for i := range c.Sources {
		s := &c.Sources[i]
		at := fmt.Sprintf("%s.sources[%d]", Key, i)
		var app *GitHubApp
		var token Secret
		switch {
		case s.Git != nil:
			at, app, token = at+".git", s.Git.App, s.Git.Token
			if app != nil && s.Git.Username != "" {
				return fmt.Errorf("%s.username goes with a token; an app's token is sent as x-access-token", at)
			}
		case s.GitHub != nil:
			at, app, token = at+".github", s.GitHub.App, s.GitHub.Token
		}
		if app == nil {
			continue
		}
		if token != "" {
			return fmt.Errorf("%s: set token or app, not both", at)
		}
		k, err := checkApp(app.AppID, app.PrivateKey, at+".app")
		if err != nil {
			return err
		}
		if app.InstallationID < 0 {
			return fmt.Errorf("%s.app.installationId must be a positive number", at)
		}
		app.Key = k
	}
	hosts := map[string]int{}
	for i := range c.Integrations.GitHub {
		in := &c.Integrations.GitHub[i]
		at := fmt.Sprintf("%s.github[%d]", IntegrationsKey, i)
		if in.Host == "" {
			in.Host = GitHubHost
		}
		if strings.ContainsAny(in.Host, "/ ") {
			return fmt.Errorf("%s.host: %q must be a host name (with a port if any), not a URL", at, in.Host)
		}
		if j, dup := hosts[normalHost(in.Host)]; dup {
			return fmt.Errorf("%s.host: %s is configured already in %s.github[%d]", at, in.Host, IntegrationsKey, j)
		}
		hosts[normalHost(in.Host)] = i
		if in.APIBaseURL != "" {
			if u, err := url.Parse(in.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("%s.apiBaseUrl must be an http(s) URL such as https://%s/api/v3", at, in.Host)
			}
		}
		for j := range in.Apps {
			a := &in.Apps[j]
			k, err := checkApp(a.AppID, a.PrivateKey, fmt.Sprintf("%s.apps[%d]", at, j))
			if err != nil {
				return err
			}
			a.Key = k
		}
	}
	return nil
}

// GitHubCredentials are what a source sends to its GitHub host: an app's
// (or several apps') installation token, a token, or nothing.
type GitHubCredentials struct {
	// Apps, when set, give installation tokens (githubauth).
	Apps []githubauth.App
	// Token is a personal or static token.
	Token Secret
	// APIBaseURL is where apps mint their tokens; "" for api.github.com.
	APIBaseURL string
	// APIBaseDeduced says APIBaseURL is https://HOST/api/v3/ deduced from
	// a host other than github.com, not configured.
	APIBaseDeduced bool
}

// SourceCredentials returns the credentials of a git or github source on
// a GitHub host: its own token or app, else those of the integration
// whose host is the source's (the host of a git URL; for a github source
// github.com, or the integration whose apiBaseUrl, or host, is the
// source's apiBaseUrl). A git source on a host no integration names gets
// none.
func (c *Config) SourceCredentials(i int) GitHubCredentials {
	s := c.Sources[i]
	at := fmt.Sprintf("%s.sources[%d]", Key, i)
	var in *GitHubIntegration
	switch {
	case s.Git != nil:
		if s.Git.App != nil {
			api, deduced := gitAPIBase(s.Git.URL, c.Integrations)
			return GitHubCredentials{Apps: []githubauth.App{sourceApp(s.Git.App, at+".git.app")}, APIBaseURL: api, APIBaseDeduced: deduced}
		}
		if s.Git.Token != "" {
			return GitHubCredentials{Token: s.Git.Token}
		}
		if u, err := url.Parse(s.Git.URL); err == nil && u.User == nil {
			in = c.Integrations.byHost(u.Host)
		}
	case s.GitHub != nil:
		if s.GitHub.App != nil {
			return GitHubCredentials{Apps: []githubauth.App{sourceApp(s.GitHub.App, at+".github.app")}, APIBaseURL: s.GitHub.APIBaseURL}
		}
		if s.GitHub.Token != "" {
			return GitHubCredentials{Token: s.GitHub.Token}
		}
		in = c.Integrations.forAPI(s.GitHub.APIBaseURL)
	}
	if in == nil {
		return GitHubCredentials{}
	}
	idx := c.Integrations.index(in)
	api, deduced := in.apiBase()
	out := GitHubCredentials{Token: in.Token, APIBaseURL: api, APIBaseDeduced: deduced}
	for j, a := range in.Apps {
		out.Apps = append(out.Apps, githubauth.App{ID: a.AppID, Key: a.Key, AllowedOwners: a.AllowedInstallationOwners,
			ConfigKey: fmt.Sprintf("%s.github[%d].apps[%d]", IntegrationsKey, idx, j)})
	}
	return out
}

func sourceApp(a *GitHubApp, at string) githubauth.App {
	return githubauth.App{ID: a.AppID, Key: a.Key, InstallationID: a.InstallationID, ConfigKey: at}
}

// byHost returns the integration of host (case insensitive, a default
// port ignored), or nil.
func (is Integrations) byHost(host string) *GitHubIntegration {
	host = normalHost(host)
	for i := range is.GitHub {
		if normalHost(is.GitHub[i].Host) == host {
			return &is.GitHub[i]
		}
	}
	return nil
}

// normalHost lowercases a host and drops a default port (443, 80), so
// GitHub.com:443 is github.com.
func normalHost(host string) string {
	host = strings.ToLower(host)
	for _, p := range []string{":443", ":80"} {
		host = strings.TrimSuffix(host, p)
	}
	return host
}

// normalAPI reads an API base for comparison: "" is api.github.com, the
// host as normalHost, the path without its trailing slash.
func normalAPI(api string) string {
	if api == "" {
		api = "https://api.github.com"
	}
	u, err := url.Parse(api)
	if err != nil {
		return api
	}
	return strings.ToLower(u.Scheme) + "://" + normalHost(u.Host) + strings.TrimRight(u.Path, "/")
}

// forAPI returns the integration of a github source's API base: the one
// whose API (apiBaseUrl, or the one deduced from its host) is it, else
// the one whose host is its host.
func (is Integrations) forAPI(api string) *GitHubIntegration {
	want := normalAPI(api)
	for i := range is.GitHub {
		if b, _ := is.GitHub[i].apiBase(); normalAPI(b) == want {
			return &is.GitHub[i]
		}
	}
	if u, err := url.Parse(api); err == nil && api != "" {
		return is.byHost(u.Host)
	}
	return nil
}

func (is Integrations) index(in *GitHubIntegration) int {
	for i := range is.GitHub {
		if &is.GitHub[i] == in {
			return i
		}
	}
	return -1
}

// apiBase is the integration's API: apiBaseUrl, or api.github.com ("")
// for github.com, or, deduced, GitHub Enterprise Server's /api/v3 on the
// host (GitHub Enterprise Cloud with data residency, SUBDOMAIN.ghe.com,
// needs apiBaseUrl: https://api.SUBDOMAIN.ghe.com).
func (in *GitHubIntegration) apiBase() (string, bool) {
	switch {
	case in.APIBaseURL != "":
		return in.APIBaseURL, false
	case normalHost(in.Host) == GitHubHost:
		return "", false
	default:
		return "https://" + in.Host + "/api/v3/", true
	}
}

// gitAPIBase is the API a git source's own app mints its tokens on: the
// integration of the URL's host when there is one, else api.github.com
// for github.com and, deduced, /api/v3 on any other host (GitHub
// Enterprise Server).
func gitAPIBase(raw string, is Integrations) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	if in := is.byHost(u.Host); in != nil {
		return in.apiBase()
	}
	if normalHost(u.Host) == GitHubHost {
		return "", false
	}
	return u.Scheme + "://" + u.Host + "/api/v3/", true
}
