package github

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v75/github"

	"github.com/central-config/central-config/internal/source/githubauth"
)

// ErrBadCredentials is wrapped by errors for GitHub's 401 answer, so the
// caller can tell a broken token from a flaky network.
var ErrBadCredentials = errors.New("bad credentials")

// ErrNotFound is wrapped by errors for a repository, branch or commit that
// GitHub does not show to this token.
var ErrNotFound = errors.New("repository or branch not found")

// ErrArchiveTooLarge is wrapped by the error for a tarball that unpacks to
// more than MaxArchiveBytes.
var ErrArchiveTooLarge = errors.New("repository archive too large")

// FetchError is what Fetch returns on failure: which step failed, on which
// repository, and why. Err may be a *RateLimitError or wrap one of the
// Err* sentinels; use errors.As / errors.Is.
type FetchError struct {
	// Op is the step, such as "resolve branch main".
	Op string
	// Repo is "owner/repo".
	Repo string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *FetchError) Error() string {
	return "github " + e.Repo + ": " + e.Op + ": " + e.Err.Error()
}

// Unwrap gives errors.Is and errors.As the cause.
func (e *FetchError) Unwrap() error { return e.Err }

// RateLimitError means GitHub refused a request for rate limiting: either
// the hourly quota is spent (primary limit, Reset is set) or the client is
// going too fast (secondary limit, Secondary is set). The sync loop waits
// RetryAfter before the next attempt.
type RateLimitError struct {
	// Reset is when the hourly quota refills; zero when GitHub did not say.
	Reset time.Time
	// Limit is the hourly quota; zero when GitHub did not say.
	Limit int
	// Secondary is true for a secondary (abuse) limit.
	Secondary bool
	// Wait is GitHub's Retry-After for secondary limits, zero if absent.
	// (It cannot be called RetryAfter: that is the method.)
	Wait time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string {
	if e.Secondary {
		return fmt.Sprintf("GitHub API secondary rate limit hit (too many requests too fast); retry after %s", e.RetryAfter().Round(time.Second))
	}
	quota := ""
	if e.Limit > 0 {
		quota = fmt.Sprintf(" (%d/h)", e.Limit)
	}
	if e.Reset.IsZero() {
		return "GitHub API rate limit exhausted" + quota + "; retry later"
	}
	return "GitHub API rate limit exhausted" + quota + "; resets at " + e.Reset.UTC().Format("15:04:05") + " UTC"
}

// RetryAfter is how long to wait before calling GitHub again: Retry-After
// when given, else until the reset (plus a second for clock skew), else the
// minute GitHub's docs ask for.
func (e *RateLimitError) RetryAfter() time.Duration {
	switch {
	case e.Wait > 0:
		return e.Wait
	case !e.Reset.IsZero():
		return max(time.Until(e.Reset), 0) + time.Second
	default:
		return time.Minute
	}
}

// stillLimited returns the rate limit error that is still in force, so
// Fetch does not ask GitHub again before the time it was told to wait.
// Asking anyway can get an integration banned.
func (s *Source) stillLimited() *RateLimitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := time.Until(s.blockedUntil)
	if left <= 0 {
		return nil
	}
	e := s.blockedBy
	if e.Reset.IsZero() {
		e.Wait = left
	}
	return &e
}

// noteLimit starts the back-off when err is a rate limit, and returns err.
func (s *Source) noteLimit(err error) error {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		s.mu.Lock()
		s.blockedUntil, s.blockedBy = time.Now().Add(rl.RetryAfter()), *rl
		s.mu.Unlock()
	}
	return err
}

// fail wraps err for Fetch's caller; ref is the branch or commit the step
// was about, for the not-found message.
func (s *Source) fail(op, ref string, err error) error {
	err = s.noteLimit(s.classify(ref, err))
	// go-github's messages hold URLs and GitHub's own text, neither of
	// which should contain the token; this only guards against surprises.
	msg := err.Error()
	if s.redact != "" {
		msg = strings.ReplaceAll(msg, s.redact, "[redacted]")
	}
	if s.app != nil {
		msg = s.app.Redact(msg)
	}
	if msg != err.Error() {
		err = &redactedError{msg: msg, err: err}
	}
	return &FetchError{Op: op, Repo: s.owner + "/" + s.repo, Err: err}
}

// redactedError is err with a message free of tokens; errors.Is and As
// still see err (ErrBadCredentials, a RateLimitError).
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// classify turns go-github's errors into the ones this package documents.
func (s *Source) classify(ref string, err error) error {
	var rle *gh.RateLimitError
	if errors.As(err, &rle) {
		return &RateLimitError{Reset: rle.Rate.Reset.Time, Limit: rle.Rate.Limit}
	}
	var are *gh.AbuseRateLimitError
	if errors.As(err, &are) {
		if are.Response != nil {
			return secondaryLimit(are.Response.Header)
		}
		e := &RateLimitError{Secondary: true}
		if are.RetryAfter != nil {
			e.Wait = max(*are.RetryAfter, 0)
		}
		return e
	}
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return err
	}
	h, status := er.Response.Header, er.Response.StatusCode
	limited := status == http.StatusForbidden || status == http.StatusTooManyRequests
	// go-github only recognises 403 rate limits, and secondary ones only by
	// their documentation URL; GitHub also answers 429.
	switch {
	case limited && h.Get("X-RateLimit-Remaining") == "0":
		e := &RateLimitError{Limit: atoi(h.Get("X-RateLimit-Limit"))}
		if r := atoi(h.Get("X-RateLimit-Reset")); r > 0 {
			e.Reset = time.Unix(int64(r), 0)
		}
		return e
	case limited && (h.Get("Retry-After") != "" || status == http.StatusTooManyRequests ||
		strings.Contains(strings.ToLower(er.Message), "secondary rate limit")):
		return secondaryLimit(h)
	case status == http.StatusUnauthorized && s.app != nil:
		return fmt.Errorf("%w: GitHub answered 401 (%s) to the installation token of %s; the next run mints a new one",
			ErrBadCredentials, githubauth.ClipMessage(er.Message), s.app)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%w: GitHub answered 401; the token is missing, invalid, expired or revoked", ErrBadCredentials)
	case status == http.StatusNotFound,
		// GitHub answers 422 "No commit found for SHA" for an unknown branch.
		status == http.StatusUnprocessableEntity && strings.Contains(er.Message, "No commit found"):
		return fmt.Errorf("%w: %s/%s@%s (GitHub also answers 404 for a private repository the token cannot read)",
			ErrNotFound, s.owner, s.repo, ref)
	case status == http.StatusForbidden:
		return fmt.Errorf("access denied (HTTP 403): %s", githubauth.ClipMessage(er.Message))
	default:
		msg := githubauth.ClipMessage(er.Message)
		if msg == "" {
			msg = http.StatusText(status)
		}
		return fmt.Errorf("GitHub answered HTTP %d: %s", status, msg)
	}
}

// secondaryLimit follows GitHub's advice for secondary limits: wait
// Retry-After; else, if the quota is spent, until the reset; else a
// minute. (go-github waits until X-RateLimit-Reset even when the quota is
// not spent, which can be most of an hour.)
func secondaryLimit(h http.Header) *RateLimitError {
	e := &RateLimitError{Secondary: true, Wait: time.Duration(atoi(h.Get("Retry-After"))) * time.Second}
	if e.Wait <= 0 && h.Get("X-RateLimit-Remaining") == "0" {
		e.Limit = atoi(h.Get("X-RateLimit-Limit"))
		if r := atoi(h.Get("X-RateLimit-Reset")); r > 0 {
			e.Reset = time.Unix(int64(r), 0)
		}
	}
	return e
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}
