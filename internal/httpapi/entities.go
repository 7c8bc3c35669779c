package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/central-config/central-config/internal/store"
)

// entities serves the published entities to the Backstage entity
// provider: the full list, or with ?since=S the changes after generation
// S. Bodies are streamed one entity at a time, so the response never sits
// in memory whatever the catalog's size.
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
	g, err := s.store.Generation(ctx)
	if err != nil {
		s.internal(w, r, "cannot read the generation", err)
		return
	}
	s.metrics.setGeneration(g)
	if since > g {
		s.error(w, http.StatusBadRequest, "generation-ahead", fmt.Sprintf(
			"generation %d is ahead of the current generation %d (was the engine's database reset?); read the full list", since, g))
		return
	}
	etag := `"` + strconv.FormatInt(g, 10) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	if since == g || etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	if since < 0 {
		st := newStream(w, fmt.Sprintf(`{"kind":"full","generation":%d,"entities":[`, g))
		err := s.store.Entities(ctx, func(e store.Entity) error { return st.item(e.Body) })
		s.finish(w, r, st, err, "]}\n")
		return
	}

	st := newStream(w, fmt.Sprintf(`{"kind":"delta","generation":%d,"since":%d,"upserts":[`, g, since))
	// Removals are refs only, kept to write after the upserts. An entity
	// that moved between sources is removed from one and upserted by the
	// other: its removal is dropped, or the catalog would delete it.
	upserted := map[string]bool{}
	var removals []store.Removal
	err = s.store.Changes(ctx, since,
		func(e store.Entity) error { upserted[e.Key] = true; return st.item(e.Body) },
		func(rm store.Removal) error { removals = append(removals, rm); return nil })
	if errors.Is(err, store.ErrTooOld) && !st.started {
		w.Header().Del("ETag")
		s.error(w, http.StatusGone, "generation-too-old", fmt.Sprintf(
			"generation %d is older than the retained history; read the full list", since))
		return
	}
	refs := make([]string, 0, len(removals))
	seen := map[string]bool{}
	for _, rm := range removals {
		if !upserted[rm.Key] && !seen[rm.Key] {
			seen[rm.Key] = true
			refs = append(refs, rm.Ref)
		}
	}
	tail, _ := json.Marshal(refs)
	s.finish(w, r, st, err, `],"removals":`+string(tail)+"}\n")
}

// finish ends a streamed response. An error before anything was written
// is a plain error response; after, the response is aborted, so the
// client sees a broken transfer, never a short list that looks whole
// (which it would take as deletions).
func (s *server) finish(w http.ResponseWriter, r *http.Request, st *stream, err error, tail string) {
	if err == nil {
		st.start()
		err = st.write(tail)
	}
	if err == nil {
		return
	}
	if !st.started {
		w.Header().Del("ETag")
		s.internal(w, r, "cannot read entities", err)
		return
	}
	if r.Context().Err() == nil {
		s.log.Error("entity stream aborted", "error", s.redact(err.Error()))
	}
	panic(http.ErrAbortHandler)
}

// stream writes a JSON document whose head is sent with the first item,
// so an error before it can still become an error response.
type stream struct {
	w       http.ResponseWriter
	enc     *json.Encoder
	head    string
	started bool
	items   int
	err     error
}

func newStream(w http.ResponseWriter, head string) *stream {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &stream{w: w, enc: enc, head: head}
}

func (st *stream) start() {
	if st.started {
		return
	}
	st.started = true
	st.w.Header().Set("Content-Type", "application/json")
	st.w.WriteHeader(http.StatusOK)
	st.err = st.write(st.head)
}

func (st *stream) write(s string) error {
	if st.err != nil {
		return st.err
	}
	_, st.err = io.WriteString(st.w, s)
	return st.err
}

// item writes one entity body; the encoder compacts and checks it, so a
// corrupt body fails the response instead of breaking the JSON.
func (st *stream) item(body []byte) error {
	st.start()
	if st.items > 0 {
		if err := st.write(","); err != nil {
			return err
		}
	}
	st.items++
	if st.err != nil {
		return st.err
	}
	st.err = st.enc.Encode(json.RawMessage(body))
	return st.err
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
	s.metrics.setGeneration(g)
	if gen < 0 || gen > g {
		s.error(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("generation must be between 0 and the current generation %d", g))
		return
	}
	if err := s.store.Ack(r.Context(), store.Ack{Consumer: req.Consumer, Generation: gen, AckedAt: s.now().UTC()}); err != nil {
		s.internal(w, r, "cannot record the ack", err)
		return
	}
	s.metrics.setAck(req.Consumer, gen)
	w.WriteHeader(http.StatusNoContent)
}
