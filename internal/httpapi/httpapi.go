// Package httpapi is the engine's HTTP API: the status of the sources and
// their sync runs for the Backstage status page, the published entities
// (full list or delta since a generation) for the Backstage entity
// provider, manual and GitHub-webhook triggers, catalog acknowledgements,
// health checks, Prometheus metrics and the OpenAPI document describing
// all of it (openapi.yaml, served at /openapi.yaml).
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/metrics"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/store"
)

// Syncer is what the API needs of the sync engine; *syncer.Syncer
// implements it (checked where serve wires them), and tests substitute a
// fake.
type Syncer interface {
	// SourceIDs lists the configured sources in config order.
	SourceIDs() []string
	// Interval returns a source's schedule interval.
	Interval(id string) time.Duration
	// Running returns the id of a source's run in progress, or 0.
	Running(id string) int64
	// TriggerRun asks for a run now and returns its id without waiting;
	// source.ErrUnknownSource for a source that is not configured.
	TriggerRun(ctx context.Context, id string, t store.Trigger) (int64, error)
	// SourcesForPush returns the sources tracking a repository's branch.
	SourcesForPush(repo, branch string) []string
	// Links returns the browser links of the last snapshot of a source,
	// or nil (not fetched yet, or no web view); the status API links
	// revisions and file errors with them.
	Links(id string) source.Links
	// Unrecorded returns the runs of a source that ended while the store
	// was unavailable, oldest first; the status API shows them during an
	// outage.
	Unrecorded(id string) []store.Run
}

// Store is what the API asks of the store: it reads, records catalog
// acks and checks the database for readiness.
type Store interface {
	store.Reader
	store.Acker
	store.Pinger
}

// Options configure the API.
type Options struct {
	Store  Store
	Syncer Syncer
	// Token is the bearer token for writes (and reads when ProtectReads);
	// empty refuses every write, so an unconfigured server is read-only.
	Token        string
	ProtectReads bool
	// WebhookSecret verifies GitHub webhook signatures; empty disables
	// the webhook endpoint.
	WebhookSecret string
	// Registry is served at /metrics; the API's collectors register on it.
	// A private registry is used when nil.
	Registry *prometheus.Registry
	// Metrics, when set, are the collectors the syncer reports into; nil
	// takes metrics.New(Registry), which shares them anyway.
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// StatusCacheTTL lets GET /central-config/last-sync serve the same
	// answer for this long (0: compute every time). A status page polls
	// it from every open browser; a quarter of a second of staleness is
	// invisible there and saves the database a burst of queries.
	StatusCacheTTL time.Duration
	// Topology returns the Kafka topology of all sources merged, and the
	// catalog's service -> system map, for GET /central-config/kafka/*.
	// Nil answers those routes with 503 kafka-unavailable; so does an
	// error that wraps ErrKafkaUnavailable (nothing read yet). Any other
	// error is a 500.
	Topology func(ctx context.Context) (*kafka.Topology, map[string]string, error)
	// Drift compares what live discovery last saw of each configured
	// Kafka cluster with the topology (from Topology), for GET
	// /central-config/kafka/drift, the drift fields of the topology
	// graph and the drift metrics. Nil means discovery is off. An error
	// that wraps ErrKafkaUnavailable (the topology is not complete yet)
	// answers the drift route with 503 and leaves the drift fields out
	// of the graph.
	Drift func(ctx context.Context, top *kafka.Topology) ([]drift.Cluster, error)
	// WriteTimeout bounds writing the entity list to one client (0: no
	// bound); a slower client is cut off and a warning logged. The
	// server's own WriteTimeout should be the same.
	WriteTimeout time.Duration
}

//go:embed openapi.yaml
var openapiYAML []byte

// Body limits: a manual trigger or an ack is a few bytes; GitHub caps
// webhook payloads at 25 MiB.
const (
	maxRequestBody = 4 << 10
	maxWebhookBody = 25 << 20
)

// maxEcho is how many characters of a client's input an error message
// repeats.
const maxEcho = 100

// clip shortens input echoed in an error message to maxEcho characters
// and "…".
func clip(s string) string {
	n := 0
	for i := range s {
		if n == maxEcho {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// server holds the handlers' dependencies.
type server struct {
	opts      Options
	store     Store
	syncer    Syncer
	log       *slog.Logger
	now       func() time.Time
	metrics   *metrics.Metrics
	tokenHash [sha256.Size]byte
	mux       *http.ServeMux

	statusCache struct {
		sync.Mutex
		// build lets one request rebuild a stale answer while the
		// others wait for it, instead of each reading every source.
		build  singleflight.Group
		at     time.Time
		body   []byte
		header http.Header
		// good is the last answer computed from the store, served
		// (with the runs since) while the store is unavailable.
		good   *lastSyncJSON
		goodAt time.Time
	}

	// full is the rendered full entity list of the newest generation
	// read, shared by every reader and served while the store is
	// unavailable; building is closed when a render in progress ends.
	full struct {
		sync.Mutex
		cur      *fullList
		building chan struct{}
	}
	// reads bounds the entity reads from the store at once, so that
	// readers never take the connections the syncs need.
	reads chan struct{}
	// deltaBytes counts the bytes of deltas rendered and not yet
	// written (see deltaBudget).
	deltaBytes atomic.Int64
	// webhookBudget is the memory webhook bodies are read into.
	webhookBudget *byteBudget
	deliveries    *deliveries
}

// access says who may call a route.
type access int

const (
	// public routes never require the token (probes, metrics).
	public access = iota
	// read routes require the token when ProtectReads.
	read
	// write routes always require the token.
	write
	// webhook routes authenticate with a signature instead of the token.
	webhook
)

// New returns the API handler. It takes its store and syncer as
// interfaces so the production stores (SQLite, PostgreSQL) and test fakes
// drop in alike.
func New(opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New(opts.Registry)
	}
	s := &server{
		opts:    opts,
		store:   opts.Store,
		syncer:  opts.Syncer,
		log:     opts.Log,
		now:     opts.Now,
		metrics: opts.Metrics,
		mux:     http.NewServeMux(),

		reads:         make(chan struct{}, maxEntityReads),
		webhookBudget: newByteBudget(webhookBudget),
		deliveries:    newDeliveries(maxDeliveries, deliveryTTL),
	}
	s.tokenHash = sha256.Sum256([]byte(opts.Token))
	if opts.Drift != nil && opts.Topology != nil {
		metrics.RegisterDrift(opts.Registry, s.driftFindings)
	}

	s.handle("GET /healthz", public, s.healthz)
	s.handle("GET /readyz", public, s.readyz)
	scrape := promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})
	s.handle("GET /metrics", public, func(w http.ResponseWriter, r *http.Request) {
		s.metrics.Refresh(r.Context(), s.store, s.syncer)
		scrape.ServeHTTP(w, r)
	})
	s.handle("GET /openapi.yaml", read, s.openapi)
	s.handle("GET /central-config/last-sync", read, s.cachedLastSync)
	s.handle("GET /central-config/syncs", read, s.listRuns)
	s.handle("GET /central-config/syncs/{id}", read, s.getRun)
	s.handle("POST /central-config/sync", write, s.triggerSync)
	s.handle("POST /central-config/webhooks/github", webhook, s.githubWebhook)
	s.handle("GET /central-config/entities", read, s.entities)
	s.handle("POST /central-config/catalog-acks", write, s.catalogAck)
	s.handle("GET /central-config/kafka/topology", read, s.kafkaTopology)
	s.handle("GET /central-config/kafka/clusters", read, s.kafkaClusters)
	s.handle("GET /central-config/kafka/drift", read, s.kafkaDrift)
	s.mux.Handle("/", s.instrument("unmatched", http.HandlerFunc(s.unmatched)))
	return s
}

// handle registers a route with its access check and instrumentation.
func (s *server) handle(pattern string, a access, fn http.HandlerFunc) {
	_, route, _ := strings.Cut(pattern, " ")
	h := http.Handler(fn)
	if a == write || (a == read && s.opts.ProtectReads) {
		h = s.requireToken(a, h)
	}
	s.mux.Handle(pattern, s.instrument(route, h))
}

// unmatched answers paths and methods no route serves, in the API's JSON
// error shape rather than ServeMux's plain text.
func (s *server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.error(w, http.StatusMethodNotAllowed, "method-not-allowed", clip(r.Method)+" is not allowed on "+clip(r.URL.Path))
		return
	}
	s.error(w, http.StatusNotFound, "not-found", "no such endpoint: "+clip(r.URL.Path))
}

// requireToken checks the bearer token. Without a configured token no
// request can be authorised: writes (and protected reads) are refused
// with 403 rather than left open.
func (s *server) requireToken(a access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Token == "" {
			msg := "writes are disabled: server.token must be set"
			if a == read {
				msg = "reads are protected (server.protectReads) but no token is configured: server.token must be set"
			}
			s.error(w, http.StatusForbidden, "token-not-configured", msg)
			return
		}
		got, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="central-config"`)
			s.error(w, http.StatusUnauthorized, "unauthorized", "a bearer token is required (Authorization: Bearer <server.token>)")
			return
		}
		// Hashing first makes the comparison constant-time in the
		// token's length too.
		gotHash := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(gotHash[:], s.tokenHash[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="central-config", error="invalid_token"`)
			s.error(w, http.StatusUnauthorized, "unauthorized", "the bearer token is not valid")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// statusWriter records the status for logs and metrics. Unwrap lets
// http.ResponseController reach the connection's Flush.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument logs one debug line and counts every request, also one that
// aborts mid-stream.
func (s *server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		record := func(code string) {
			s.metrics.ObserveRequest(route, code)
			s.log.Debug("http request", "method", r.Method, "route", route, "status", code,
				"duration_ms", float64(time.Since(start).Microseconds())/1000)
		}
		defer func() {
			if p := recover(); p != nil {
				// The handler panicked mid-response: the client sees a
				// truncated body, never a short answer that looks
				// complete.
				record("aborted")
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		record(strconv.Itoa(status))
	})
}

// apiError is the body of every error response.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// error writes an error response. Messages may carry store or network
// errors, so configured secrets are masked in them.
func (s *server) error(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: errorBody{Code: code, Message: s.redact(msg)}})
}

// internal reports an unexpected failure: the details (which may name
// hosts and users of the database) go to the log, the client gets what
// failed.
func (s *server) internal(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	s.log.Error(what, "route", r.Pattern, "error", s.redact(err.Error()))
	s.error(w, http.StatusInternalServerError, "internal", what+"; the engine's log has the details")
}

// redact masks the token and webhook secret in a text bound for a
// response or a log.
func (s *server) redact(msg string) string {
	for _, secret := range []string{s.opts.Token, s.opts.WebhookSecret} {
		if secret != "" {
			msg = strings.ReplaceAll(msg, secret, "[redacted]")
		}
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeBody reads an optional small JSON request body into v. empty
// says there was no body; ok is false after an error response was
// written.
func (s *server) decodeBody(w http.ResponseWriter, r *http.Request, v any) (empty, ok bool) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			return true, true
		case errors.As(err, &tooLarge):
			s.error(w, http.StatusRequestEntityTooLarge, "payload-too-large", "the request body is larger than 4 KiB")
		default:
			s.error(w, http.StatusBadRequest, "bad-request", "the request body is not valid JSON: "+clip(err.Error()))
		}
		return false, false
	}
	if dec.More() {
		s.error(w, http.StatusBadRequest, "bad-request", "the request body has more than one JSON value")
		return false, false
	}
	return false, true
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeText(w, http.StatusOK, "ok\n")
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.error(w, http.StatusServiceUnavailable, "not-ready", "store: "+err.Error())
		return
	}
	writeText(w, http.StatusOK, "ok\n")
}

func (s *server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openapiYAML)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(text))
}
