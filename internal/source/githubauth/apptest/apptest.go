// Package apptest fakes the GitHub App part of GitHub's REST API for
// tests: it checks each app's JWT as GitHub does (RS256 signature with the
// app's public key, iss, iat, exp at most 10 minutes later), finds
// installations, issues installation tokens with an expiry, and tells a
// repository fake whether a token may read a repository (an expired one
// may not). Its clock is its own, so a test moves it forward instead of
// sleeping.
package apptest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenLife is how long an installation token lives, as on GitHub.
const TokenLife = time.Hour

// Apps is the fake. The zero value is not usable; call New.
type Apps struct {
	mu       sync.Mutex
	offset   time.Duration // the clock's lead on the real time
	apps     map[int64]*rsa.PublicKey
	installs map[int64]install
	tokens   map[string]issued
	nextID   int64
	counts   map[string]int
	// jwts are the JWTs seen, for tests that check nothing prints them.
	jwts []string
}

type install struct {
	app   int64
	owner string
	repos []string          // nil: every repository of owner
	perms map[string]string // permission -> "read" or "write"
}

// DefaultPermissions are what Install grants: what the engine asks for.
var DefaultPermissions = map[string]string{"contents": "read", "metadata": "read"}

type issued struct {
	install int64
	repos   []string
	expires time.Time
}

// New returns an empty fake.
func New() *Apps {
	return &Apps{apps: map[int64]*rsa.PublicKey{}, installs: map[int64]install{}, tokens: map[string]issued{},
		nextID: 1000, counts: map[string]int{}}
}

// Start serves a new fake on a test server until the test ends and
// returns it with its URL (the API base, as for GitHub Enterprise).
func Start(t testing.TB) (*Apps, string) {
	t.Helper()
	a := New()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv.URL + "/"
}

// GitPassword is the check of a git server (gittest's SetPasswordCheck)
// that reads owner/repo as GitHub does: user x-access-token, and an
// installation token that may read the repository as the password.
func (a *Apps) GitPassword(owner, repo string) func(user, pass string) bool {
	return func(user, pass string) bool { return user == "x-access-token" && a.Authorized(pass, owner, repo) }
}

// Now is the fake's clock; pass it as the Now of githubauth.Options.
func (a *Apps) Now() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Now().Add(a.offset)
}

// Advance moves the clock forward by d.
func (a *Apps) Advance(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.offset += d
}

var (
	keysMu sync.Mutex
	keys   = map[int]*rsa.PrivateKey{}
)

// Key returns test key n (generated once per process: RSA key generation
// is slow) as PEM, in the PKCS#1 form GitHub hands out.
func Key(t testing.TB, n int) (string, *rsa.PrivateKey) {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	k, ok := keys[n]
	if !ok {
		var err error
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
		keys[n] = k
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), k
}

// AddApp registers app id with the public half of key.
func (a *Apps) AddApp(id int64, key *rsa.PrivateKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.apps[id] = &key.PublicKey
}

// Install installs app on owner's repositories (all of them when repos is
// empty, "selected repositories" otherwise) with DefaultPermissions and
// returns the installation id.
func (a *Apps) Install(app int64, owner string, repos ...string) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	a.installs[a.nextID] = install{app: app, owner: owner, repos: repos, perms: DefaultPermissions}
	return a.nextID
}

// SetPermissions replaces what installation id grants, e.g.
// {"metadata": "read"} for an app set up without Contents access.
func (a *Apps) SetPermissions(id int64, perms map[string]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in := a.installs[id]
	in.perms = perms
	a.installs[id] = in
}

// Count returns how often an endpoint was called: "lookup" (the
// repository's installation) or "mint" (a new token).
func (a *Apps) Count(name string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.counts[name]
}

// Secrets returns every token issued and every JWT seen, for tests that
// check none is printed.
func (a *Apps) Secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.jwts)
	for tok := range a.tokens {
		out = append(out, tok)
	}
	return out
}

// RevokeAll revokes every token issued so far, as an admin who
// suspends and resumes the installation would.
func (a *Apps) RevokeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for tok, iss := range a.tokens {
		iss.expires = time.Time{}
		a.tokens[tok] = iss
	}
}

// Authorized tells whether an installation token (the password of git's
// basic auth, or a bearer token) may read owner/repo now: known, not
// expired, and issued for that repository.
func (a *Apps) Authorized(token, owner, repo string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	iss, ok := a.tokens[token]
	if !ok || !time.Now().Add(a.offset).Before(iss.expires) {
		return false
	}
	in := a.installs[iss.install]
	return strings.EqualFold(in.owner, owner) && (iss.repos == nil || slices.Contains(iss.repos, repo))
}

// ServeHTTP serves the app endpoints under prefix ("" for api.github.com,
// "/api/v3" for GitHub Enterprise Server); see Handle.
func (a *Apps) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !a.Handle(w, r, "") && !a.Handle(w, r, "/api/v3") {
		Error(w, http.StatusNotFound, "Not Found")
	}
}

// Handle answers r if it is one of the app endpoints (GET
// /repos/{owner}/{repo}/installation, POST
// /app/installations/{id}/access_tokens) and reports whether it did.
func (a *Apps) Handle(w http.ResponseWriter, r *http.Request, prefix string) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, prefix+"/")
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "repos" && parts[3] == "installation":
		if app, ok := a.checkJWT(w, r); ok {
			a.lookup(w, app, parts[1], parts[2])
		}
		return true
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens":
		if app, ok := a.checkJWT(w, r); ok {
			a.mint(w, r, app, parts[2])
		}
		return true
	}
	return false
}

// checkJWT checks the bearer JWT as GitHub does and returns the app.
func (a *Apps) checkJWT(w http.ResponseWriter, r *http.Request) (int64, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		Error(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return 0, false
	}
	a.mu.Lock()
	a.jwts = append(a.jwts, raw)
	a.mu.Unlock()
	var app int64
	claims := &jwt.RegisteredClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		id, err := strconv.ParseInt(claims.Issuer, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("iss %q is not an app id", claims.Issuer)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		pub, ok := a.apps[id]
		if !ok {
			return nil, fmt.Errorf("no app %d", id)
		}
		app = id
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(a.Now), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		Error(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return 0, false
	}
	if claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		Error(w, http.StatusUnauthorized, "'Expiration time' claim ('exp') is too far in the future")
		return 0, false
	}
	return app, true
}

func (a *Apps) lookup(w http.ResponseWriter, app int64, owner, repo string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counts["lookup"]++
	for id, in := range a.installs {
		if in.app == app && strings.EqualFold(in.owner, owner) && (in.repos == nil || slices.Contains(in.repos, repo)) {
			writeJSON(w, http.StatusOK, map[string]any{"id": id, "app_id": app,
				"account": map[string]any{"login": in.owner, "type": "Organization"}, "repository_selection": selection(in)})
			return
		}
	}
	Error(w, http.StatusNotFound, "Not Found")
}

func (a *Apps) mint(w http.ResponseWriter, r *http.Request, app int64, rawID string) {
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if r.Body != nil {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			Error(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	id, _ := strconv.ParseInt(rawID, 10, 64)
	a.mu.Lock()
	defer a.mu.Unlock()
	in, ok := a.installs[id]
	if !ok || in.app != app {
		Error(w, http.StatusNotFound, "Not Found")
		return
	}
	for _, repo := range body.Repositories {
		if in.repos != nil && !slices.Contains(in.repos, repo) {
			Error(w, http.StatusUnprocessableEntity, "There is at least one repository that does not exist or is not accessible to the parent installation.")
			return
		}
	}
	for perm, level := range body.Permissions {
		if granted := in.perms[perm]; granted == "" || (level == "write" && granted != "write") {
			Error(w, http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation.")
			return
		}
	}
	a.counts["mint"]++
	tok := fmt.Sprintf("ghs_fake%d%08x", a.counts["mint"], time.Now().UnixNano()&0xffffffff)
	expires := time.Now().Add(a.offset).Add(TokenLife).UTC().Truncate(time.Second)
	a.tokens[tok] = issued{install: id, repos: body.Repositories, expires: expires}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": expires.Format(time.RFC3339),
		"permissions": body.Permissions, "repository_selection": selection(in)})
}

func selection(in install) string {
	if in.repos == nil {
		return "all"
	}
	return "selected"
}

// Error answers as GitHub does: a JSON body with message and
// documentation_url.
func Error(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message, "documentation_url": "https://docs.github.com/rest",
		"status": strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
