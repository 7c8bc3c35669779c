package httpapi

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/metrics/metricstest"
)

const (
	testToken  = "test-token-5f1c2a"
	testSecret = "webhook-secret-9d8e7f"
)

var testNow = time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)

// env is one API under test with its fakes.
type env struct {
	store  *fakeStore
	syncer *fakeSyncer
	reg    *prometheus.Registry
	logs   *logtest.Buffer
	h      http.Handler
}

// newEnv builds the API over fresh fakes; setup and opts adjust them
// before the handler is built.
func newEnv(t *testing.T, setup func(*fakeStore, *fakeSyncer), opts func(*Options)) *env {
	t.Helper()
	e := &env{store: newFakeStore(), syncer: newFakeSyncer(), reg: prometheus.NewRegistry(), logs: &logtest.Buffer{}}
	if setup != nil {
		setup(e.store, e.syncer)
	}
	o := Options{
		Store: e.store, Syncer: e.syncer, Token: testToken, WebhookSecret: testSecret, Registry: e.reg,
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return testNow },
	}
	if opts != nil {
		opts(&o)
	}
	e.h = New(o)
	return e
}

// request describes one call.
type request struct {
	method, target string
	body           string
	header         map[string]string
	// auth adds "Authorization: Bearer <testToken>".
	auth bool
}

func (r request) build() *http.Request {
	var body io.Reader = http.NoBody
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.target, body)
	if r.auth {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	return req
}

// do serves a request and checks the response against openapi.yaml.
func (e *env) do(t *testing.T, r request) response {
	t.Helper()
	req := r.build()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	checkSpec(t, r.build(), res)
	return res
}

// decode unmarshals a JSON body.
func (res response) decode(t *testing.T, v any) {
	t.Helper()
	if err := jsonUnmarshal(res.body, v); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, res.body)
	}
}

// errorCode is the code of an error body.
func (res response) errorCode(t *testing.T) string {
	t.Helper()
	var e apiError
	res.decode(t, &e)
	return e.Error.Code
}

func jsonUnmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// urlOrNull is the URL p points to, or "<null>" when the API sent null.
func urlOrNull(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// metricValue reads one sample from a registry; ok is false when the
// series does not exist.
var metricValue = metricstest.Value
