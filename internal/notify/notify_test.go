package notify

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/logtest"
	"github.com/central-config/central-config/internal/store"
)

func TestANewGenerationIsPostedToBackstageAndNothingElse(t *testing.T) {
	var mu sync.Mutex
	var got []event
	var auth []string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var e event
		_ = json.NewDecoder(r.Body).Decode(&e)
		got = append(got, e)
		auth = append(auth, r.Header.Get("Authorization"))
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	logs := &logtest.Buffer{}
	b := &Backstage{URL: srv.URL, Token: "s3cret-token", Log: slog.New(slog.NewTextHandler(logs, nil))}
	b.Published(store.Run{ID: 7, SourceID: "main", Generation: 3, Revision: "abc"})
	b.Published(store.Run{ID: 8, SourceID: "main", Outcome: store.Unchanged})
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	if len(got) != 1 || got[0] != (event{Source: "main", Generation: 3, Revision: "abc", RunID: 7}) || auth[0] != "Bearer s3cret-token" {
		t.Fatalf("got %+v %v", got, auth)
	}
	fail = true
	mu.Unlock()
	for g := int64(4); g <= 6; g++ {
		b.Published(store.Run{ID: 10 * g, SourceID: "main", Generation: g})
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 4 })
	time.Sleep(50 * time.Millisecond)
	if n := strings.Count(logs.String(), "cannot notify Backstage"); n != 1 {
		t.Fatalf("an outage is logged once, got %d lines:\n%s", n, logs.String())
	}
	// The line names the run that published, like every line of a run.
	if !strings.Contains(logs.String(), "source=main run=") {
		t.Fatalf("the warning lacks the source and the run:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "s3cret-token") {
		t.Fatal("the token leaked into the log")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Backstage often starts after the engine (make run installs it first): a
// refused connection before any notification went through is an info; once
// Backstage has answered, an outage is a warning again.
func TestBackstageNotUpYetIsAnInfoAndALaterOutageAWarning(t *testing.T) {
	var mu sync.Mutex
	got := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got++
	}))
	addr := srv.Listener.Addr().String()
	// Nothing listens yet: connections are refused.
	if err := srv.Listener.Close(); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	b := &Backstage{URL: "http://" + addr + "/api/events/http/central-config", Log: slog.New(slog.NewTextHandler(logs, nil))}
	b.Published(store.Run{ID: 1, SourceID: "main", Generation: 1})
	waitFor(t, func() bool { return strings.Contains(logs.String(), "does not answer yet") })
	if strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "level=INFO") {
		t.Fatalf("not up yet must be an info, not a warning:\n%s", logs.String())
	}

	// Backstage comes up on that address.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	srv.Listener = l
	srv.Start()
	b.Published(store.Run{ID: 2, SourceID: "main", Generation: 2})
	waitFor(t, func() bool { return strings.Contains(logs.String(), "notifying Backstage works") })
	mu.Lock()
	if got != 1 {
		t.Fatalf("%d notifications received, want 1", got)
	}
	mu.Unlock()

	// Backstage goes away after it answered: a warning.
	srv.Close()
	b.Published(store.Run{ID: 3, SourceID: "main", Generation: 3})
	waitFor(t, func() bool { return strings.Contains(logs.String(), "level=WARN") })
	if !strings.Contains(logs.String(), "cannot notify Backstage") {
		t.Fatalf("an outage after Backstage answered is a warning:\n%s", logs.String())
	}
}

// TestARefusalThatLastsOrTurnsIntoAnErrorIsAWarning: Backstage refusing
// connections at first is an info; when it then answers with an error
// (a topic it does not open: 404), or keeps refusing past the start-up
// grace (a wrong port), it is a warning, each kind once.
func TestARefusalThatLastsOrTurnsIntoAnErrorIsAWarning(t *testing.T) {
	for _, tc := range []struct {
		name  string
		later func(t *testing.T, addr string, clock *time.Time)
		want  string
	}{
		{"then 404", func(t *testing.T, addr string, _ *time.Time) {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("cannot listen on %s again: %v", addr, err)
			}
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.Listener = l
			srv.Start()
			t.Cleanup(srv.Close)
		}, "404"},
		{"refused past the grace", func(_ *testing.T, _ string, clock *time.Time) {
			*clock = clock.Add(startupGrace + time.Minute)
		}, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			_ = l.Close()
			logs := &logtest.Buffer{}
			var mu sync.Mutex
			clock := time.Now()
			b := &Backstage{URL: "http://" + addr + "/api/events/http/central-config", Log: slog.New(slog.NewTextHandler(logs, nil)),
				Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
			b.Published(store.Run{ID: 1, SourceID: "main", Generation: 1})
			waitFor(t, func() bool { return strings.Contains(logs.String(), "does not answer yet") })
			mu.Lock()
			tc.later(t, addr, &clock)
			mu.Unlock()
			for g := int64(2); g <= 4; g++ {
				b.Published(store.Run{ID: g, SourceID: "main", Generation: g})
				time.Sleep(20 * time.Millisecond)
			}
			waitFor(t, func() bool { return strings.Contains(logs.String(), "level=WARN") })
			time.Sleep(50 * time.Millisecond)
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), tc.want) {
				t.Fatalf("want one warning naming %q, got %d:\n%s", tc.want, n, logs.String())
			}
		})
	}
}
