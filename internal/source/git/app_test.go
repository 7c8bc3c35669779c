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
)

// TestAGitHubAppsInstallationTokenIsTheGitPassword clones and fetches
// from git's own smart HTTP server, which accepts only the installation
// tokens the fake GitHub App API issued and has not yet expired, with
// the user name GitHub requires (x-access-token).
func TestAGitHubAppsInstallationTokenIsTheGitPassword(t *testing.T) {
	apps, api := apptest.Start(t)
	keyPEM, key := apptest.Key(t, 1)
	apps.AddApp(1, key)
	apps.Install(1, "acme")

	srv := gittest.NewServer(t)
	var (
		mu    sync.Mutex
		users []string
	)
	check := apps.GitPassword("acme", "config")
	srv.SetPasswordCheck(func(user, pass string) bool {
		mu.Lock()
		users = append(users, user)
		mu.Unlock()
		return check(user, pass)
	})
	repo := srv.NewRepo("config")
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a1"})

	app, err := githubauth.New(githubauth.Options{APIBaseURL: api, Owner: "acme", Repo: "config", Now: apps.Now,
		Apps: []githubauth.App{{ID: 1, Key: key, ConfigKey: "centralConfig.sources[0].git.app"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := newSource(t, Options{ID: "cfg", URL: repo.URL, App: app, CacheDir: t.TempDir()})
	snap := fetch(t, s, "")
	if contents(snap.Files)["catalog/a.yaml"] != "a1" {
		t.Fatalf("files = %v", contents(snap.Files))
	}
	mu.Lock()
	if len(users) == 0 || users[len(users)-1] != DefaultUsername {
		t.Fatalf("user names sent: %v, want %s", users, DefaultUsername)
	}
	mu.Unlock()

	// Within the hour: the same token. Near its end: a new one, and the
	// fetch across the renewal reads the new commit.
	apps.Advance(40 * time.Minute)
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a2"})
	snap = fetch(t, s, snap.Revision)
	if contents(snap.Files)["catalog/a.yaml"] != "a2" || apps.Count("mint") != 1 {
		t.Fatalf("second fetch: %v, %d mints (want a2, 1)", contents(snap.Files), apps.Count("mint"))
	}
	apps.Advance(17 * time.Minute)
	repo.Commit("main", map[string]string{"catalog/a.yaml": "a3"})
	snap = fetch(t, s, snap.Revision)
	if contents(snap.Files)["catalog/a.yaml"] != "a3" || apps.Count("mint") != 2 {
		t.Fatalf("fetch across the renewal: %v, %d mints (want a3, 2)", contents(snap.Files), apps.Count("mint"))
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
	if snap = fetch(t, s, snap.Revision); contents(snap.Files)["catalog/a.yaml"] != "a4" || apps.Count("mint") != 3 {
		t.Fatalf("the fetch after a refused token: %v, %d mints", contents(snap.Files), apps.Count("mint"))
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
