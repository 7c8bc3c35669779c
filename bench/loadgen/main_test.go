package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value p50", ms(7), 50, 7 * time.Millisecond},
		{"one value p99", ms(7), 99, 7 * time.Millisecond},
		{"1..100 p50", ms(hundred...), 50, 50 * time.Millisecond},
		{"1..100 p90", ms(hundred...), 90, 90 * time.Millisecond},
		{"1..100 p99", ms(hundred...), 99, 99 * time.Millisecond},
		{"1..100 max", ms(hundred...), 100, 100 * time.Millisecond},
		{"1..100 p99.5 rounds up", ms(hundred...), 99.5, 100 * time.Millisecond},
		{"four values p50", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"four values p51", ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{"tiny p is the min", ms(1, 2, 3, 4), 0.01, 1 * time.Millisecond},
		{"one outlier shows in p99 of 10", ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 900), 99, 900 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: Percentile(p%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule(1000, 10*time.Second)
	if len(s) != 10000 {
		t.Fatalf("1000/s for 10s: %d starts, want 10000", len(s))
	}
	if s[0] != 0 || s[1] != time.Millisecond || s[9999] != 9999*time.Millisecond {
		t.Errorf("starts %v %v ... %v, want 0 1ms ... 9.999s", s[0], s[1], s[9999])
	}
	if n := len(Schedule(3, time.Second)); n != 3 {
		t.Errorf("3/s for 1s: %d starts, want 3", n)
	}
}

// At 200 req/s for 1s against a fast server, the run sends about 200
// requests, on schedule, with no errors, and the headers reach the server.
func TestRunOnSchedule(t *testing.T) {
	var hits, withHeader atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"3"` {
			withHeader.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	cfg, _, err := parseConfig([]string{"-url", srv.URL, "-rate", "200", "-duration", "1s",
		"-header", `If-None-Match: "3"`, "-expect", "304"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := Run(context.Background(), cfg)
	took := time.Since(start)

	if res.Requests < 195 || res.Requests > 205 {
		t.Errorf("sent %d requests, want about 200", res.Requests)
	}
	if int64(res.Requests) != hits.Load() || hits.Load() != withHeader.Load() {
		t.Errorf("sent %d, server saw %d, %d with the header", res.Requests, hits.Load(), withHeader.Load())
	}
	if res.Errors != 0 || res.StatusCounts["304"] != res.Requests {
		t.Errorf("errors %d, statuses %v, samples %v", res.Errors, res.StatusCounts, res.ErrorSamples)
	}
	// Open loop: the run lasts the duration, not less (a closed loop
	// against a fast server would finish early) and not much more.
	if took < 990*time.Millisecond || took > 2*time.Second {
		t.Errorf("the run took %v, want about 1s", took)
	}
	if res.AchievedRate < 180 || res.AchievedRate > 220 {
		t.Errorf("achieved %.1f req/s, want about 200", res.AchievedRate)
	}
	if res.LatencyMS["p50"] <= 0 || res.LatencyMS["p50"] > res.LatencyMS["p99"] || res.LatencyMS["p99"] > res.LatencyMS["max"] {
		t.Errorf("latencies out of order: %v", res.LatencyMS)
	}
}

// A wrong status counts as an error.
func TestRunCountsUnexpectedStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	res := Run(context.Background(), Config{URL: srv.URL, Method: http.MethodGet, Rate: 100, Duration: 100 * time.Millisecond,
		Headers: http.Header{}, Expect: 200, Concurrency: 4, Timeout: time.Second})
	if res.Requests != 10 || res.StatusErrors != 10 || res.Errors != 10 || res.StatusCounts["503"] != 10 {
		t.Errorf("got %+v, want 10 requests all status errors", res)
	}
}

// Latency counts from the scheduled start: when the only worker is stuck
// behind a slow request, the requests queued behind it report the stall.
func TestRunMeasuresFromScheduledStart(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
		}
	}))
	defer srv.Close()
	res := Run(context.Background(), Config{URL: srv.URL, Method: http.MethodGet, Rate: 100, Duration: 200 * time.Millisecond,
		Headers: http.Header{}, Expect: 200, Concurrency: 1, Timeout: 5 * time.Second})
	if res.Requests != 20 || res.Errors != 0 {
		t.Fatalf("got %+v", res)
	}
	// Request 10 was due at 100ms and could only start after 300ms: with
	// coordinated omission the p50 would be well under a millisecond.
	if res.LatencyMS["p50"] < 100 {
		t.Errorf("p50 %.3f ms, want the stall (>= 100 ms) to show", res.LatencyMS["p50"])
	}
}

func TestParseConfigRejects(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-url", "http://x", "-rate", "0"},
		{"-url", "http://x", "-duration", "0s"},
		{"-url", "http://x", "-header", "no colon"},
		{"-url", "http://x", "-rate", "1", "-duration", "1ms"},
		{"-url", "http://x", "extra"},
	} {
		if _, _, err := parseConfig(args, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
}
