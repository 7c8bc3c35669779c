package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// maxEntityReads bounds the entity reads (renders of a full list or a
// delta) from the store at once: each holds a database connection while
// it lasts, and the syncs need the others.
const maxEntityReads = 4

// deltaBudget bounds the bytes of deltas rendered and not yet written
// (each reader has its own, unlike the shared full list), so slow readers
// cannot fill the memory; a variable for the tests. A delta that does not
// fit is answered 410, and the client reads the full list instead.
var deltaBudget int64 = 64 << 20

// storeHeader flags a response served from memory while the store is
// unavailable.
const storeHeader = "X-Central-Config-Store"

// fullList is the rendered full entity list of a generation.
type fullList struct {
	gen  int64
	body []byte
}

// entities serves the published entities to the Backstage entity
// provider: the full list, or with ?since=S the changes after generation
// S. A response is rendered in memory at the store's pace and then
// written at the client's, so a slow client never holds a database
// connection; the full list is rendered once per generation and shared
// by every reader. While the store is unavailable the last full list
// rendered is served, flagged with the X-Central-Config-Store header.
//
// The generation G is read before the entities, outside any transaction
// with them, so a commit landing in between can put entities of G+1 in a
// response tagged G (ETag "G"). That is safe: the client applies them,
// then asks for the delta since G, which repeats those upserts and
// removals; applying an upsert or removal twice is idempotent. The
// opposite order (entities first) could tag a response G+1 that misses
// G+1's changes, and the client would never ask for them again.
func (s *server) entities(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	since := int64(-1)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.error(w, http.StatusBadRequest, "bad-request", "since must be a generation (an integer of at least 0)")
			return
		}
		since = n
	}
	// The request is read; what is left is writing, bounded by the
	// write timeout. Without this, the server's read timeout would
	// cancel a long render.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	g, err := s.store.Generation(ctx)
	if err != nil {
		s.storeDown(w, r, since, "cannot read the generation", err)
		return
	}
	s.metrics.SetGeneration(g)
	if since > g {
		s.error(w, http.StatusBadRequest, "generation-ahead", fmt.Sprintf(
			"generation %d is ahead of the current generation %d (was the engine's database reset?); read the full list", since, g))
		return
	}
	if since == g || etagMatches(r.Header.Get("If-None-Match"), etag(g)) {
		notModified(w, g)
		return
	}
	if since < 0 {
		full, err := s.fullList(ctx, g)
		if err != nil {
			s.storeDown(w, r, since, "cannot read entities", err)
			return
		}
		s.writeEntities(w, r, full.gen, full.body)
		return
	}
	body, err := s.delta(ctx, g, since)
	if errors.Is(err, store.ErrTooOld) {
		s.error(w, http.StatusGone, "generation-too-old", fmt.Sprintf(
			"generation %d is older than the retained history; read the full list", since))
		return
	}
	if err != nil {
		s.internal(w, r, "cannot read entities", err)
		return
	}
	n := int64(len(body))
	if s.deltaBytes.Add(n) > deltaBudget {
		s.deltaBytes.Add(-n)
		s.error(w, http.StatusGone, "generation-too-old", fmt.Sprintf(
			"the changes since generation %d do not fit in the %d MiB of deltas the engine sends at once; read the full list",
			since, deltaBudget>>20))
		return
	}
	defer s.deltaBytes.Add(-n)
	s.writeEntities(w, r, g, body)
}

func etag(g int64) string { return `"` + strconv.FormatInt(g, 10) + `"` }

func notModified(w http.ResponseWriter, g int64) {
	w.Header().Set("ETag", etag(g))
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotModified)
}

// storeDown answers an entity read the store failed: with the last full
// list rendered (or 304 when the client has it), flagged, if there is one
// and it is at the newest generation this process has seen; otherwise
// with an error. An older list would take away from a client that
// applies it (a Backstage restarted during the outage) the entities
// published since, so that is a 503 store-unavailable and the client
// keeps what it has.
func (s *server) storeDown(w http.ResponseWriter, r *http.Request, since int64, what string, err error) {
	s.full.Lock()
	last := s.full.cur
	s.full.Unlock()
	if last == nil || (since >= 0 && since != last.gen) || r.Context().Err() != nil {
		s.internal(w, r, what, err)
		return
	}
	w.Header().Set(storeHeader, "unavailable")
	if newest := s.metrics.NewestGeneration(); last.gen < newest {
		s.log.Error(what+"; the last entity list is older than the newest generation seen, not served", "route", r.Pattern,
			"generation", last.gen, "newest", newest, "error", s.redact(err.Error()))
		w.Header().Set("Retry-After", "30")
		s.error(w, http.StatusServiceUnavailable, "store-unavailable", fmt.Sprintf(
			"the engine's database cannot be read, and the last entity list this engine has (generation %d) is older than generation %d; "+
				"it is not served, so that no entity published since is taken away. Try again when the database is back", last.gen, newest))
		return
	}
	s.log.Error(what+"; serving the last entity list", "route", r.Pattern, "generation", last.gen, "error", s.redact(err.Error()))
	if since == last.gen || etagMatches(r.Header.Get("If-None-Match"), etag(last.gen)) {
		notModified(w, last.gen)
		return
	}
	s.writeEntities(w, r, last.gen, last.body)
}

// writeEntities writes a rendered entity response within the write
// timeout, and warns about a client cut off for reading too slowly.
func (s *server) writeEntities(w http.ResponseWriter, r *http.Request, g int64, body []byte) {
	h := w.Header()
	h.Set("ETag", etag(g))
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if d := s.opts.WriteTimeout; d > 0 {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
	}
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); errors.Is(err, os.ErrDeadlineExceeded) {
		s.log.Warn("entities: client too slow, cut off", "remote", r.RemoteAddr, "bytes", len(body),
			"writeTimeout", s.opts.WriteTimeout.String())
	}
}

// fullList returns the rendered full list of generation g or newer: the
// shared one, or a new one rendered by this caller while the others of
// the same generation wait for it.
func (s *server) fullList(ctx context.Context, g int64) (*fullList, error) {
	for {
		s.full.Lock()
		if cur := s.full.cur; cur != nil && cur.gen >= g {
			s.full.Unlock()
			return cur, nil
		}
		if building := s.full.building; building != nil {
			s.full.Unlock()
			select {
			case <-building:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		s.full.building = done
		s.full.Unlock()

		body, err := s.render(ctx, func(b *bytes.Buffer) error {
			fmt.Fprintf(b, `{"kind":"full","generation":%d,"entities":[`, g)
			first := true
			err := s.store.Entities(ctx, func(e store.Entity) error { return appendItem(b, &first, e.Body) })
			b.WriteString("]}\n")
			return err
		})
		s.full.Lock()
		s.full.building = nil
		var out *fullList
		if err == nil {
			out = &fullList{gen: g, body: body}
			if s.full.cur == nil || s.full.cur.gen < g {
				s.full.cur = out
			}
		}
		s.full.Unlock()
		close(done)
		return out, err
	}
}

// delta renders the changes after generation since, tagged g.
func (s *server) delta(ctx context.Context, g, since int64) ([]byte, error) {
	return s.render(ctx, func(b *bytes.Buffer) error {
		fmt.Fprintf(b, `{"kind":"delta","generation":%d,"since":%d,"upserts":[`, g, since)
		// An entity that moved between sources is removed from one and
		// upserted by the other: its removal is dropped, or the catalog
		// would delete it.
		upserted := map[string]bool{}
		var removals []store.Removal
		first := true
		err := s.store.Changes(ctx, since,
			func(e store.Entity) error { upserted[e.Key] = true; return appendItem(b, &first, e.Body) },
			func(rm store.Removal) error { removals = append(removals, rm); return nil })
		refs := make([]string, 0, len(removals))
		seen := map[string]bool{}
		for _, rm := range removals {
			if !upserted[rm.Key] && !seen[rm.Key] {
				seen[rm.Key] = true
				refs = append(refs, rm.Ref)
			}
		}
		tail, _ := json.Marshal(refs)
		b.WriteString(`],"removals":` + string(tail) + "}\n")
		return err
	})
}

// render builds a response body with fill, holding one of the
// maxEntityReads turns to read the store.
func (s *server) render(ctx context.Context, fill func(*bytes.Buffer) error) ([]byte, error) {
	select {
	case s.reads <- struct{}{}:
		defer func() { <-s.reads }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var b bytes.Buffer
	if err := fill(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendItem appends one entity body to a JSON array, compacted and
// checked, so a corrupt body fails the response instead of breaking the
// JSON.
func appendItem(b *bytes.Buffer, first *bool, body []byte) error {
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	return json.Compact(b, body)
}

// etagMatches implements If-None-Match's weak comparison: any listed tag
// (W/ or not) equal to etag, or *.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

type ackRequest struct {
	Consumer   string `json:"consumer"`
	Generation *int64 `json:"generation"`
}

// consumerName bounds what a consumer may be called: it becomes a metric
// label and a row key.
var consumerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$`)

// catalogAck records the generation a catalog applied, so the status
// page can show a lagging catalog.
func (s *server) catalogAck(w http.ResponseWriter, r *http.Request) {
	var req ackRequest
	empty, ok := s.decodeBody(w, r, &req)
	if !ok {
		return
	}
	if empty || req.Generation == nil {
		s.error(w, http.StatusBadRequest, "bad-request", `the body must be {"consumer": "...", "generation": N}`)
		return
	}
	if req.Consumer == "" {
		req.Consumer = "backstage"
	}
	if !consumerName.MatchString(req.Consumer) {
		s.error(w, http.StatusBadRequest, "bad-request", "consumer must be 1-100 letters, digits, '.', '_', ':' or '-'")
		return
	}
	gen := *req.Generation
	g, err := s.store.Generation(r.Context())
	if err != nil {
		s.internal(w, r, "cannot read the generation", err)
		return
	}
	s.metrics.SetGeneration(g)
	if gen < 0 || gen > g {
		s.error(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("generation must be between 0 and the current generation %d", g))
		return
	}
	if err := s.store.Ack(r.Context(), store.Ack{Consumer: req.Consumer, Generation: gen, AckedAt: s.now().UTC()}); err != nil {
		s.internal(w, r, "cannot record the ack", err)
		return
	}
	s.metrics.SetAck(req.Consumer, gen)
	w.WriteHeader(http.StatusNoContent)
}
