package httpapi

import (
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
}

// githubWebhook turns a signed GitHub push into runs of the sources that
// track the pushed branch. Nothing in the payload is trusted before its
// signature is checked.
func (s *server) githubWebhook(w http.ResponseWriter, r *http.Request) {
	if s.opts.WebhookSecret == "" {
		s.error(w, http.StatusForbidden, "webhooks-disabled", "GitHub webhooks are disabled: webhooks.github.secret must be set")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.error(w, http.StatusRequestEntityTooLarge, "payload-too-large", "the webhook payload is larger than 25 MiB")
			return
		}
		s.error(w, http.StatusBadRequest, "bad-request", "cannot read the webhook payload")
		return
	}
	sig := r.Header.Get("X-Hub-Signature-256")
	if sig == "" {
		s.error(w, http.StatusUnauthorized, "signature-missing", "the X-Hub-Signature-256 header is missing; is the webhook's secret set on GitHub?")
		return
	}
	if !s.validSignature(sig, body) {
		s.error(w, http.StatusUnauthorized, "signature-invalid", "the X-Hub-Signature-256 signature does not match the payload and webhooks.github.secret")
		return
	}

	event := r.Header.Get("X-GitHub-Event")
	log := s.log.With("event", event, "delivery", r.Header.Get("X-GitHub-Delivery"))
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
			Ignored: fmt.Sprintf("event %q does not trigger syncs", event)})
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
		s.error(w, http.StatusBadRequest, "bad-request", "the push payload is not valid JSON: "+err.Error())
		return
	}
	repo := push.Repository.FullName
	if push.Ref == "" || repo == "" {
		s.error(w, http.StatusBadRequest, "bad-request", "the push payload has no ref or repository.full_name")
		return
	}
	result := webhookResult{Triggered: []triggeredRun{}}
	branch, isBranch := strings.CutPrefix(push.Ref, "refs/heads/")
	switch {
	case !isBranch:
		result.Ignored = fmt.Sprintf("%s of %s is not a branch", push.Ref, repo)
	case push.Deleted:
		result.Ignored = fmt.Sprintf("%s@%s was deleted", repo, branch)
	default:
		ids := s.syncer.SourcesForPush(repo, branch)
		if len(ids) == 0 {
			result.Ignored = fmt.Sprintf("no source tracks %s@%s", repo, branch)
		}
		for _, id := range ids {
			runID, err := s.syncer.TriggerRun(r.Context(), id, store.TriggerWebhook)
			if err != nil {
				s.internal(w, r, "cannot start a run of source "+id, err)
				return
			}
			result.Triggered = append(result.Triggered, triggeredRun{Source: id, RunID: runID})
		}
	}
	log.Debug("github webhook", "repo", repo, "ref", push.Ref, "triggered", len(result.Triggered), "ignored", result.Ignored)
	writeJSON(w, http.StatusAccepted, result)
}

// validSignature checks "sha256=" + hex(HMAC-SHA256(secret, body)) in
// constant time.
func (s *server) validSignature(header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(s.opts.WebhookSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
