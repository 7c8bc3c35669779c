package githubauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/githubauth"
	"github.com/central-config/central-config/internal/source/githubauth/apptest"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fixture is the fake app API with app 1 (key 1) installed on acme.
type fixture struct {
	apps *apptest.Apps
	url  string
	app  githubauth.App
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	apps, url := apptest.Start(t)
	_, key := apptest.Key(t, 1)
	apps.AddApp(1, key)
	return &fixture{apps: apps, url: url, app: githubauth.App{ID: 1, Key: key, ConfigKey: "centralConfig.sources[0].github.app"}}
}

func (f *fixture) installation(t *testing.T, edit func(*githubauth.Options)) *githubauth.Installation {
	t.Helper()
	opts := githubauth.Options{APIBaseURL: f.url, Apps: []githubauth.App{f.app}, Owner: "acme", Repo: "config", Now: f.apps.Now}
	if edit != nil {
		edit(&opts)
	}
	in, err := githubauth.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestATokenIsMintedOnceAndRenewedWhenLessThanTheMarginRemains(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	in := f.installation(t, nil)
	ctx := testContext(t)

	first, err := in.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !f.apps.Authorized(first, "acme", "config") {
		t.Fatal("the fake does not accept the token it issued")
	}
	if f.apps.Authorized(first, "acme", "other") {
		t.Error("the token reads other repositories of the installation; it should be restricted to acme/config")
	}
	// 54 minutes into its hour the token still has 6 minutes: kept.
	f.apps.Advance(54 * time.Minute)
	again, err := in.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again != first || f.apps.Count("mint") != 1 || f.apps.Count("lookup") != 1 {
		t.Fatalf("token renewed too early: same token %v, %d mints, %d lookups; want the same token, 1 mint, 1 lookup",
			again == first, f.apps.Count("mint"), f.apps.Count("lookup"))
	}
	// Two minutes later 4 minutes are left, under the 5-minute margin.
	f.apps.Advance(2 * time.Minute)
	renewed, err := in.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first || f.apps.Count("mint") != 2 {
		t.Fatalf("token not renewed with 4 minutes left: %d mints", f.apps.Count("mint"))
	}
	if f.apps.Count("lookup") != 1 {
		t.Errorf("the installation was looked up %d times; once is enough", f.apps.Count("lookup"))
	}
	f.apps.Advance(5 * time.Minute)
	if f.apps.Authorized(first, "acme", "config") {
		t.Error("the fake accepts an expired token")
	}
	if !f.apps.Authorized(renewed, "acme", "config") {
		t.Error("the renewed token is refused")
	}
}

func TestTheMarginIsSettable(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	in := f.installation(t, func(o *githubauth.Options) { o.Margin = 30 * time.Minute })
	ctx := testContext(t)
	first, err := in.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.apps.Advance(31 * time.Minute)
	if second, err := in.Token(ctx); err != nil || second == first {
		t.Fatalf("with a 30-minute margin, 29 minutes left must renew: err %v, same token %v", err, second == first)
	}
}

func TestAForgottenTokenIsReplacedAtOnce(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	in := f.installation(t, nil)
	ctx := testContext(t)
	first, _ := in.Token(ctx)
	in.Forget("some other token")
	if again, _ := in.Token(ctx); again != first {
		t.Fatal("forgetting another token dropped the current one")
	}
	in.Forget(first)
	if again, _ := in.Token(ctx); again == first || f.apps.Count("mint") != 2 {
		t.Fatalf("a refused token was handed out again (%d mints)", f.apps.Count("mint"))
	}
}

func TestTheFirstAppInstalledOnTheRepositoryIsUsed(t *testing.T) {
	f := newFixture(t)
	_, key2 := apptest.Key(t, 2)
	f.apps.AddApp(2, key2)
	f.apps.Install(1, "acme", "website") // app 1 sees another repository only
	f.apps.Install(2, "acme", "config")
	second := githubauth.App{ID: 2, Key: key2, ConfigKey: "integrations.github[0].apps[1]"}
	in := f.installation(t, func(o *githubauth.Options) { o.Apps = append(o.Apps, second) })
	tok, err := in.Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if !f.apps.Authorized(tok, "acme", "config") || f.apps.Count("lookup") != 2 {
		t.Fatalf("want app 2's token after 2 lookups; authorized %v, %d lookups", f.apps.Authorized(tok, "acme", "config"), f.apps.Count("lookup"))
	}

	t.Run("an app whose allowedInstallationOwners leave the owner out is not asked", func(t *testing.T) {
		f.apps.Install(1, "acme", "config")
		first := f.app
		first.AllowedOwners = []string{"Widgets"}
		second.AllowedOwners = []string{"ACME"}
		apps := []githubauth.App{first, second}
		if got := githubauth.ForOwner(apps, "acme"); len(got) != 1 || got[0].ID != 2 {
			t.Fatalf("ForOwner(acme) = %v, want app 2 only (owners compare case-insensitively)", got)
		}
		if got := githubauth.ForOwner(apps, "other"); len(got) != 0 {
			t.Fatalf("ForOwner(other) = %v, want none", got)
		}
		_, err := githubauth.New(githubauth.Options{APIBaseURL: f.url, Apps: []githubauth.App{first}, Owner: "acme", Repo: "config"})
		if !errors.Is(err, githubauth.ErrNoInstallation) {
			t.Fatalf("New with no allowed app: %v, want ErrNoInstallation", err)
		}
	})

	t.Run("with no app installed the error names every app's config key", func(t *testing.T) {
		in := f.installation(t, func(o *githubauth.Options) { o.Repo = "secret-plans"; o.Apps = append(o.Apps, second) })
		_, err := in.Token(testContext(t))
		if !errors.Is(err, githubauth.ErrNoInstallation) {
			t.Fatalf("err = %v, want ErrNoInstallation", err)
		}
		for _, want := range []string{"acme/secret-plans", "app 1 (centralConfig.sources[0].github.app) is not installed", "app 2 (integrations.github[0].apps[1])"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

func TestAGivenInstallationIDSkipsTheLookup(t *testing.T) {
	f := newFixture(t)
	id := f.apps.Install(1, "acme")
	app := f.app
	app.InstallationID = id
	in := f.installation(t, func(o *githubauth.Options) { o.Apps = []githubauth.App{app} })
	tok, err := in.Token(testContext(t))
	if err != nil || !f.apps.Authorized(tok, "acme", "config") {
		t.Fatalf("Token: %v", err)
	}
	if n := f.apps.Count("lookup"); n != 0 {
		t.Errorf("%d lookups with installationId set, want 0", n)
	}
}

func TestAWrongKeyIsRefusedWithAnErrorNamingTheConfigKey(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	otherPEM, other := apptest.Key(t, 3)
	app := f.app
	app.Key = other
	in := f.installation(t, func(o *githubauth.Options) { o.Apps = []githubauth.App{app} })
	_, err := in.Token(testContext(t))
	if !errors.Is(err, githubauth.ErrAppRefused) {
		t.Fatalf("err = %v, want ErrAppRefused", err)
	}
	if !strings.Contains(err.Error(), "centralConfig.sources[0].github.app.privateKey") {
		t.Errorf("error %q does not name the key", err)
	}
	secrets := append(f.apps.Secrets(), otherPEM, strings.Split(otherPEM, "\n")[1])
	for _, s := range secrets {
		for _, out := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", in), in.String()} {
			if strings.Contains(out, s) {
				t.Fatalf("a secret (JWT or key) is printed: %s", out)
			}
		}
	}
	if len(f.apps.Secrets()) == 0 {
		t.Fatal("the fake saw no JWT; the check above checked nothing")
	}
}

func TestTheFakeChecksTheJWTsIssuerAndExpiry(t *testing.T) {
	for name, edit := range map[string]func(*githubauth.Options){
		// The key is app 1's, the id says 99.
		"a wrong app id": func(o *githubauth.Options) { o.Apps[0].ID = 99 },
		// A JWT made by a clock 20 minutes slow expired 11 minutes ago.
		"a slow clock": func(o *githubauth.Options) {
			now := o.Now
			o.Now = func() time.Time { return now().Add(-20 * time.Minute) }
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.apps.Install(1, "acme")
			_, err := f.installation(t, edit).Token(testContext(t))
			if !errors.Is(err, githubauth.ErrAppRefused) || !strings.Contains(err.Error(), "centralConfig.sources[0].github.app.appId") {
				t.Fatalf("err = %v, want ErrAppRefused naming the app's keys", err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	good, _ := apptest.Key(t, 1)
	for _, tc := range []struct {
		name, pem, wantErr string
	}{
		{"PKCS#1 as GitHub hands it out", good, ""},
		{"on one line with \\n, as in an environment variable", strings.ReplaceAll(good, "\n", `\n`), ""},
		{"empty", "  \n", "is empty"},
		{"not PEM", "ghp_notakey", "is not a PEM private key"},
		{"a broken PEM block", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "is not an RSA private key"},
		{"a truncated key", good[:len(good)/2], "is not an RSA private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := githubauth.ParseKey(tc.pem)
			switch {
			case tc.wantErr == "" && (err != nil || k == nil):
				t.Fatalf("ParseKey: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzParseKey: whatever the config holds, ParseKey neither panics nor
// puts any of the input into its error: every error is one of a fixed
// few.
func FuzzParseKey(f *testing.F) {
	good, _ := apptest.Key(f, 1)
	for _, s := range []string{good, strings.ReplaceAll(good, "\n", `\n`), "", "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----",
		"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", good[:200]} {
		f.Add(s)
	}
	const notRSA = "is not an RSA private key in PEM (PKCS#1 or PKCS#8): "
	known := []string{"is empty", "is not a PEM private key (it should start with -----BEGIN RSA PRIVATE KEY-----)",
		notRSA + "no PEM block found", notRSA + "the key is not an RSA key", notRSA + "the PEM block does not decode to a private key"}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := githubauth.ParseKey(in)
		switch {
		case err == nil && k == nil:
			t.Fatal("no key and no error")
		case err != nil && !slices.Contains(known, err.Error()):
			t.Fatalf("an error other than the fixed ones (it may quote the input): %v", err)
		}
	})
}

// BenchmarkToken prints what a token costs: handed out from the cache
// (every fetch but about one an hour), and minted (a signed JWT and a
// round trip to a local fake, per renewal).
func BenchmarkToken(b *testing.B) {
	apps, url := apptest.Start(b)
	_, key := apptest.Key(b, 1)
	apps.AddApp(1, key)
	id := apps.Install(1, "acme")
	ctx := context.Background()
	for name, margin := range map[string]time.Duration{"cached": 0, "minted": 2 * time.Hour} {
		b.Run(name, func(b *testing.B) {
			in, err := githubauth.New(githubauth.Options{APIBaseURL: url, Owner: "acme", Repo: "config", Margin: margin,
				Apps: []githubauth.App{{ID: 1, Key: key, InstallationID: id}}})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := in.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestEveryAppIsAskedBeforeTheLookupFails follows Backstage's
// GithubAppCredentialsMux: an app whose key GitHub refuses does not keep
// a working app later in the list from being used; only when no app
// gives a token does Token fail, with the first real error.
func TestEveryAppIsAskedBeforeTheLookupFails(t *testing.T) {
	f := newFixture(t)
	_, key2 := apptest.Key(t, 2)
	f.apps.AddApp(2, key2)
	f.apps.Install(1, "acme")
	f.apps.Install(2, "acme")
	_, wrong := apptest.Key(t, 3)
	broken := f.app
	broken.Key = wrong
	working := githubauth.App{ID: 2, Key: key2, ConfigKey: "integrations.github[0].apps[1]"}

	in := f.installation(t, func(o *githubauth.Options) { o.Apps = []githubauth.App{broken, working} })
	tok, err := in.Token(testContext(t))
	if err != nil {
		t.Fatalf("app 1's key is refused, app 2 works; Token: %v", err)
	}
	if !f.apps.Authorized(tok, "acme", "config") {
		t.Fatal("the token is not app 2's")
	}

	t.Run("with no token the first refusal is the error and the app not installed is named", func(t *testing.T) {
		in := f.installation(t, func(o *githubauth.Options) {
			o.Apps = []githubauth.App{broken, working}
			o.Repo = "x"
			o.Owner = "widgets"
		})
		_, err := in.Token(testContext(t))
		if !errors.Is(err, githubauth.ErrAppRefused) || errors.Is(err, githubauth.ErrNoInstallation) {
			t.Fatalf("err = %v, want ErrAppRefused (not ErrNoInstallation)", err)
		}
		for _, want := range []string{"centralConfig.sources[0].github.app.privateKey", "app 2 (integrations.github[0].apps[1]) is not installed on widgets/x"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
}

// TestTheIntegrationsTokenStandsInWhenNoAppIsInstalled: as Backstage's
// SingleInstanceGithubCredentialsProvider, apps that admit the owner but
// are not installed on the repository leave the integration's token in
// use; a warning names the apps, once, not on every renewal.
func TestTheIntegrationsTokenStandsInWhenNoAppIsInstalled(t *testing.T) {
	f := newFixture(t)
	const pat = "ghp_fallbackTOKEN0123456789abcdefABCDEF"
	var logs strings.Builder
	in := f.installation(t, func(o *githubauth.Options) {
		o.Token = pat
		o.Log = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx := testContext(t)
	for range 3 {
		tok, err := in.Token(ctx)
		if err != nil || tok != pat {
			t.Fatalf("Token = %q, %v; want the integration's token", tok, err)
		}
		f.apps.Advance(15 * time.Minute) // past the recheck: the apps are asked again
	}
	if n := f.apps.Count("lookup"); n < 2 {
		t.Errorf("the apps were asked %d times in 45 minutes; an app installed meanwhile would never be used", n)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "app 1 (centralConfig.sources[0].github.app)") {
		t.Errorf("want one warning naming app 1; got %d:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), pat) {
		t.Fatal("the log shows the token")
	}
	if got := in.Redact("echo " + pat); strings.Contains(got, pat) {
		t.Errorf("Redact leaves the fallback token: %s", got)
	}

	f.apps.Install(1, "acme")
	f.apps.Advance(15 * time.Minute)
	tok, err := in.Token(ctx)
	if err != nil || !f.apps.Authorized(tok, "acme", "config") {
		t.Fatalf("once the app is installed its token is used: %q, %v", tok, err)
	}
}

// TestTheFakeAnswersAsGitHubWhenTheInstallationCannotGiveTheToken: 422
// for permissions the installation does not grant, and for a repository
// outside a "selected repositories" installation; the lookup of such a
// repository answers 404 (not installed).
func TestTheFakeAnswersAsGitHubWhenTheInstallationCannotGiveTheToken(t *testing.T) {
	f := newFixture(t)
	noContents := f.apps.Install(1, "acme")
	f.apps.SetPermissions(noContents, map[string]string{"metadata": "read"})
	other := f.apps.Install(1, "acme", "website")
	for name, tc := range map[string]struct {
		id   int64
		want string
	}{
		"without Contents access":            {noContents, "HTTP 422: The permissions requested are not granted to this installation.; does the installation include acme/config and grant Contents: read?"},
		"a repository outside the selection": {other, "HTTP 422: There is at least one repository that does not exist or is not accessible"},
	} {
		t.Run(name, func(t *testing.T) {
			app := f.app
			app.InstallationID = tc.id
			_, err := f.installation(t, func(o *githubauth.Options) { o.Apps = []githubauth.App{app} }).Token(testContext(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("the lookup of a repository outside the selection", func(t *testing.T) {
		fresh := newFixture(t)
		fresh.apps.Install(1, "acme", "website")
		_, err := fresh.installation(t, nil).Token(testContext(t))
		if !errors.Is(err, githubauth.ErrNoInstallation) {
			t.Fatalf("err = %v, want ErrNoInstallation", err)
		}
	})
}

// TestConcurrentCallersShareOneLookupAndOneMint runs 32 callers at once
// (go test -race): one finds the installation and mints, the others wait
// and get the same token.
func TestConcurrentCallersShareOneLookupAndOneMint(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	in := f.installation(t, nil)
	ctx := testContext(t)
	tokens := make([]string, 32)
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Go(func() { tokens[i], errs[i] = in.Token(ctx) })
	}
	wg.Wait()
	for i := range tokens {
		if errs[i] != nil || tokens[i] != tokens[0] {
			t.Fatalf("caller %d: %q, %v; want the same token as caller 0", i, tokens[i], errs[i])
		}
	}
	if l, m := f.apps.Count("lookup"), f.apps.Count("mint"); l != 1 || m != 1 {
		t.Fatalf("%d lookups and %d mints for 32 callers, want 1 and 1", l, m)
	}
}

// hangingAPI is a token API that never answers until the test ends; it
// tells on started when a request arrived.
func hangingAPI(t *testing.T) (string, chan struct{}) {
	started := make(chan struct{}, 16)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL + "/", started
}

// TestAHangingTokenEndpointHoldsNoCallerPastItsDeadline: the renewal is
// bounded by Options.Timeout, and a caller waiting for another's renewal
// gives up when its own context ends.
func TestAHangingTokenEndpointHoldsNoCallerPastItsDeadline(t *testing.T) {
	_, key := apptest.Key(t, 1)
	newIn := func(t *testing.T, timeout time.Duration) (*githubauth.Installation, chan struct{}) {
		url, started := hangingAPI(t)
		in, err := githubauth.New(githubauth.Options{APIBaseURL: url, Owner: "acme", Repo: "config", Timeout: timeout,
			Apps: []githubauth.App{{ID: 1, Key: key, ConfigKey: "app"}}})
		if err != nil {
			t.Fatal(err)
		}
		return in, started
	}

	t.Run("the renewal ends at the timeout", func(t *testing.T) {
		in, _ := newIn(t, time.Millisecond)
		_, err := in.Token(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not answer within 1ms") {
			t.Fatalf("err = %v, want the timeout's DeadlineExceeded, explained", err)
		}
	})

	t.Run("a second caller waits only as long as its context", func(t *testing.T) {
		in, started := newIn(t, time.Hour)
		first, cancelFirst := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { _, err := in.Token(first); done <- err }()
		<-started // the first caller holds the renewal
		second, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := in.Token(second); !errors.Is(err, context.Canceled) {
			t.Errorf("the second caller: %v, want its context's Canceled", err)
		}
		cancelFirst()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("the first caller: %v, want Canceled", err)
		}
	})
}

// TestAHugeErrorAnswerIsReadToABoundAndClipped: an 8 MB error message is
// read no further than the bound, and a long one is clipped, so neither
// reaches the run's status or logs whole.
func TestAHugeErrorAnswerIsReadToABoundAndClipped(t *testing.T) {
	for name, size := range map[string]int{"8 MB": 8 << 20, "5000 bytes": 5000} {
		t.Run(name, func(t *testing.T) {
			msg := strings.Repeat("x", size)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				apptest.Error(w, http.StatusUnauthorized, msg)
			}))
			t.Cleanup(srv.Close)
			_, key := apptest.Key(t, 1)
			read := &countingTransport{}
			in, err := githubauth.New(githubauth.Options{APIBaseURL: srv.URL + "/", Owner: "acme", Repo: "config",
				HTTPClient: &http.Client{Transport: read}, Apps: []githubauth.App{{ID: 1, Key: key, ConfigKey: "app"}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = in.Token(testContext(t))
			if !errors.Is(err, githubauth.ErrAppRefused) {
				t.Fatalf("err = %.300v, want ErrAppRefused", err)
			}
			if n := len(err.Error()); n > 1000 {
				t.Fatalf("the error is %d bytes long; GitHub's message should be clipped", n)
			}
			if n := read.n.Load(); n > 64<<10 {
				t.Fatalf("%d bytes of the answer were read; want at most 64 KiB", n)
			}
		})
	}
}

// TestAForgottenTokenIsStillRedacted: after a 401 the token is forgotten
// before the error is worded; Redact must still scrub it.
func TestAForgottenTokenIsStillRedacted(t *testing.T) {
	f := newFixture(t)
	f.apps.Install(1, "acme")
	in := f.installation(t, nil)
	ctx := testContext(t)
	first, _ := in.Token(ctx)
	in.Forget(first)
	second, _ := in.Token(ctx)
	msg := in.Redact("401 Bad credentials: " + first + " and " + second)
	if strings.Contains(msg, first) || strings.Contains(msg, second) {
		t.Fatalf("Redact left a token: %s", msg)
	}
}

// TestAnErrorOnADeducedAPISuggestsApiBaseUrl: a host whose API was
// deduced as https://HOST/api/v3/ (GitHub Enterprise Server) may be
// GitHub Enterprise Cloud, whose API is api.SUBDOMAIN.ghe.com.
func TestAnErrorOnADeducedAPISuggestsApiBaseUrl(t *testing.T) {
	f := newFixture(t)
	_, err := f.installation(t, func(o *githubauth.Options) { o.APIBaseDeduced = true }).Token(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "set apiBaseUrl to https://api.SUBDOMAIN.ghe.com") {
		t.Fatalf("err = %v, want a hint at apiBaseUrl", err)
	}
	_, err = f.installation(t, nil).Token(testContext(t))
	if err == nil || strings.Contains(err.Error(), "apiBaseUrl") {
		t.Fatalf("err = %v, want no hint when apiBaseUrl was configured", err)
	}
}

// countingTransport counts the bytes read of the response bodies.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
