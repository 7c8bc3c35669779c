package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestGitHubWebhookReplays: a delivery received again, also many times
// at once, starts no run and says it is a replay; a failed one may be
// delivered again.
func TestGitHubWebhookReplays(t *testing.T) {
	push := pushPayload(t, nil)
	e := newEnv(t, nil, nil)
	if res := e.do(t, delivery("push", push, testSecret)); res.status != 202 || len(e.syncer.calls()) != 2 {
		t.Fatalf("first delivery: %d %s", res.status, res.body)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, delivery("push", push, testSecret).build())
			var v webhookResult
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != 202 || !v.Replay || len(v.Triggered) != 0 ||
				!strings.Contains(v.Ignored, "72d3162e-cc78-11e3-81ab-4c9367dc0958") {
				t.Errorf("replay: %d %s", rec.Code, rec.Body.Bytes())
			}
		})
	}
	wg.Wait()
	if n := len(e.syncer.calls()); n != 2 {
		t.Errorf("%d runs started after 50 replays, want the first delivery's 2", n)
	}
	// The replay answer conforms to the contract.
	if res := e.do(t, delivery("push", push, testSecret)); !strings.Contains(string(res.body), `"replay":true`) {
		t.Errorf("replay: %s", res.body)
	}

	// A delivery whose runs could not start is not remembered.
	other := pushPayload(t, func(p map[string]any) { p["after"] = "0000" })
	e.syncer.mu.Lock()
	e.syncer.triggerErr = errStore
	e.syncer.mu.Unlock()
	if res := e.do(t, delivery("push", other, testSecret)); res.status != 500 {
		t.Fatalf("failing delivery: %d %s", res.status, res.body)
	}
	e.syncer.mu.Lock()
	e.syncer.triggerErr = nil
	e.syncer.mu.Unlock()
	if res := e.do(t, delivery("push", other, testSecret)); res.status != 202 || strings.Contains(string(res.body), "replay") {
		t.Errorf("redelivery after a failure: %d %s", res.status, res.body)
	}
}

func TestDeliveriesAreBounded(t *testing.T) {
	d := newDeliveries(3, time.Hour)
	for _, k := range []string{"a", "b", "c", "d"} {
		if !d.claim(k, testNow) {
			t.Fatalf("%s is new", k)
		}
	}
	if len(d.seen) != 3 || !d.claim("a", testNow) {
		t.Errorf("the oldest key is kept beyond the bound: %v", d.seen)
	}
	if d.claim("d", testNow.Add(time.Minute)) {
		t.Error("a recent key is not a replay")
	}
	if !d.claim("d", testNow.Add(2*time.Hour)) {
		t.Error("an expired key is still a replay")
	}
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	r io.Reader
	n int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

// TestGitHubWebhookRefusesBeforeReading: requests that cannot be signed
// are refused without reading their body.
func TestGitHubWebhookRefusesBeforeReading(t *testing.T) {
	push := pushPayload(t, nil)
	for _, tc := range []struct {
		name   string
		req    request
		opts   func(*Options)
		status int
		length int64
	}{
		{"unsigned", delivery("push", push, ""), nil, 401, 0},
		{"malformed signature", withHeader(delivery("push", push, ""), "X-Hub-Signature-256", "sha256=abc"), nil, 401, 0},
		{"no secret configured", delivery("push", push, testSecret), noSecret, 403, 0},
		{"announced over 25 MiB", delivery("push", push, testSecret), nil, 413, 26 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, tc.opts)
			req := tc.req.build()
			body := &countingBody{r: bytes.NewReader(push)}
			req.Body = io.NopCloser(body)
			if tc.length != 0 {
				req.ContentLength = tc.length
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tc.status || body.n != 0 {
				t.Errorf("status %d (want %d), %d body bytes read", rec.Code, tc.status, body.n)
			}
		})
	}
}

// TestGitHubWebhookBusy: with the whole webhook budget taken, a delivery
// waits webhookWait and is refused with 503.
func TestGitHubWebhookBusy(t *testing.T) {
	defer func(d time.Duration) { webhookWait = d }(webhookWait)
	webhookWait = 50 * time.Millisecond
	e := newEnv(t, nil, nil)
	s := e.h.(*server)
	if err := s.webhookBudget.acquire(context.Background(), webhookBudget); err != nil {
		t.Fatal(err)
	}
	res := e.do(t, delivery("push", pushPayload(t, nil), testSecret))
	if res.status != 503 || res.errorCode(t) != "webhook-busy" || res.header.Get("Retry-After") == "" {
		t.Errorf("busy: %d %s %v", res.status, res.body, res.header)
	}
	nothingTriggered(t, e, res)
	s.webhookBudget.release(webhookBudget)
	if res := e.do(t, delivery("push", pushPayload(t, nil), testSecret)); res.status != 202 {
		t.Errorf("after the budget is back: %d %s", res.status, res.body)
	}
	if s.webhookBudget.free != webhookBudget {
		t.Errorf("%d bytes of the budget not given back", webhookBudget-s.webhookBudget.free)
	}
}

// TestWebhookBudgetServesSmallRequestsFirst: a small request takes free
// room even while larger ones wait for it, and waiters that give up
// leave the budget whole.
func TestWebhookBudgetServesSmallRequestsFirst(t *testing.T) {
	b := newByteBudget(100)
	ctx := context.Background()
	if err := b.acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	bigGot := make(chan error, 1)
	go func() { bigGot <- b.acquire(ctx, 50) }()
	for {
		b.mu.Lock()
		n := len(b.waiters)
		b.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := b.acquire(short, 30); err != nil {
		t.Fatalf("a small request waits behind a large one: %v", err)
	}
	gone, cancelGone := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelGone()
	if err := b.acquire(gone, 20); err == nil {
		t.Fatal("acquired more than the budget")
	}
	b.release(30)
	b.release(60)
	if err := <-bigGot; err != nil {
		t.Fatal(err)
	}
	b.release(50)
	if b.free != 100 || len(b.waiters) != 0 {
		t.Errorf("free %d, %d waiters, want 100 and 0", b.free, len(b.waiters))
	}
}

// TestGitHubWebhookUnknownLength: a body without Content-Length (chunked)
// is read up to 25 MiB and holds no budget afterwards.
func TestGitHubWebhookUnknownLength(t *testing.T) {
	push := pushPayload(t, nil)
	big := append([]byte(`{"ref":"refs/heads/main","pad":"`), bytes.Repeat([]byte("x"), 25<<20)...)
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"a push", push, 202},
		{"over 25 MiB", big, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			req := delivery("push", tc.body, testSecret).build()
			req.Body = io.NopCloser(bytes.NewReader(tc.body))
			req.ContentLength = -1
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d: %.200s", rec.Code, tc.status, rec.Body.Bytes())
			}
			if free := e.h.(*server).webhookBudget.free; free != webhookBudget {
				t.Errorf("%d bytes of the budget not given back", webhookBudget-free)
			}
		})
	}
}
