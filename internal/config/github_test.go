package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/source/githubauth/apptest"
)

// testKey is an app's private key in PEM, as GitHub hands it out.
func testKey(t testing.TB) string {
	t.Helper()
	pem, _ := apptest.Key(t, 1)
	return pem
}

// sharedAppConfig is one app-config for Backstage and the engine: the
// integrations Backstage reads, and sources that use them.
const sharedAppConfig = `
app: {title: Portal}
integrations:
  github:
    - host: github.com
      token: ${GITHUB_TOKEN}
    - host: ghe.example.com
      apiBaseUrl: https://ghe.example.com/api/v3
      rawBaseUrl: https://ghe.example.com/raw
      apps:
        - appId: ${GITHUB_APP_ID}
          clientId: Iv1.abc
          clientSecret: ${GITHUB_CLIENT_SECRET}
          webhookSecret: whsec
          privateKey: {$file: app-key.pem}
          allowedInstallationOwners: [widgets]
        - appId: 22
          clientId: Iv1.def
          clientSecret: s
          privateKey: ${GITHUB_APP_KEY}
          publicAccess: true
  gitlab:
    - host: gitlab.com
      token: glpat-not-ours
  azure:
    - host: dev.azure.com
centralConfig:
  sources:
    - id: public-github
      github: {owner: acme, repo: config, branch: main}
    - id: ghe-git
      git: {url: "https://ghe.example.com/platform/config.git"}
    - id: ghe-api
      github: {owner: platform, repo: config, branch: main, apiBaseUrl: "https://ghe.example.com/api/v3/"}
    - id: gitlab
      git: {url: "https://gitlab.com/acme/config.git"}
    - id: own-app
      github:
        owner: acme
        repo: other
        branch: main
        app: {appId: "${GITHUB_APP_ID}", privateKey: {$file: app-key.pem}, installationId: 42}
    - id: own-token
      git: {url: "https://github.com/acme/config.git", token: ghp_own}
`

func loadShared(t *testing.T, env map[string]string, extra ...string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, "app-key.pem", testKey(t))
	files := []string{write(t, dir, "app-config.yaml", sharedAppConfig)}
	for i, e := range extra {
		files = append(files, write(t, dir, fmt.Sprintf("app-config.%d.yaml", i), e))
	}
	return Load(files, envOf(env), nil)
}

func sharedEnv(t *testing.T) map[string]string {
	return map[string]string{"GITHUB_TOKEN": "ghp_integration", "GITHUB_APP_ID": "11",
		"GITHUB_CLIENT_SECRET": "cs", "GITHUB_APP_KEY": strings.ReplaceAll(testKey(t), "\n", `\n`)}
}

func TestOneAppConfigServesBackstageAndTheEngine(t *testing.T) {
	cfg, err := loadShared(t, sharedEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cfg.Integrations.GitHub); n != 2 {
		t.Fatalf("%d github integrations, want 2 (gitlab and azure are Backstage's)", n)
	}
	ghe := cfg.Integrations.GitHub[1]
	if ghe.Apps[0].AppID != 11 || ghe.Apps[0].Key == nil || ghe.Apps[1].Key == nil || ghe.Apps[0].AllowedInstallationOwners[0] != "widgets" {
		t.Fatalf("apps = %+v", ghe.Apps)
	}

	byID := map[string]GitHubCredentials{}
	for i, s := range cfg.Sources {
		byID[s.ID] = cfg.SourceCredentials(i)
	}
	if c := byID["public-github"]; c.Token.Reveal() != "ghp_integration" || c.Apps != nil {
		t.Errorf("a github.com source without credentials: %+v, want the github.com integration's token", c)
	}
	for _, id := range []string{"ghe-git", "ghe-api"} {
		c := byID[id]
		if len(c.Apps) != 2 || c.APIBaseURL != "https://ghe.example.com/api/v3" || c.Apps[1].ConfigKey != "integrations.github[1].apps[1]" ||
			c.Apps[0].AllowedOwners[0] != "widgets" {
			t.Errorf("%s: %+v, want the apps of the ghe.example.com integration", id, c)
		}
	}
	if c := byID["gitlab"]; c.Token != "" || c.Apps != nil {
		t.Errorf("a source on a host no github integration names got %+v", c)
	}
	if c := byID["own-app"]; len(c.Apps) != 1 || c.Apps[0].ID != 11 || c.Apps[0].InstallationID != 42 ||
		c.Apps[0].ConfigKey != "centralConfig.sources[4].github.app" || c.Token != "" {
		t.Errorf("a source's own app: %+v", c)
	}
	if c := byID["own-token"]; c.Token.Reveal() != "ghp_own" || c.Apps != nil {
		t.Errorf("a source's own token: %+v", c)
	}

	// Nothing of the key, the client secret or the tokens prints.
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "integrations", cfg.Integrations, "sources", cfg.Sources)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	keyLine := strings.Split(testKey(t), "\n")[1]
	for _, out := range []string{fmt.Sprintf("%+v %#v", cfg.Integrations, cfg.Sources), string(js), logs.String()} {
		for _, secret := range []string{keyLine, "ghp_integration", "ghp_own"} {
			if strings.Contains(out, secret) {
				t.Fatalf("a secret prints: %s", out)
			}
		}
	}
}

func TestAGitSourcesOwnAppMintsOnItsHostsAPI(t *testing.T) {
	cfg, err := loadShared(t, sharedEnv(t), `
centralConfig:
  sources:
    - id: com
      git: {url: "https://github.com/acme/config.git", app: {appId: 1, privateKey: {$file: app-key.pem}}}
    - id: ghes
      git: {url: "https://git.corp.example/acme/config.git", app: {appId: 1, privateKey: {$file: app-key.pem}}}
    - id: integrated
      git: {url: "https://ghe.example.com/acme/config.git", app: {appId: 1, privateKey: {$file: app-key.pem}}}
`)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "https://git.corp.example/api/v3/", "https://ghe.example.com/api/v3"} {
		if got := cfg.SourceCredentials(i).APIBaseURL; got != want {
			t.Errorf("source %d: API %q, want %q", i, got, want)
		}
	}
}

func TestBadGitHubCredentialsAreRefusedAtLoadNamingTheKey(t *testing.T) {
	for _, tc := range []struct{ name, extra, want string }{
		{"a token and an app", `
centralConfig:
  sources:
    - id: a
      github: {owner: acme, repo: config, branch: main, token: t, app: {appId: 1, privateKey: {$file: app-key.pem}}}
`, "centralConfig.sources[0].github: set token or app, not both"},
		{"an invalid PEM", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://github.com/acme/config.git", app: {appId: 1, privateKey: "-----BEGIN RSA PRIVATE KEY-----\nnot-base64-key-material\n-----END RSA PRIVATE KEY-----"}}
`, "centralConfig.sources[0].git.app.privateKey is not an RSA private key in PEM"},
		{"a token where the key belongs", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://github.com/acme/config.git", app: {appId: 1, privateKey: ghp_not-a-key-material}}
`, "centralConfig.sources[0].git.app.privateKey is not a PEM private key"},
		{"a negative app id", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://github.com/acme/config.git", app: {appId: -1, privateKey: {$file: app-key.pem}}}
`, "centralConfig.sources[0].git.app.appId must be the app's id, a positive number"},
		{"an app id that is not a number", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://github.com/acme/config.git", app: {appId: my-app, privateKey: {$file: app-key.pem}}}
`, `centralConfig.sources[0].git.app.appId: must be an integer; got a string of 6 characters`},
		{"a user name with an app", `
centralConfig:
  sources:
    - id: a
      git: {url: "https://github.com/acme/config.git", username: bot, app: {appId: 1, privateKey: {$file: app-key.pem}}}
`, "centralConfig.sources[0].git.username goes with a token"},
		{"an integration's invalid key", `
integrations:
  github:
    - host: github.com
      apps: [{appId: 3, clientId: c, clientSecret: s, privateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA-key-material\n-----END RSA PRIVATE KEY-----"}]
`, "integrations.github[0].apps[0].privateKey is not an RSA private key"},
		{"an unknown key in a github integration", `
integrations:
  github:
    - host: github.com
      tokne: x
`, "unknown key integrations.github[0].tokne"},
		{"a URL as the host", `
integrations:
  github:
    - host: https://ghe.example.com
`, "integrations.github[0].host"},
		{"one host twice", `
integrations:
  github:
    - host: github.com
    - host: GitHub.com
`, "integrations.github[1].host: GitHub.com is configured already in integrations.github[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "app-key.pem", testKey(t))
			p := write(t, dir, "app-config.yaml", tc.extra)
			_, err := Load([]string{p}, envOf(nil), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, secret := range []string{"key-material", strings.Split(testKey(t), "\n")[1]} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows the key: %v", err)
				}
			}
		})
	}
}

// TestAnAppWhoseSecretsAreUnsetLoadsForValidate: where validate runs (a
// config repository's CI) the GitHub secrets are not set; the config
// still loads, and only building the source (serve) needs them.
func TestAnAppWhoseSecretsAreUnsetLoadsForValidate(t *testing.T) {
	p := write(t, t.TempDir(), "app-config.yaml", `
integrations:
  github:
    - apps: [{appId: "${GITHUB_APP_ID}", clientId: c, clientSecret: "${SECRET}", privateKey: "${GITHUB_APP_KEY}"}]
centralConfig:
  sources:
    - id: a
      github: {owner: acme, repo: config, branch: main}
`)
	cfg, err := Load([]string{p}, envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.SourceCredentials(0)
	if len(c.Apps) != 1 || c.Apps[0].ID != 0 || c.Apps[0].Key != nil || c.Apps[0].ConfigKey != "integrations.github[0].apps[0]" {
		t.Fatalf("credentials = %+v", c)
	}
}

// TestASourceFindsItsIntegrationWhicheverWayItSpellsTheAPIOrHost: API
// bases compare normalised ("" is https://api.github.com; the host's case,
// a default port and a trailing slash do not matter), hosts without their
// default port.
func TestASourceFindsItsIntegrationWhicheverWayItSpellsTheAPIOrHost(t *testing.T) {
	is := Integrations{GitHub: []GitHubIntegration{
		{Host: "github.com", Token: "com"},
		{Host: "ghe.example.com", Token: "ghes"},
		{Host: "octo.ghe.com", APIBaseURL: "https://api.octo.ghe.com", Token: "ghec"},
	}}
	for _, tc := range []struct {
		name, api, want string
	}{
		{"no apiBaseUrl", "", "com"},
		{"api.github.com spelled out", "https://api.github.com", "com"},
		{"with a trailing slash", "https://api.github.com/", "com"},
		{"in capitals", "https://API.GitHub.com/", "com"},
		{"with the default port", "https://api.github.com:443/", "com"},
		{"GitHub Enterprise Server's deduced API", "https://GHE.example.com/api/v3/", "ghes"},
		{"GitHub Enterprise Cloud's configured API", "https://api.octo.ghe.com/", "ghec"},
		{"an unknown host", "https://other.example/api/v3", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if in := is.forAPI(tc.api); in != nil {
				got = in.Token.Reveal()
			}
			if got != tc.want {
				t.Errorf("forAPI(%q) is the integration %q, want %q", tc.api, got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ host, want string }{
		{"github.com", "com"}, {"GitHub.com:443", "com"}, {"github.com:80", "com"}, {"GHE.example.com:443", "ghes"},
		{"github.com:8443", ""},
	} {
		got := ""
		if in := is.byHost(tc.host); in != nil {
			got = in.Token.Reveal()
		}
		if got != tc.want {
			t.Errorf("byHost(%q) is the integration %q, want %q", tc.host, got, tc.want)
		}
	}
}

// TestAnAPIDeducedFromTheHostIsMarked: errors on a deduced API suggest
// setting apiBaseUrl (GitHub Enterprise Cloud is not at /api/v3).
func TestAnAPIDeducedFromTheHostIsMarked(t *testing.T) {
	is := Integrations{GitHub: []GitHubIntegration{{Host: "github.com"}, {Host: "octo.ghe.com"}, {Host: "ghe.example.com", APIBaseURL: "https://ghe.example.com/api/v3"}}}
	for i, want := range []bool{false, true, false} {
		if _, deduced := is.GitHub[i].apiBase(); deduced != want {
			t.Errorf("%s: deduced %v, want %v", is.GitHub[i].Host, deduced, want)
		}
	}
}

// TestASubstitutedValueIsNeverQuotedInAnError: ${GITHUB_TOKEN} put by
// mistake where a number or a duration belongs must not print the token
// in validate's or serve's output.
func TestASubstitutedValueIsNeverQuotedInAnError(t *testing.T) {
	const pat = "ghp_R3alLookingT0kenAbcdefghijklmnopqrst"
	for name, tc := range map[string]struct{ yaml, want string }{
		"an integer from ${VAR}": {`
integrations:
  github:
    - host: github.com
      apps: [{appId: "${GITHUB_TOKEN}", privateKey: k}]
`, "integrations.github[0].apps[0].appId: must be an integer; got a string of 40 characters"},
		"an integer from $env": {`
centralConfig:
  sources:
    - id: a
      github: {owner: acme, repo: config, app: {appId: {$env: GITHUB_TOKEN}}}
`, "centralConfig.sources[0].github.app.appId: must be an integer; got a string of 40 characters"},
		"a duration from ${VAR}": {`
centralConfig:
  sources:
    - id: a
      dir: {path: .}
      schedule: {frequency: "${GITHUB_TOKEN}"}
`, "centralConfig.sources[0].schedule.frequency: must be a duration like { minutes: 5 } or an ISO 8601 string like PT5M; got a substituted string of 40 characters"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Load([]string{write(t, dir, "app-config.yaml", tc.yaml)}, envOf(map[string]string{"GITHUB_TOKEN": pat}), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			for _, part := range []string{pat, pat[:20], pat[len(pat)-12:]} {
				if strings.Contains(err.Error(), part) {
					t.Fatalf("the error quotes the value: %v", err)
				}
			}
		})
	}
	t.Run("a duration written in the file is still quoted", func(t *testing.T) {
		_, err := Load([]string{write(t, t.TempDir(), "app-config.yaml", `
centralConfig:
  sources:
    - id: a
      dir: {path: .}
      schedule: {frequency: PT5X}
`)}, envOf(nil), nil)
		if err == nil || !strings.Contains(err.Error(), `"PT5X" is not an ISO 8601 duration`) {
			t.Fatalf("err = %v, want the typo quoted", err)
		}
	})
}
