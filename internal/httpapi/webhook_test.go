package httpapi

import (
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/store"
)

func readPayload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pushPayload is the recorded push payload with some fields changed.
func pushPayload(t *testing.T, change func(map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, "github-push.json"), &p); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(p)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// delivery is a webhook request as GitHub sends it, signed with secret
// (no signature header when secret is "").
func delivery(event string, body []byte, secret string) request {
	h := map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "GitHub-Hookshot/a1b2c3d",
		"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		"X-GitHub-Hook-ID":  "523456789",
	}
	if event != "" {
		h["X-GitHub-Event"] = event
	}
	if secret != "" {
		h["X-Hub-Signature-256"] = sign(secret, body)
	}
	return request{method: "POST", target: "/central-config/webhooks/github", body: string(body), header: h}
}

func withHeader(r request, k, v string) request {
	h := map[string]string{}
	for k, v := range r.header {
		h[k] = v
	}
	if v == "" {
		delete(h, k)
	} else {
		h[k] = v
	}
	r.header = h
	return r
}

type webhookView struct {
	Triggered []triggeredRun `json:"triggered"`
	Ignored   *string        `json:"ignored"`
}

func TestGitHubWebhook(t *testing.T) {
	push := pushPayload(t, nil)
	ping := readPayload(t, "github-ping.json")
	triggered := func(want ...string) func(*testing.T, *env, response) {
		return func(t *testing.T, e *env, res response) {
			var v webhookView
			res.decode(t, &v)
			var got []string
			for _, r := range v.Triggered {
				got = append(got, r.Source)
			}
			if !slices.Equal(got, want) || v.Ignored != nil {
				t.Errorf("triggered %v (ignored %v), want %v", got, v.Ignored, want)
			}
			var calls []string
			for _, c := range e.syncer.calls() {
				if c.trigger != store.TriggerWebhook {
					t.Errorf("trigger = %q, want webhook", c.trigger)
				}
				calls = append(calls, c.source)
			}
			if !slices.Equal(calls, want) {
				t.Errorf("TriggerRun calls = %v, want %v", calls, want)
			}
		}
	}
	ignored := func(reason string) func(*testing.T, *env, response) {
		return func(t *testing.T, e *env, res response) {
			var v webhookView
			res.decode(t, &v)
			if v.Triggered == nil || len(v.Triggered) != 0 || v.Ignored == nil || *v.Ignored != reason {
				t.Errorf("body = %s, want triggered [] and ignored %q", res.body, reason)
			}
			nothingTriggered(t, e, res)
		}
	}
	badSig := delivery("push", push, "")
	badSig.header["X-Hub-Signature-256"] = sign("not-the-secret", push)
	otherBody := delivery("push", push, "")
	otherBody.header["X-Hub-Signature-256"] = sign(testSecret, pushPayload(t, func(p map[string]any) { p["ref"] = "refs/heads/dev" }))
	form := []byte(url.Values{"payload": {string(push)}}.Encode())
	formReq := withHeader(delivery("push", form, testSecret), "Content-Type", "application/x-www-form-urlencoded")
	big := append([]byte(`{"ref":"refs/heads/main","pad":"`), []byte(strings.Repeat("x", 25<<20))...)
	big = append(big, `"}`...)

	runCases(t, []apiCase{
		{name: "ping", req: delivery("ping", ping, testSecret), status: 200, check: func(t *testing.T, e *env, res response) {
			if strings.TrimSpace(string(res.body)) != `{"pong":true}` {
				t.Errorf("body = %s", res.body)
			}
			nothingTriggered(t, e, res)
		}},
		{name: "push to the tracked branch", req: delivery("push", push, testSecret), status: 202, check: triggered("platform", "teams")},
		{name: "push to one source's branch", setup: func(_ *fakeStore, s *fakeSyncer) { s.tracks["teams"] = "acme/teams@main" },
			req: delivery("push", push, testSecret), status: 202, check: triggered("platform")},
		{name: "repository name case differs", req: delivery("push", pushPayload(t, func(p map[string]any) {
			p["repository"].(map[string]any)["full_name"] = "ACME/Platform-Config"
		}), testSecret), status: 202, check: triggered("platform", "teams")},
		{name: "form-encoded payload", req: formReq, status: 202, check: triggered("platform", "teams")},
		{name: "push to another branch", req: delivery("push", pushPayload(t, func(p map[string]any) { p["ref"] = "refs/heads/feature" }), testSecret),
			status: 202, check: ignored("no source tracks acme/platform-config@feature")},
		{name: "push to another repository", req: delivery("push", pushPayload(t, func(p map[string]any) {
			p["repository"].(map[string]any)["full_name"] = "acme/x"
		}), testSecret), status: 202, check: ignored("no source tracks acme/x@main")},
		{name: "tag push", req: delivery("push", pushPayload(t, func(p map[string]any) { p["ref"] = "refs/tags/v1.2.0" }), testSecret),
			status: 202, check: ignored("refs/tags/v1.2.0 of acme/platform-config is not a branch")},
		{name: "branch deleted", req: delivery("push", pushPayload(t, func(p map[string]any) { p["deleted"] = true }), testSecret),
			status: 202, check: ignored("acme/platform-config@main was deleted")},
		{name: "other event", req: delivery("issues", []byte(`{"action":"opened"}`), testSecret), status: 202,
			check: ignored(`event "issues" does not trigger syncs`)},
		{name: "missing signature", req: delivery("push", push, ""), status: 401, code: "signature-missing", check: nothingTriggered},
		{name: "signed with another secret", req: badSig, status: 401, code: "signature-invalid", check: nothingTriggered},
		{name: "signature of another body", req: otherBody, status: 401, code: "signature-invalid", check: nothingTriggered},
		{name: "sha1 signature only", req: withHeader(withHeader(delivery("push", push, testSecret), "X-Hub-Signature-256", ""),
			"X-Hub-Signature", "sha1=0123456789abcdef0123456789abcdef01234567"), status: 401, code: "signature-missing", check: nothingTriggered},
		{name: "signature without prefix", req: withHeader(delivery("push", push, testSecret), "X-Hub-Signature-256",
			strings.TrimPrefix(sign(testSecret, push), "sha256=")), status: 401, code: "signature-invalid", check: nothingTriggered},
		{name: "signature not hex", req: withHeader(delivery("push", push, testSecret), "X-Hub-Signature-256", "sha256=zz"),
			status: 401, code: "signature-invalid", check: nothingTriggered},
		{name: "no secret configured", opts: noSecret, req: delivery("push", push, testSecret), status: 403, code: "webhooks-disabled",
			check: nothingTriggered},
		{name: "missing event header", req: delivery("", push, testSecret), status: 400, code: "bad-request", check: nothingTriggered},
		{name: "signed but not JSON", req: delivery("push", []byte("ref=main"), testSecret), status: 400, code: "bad-request", check: nothingTriggered},
		{name: "push without repository", req: delivery("push", []byte(`{"ref":"refs/heads/main"}`), testSecret), status: 400,
			code: "bad-request", check: nothingTriggered},
		{name: "payload over 25 MiB", req: delivery("push", big, testSecret), status: 413, code: "payload-too-large", check: nothingTriggered},
		{name: "run cannot start", setup: func(_ *fakeStore, s *fakeSyncer) { s.triggerErr = errStore },
			req: delivery("push", push, testSecret), status: 500, code: "internal"},
		{name: "protected reads do not apply", opts: protectReads, req: delivery("push", push, testSecret), status: 202,
			check: triggered("platform", "teams")},
	})
}

func nothingTriggered(t *testing.T, e *env, _ response) {
	t.Helper()
	if calls := e.syncer.calls(); len(calls) != 0 {
		t.Errorf("TriggerRun called: %v", calls)
	}
}
