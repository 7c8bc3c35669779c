package httpapi

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/net/netutil"
)

// ProbeReserve is how many connections LimitListener accepts beyond its
// limit for the health probes.
const ProbeReserve = 16

// LimitListener accepts at most maxConns connections at once for the API,
// and ProbeReserve more that only the health probes (/healthz, /readyz)
// may use: with every connection taken by slow clients, a probe still
// gets an answer, and any other request on a reserve connection gets 503
// too-many-connections at once. Past maxConns+ProbeReserve, connections wait
// in the kernel's accept queue. Serve it with ConnContext set on the
// http.Server.
func LimitListener(ln net.Listener, maxConns int) net.Listener {
	return &limitListener{Listener: netutil.LimitListener(ln, maxConns+ProbeReserve), max: int64(maxConns)}
}

type limitListener struct {
	net.Listener
	max    int64
	active atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, l: l, reserve: l.active.Add(1) > l.max}, nil
}

// countedConn is an accepted connection; reserve says it was accepted
// past the limit.
type countedConn struct {
	net.Conn
	l       *limitListener
	reserve bool
	once    sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.active.Add(-1) })
	return err
}

type reserveKey struct{}

// ConnContext is the http.Server's ConnContext for a LimitListener: it
// marks the requests of reserve connections.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*countedConn); ok && cc.reserve {
		return context.WithValue(ctx, reserveKey{}, true)
	}
	return ctx
}

// ServeHTTP serves the API; on reserve connections (see LimitListener)
// only the health probes, closing the connection after one request.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if refusedOnReserve(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// refusedOnReserve answers a request on a reserve connection that is not
// a health probe with 503 too-many-connections, and reports it did; a
// probe on one gets Connection: close.
func refusedOnReserve(w http.ResponseWriter, r *http.Request) bool {
	if r.Context().Value(reserveKey{}) == nil {
		return false
	}
	w.Header().Set("Connection", "close")
	if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
		return false
	}
	writeJSON(w, http.StatusServiceUnavailable, apiError{Error: errorBody{Code: "too-many-connections",
		Message: "the engine has as many connections open as it allows (server.maxConnections); try again later"}})
	return true
}
