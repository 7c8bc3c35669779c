package github

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/githubauth"
	"github.com/central-config/central-config/internal/source/githubauth/apptest"
)

// appSource returns a source for acme/config@main that reads with app 1's
// installation tokens from f (installed on acme), with key n of apptest
// as the key it signs with (1 is the app's own).
func appSource(t *testing.T, f *fakeGitHub, keyN int, edit func(*Options, *githubauth.Options)) *Source {
	t.Helper()
	_, appKey := apptest.Key(t, 1)
	f.apps.AddApp(1, appKey)
	_, key := apptest.Key(t, keyN)
	return newSource(t, f, func(o *Options) {
		ao := githubauth.Options{Apps: []githubauth.App{{ID: 1, Key: key, ConfigKey: "centralConfig.sources[0].github.app"}},
			Owner: o.Owner, Repo: o.Repo, HTTPClient: o.HTTPClient, Now: f.apps.Now}
		if edit != nil {
			edit(o, &ao)
		}
		app, err := githubauth.New(ao)
		if err != nil {
			t.Fatal(err)
		}
		o.Token, o.App = "", app
	})
}

// installedFake is a fake GitHub on which app 1 is installed on acme and
// whose main branch holds catalog/a.yaml.
func installedFake(t *testing.T) *fakeGitHub {
	t.Helper()
	f := newFake(t, "")
	f.apps.Install(1, testOwner)
	f.push("main", "c1", file("catalog/a.yaml", "a1"))
	return f
}

// fetchThenRevoke fetches s once, then has the fake revoke every
// installation token; it returns the token the fetch used.
func fetchThenRevoke(t *testing.T, f *fakeGitHub, s *Source) string {
	t.Helper()
	if _, err := s.Fetch(testContext(t), ""); err != nil {
		t.Fatal(err)
	}
	revoked := strings.TrimPrefix(f.auth, "Bearer ")
	f.apps.RevokeAll()
	return revoked
}

func TestAGitHubAppReadsTheRepositoryAcrossATokenRenewal(t *testing.T) {
	f := installedFake(t)
	s := appSource(t, f, 1, nil)
	ctx := testContext(t)

	snap, err := s.Fetch(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if content(t, snap, "catalog/a.yaml") != "a1" {
		t.Fatal("wrong content")
	}
	if !strings.HasPrefix(f.auth, "Bearer ghs_") {
		t.Fatalf("Authorization = %q, want the installation token as a bearer token", f.auth)
	}
	first := f.auth

	// Half an hour later: a new commit, read with the same token.
	f.apps.Advance(30 * time.Minute)
	f.push("main", "c2", file("catalog/a.yaml", "a2"))
	snap, err = s.Fetch(ctx, snap.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if content(t, snap, "catalog/a.yaml") != "a2" || f.auth != first || f.apps.Count("mint") != 1 {
		t.Fatalf("second run: same token %v, %d mints; want the first token and 1 mint", f.auth == first, f.apps.Count("mint"))
	}

	// 57 minutes in, 3 are left: the next run renews before it asks.
	f.apps.Advance(27 * time.Minute)
	f.push("main", "c3", file("catalog/a.yaml", "a3"))
	snap, err = s.Fetch(ctx, snap.Revision)
	if err != nil {
		t.Fatalf("the run across the renewal failed: %v", err)
	}
	if content(t, snap, "catalog/a.yaml") != "a3" || f.auth == first || f.apps.Count("mint") != 2 {
		t.Fatalf("third run: renewed %v, %d mints; want a new token, 2 mints", f.auth != first, f.apps.Count("mint"))
	}
	if f.apps.Count("lookup") != 1 {
		t.Errorf("the installation was looked up %d times, want once", f.apps.Count("lookup"))
	}
	// The fake refuses the first token now: without the renewal the run
	// above would have failed.
	f.apps.Advance(4 * time.Minute)
	if f.apps.Authorized(strings.TrimPrefix(first, "Bearer "), testOwner, testRepo) {
		t.Fatal("the fake accepts an expired token")
	}
}

func TestARevokedInstallationTokenFailsOneRunAndTheNextMintsANewOne(t *testing.T) {
	f := installedFake(t)
	s := appSource(t, f, 1, nil)
	ctx := testContext(t)
	revoked := fetchThenRevoke(t, f, s)
	_, err := s.Fetch(ctx, "")
	if !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "installation token of GitHub App 1 for acme/config") {
		t.Fatalf("err = %v, want ErrBadCredentials naming the app", err)
	}
	assertNoToken(t, err, revoked)
	if _, err := s.Fetch(ctx, ""); err != nil {
		t.Fatalf("the run after a refused token: %v", err)
	}
	if f.apps.Count("mint") != 2 {
		t.Errorf("%d mints, want 2", f.apps.Count("mint"))
	}
}

func TestAWrongAppKeyFailsTheFetchNamingTheConfigKeyAndPrintsNoSecret(t *testing.T) {
	f := installedFake(t)
	s := appSource(t, f, 2, nil)
	_, err := s.Fetch(testContext(t), "")
	if !errors.Is(err, githubauth.ErrAppRefused) {
		t.Fatalf("err = %v, want ErrAppRefused", err)
	}
	if !strings.Contains(err.Error(), "is centralConfig.sources[0].github.app.privateKey the private key of app 1") {
		t.Errorf("error does not name the key: %v", err)
	}
	wrongPEM, _ := apptest.Key(t, 2)
	secrets := append(f.apps.Secrets(), strings.Split(wrongPEM, "\n")[1])
	assertNoToken(t, err, secrets...)
	for _, out := range []string{s.String(), fmt.Sprintf("%#v", s)} {
		for _, sec := range secrets {
			if strings.Contains(out, sec) {
				t.Fatalf("a secret is printed: %s", out)
			}
		}
	}
	if f.count("commits") != 0 {
		t.Error("the repository was asked without a token")
	}
}

func TestAGitHubAppOnGitHubEnterprise(t *testing.T) {
	f := newFake(t, "/api/v3")
	f.apps.Install(1, testOwner)
	sha := f.push("main", "c1", file("catalog/a.yaml", "a"))
	s := appSource(t, f, 1, func(o *Options, ao *githubauth.Options) {
		o.BaseURL, o.HTTPClient = f.srv.URL+"/api/v3/", nil
		ao.APIBaseURL, ao.HTTPClient = o.BaseURL, &http.Client{}
	})
	snap, err := s.Fetch(testContext(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Revision != sha || f.apps.Count("mint") != 1 || !strings.HasPrefix(f.auth, "Bearer ghs_") {
		t.Fatalf("revision %s, %d mints, Authorization %q", snap.Revision, f.apps.Count("mint"), f.auth)
	}
}

func TestTokenAndAppTogetherAreRefused(t *testing.T) {
	_, key := apptest.Key(t, 1)
	app, err := githubauth.New(githubauth.Options{Apps: []githubauth.App{{ID: 1, Key: key}}, Owner: testOwner, Repo: testRepo})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{ID: "cfg", Owner: testOwner, Repo: testRepo, Branch: "main", Token: testToken, App: app})
	if err == nil || !strings.Contains(err.Error(), "set Token or App, not both") {
		t.Fatalf("err = %v", err)
	}
}

// TestARefusedTokenEchoedByTheServerIsNotPrinted: the token is forgotten
// as soon as GitHub answers 401, before the error is worded; the error
// quotes GitHub's message but never the token in it.
func TestARefusedTokenEchoedByTheServerIsNotPrinted(t *testing.T) {
	f := installedFake(t)
	s := appSource(t, f, 1, nil)
	ctx := testContext(t)
	revoked := fetchThenRevoke(t, f, s)
	f.mu.Lock()
	f.echo401 = true
	f.mu.Unlock()
	_, err := s.Fetch(ctx, "")
	if !errors.Is(err, ErrBadCredentials) || !strings.Contains(err.Error(), "GitHub answered 401 (Bad credentials: Bearer [redacted])") {
		t.Fatalf("err = %v, want GitHub's message with the token redacted", err)
	}
	assertNoToken(t, err, revoked)
}

// TestALongMessageOfGitHubIsClipped: GitHub's message goes into the run's
// status and logs; a huge one is clipped to what explains it.
func TestALongMessageOfGitHubIsClipped(t *testing.T) {
	f := installedFake(t)
	f.message403 = "Resource not accessible by integration " + strings.Repeat("x", 20000)
	_, err := appSource(t, f, 1, nil).Fetch(testContext(t), "")
	if err == nil || !strings.Contains(err.Error(), "access denied (HTTP 403): Resource not accessible by integration") {
		t.Fatalf("err = %.400v, want the 403 explained", err)
	}
	if n := len(err.Error()); n > 1000 {
		t.Fatalf("the error is %d bytes long; GitHub's message should be clipped", n)
	}
}
