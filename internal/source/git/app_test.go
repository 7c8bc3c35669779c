package git

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/source/githubauth"
	"github.com/central-config/central-config/internal/source/githubauth/apptest"
	"github.com/central-config/central-config/internal/source/sourcetest"
)

// TestAGitHubAppsInstallationTokenIsTheGitPassword clones and fetches
// from git's own smart HTTP server, which accepts only the installation
// tokens the fake GitHub App API issued and has not yet expired, with
// the user name GitHub requires (x-access-token).
func TestAGitHubAppsInstallationTokenIsTheGitPassword(t *testing.T) {
	apps, app := installedApp(t)
	keyPEM, _ := apptest.Key(t, 1)
	srv, sent := recordingServer(t, apps)
	repo := srv.NewRepo("config")
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a1"})
	s := newSource(t, Options{ID: "cfg", URL: repo.URL, App: app, CacheDir: t.TempDir()})
	snap := sourcetest.Fetch(t, s, "")
	if sourcetest.Contents(snap.Files)["catalog/a.yaml"] != "a1" {
		t.Fatalf("files = %v", sourcetest.Contents(snap.Files))
	}
	if user, _ := sent.last(); user != DefaultUsername {
		t.Fatalf("user name sent: %q, want %s", user, DefaultUsername)
	}
	_, first := sent.last()

	// Within the hour: the same token. Near its end: a new one, and the
	// fetch across the renewal reads the new commit.
	apps.Advance(40 * time.Minute)
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a2"})
	snap = sourcetest.Fetch(t, s, snap.Revision)
	if sourcetest.Contents(snap.Files)["catalog/a.yaml"] != "a2" || apps.Count("mint") != 1 {
		t.Fatalf("second fetch: %v, %d mints (want a2, 1)", sourcetest.Contents(snap.Files), apps.Count("mint"))
	}
	apps.Advance(17 * time.Minute)
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a3"})
	snap = sourcetest.Fetch(t, s, snap.Revision)
	if sourcetest.Contents(snap.Files)["catalog/a.yaml"] != "a3" || apps.Count("mint") != 2 {
		t.Fatalf("fetch across the renewal: %v, %d mints (want a3, 2)", sourcetest.Contents(snap.Files), apps.Count("mint"))
	}
	renewed, err := app.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, pass := sent.last(); pass != renewed || renewed == first {
		t.Fatalf("the fetch across the renewal sent the first token %v, the renewed one %v; want the renewed one",
			pass == first, pass == renewed)
	}

	// A revoked token fails one fetch, without printing it; the next
	// mints a new one.
	apps.RevokeAll()
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a4"})
	_, err = s.Fetch(context.Background(), snap.Revision)
	if !errors.Is(err, transport.ErrAuthenticationRequired) || !strings.Contains(err.Error(), "installation token of GitHub App 1 for acme/config") {
		t.Fatalf("err = %v, want an authentication error naming the app", err)
	}
	for _, sec := range append(apps.Secrets(), strings.Split(keyPEM, "\n")[1]) {
		assertNoSecret(t, err, sec)
		assertNoSecret(t, s, sec)
	}
	if snap = sourcetest.Fetch(t, s, snap.Revision); sourcetest.Contents(snap.Files)["catalog/a.yaml"] != "a4" || apps.Count("mint") != 3 {
		t.Fatalf("the fetch after a refused token: %v, %d mints", sourcetest.Contents(snap.Files), apps.Count("mint"))
	}
}

// sentCredentials are what the git server was last sent.
type sentCredentials struct {
	mu         sync.Mutex
	user, pass string
}

func (c *sentCredentials) last() (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user, c.pass
}

// installedApp starts a fake GitHub App API on which app 1 (apptest's
// key 1) is installed on acme, and returns it with the installation that
// mints app 1's tokens for acme/config.
func installedApp(t *testing.T) (*apptest.Apps, *githubauth.Installation) {
	t.Helper()
	apps, api := apptest.Start(t)
	_, key := apptest.Key(t, 1)
	apps.AddApp(1, key)
	apps.Install(1, "acme")
	app, err := githubauth.New(githubauth.Options{APIBaseURL: api, Owner: "acme", Repo: "config", Now: apps.Now,
		Apps: []githubauth.App{{ID: 1, Key: key, ConfigKey: "centralConfig.sources[0].git.app"}}})
	if err != nil {
		t.Fatal(err)
	}
	return apps, app
}

// recordingServer is a git server that takes the installation tokens of
// apps for acme/config and records the credentials it was last sent.
func recordingServer(t *testing.T, apps *apptest.Apps) (*gittest.Server, *sentCredentials) {
	srv := gittest.NewServer(t)
	sent := &sentCredentials{}
	check := apps.GitPassword("acme", "config")
	srv.SetPasswordCheck(func(user, pass string) bool {
		sent.mu.Lock()
		sent.user, sent.pass = user, pass
		sent.mu.Unlock()
		return check(user, pass)
	})
	return srv, sent
}

// TestFetchRevisionReadsWithTheAppsToken: `diff --git` clones the
// remote repository with the app's installation token too.
func TestFetchRevisionReadsWithTheAppsToken(t *testing.T) {
	apps, app := installedApp(t)
	srv, sent := recordingServer(t, apps)
	repo := srv.NewRepo("config")
	first := repo.Commit("main", map[string]string{"catalog/a.yaml": "a1"})
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a2"})
	s := newSource(t, Options{ID: "cfg", URL: repo.URL, App: app, CacheDir: t.TempDir()})
	snaps, err := s.FetchRevisions(context.Background(), first)
	if err != nil {
		t.Fatalf("FetchRevisions: %v", err)
	}
	if got := sourcetest.Contents(snaps[0].Files)["catalog/a.yaml"]; got != "a1" {
		t.Fatalf("catalog/a.yaml at %s = %q, want a1", first, got)
	}
	tok, _ := app.Token(context.Background())
	if user, pass := sent.last(); user != DefaultUsername || pass != tok {
		t.Fatalf("the fetch sent user %q and the installation token %v", user, pass == tok)
	}
}

func TestAnAppAndATokenTogetherAreRefused(t *testing.T) {
	_, key := apptest.Key(t, 1)
	app, err := githubauth.New(githubauth.Options{Owner: "acme", Repo: "config", Apps: []githubauth.App{{ID: 1, Key: key}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"Token":          {ID: "cfg", URL: "https://github.com/acme/config.git", Token: "t", App: app},
		"a URL password": {ID: "cfg", URL: "https://u:p@github.com/acme/config.git", App: app},
		"a file URL":     {ID: "cfg", URL: "file:///tmp/config", App: app},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "App") {
				t.Fatalf("err = %v, want a refusal naming App", err)
			}
		})
	}
}
