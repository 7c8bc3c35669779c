package httpapi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecretsNeverLeak drives every path that reports an error, with
// store errors that quote the secrets, and checks neither the token nor
// the webhook secret shows in a response or a log line.
func TestSecretsNeverLeak(t *testing.T) {
	const token, secret = "tok-SECRET-7d1f0c9b2e", "whs-SECRET-4a8b6c2d0e"
	leaky := errors.New("connect postgres://engine:" + token + "@db/cc failed; hook secret " + secret)
	push := pushPayload(t, nil)
	tests := []struct {
		name   string
		setup  func(*fakeStore, *fakeSyncer)
		opts   func(*Options)
		req    request
		status int
	}{
		{"readyz reason", func(f *fakeStore, _ *fakeSyncer) { f.fail["Ping"] = leaky }, nil, request{method: "GET", target: "/readyz"}, 503},
		{"internal error", func(f *fakeStore, _ *fakeSyncer) { f.fail["Generation"] = leaky }, nil,
			request{method: "GET", target: "/central-config/last-sync"}, 500},
		{"entity stream error", func(f *fakeStore, _ *fakeSyncer) { f.fail["Entities"] = leaky }, nil,
			request{method: "GET", target: "/central-config/entities"}, 500},
		{"trigger error", func(_ *fakeStore, s *fakeSyncer) { s.triggerErr = leaky }, nil,
			request{method: "POST", target: "/central-config/sync", header: map[string]string{"Authorization": "Bearer " + token}}, 500},
		{"wrong token", nil, nil, request{method: "POST", target: "/central-config/sync",
			header: map[string]string{"Authorization": "Bearer " + token[:len(token)-1]}}, 401},
		{"right token", nil, nil, request{method: "POST", target: "/central-config/sync",
			header: map[string]string{"Authorization": "Bearer " + token}}, 202},
		{"protected read without token", nil, protectReads, request{method: "GET", target: "/central-config/last-sync"}, 401},
		{"bad signature", nil, nil, withHeader(delivery("push", push, "wrong"), "X-Hub-Signature-256", sign("wrong", push)), 401},
		{"good signature", nil, nil, delivery("push", push, secret), 202},
		{"webhook trigger error", func(_ *fakeStore, s *fakeSyncer) { s.triggerErr = leaky }, nil, delivery("push", push, secret), 500},
		{"bad ack", nil, nil, request{method: "POST", target: "/central-config/catalog-acks", body: `{"consumer":"` + token + ` x","generation":0}`,
			header: map[string]string{"Authorization": "Bearer " + token}}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.setup, func(o *Options) {
				o.Token, o.WebhookSecret = token, secret
				if tt.opts != nil {
					tt.opts(o)
				}
			})
			res := e.do(t, tt.req)
			if res.status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.status, tt.status, res.body)
			}
			var headers bytes.Buffer
			_ = res.header.Write(&headers)
			for _, s := range []string{token, secret} {
				for what, text := range map[string]string{"body": string(res.body), "headers": headers.String(), "logs": e.logs.String()} {
					if strings.Contains(text, s) {
						t.Errorf("the %s show a secret: %s", what, text)
					}
				}
			}
		})
	}
}

// TestRequestLog checks the one debug line per request.
func TestRequestLog(t *testing.T) {
	tests := []struct {
		req  request
		want string
	}{
		{request{method: "GET", target: "/healthz"}, "method=GET route=/healthz status=200 duration_ms="},
		{request{method: "GET", target: "/central-config/syncs/42"}, "method=GET route=/central-config/syncs/{id} status=404 duration_ms="},
		{request{method: "POST", target: "/central-config/sync"}, "method=POST route=/central-config/sync status=401 duration_ms="},
		{request{method: "GET", target: "/nope"}, "method=GET route=unmatched status=404 duration_ms="},
	}
	for _, tt := range tests {
		t.Run(tt.req.target, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, tt.req.build())
			var lines []string
			sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
			for sc.Scan() {
				if strings.Contains(sc.Text(), `msg="http request"`) {
					lines = append(lines, sc.Text())
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "level=DEBUG") || !strings.Contains(lines[0], tt.want) {
				t.Errorf("request log lines = %q, want one debug line with %q", lines, tt.want)
			}
			if strings.Contains(e.logs.String(), fmt.Sprint(testToken)) {
				t.Error("the token was logged")
			}
		})
	}
}
