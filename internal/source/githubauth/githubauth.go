// Package githubauth gives the git and github sources a GitHub App's
// installation token: it signs the app's JWT (golang-jwt), finds the
// installation that covers the repository, mints a token with go-github's
// Apps API and keeps it until it is close to expiry, so a token is minted
// about once an hour, never once per request. With several apps (Backstage's
// integrations.github[].apps), the first one installed on the repository
// whose allowedInstallationOwners admit the owner is used.
package githubauth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	gh "github.com/google/go-github/v75/github"
)

// DefaultMargin is how long before its expiry a token is renewed. GitHub's
// installation tokens live an hour; a token handed out is good for at
// least this long, so a fetch that starts with it finishes with it.
const DefaultMargin = 5 * time.Minute

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
}

// Installation hands out installation tokens for one repository. It is
// safe for concurrent use.
type Installation struct {
	apps        []App
	owner, repo string
	client      *gh.Client
	margin      time.Duration
	now         func() time.Time

	mu      sync.Mutex
	app     *App  // the app chosen, once found
	id      int64 // its installation
	token   string
	expires time.Time
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
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
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
	return &Installation{apps: apps, owner: opts.Owner, repo: opts.Repo, client: client, margin: margin, now: now}, nil
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
// minting a new one only when the last one is closer to its expiry.
func (in *Installation) Token(ctx context.Context) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.token != "" && in.now().Add(in.margin).Before(in.expires) {
		return in.token, nil
	}
	if in.app == nil {
		if err := in.find(ctx); err != nil {
			return "", err
		}
	}
	tok, err := in.mint(ctx, in.app, in.id)
	if err != nil {
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound && in.app.InstallationID == 0 {
			// The app was uninstalled (or reinstalled with a new id):
			// look again next time.
			in.app = nil
		}
		return "", err
	}
	in.token, in.expires = tok.GetToken(), tok.GetExpiresAt().Time
	return in.token, nil
}

// Forget drops token if it is the current one, so the next Token mints a
// new one: for a token GitHub refused (revoked, or the clocks disagree).
func (in *Installation) Forget(token string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if token == in.token {
		in.token = ""
	}
}

// Redact replaces the current token in msg, for error text that might
// echo it.
func (in *Installation) Redact(msg string) string {
	in.mu.Lock()
	tok := in.token
	in.mu.Unlock()
	if tok == "" {
		return msg
	}
	return strings.ReplaceAll(msg, tok, "[redacted]")
}

// find picks the first app installed on the repository.
func (in *Installation) find(ctx context.Context) error {
	var why []string
	for i := range in.apps {
		a := &in.apps[i]
		if a.InstallationID != 0 {
			in.app, in.id = a, a.InstallationID
			return nil
		}
		bearer, err := in.jwt(a)
		if err != nil {
			return err
		}
		inst, _, err := in.client.WithAuthToken(bearer).Apps.FindRepositoryInstallation(ctx, in.owner, in.repo)
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			why = append(why, fmt.Sprintf("app %d (%s) is not installed on it", a.ID, a.ConfigKey))
			continue
		}
		if err != nil {
			return in.appError(a, "find the installation of "+in.owner+"/"+in.repo, err)
		}
		in.app, in.id = a, inst.GetID()
		return nil
	}
	return fmt.Errorf("%w %s/%s: %s", ErrNoInstallation, in.owner, in.repo, strings.Join(why, "; "))
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
// message is kept; it never holds the JWT or the key.
func (in *Installation) appError(a *App, op string, err error) error {
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("GitHub App %d: %s: %w (HTTP 401: %s); is %s.privateKey the private key of app %d, and %s.appId its id?",
				a.ID, op, ErrAppRefused, er.Message, a.ConfigKey, a.ID, a.ConfigKey)
		case http.StatusNotFound:
			return fmt.Errorf("GitHub App %d (%s): %s: not found (HTTP 404); was the app uninstalled?", a.ID, a.ConfigKey, op)
		default:
			return fmt.Errorf("GitHub App %d (%s): %s: HTTP %d: %s", a.ID, a.ConfigKey, op, er.Response.StatusCode, er.Message)
		}
	}
	return fmt.Errorf("GitHub App %d (%s): %s: %w", a.ID, a.ConfigKey, op, err)
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
