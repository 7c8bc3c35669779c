package httpapi

import (
	"net/http"
	"sync/atomic"
)

// Starting is the engine's handler from the moment it listens: until
// Ready hands it the API, /healthz answers 200 (the process is alive,
// whatever the migrations take), /readyz 503 not-ready "migrating: ...",
// and every other request 503 not-ready "starting: ...". Kubernetes' liveness and startup probes thus never
// depend on how long another replica holds the migration lock.
// /metrics serves Metrics when set (the process's own collectors), so that
// a long wait for the lock does not look like an engine down
// (CentralConfigEngineDown).
type Starting struct {
	Metrics http.Handler
	api     atomic.Pointer[http.Handler]
}

// Ready makes h the handler of every request from now on.
func (s *Starting) Ready(h http.Handler) { s.api.Store(&h) }

func (s *Starting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := s.api.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if refusedOnReserve(w, r) {
		return
	}
	switch path := r.URL.Path; {
	case path == "/metrics" && s.Metrics != nil:
		s.Metrics.ServeHTTP(w, r)
	case path == "/healthz":
		writeText(w, http.StatusOK, "ok\n")
	case path == "/readyz":
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: errorBody{Code: "not-ready",
			Message: "migrating: the engine is opening its database and applying the migrations it lacks (replicas take turns)"}})
	default:
		writeJSON(w, http.StatusServiceUnavailable, apiError{Error: errorBody{Code: "not-ready",
			Message: "starting: the engine is opening its database; try again shortly"}})
	}
}
