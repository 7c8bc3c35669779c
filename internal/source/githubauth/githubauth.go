// Package githubauth gives the git and github sources a GitHub App's
// installation token: it signs the app's JWT (golang-jwt), finds the
// installation that covers the repository, mints a token with go-github's
// Apps API and keeps it until it is close to expiry, so a token is minted
// about once an hour, never once per request. With several apps (Backstage's
// integrations.github[].apps), the first one installed on the repository
// whose allowedInstallationOwners admit the owner is used; as Backstage's
// GithubAppCredentialsMux, every app is asked before the lookup fails, and
// with none installed the integration's token (if any) is used instead.
package githubauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v75/github"
)

// DefaultMargin is how long before its expiry a token is renewed. GitHub's
// installation tokens live an hour; a token handed out is good for at
// least this long, so a fetch that starts with it finishes with it.
const DefaultMargin = 5 * time.Minute

// DefaultTimeout bounds one renewal: finding the installation and minting
// a token. GitHub answers in well under a second; a hanging endpoint must
// not hold the sync until its own timeout.
const DefaultTimeout = 30 * time.Second

// maxBody is the most read of one token API response: a token answer is
// a few hundred bytes, an error a few hundred more.
const maxBody = 64 << 10

// maxMessage is the most of GitHub's error message quoted in an error.
const maxMessage = 300

// keptTokens is how many of the last tokens Redact still scrubs: an error
// formatted after its token was forgotten or renewed may quote it.
const keptTokens = 4

// fallbackRecheck is how long the token of the integration stands in for
// apps none of which is installed on the repository before the apps are
// asked again (an app installed meanwhile is then used).
const fallbackRecheck = 10 * time.Minute

// jwtBackdate and jwtLifetime follow GitHub's advice: iat 60 seconds in the
// past against clock drift, exp at most 10 minutes after it.
const (
	jwtBackdate = 60 * time.Second
	jwtLifetime = 10 * time.Minute
)

// ErrNoInstallation is wrapped by the error of Token when no configured
// app is installed on the repository (or allowed for its owner).
var ErrNoInstallation = errors.New("no GitHub App installation for the repository")

// ErrAppRefused is wrapped by the error of Token when GitHub refuses the
// app's JWT (401): a wrong app id or a private key of another app.
var ErrAppRefused = errors.New("GitHub refused the app's credentials")

// App is one GitHub App's credentials.
type App struct {
	// ID is the app id (GitHub's "App ID", not the client id).
	ID int64
	// Key is the app's private key (ParseKey).
	Key *rsa.PrivateKey
	// InstallationID, when set, skips the lookup of the installation.
	InstallationID int64
	// AllowedOwners, when not empty, are the only owners (case
	// insensitive) this app is used for, as Backstage's
	// allowedInstallationOwners.
	AllowedOwners []string
	// ConfigKey names the app in errors, e.g.
	// "integrations.github[0].apps[1]"; errors about the key say
	// ConfigKey + ".privateKey".
	ConfigKey string
}

// ForOwner returns the apps that may be used for owner's repositories
// (their allowedInstallationOwners admit it). With none, Backstage, and
// so the engine, falls back to the integration's token.
func ForOwner(apps []App, owner string) []App {
	var out []App
	for _, a := range apps {
		if a.allows(owner) {
			out = append(out, a)
		}
	}
	return out
}

func (a App) allows(owner string) bool {
	if len(a.AllowedOwners) == 0 {
		return true
	}
	for _, o := range a.AllowedOwners {
		if strings.EqualFold(o, owner) {
			return true
		}
	}
	return false
}

// Options configures the installation tokens of one repository.
type Options struct {
	// APIBaseURL is the GitHub API, "https://ghe.example.com/api/v3/" for
	// GitHub Enterprise Server; empty means api.github.com.
	APIBaseURL string
	// APIBaseDeduced says APIBaseURL was deduced from the host
	// (https://HOST/api/v3/), not configured: errors of the token API then
	// suggest configuring it.
	APIBaseDeduced bool
	// Apps are tried in order; the first installed on the repository is
	// used.
	Apps []App
	// Owner and Repo name the repository the token is for.
	Owner, Repo string
	// HTTPClient carries proxies and TLS settings; nil means a plain
	// http.Client.
	HTTPClient *http.Client
	// Margin is how long before expiry a token is renewed; zero means
	// DefaultMargin.
	Margin time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds finding the installation and minting a token; zero
	// means DefaultTimeout.
	Timeout time.Duration
	// Token, when set, is sent instead of an installation token when no
	// app is installed on the repository, as Backstage's
	// SingleInstanceGithubCredentialsProvider falls back to
	// integrations.github[].token.
	Token string
	// Log gets the warning (once per Installation) that names the apps
	// not installed when Token stands in for them; nil logs nothing.
	Log *slog.Logger
}

// Installation hands out installation tokens for one repository. It is
// safe for concurrent use.
type Installation struct {
	apps        []App
	owner, repo string
	client      *gh.Client
	margin      time.Duration
	timeout     time.Duration
	now         func() time.Time
	fallback    string
	log         *slog.Logger
	hintAPI     bool // APIBaseDeduced

	// renewing is a one-slot lock held while a token is found or minted;
	// a caller waits for it only as long as its context lets it.
	renewing chan struct{}
	app      *App  // the app chosen, once found; under renewing
	id       int64 // its installation; under renewing
	warned   bool  // the fallback was logged; under renewing

	mu            sync.Mutex // guards the fields below, never held across a call
	token         string
	expires       time.Time
	fallbackUntil time.Time // the fallback token stands in until then
	recent        []string  // the last tokens, for Redact
}

// New checks the options; it does not call GitHub (the first Token does).
func New(opts Options) (*Installation, error) {
	if opts.Owner == "" || opts.Repo == "" {
		return nil, errors.New("githubauth: owner and repository are required")
	}
	for _, a := range opts.Apps {
		switch {
		case a.ID <= 0:
			return nil, fmt.Errorf("%s.appId is required: the app's id (App ID on its settings page); is the variable it names set?", a.ConfigKey)
		case a.Key == nil:
			return nil, fmt.Errorf("%s.privateKey is required: the app's private key in PEM; is the variable or file it names set?", a.ConfigKey)
		}
	}
	apps := ForOwner(opts.Apps, opts.Owner)
	if len(apps) == 0 {
		return nil, fmt.Errorf("%w %s/%s: every app's allowedInstallationOwners leave out %s",
			ErrNoInstallation, opts.Owner, opts.Repo, opts.Owner)
	}
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		c := *opts.HTTPClient
		hc = &c
	}
	hc.Transport = limitBody{base: hc.Transport}
	client := gh.NewClient(hc)
	if opts.APIBaseURL != "" {
		var err error
		if client, err = client.WithEnterpriseURLs(opts.APIBaseURL, opts.APIBaseURL); err != nil {
			return nil, fmt.Errorf("githubauth: API base URL: %w", err)
		}
	}
	client.UserAgent = "central-config"
	margin := opts.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Installation{apps: apps, owner: opts.Owner, repo: opts.Repo, client: client, margin: margin, timeout: timeout,
		now: now, fallback: opts.Token, log: opts.Log, hintAPI: opts.APIBaseDeduced, renewing: make(chan struct{}, 1)}, nil
}

// String names the repository and the apps, never a secret.
func (in *Installation) String() string {
	ids := make([]string, len(in.apps))
	for i, a := range in.apps {
		ids[i] = strconv.FormatInt(a.ID, 10)
	}
	return fmt.Sprintf("GitHub App %s for %s/%s", strings.Join(ids, ", "), in.owner, in.repo)
}

// Token returns an installation token good for at least the margin,
// minting a new one only when the last one is closer to its expiry. One
// caller renews at a time, for at most the timeout; the others wait for
// it as long as their context allows.
func (in *Installation) Token(ctx context.Context) (string, error) {
	if tok, ok := in.cached(); ok {
		return tok, nil
	}
	select {
	case in.renewing <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("%s: waiting for a token being minted: %w", in, ctx.Err())
	}
	defer func() { <-in.renewing }()
	if tok, ok := in.cached(); ok {
		return tok, nil
	}
	renewCtx, cancel := context.WithTimeout(ctx, in.timeout)
	defer cancel()
	tok, err := in.renew(renewCtx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(renewCtx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (GitHub's token API did not answer within %s)", err, in.timeout)
		}
		return "", err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if tok == nil {
		in.fallbackUntil = in.now().Add(fallbackRecheck)
		return in.fallback, nil
	}
	in.token, in.expires, in.fallbackUntil = tok.GetToken(), tok.GetExpiresAt().Time, time.Time{}
	in.recent = append([]string{in.token}, in.recent...)
	in.recent = in.recent[:min(len(in.recent), keptTokens)]
	return in.token, nil
}

// cached returns the current token if it is good for the margin, or the
// fallback token while it stands in for the apps.
func (in *Installation) cached() (string, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	now := in.now()
	switch {
	case in.token != "" && now.Add(in.margin).Before(in.expires):
		return in.token, true
	case now.Before(in.fallbackUntil):
		return in.fallback, true
	}
	return "", false
}

// renew mints a token with the app found before, else finds one; a nil
// token (and no error) means no app is installed and the fallback token
// stands in.
func (in *Installation) renew(ctx context.Context) (*gh.InstallationToken, error) {
	if in.app != nil {
		tok, err := in.mint(ctx, in.app, in.id)
		if !isStatus(err, http.StatusNotFound) || in.app.InstallationID != 0 {
			return tok, err
		}
		// The app was uninstalled (or reinstalled with a new id): ask
		// every app again.
		in.app = nil
	}
	tok, notInstalled, err := in.find(ctx)
	if !errors.Is(err, ErrNoInstallation) || in.fallback == "" {
		return tok, err
	}
	if !in.warned && in.log != nil {
		in.log.Warn("no GitHub App is installed on the repository; using the integration's token instead",
			"repository", in.owner+"/"+in.repo, "apps", notInstalled)
	}
	in.warned = true
	return nil, nil
}

// find asks every app in turn for an installation on the repository and
// a token of it, and keeps the first app that gives one. With none, the
// error is the first one that is not "not installed", else one wrapping
// ErrNoInstallation; the apps not installed are named too.
func (in *Installation) find(ctx context.Context) (*gh.InstallationToken, []string, error) {
	var errs []error
	var notInstalled []string
	for i := range in.apps {
		a := &in.apps[i]
		tok, err := in.try(ctx, a)
		switch {
		case err == nil:
			return tok, nil, nil
		case errors.Is(err, errNotInstalled):
			notInstalled = append(notInstalled, fmt.Sprintf("app %d (%s)", a.ID, a.ConfigKey))
		default:
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		why := make([]string, len(notInstalled))
		for i, n := range notInstalled {
			why[i] = n + " is not installed on it"
		}
		return nil, notInstalled, fmt.Errorf("%w %s/%s: %s%s", ErrNoInstallation, in.owner, in.repo, strings.Join(why, "; "), in.apiHint())
	}
	var others []string
	for _, e := range errs[1:] {
		others = append(others, e.Error())
	}
	for _, n := range notInstalled {
		others = append(others, n+" is not installed on "+in.owner+"/"+in.repo)
	}
	if len(others) == 0 {
		return nil, notInstalled, errs[0]
	}
	return nil, notInstalled, fmt.Errorf("%w; and %s", errs[0], strings.Join(others, "; "))
}

// errNotInstalled is try's answer for an app not installed on the
// repository.
var errNotInstalled = errors.New("not installed")

// try mints a token with app a, finding its installation first unless
// it is configured, and keeps a on success.
func (in *Installation) try(ctx context.Context, a *App) (*gh.InstallationToken, error) {
	id := a.InstallationID
	if id == 0 {
		bearer, err := in.jwt(a)
		if err != nil {
			return nil, err
		}
		inst, _, err := in.client.WithAuthToken(bearer).Apps.FindRepositoryInstallation(ctx, in.owner, in.repo)
		if isStatus(err, http.StatusNotFound) {
			return nil, errNotInstalled
		}
		if err != nil {
			return nil, in.appError(a, "find the installation of "+in.owner+"/"+in.repo, err)
		}
		id = inst.GetID()
	}
	tok, err := in.mint(ctx, a, id)
	if err != nil {
		return nil, err
	}
	in.app, in.id = a, id
	return tok, nil
}

// isStatus tells whether err is GitHub's answer with that status.
func isStatus(err error, status int) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}

// Forget drops token if it is the current one, so the next Token mints a
// new one: for a token GitHub refused (revoked, or the clocks disagree).
// Redact still scrubs it.
func (in *Installation) Forget(token string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if token == in.token {
		in.token = ""
	}
}

// Redact replaces the last few tokens (forgotten ones too) and the
// fallback token in msg, for error text that might echo them.
func (in *Installation) Redact(msg string) string {
	in.mu.Lock()
	secrets := append(slices.Clone(in.recent), in.fallback)
	in.mu.Unlock()
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// mint asks GitHub for a token of installation id, restricted to the one
// repository and to reading its contents.
func (in *Installation) mint(ctx context.Context, a *App, id int64) (*gh.InstallationToken, error) {
	bearer, err := in.jwt(a)
	if err != nil {
		return nil, err
	}
	tok, _, err := in.client.WithAuthToken(bearer).Apps.CreateInstallationToken(ctx, id, &gh.InstallationTokenOptions{
		Repositories: []string{in.repo},
		Permissions:  &gh.InstallationPermissions{Contents: gh.Ptr("read"), Metadata: gh.Ptr("read")},
	})
	if err != nil {
		return nil, in.appError(a, fmt.Sprintf("create a token of installation %d", id), err)
	}
	if tok.GetToken() == "" || tok.ExpiresAt == nil {
		return nil, fmt.Errorf("GitHub App %d (%s): GitHub answered an installation token without a token or an expiry", a.ID, a.ConfigKey)
	}
	return tok, nil
}

// jwt signs the app's JSON Web Token (RS256).
func (in *Installation) jwt(a *App) (string, error) {
	iat := in.now().Add(-jwtBackdate).Truncate(time.Second)
	claims := jwt.RegisteredClaims{
		Issuer:    strconv.FormatInt(a.ID, 10),
		IssuedAt:  jwt.NewNumericDate(iat),
		ExpiresAt: jwt.NewNumericDate(iat.Add(jwtLifetime)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(a.Key)
	if err != nil {
		return "", fmt.Errorf("GitHub App %d: signing the JWT with %s.privateKey: %w", a.ID, a.ConfigKey, err)
	}
	return s, nil
}

// appError explains a failed call made with the app's JWT. GitHub's
// message is kept, clipped; it never holds the JWT or the key. The 404 of
// a mint is returned as it is, so renew can tell it.
func (in *Installation) appError(a *App, op string, err error) error {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := ClipMessage(er.Message)
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("GitHub App %d: %s: %w (HTTP 401: %s); is %s.privateKey the private key of app %d, and %s.appId its id?",
				a.ID, op, ErrAppRefused, msg, a.ConfigKey, a.ID, a.ConfigKey)
		case http.StatusNotFound:
			return &statusError{error: fmt.Errorf("GitHub App %d (%s): %s: not found (HTTP 404); was the app uninstalled?%s",
				a.ID, a.ConfigKey, op, in.apiHint()), cause: er}
		case http.StatusUnprocessableEntity:
			return fmt.Errorf("GitHub App %d (%s): %s: HTTP 422: %s; does the installation include %s/%s and grant Contents: read?",
				a.ID, a.ConfigKey, op, msg, in.owner, in.repo)
		default:
			return fmt.Errorf("GitHub App %d (%s): %s: HTTP %d: %s%s", a.ID, a.ConfigKey, op, er.Response.StatusCode, msg, in.apiHint())
		}
	}
	return fmt.Errorf("GitHub App %d (%s): %s: %w%s", a.ID, a.ConfigKey, op, err, in.apiHint())
}

// apiHint suggests apiBaseUrl when the tokens are minted on the API
// deduced for a GitHub Enterprise host (https://HOST/api/v3/, right for
// GitHub Enterprise Server): GitHub Enterprise Cloud with data residency
// (SUBDOMAIN.ghe.com) has its API at https://api.SUBDOMAIN.ghe.com/.
func (in *Installation) apiHint() string {
	if !in.hintAPI {
		return ""
	}
	return fmt.Sprintf(" (tokens are minted on %s, deduced from the host; for GitHub Enterprise Cloud with data residency set apiBaseUrl to https://api.SUBDOMAIN.ghe.com)", in.client.BaseURL)
}

// statusError keeps GitHub's answer for isStatus under a message of ours.
type statusError struct {
	error
	cause *gh.ErrorResponse
}

func (e *statusError) Unwrap() error { return e.cause }

// ClipMessage shortens a message GitHub sent to what explains it, so a
// huge or hostile answer does not fill the run's status and logs.
func ClipMessage(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + fmt.Sprintf("... (%d bytes in all)", len(msg))
}

// limitBody caps what is read of each token API response, go-github's
// io.ReadAll of an error body included.
type limitBody struct{ base http.RoundTripper }

func (l limitBody) RoundTrip(req *http.Request) (*http.Response, error) {
	base := l.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err == nil && resp.Body != nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxBody), resp.Body}
	}
	return resp, err
}

// ParseKey reads an app's private key: PEM, PKCS#1 ("BEGIN RSA PRIVATE
// KEY", as GitHub hands it out) or PKCS#8. Literal \n sequences are read
// as newlines, as Backstage does for keys kept on one line in an
// environment variable. The error never quotes the key.
func ParseKey(pemText string) (*rsa.PrivateKey, error) {
	pemText = strings.TrimSpace(strings.ReplaceAll(pemText, `\n`, "\n"))
	if pemText == "" {
		return nil, errors.New("is empty")
	}
	if !strings.HasPrefix(pemText, "-----BEGIN ") {
		return nil, errors.New("is not a PEM private key (it should start with -----BEGIN RSA PRIVATE KEY-----)")
	}
	key, err := jwt.ParseRSAPrivateKeyFromPEM([]byte(pemText))
	if err != nil {
		return nil, fmt.Errorf("is not an RSA private key in PEM (PKCS#1 or PKCS#8): %s", keyProblem(err))
	}
	return key, nil
}

// keyProblem says what is wrong without echoing key material (parser
// errors of x509 do not, but the wording is kept to known cases).
func keyProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrKeyMustBePEMEncoded):
		return "no PEM block found"
	case errors.Is(err, jwt.ErrNotRSAPrivateKey):
		return "the key is not an RSA key"
	default:
		return "the PEM block does not decode to a private key"
	}
}

// Transport adds "Authorization: Bearer <installation token>" to every
// request it sends to the API, and forgets a token the API refuses, so
// the next request mints a new one.
type Transport struct {
	Base   http.RoundTripper
	Tokens *Installation
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.Tokens.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		t.Tokens.Forget(tok)
	}
	return resp, err
}
