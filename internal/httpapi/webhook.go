package httpapi

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// pushEvent is the part of GitHub's push payload that picks the sources.
type pushEvent struct {
	Ref        string `json:"ref"`
	Deleted    bool   `json:"deleted"`
	Repository struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

type webhookResult struct {
	Triggered []triggeredRun `json:"triggered"`
	Ignored   string         `json:"ignored,omitempty"`
	// Replay is true for a delivery received before, which starts no run.
	Replay bool `json:"replay,omitempty"`
}

// Webhook limits. Bodies are read into memory taken from a budget of
// webhookBudget bytes (the declared Content-Length, or maxWebhookBody
// when unknown), so memory stays bounded whatever arrives. A body must
// arrive at webhookRate after webhookGrace, or it is cut off: a client
// that trickles holds its share of the budget for seconds, and holding
// it longer costs real bandwidth. Deliveries are remembered (at most
// maxDeliveries, for deliveryTTL) to recognise replays.
const (
	webhookBudget = 64 << 20
	webhookGrace  = 5 * time.Second
	webhookRate   = 512 << 10 // bytes per second
	maxDeliveries = 10_000
	deliveryTTL   = time.Hour
)

// webhookWait is how long a delivery waits for room in the budget; a
// variable for the tests.
var webhookWait = 10 * time.Second

// githubWebhook turns a signed GitHub push into runs of the sources that
// track the pushed branch. Nothing in the payload is trusted before its
// signature is checked, and a request that cannot be signed (no secret,
// no or malformed signature, too large) is refused before its body is
// read. Bodies are read within the webhook budget, at a minimum rate
// (see webhookBudget). A delivery whose body was received before (its
// signature is remembered for deliveryTTL) is a replay and starts no run.
func (s *server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	if s.opts.WebhookSecret == "" {
		s.error(w, http.StatusForbidden, "webhooks-disabled", "GitHub webhooks are disabled: webhooks.github.secret must be set")
		return
	}
	sig := r.Header.Get("X-Hub-Signature-256")
	if sig == "" {
		s.error(w, http.StatusUnauthorized, "signature-missing", "the X-Hub-Signature-256 header is missing; is the webhook's secret set on GitHub?")
		return
	}
	want, ok := parseSignature(sig)
	if !ok {
		s.error(w, http.StatusUnauthorized, "signature-invalid", `the X-Hub-Signature-256 header is not "sha256=" and 64 hex digits`)
		return
	}
	if r.ContentLength > maxWebhookBody {
		s.webhookTooLarge(w)
		return
	}
	body, mac, release, ok := s.readWebhook(w, r, arrived)
	defer release()
	if !ok {
		return
	}
	if !hmac.Equal(want, mac) {
		s.error(w, http.StatusUnauthorized, "signature-invalid", "the X-Hub-Signature-256 signature does not match the payload and webhooks.github.secret")
		return
	}

	event := r.Header.Get("X-GitHub-Event")
	delivery := r.Header.Get("X-GitHub-Delivery")
	log := s.log.With("event", clip(event), "delivery", clip(delivery))
	switch event {
	case "":
		s.error(w, http.StatusBadRequest, "bad-request", "the X-GitHub-Event header is missing")
		return
	case "ping":
		writeJSON(w, http.StatusOK, map[string]bool{"pong": true})
		return
	case "push":
	default:
		writeJSON(w, http.StatusAccepted, webhookResult{Triggered: []triggeredRun{},
			Ignored: fmt.Sprintf("event %q does not trigger syncs", clip(event))})
		return
	}

	push, problem := pushOf(r, body)
	if problem != "" {
		s.error(w, http.StatusBadRequest, "bad-request", problem)
		return
	}
	key := string(mac)
	if !s.deliveries.claim(key, s.now()) {
		log.Info("github webhook replay ignored")
		writeJSON(w, http.StatusAccepted, webhookResult{Triggered: []triggeredRun{}, Replay: true,
			Ignored: fmt.Sprintf("delivery %q was received before (a replay); it starts no run", clip(delivery))})
		return
	}
	result, ok := s.triggerPush(w, r, push, key)
	if !ok {
		return
	}
	log.Debug("github webhook", "repo", clip(push.Repository.FullName), "ref", clip(push.Ref), "triggered", len(result.Triggered), "ignored", result.Ignored)
	writeJSON(w, http.StatusAccepted, result)
}

// pushOf reads a push payload, sent as JSON or (as a webhook may be set
// to) in the form field "payload"; problem says what is wrong with it.
func pushOf(r *http.Request, body []byte) (push pushEvent, problem string) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return push, "the form-encoded payload is malformed"
		}
		body = []byte(form.Get("payload"))
	}
	if err := json.Unmarshal(body, &push); err != nil {
		return push, "the push payload is not valid JSON: " + clip(err.Error())
	}
	if push.Ref == "" || push.Repository.FullName == "" {
		return push, "the push payload has no ref or repository.full_name"
	}
	return push, ""
}

// triggerPush starts a run of each source that tracks the pushed branch,
// or says why the push starts none. A run that cannot start forgets the
// delivery key (a redelivery may try again) and answers 500; ok is then
// false.
func (s *server) triggerPush(w http.ResponseWriter, r *http.Request, push pushEvent, key string) (result webhookResult, ok bool) {
	repo := push.Repository.FullName
	result = webhookResult{Triggered: []triggeredRun{}}
	branch, isBranch := strings.CutPrefix(push.Ref, "refs/heads/")
	switch {
	case !isBranch:
		result.Ignored = fmt.Sprintf("%s of %s is not a branch", clip(push.Ref), clip(repo))
	case push.Deleted:
		result.Ignored = fmt.Sprintf("%s@%s was deleted", clip(repo), clip(branch))
	default:
		ids := s.syncer.SourcesForPush(repo, branch)
		if len(ids) == 0 {
			result.Ignored = fmt.Sprintf("no source tracks %s@%s", clip(repo), clip(branch))
		}
		for _, id := range ids {
			runID, err := s.syncer.TriggerRun(r.Context(), id, store.TriggerWebhook)
			if err != nil {
				s.deliveries.forget(key)
				s.internal(w, r, "cannot start a run of source "+id, err)
				return result, false
			}
			result.Triggered = append(result.Triggered, triggeredRun{Source: id, RunID: runID})
		}
	}
	return result, true
}

// webhookTooLarge refuses a payload over maxWebhookBody, GitHub's own cap.
func (s *server) webhookTooLarge(w http.ResponseWriter) {
	s.error(w, http.StatusRequestEntityTooLarge, "payload-too-large", "the webhook payload is larger than 25 MiB")
}

// readWebhook reads a webhook body, at most maxWebhookBody, hashing it
// with the secret as it arrives. It first takes the body's declared
// length (maxWebhookBody when unknown) from the webhook budget, waiting
// up to webhookWait (then 503 webhook-busy), and reads into a buffer of
// that size. The body must keep up with webhookRate after webhookGrace,
// and arrive within the server's read timeout of arrived; a slower client
// is cut off. release gives the memory back once body is no longer used;
// ok is false after an error response.
func (s *server) readWebhook(w http.ResponseWriter, r *http.Request, arrived time.Time) (body, mac []byte, release func(), ok bool) {
	limit := int64(maxWebhookBody)
	if r.ContentLength >= 0 {
		limit = r.ContentLength // at most maxWebhookBody, checked before
	}
	release = func() {}
	wait, cancel := context.WithTimeout(r.Context(), webhookWait)
	err := s.webhookBudget.acquire(wait, limit)
	cancel()
	if err != nil {
		if r.Context().Err() == nil {
			w.Header().Set("Retry-After", "10")
			s.error(w, http.StatusServiceUnavailable, "webhook-busy", fmt.Sprintf(
				"webhook payloads being read hold the %d MiB the engine reads at once; this one waited %s",
				webhookBudget>>20, webhookWait))
		}
		return nil, nil, release, false
	}
	release = func() { s.webhookBudget.release(limit) }

	rc := http.NewResponseController(w)
	deadline := readDeadline(r, arrived)

	h := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
	// A body of known length is read into a buffer of that size; one of
	// unknown length into one that doubles up to the limit.
	size := limit
	if r.ContentLength < 0 {
		size = 64 << 10
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(cap(buf)) < limit {
				buf = append(make([]byte, 0, min(2*int64(cap(buf)), limit)), buf...)
			} else {
				// Full: only the end of the body may come now.
				var one [1]byte
				_ = rc.SetReadDeadline(deadline(len(buf)))
				n, err := r.Body.Read(one[:])
				if n > 0 {
					s.webhookTooLarge(w)
					return nil, nil, release, false
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					s.webhookReadFailed(w, r, len(buf), err)
					return nil, nil, release, false
				}
				continue
			}
		}
		_ = rc.SetReadDeadline(deadline(len(buf)))
		n, err := r.Body.Read(buf[len(buf):cap(buf)])
		h.Write(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.webhookReadFailed(w, r, len(buf), err)
			return nil, nil, release, false
		}
	}
	// Read: from now on a passing deadline would cancel the request.
	_ = rc.SetReadDeadline(time.Time{})
	return buf, h.Sum(nil), release, true
}

// readDeadline is the deadline of each read of a webhook body, by the
// bytes received so far: they must have arrived at webhookRate after
// webhookGrace, and all of them within the server's read timeout of
// arrived.
func readDeadline(r *http.Request, arrived time.Time) func(received int) time.Time {
	start := time.Now()
	end := time.Time{}
	if srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server); srv != nil && srv.ReadTimeout > 0 {
		end = arrived.Add(srv.ReadTimeout)
	}
	return func(received int) time.Time {
		d := start.Add(webhookGrace + time.Duration(int64(received)*int64(time.Second)/webhookRate))
		if !end.IsZero() && d.After(end) {
			d = end
		}
		return d
	}
}

// webhookReadFailed answers a webhook body that could not be read: cut
// off for arriving too slowly, or broken.
func (s *server) webhookReadFailed(w http.ResponseWriter, r *http.Request, received int, err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.log.Warn("github webhook: payload too slow, cut off", "remote", r.RemoteAddr, "bytes", received,
			"declared", r.ContentLength)
		s.error(w, http.StatusBadRequest, "bad-request", fmt.Sprintf(
			"the webhook payload arrived too slowly (%d bytes); it must arrive at %d KiB/s after the first %s",
			received, webhookRate>>10, webhookGrace))
		return
	}
	s.error(w, http.StatusBadRequest, "bad-request", "cannot read the webhook payload")
}

// byteBudget hands out bytes of memory. A request that does not fit
// waits; on each release the smallest waiters that fit go first, so a
// small delivery is never queued behind large ones that wait for room.
type byteBudget struct {
	mu      sync.Mutex
	free    int64
	waiters []*budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

func newByteBudget(n int64) *byteBudget { return &byteBudget{free: n} }

// acquire takes n bytes, waiting until they are free or ctx is done.
func (b *byteBudget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if n <= b.free {
		b.free -= n
		b.mu.Unlock()
		return nil
	}
	wt := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, wt)
	b.mu.Unlock()
	select {
	case <-wt.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	if i := slices.Index(b.waiters, wt); i >= 0 {
		b.waiters = slices.Delete(b.waiters, i, i+1)
		b.mu.Unlock()
		return ctx.Err()
	}
	b.mu.Unlock()
	b.release(n) // granted meanwhile
	return ctx.Err()
}

// release gives n bytes back and wakes the waiters that now fit,
// smallest first.
func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += n
	slices.SortStableFunc(b.waiters, func(x, y *budgetWaiter) int { return cmp.Compare(x.n, y.n) })
	kept := b.waiters[:0]
	for _, wt := range b.waiters {
		if wt.n <= b.free {
			b.free -= wt.n
			close(wt.ready)
			continue
		}
		kept = append(kept, wt)
	}
	clear(b.waiters[len(kept):])
	b.waiters = kept
}

// parseSignature reads "sha256=" + hex(HMAC-SHA256(secret, body)).
func parseSignature(header string) ([]byte, bool) {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, false
	}
	sig, err := hex.DecodeString(hexSig)
	return sig, err == nil
}

// deliveries remembers the signatures of recent webhook deliveries, at
// most max of them, each for ttl, to recognise replays.
type deliveries struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	seen  map[string]time.Time
	order []string // keys, oldest first
}

func newDeliveries(maxKeys int, ttl time.Duration) *deliveries {
	return &deliveries{max: maxKeys, ttl: ttl, seen: map[string]time.Time{}}
}

// claim records key at now and reports whether it was new: not seen
// within the ttl.
func (d *deliveries) claim(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.order) > 0 {
		oldest := d.order[0]
		if at, ok := d.seen[oldest]; ok && len(d.order) < d.max && now.Sub(at) < d.ttl {
			break
		}
		delete(d.seen, oldest)
		d.order = d.order[1:]
	}
	if at, ok := d.seen[key]; ok && now.Sub(at) < d.ttl {
		return false
	}
	d.seen[key] = now
	d.order = append(d.order, key)
	return true
}

// forget drops key, so its next delivery is not a replay.
func (d *deliveries) forget(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, key)
}
