package httpapi

import (
	"bytes"
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

// Webhook limits: how many bodies are read at once (so memory stays
// below maxWebhookReads × maxWebhookBody whatever arrives), and how many
// deliveries are remembered, for how long, to recognise replays.
const (
	maxWebhookReads = 4
	maxDeliveries   = 10_000
	deliveryTTL     = time.Hour
)

// webhookWait is how long a delivery waits for its turn to be read; a
// variable for the tests.
var webhookWait = 10 * time.Second

// githubWebhook turns a signed GitHub push into runs of the sources that
// track the pushed branch. Nothing in the payload is trusted before its
// signature is checked, and a request that cannot be signed (no secret,
// no or malformed signature, too large) is refused before its body is
// read. Bodies are read maxWebhookReads at a time. A delivery whose body
// was received before (its signature is remembered for deliveryTTL) is a
// replay and starts no run.
func (s *server) githubWebhook(w http.ResponseWriter, r *http.Request) {
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
		s.error(w, http.StatusRequestEntityTooLarge, "payload-too-large", "the webhook payload is larger than 25 MiB")
		return
	}
	buf, ok := s.webhookTurn(w, r)
	if !ok {
		return
	}
	defer func() {
		buf.Reset()
		s.webhookBufs <- buf
	}()
	body, mac, ok := s.readWebhook(w, r, buf)
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

	// A webhook may be set to send the payload as a form field.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			s.error(w, http.StatusBadRequest, "bad-request", "the form-encoded payload is malformed")
			return
		}
		body = []byte(form.Get("payload"))
	}
	var push pushEvent
	if err := json.Unmarshal(body, &push); err != nil {
		s.error(w, http.StatusBadRequest, "bad-request", "the push payload is not valid JSON: "+clip(err.Error()))
		return
	}
	repo := push.Repository.FullName
	if push.Ref == "" || repo == "" {
		s.error(w, http.StatusBadRequest, "bad-request", "the push payload has no ref or repository.full_name")
		return
	}
	key := string(mac)
	if !s.deliveries.claim(key, s.now()) {
		log.Info("github webhook replay ignored")
		writeJSON(w, http.StatusAccepted, webhookResult{Triggered: []triggeredRun{}, Replay: true,
			Ignored: fmt.Sprintf("delivery %q was received before (a replay); it starts no run", clip(delivery))})
		return
	}
	result := webhookResult{Triggered: []triggeredRun{}}
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
				// Not started: a redelivery may try again.
				s.deliveries.forget(key)
				s.internal(w, r, "cannot start a run of source "+id, err)
				return
			}
			result.Triggered = append(result.Triggered, triggeredRun{Source: id, RunID: runID})
		}
	}
	log.Debug("github webhook", "repo", clip(repo), "ref", clip(push.Ref), "triggered", len(result.Triggered), "ignored", result.Ignored)
	writeJSON(w, http.StatusAccepted, result)
}

// webhookTurn waits for one of the maxWebhookReads buffers webhook
// bodies are read into (503 after webhookWait); the caller puts it back,
// reset. Reusing them keeps the memory of webhook bodies at most
// maxWebhookReads × maxWebhookBody, without garbage to collect. ok is
// false after an error response.
func (s *server) webhookTurn(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, bool) {
	wait := time.NewTimer(webhookWait)
	defer wait.Stop()
	select {
	case buf := <-s.webhookBufs:
		return buf, true
	case <-wait.C:
		w.Header().Set("Retry-After", "10")
		s.error(w, http.StatusServiceUnavailable, "webhook-busy", fmt.Sprintf(
			"%d webhook payloads are being read; this one waited %s", maxWebhookReads, webhookWait))
		return nil, false
	case <-r.Context().Done():
		return nil, false
	}
}

// readWebhook reads a webhook body, at most maxWebhookBody, into buf,
// hashing it with the secret as it arrives. ok is false after an error
// response.
func (s *server) readWebhook(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) (body, mac []byte, ok bool) {
	h := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := io.Copy(io.MultiWriter(buf, h), http.MaxBytesReader(w, r.Body, maxWebhookBody)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.error(w, http.StatusRequestEntityTooLarge, "payload-too-large", "the webhook payload is larger than 25 MiB")
			return nil, nil, false
		}
		s.error(w, http.StatusBadRequest, "bad-request", "cannot read the webhook payload")
		return nil, nil, false
	}
	return buf.Bytes(), h.Sum(nil), true
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
