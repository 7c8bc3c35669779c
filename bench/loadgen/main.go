// Command loadgen is an open-loop HTTP load generator: it starts requests
// at a fixed rate whatever the server does, and measures each request's
// latency from the time it was scheduled to start, not from when it
// actually started, so a server (or client) stall shows up in the
// percentiles instead of silently lowering the request rate (coordinated
// omission).
//
//	loadgen -url URL -rate 1000 -duration 10s [-header 'If-None-Match: "3"']... [-expect 304] [-json]
//
// It exits 1 when any request failed (a transport error or a status other
// than -expect), 2 on a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// headerFlags collects repeated -header 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string { return strings.Join(*h, ", ") }

func (h *headerFlags) Set(v string) error {
	name, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("header %q is not 'Name: value'", v)
	}
	*h = append(*h, v)
	return nil
}

// Config is one load run.
type Config struct {
	URL         string
	Method      string
	Rate        float64       // requests per second
	Duration    time.Duration // how long to keep starting requests
	Headers     http.Header
	Host        string // a Host header, which net/http takes from Request.Host
	Expect      int    // the expected status
	Concurrency int    // bound on requests in flight
	Timeout     time.Duration
}

// Result is what a run measured. Latencies are from each request's
// scheduled start to the end of its body.
type Result struct {
	URL             string             `json:"url"`
	TargetRate      float64            `json:"target_rate"`
	DurationSeconds float64            `json:"duration_s"`
	Requests        int                `json:"requests"`
	AchievedRate    float64            `json:"achieved_rate"`
	ElapsedSeconds  float64            `json:"elapsed_s"`
	Errors          int                `json:"errors"`
	TransportErrors int                `json:"transport_errors"`
	StatusErrors    int                `json:"status_errors"`
	Expect          int                `json:"expect"`
	StatusCounts    map[string]int     `json:"status_counts"`
	LatencyMS       map[string]float64 `json:"latency_ms"`
	MaxStartLagMS   float64            `json:"max_start_lag_ms"`
	ErrorSamples    []string           `json:"error_samples,omitempty"`
}

const maxErrorSamples = 5

// Schedule returns the n = rate*duration start offsets of a run, evenly
// spaced 1/rate apart from 0.
func Schedule(rate float64, d time.Duration) []time.Duration {
	n := int(math.Round(rate * d.Seconds()))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(float64(i) * float64(time.Second) / rate)
	}
	return out
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// values: the smallest value at least p% of the values are at or below.
// It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	rank = min(rank, len(sorted))
	return sorted[rank-1]
}

type sample struct {
	latency time.Duration
	status  int // 0 on a transport error
	err     error
}

// Run issues the requests of cfg and measures them.
func Run(ctx context.Context, cfg Config) Result {
	offsets := Schedule(cfg.Rate, cfg.Duration)
	transport := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// The dispatcher hands each scheduled start time to a bounded pool of
	// workers when it falls due; the channel holds every request, so the
	// dispatcher never waits for a worker: when all are busy, requests queue
	// and their queueing time counts in their latency.
	jobs := make(chan time.Time, len(offsets))
	samples := make([]sample, 0, len(offsets))
	var (
		mu      sync.Mutex
		lastRun time.Time // latest actual start
		maxLag  time.Duration
		wg      sync.WaitGroup
	)
	for range cfg.Concurrency {
		wg.Go(func() {
			var local []sample
			var localLast time.Time
			var localLag time.Duration
			for due := range jobs {
				started := time.Now()
				localLast = started
				localLag = max(localLag, started.Sub(due))
				local = append(local, do(ctx, client, cfg, due))
			}
			mu.Lock()
			samples = append(samples, local...)
			if localLast.After(lastRun) {
				lastRun = localLast
			}
			maxLag = max(maxLag, localLag)
			mu.Unlock()
		})
	}
	start := time.Now()
	for _, off := range offsets {
		due := start.Add(off)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- due
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)

	res := Result{URL: cfg.URL, TargetRate: cfg.Rate, DurationSeconds: cfg.Duration.Seconds(), Requests: len(samples),
		ElapsedSeconds: elapsed.Seconds(), Expect: cfg.Expect, StatusCounts: map[string]int{},
		MaxStartLagMS: ms(maxLag)}
	// The achieved rate is the requests over the span in which they actually
	// started (plus one interval, so a run on schedule reads the target).
	if len(samples) > 0 {
		span := lastRun.Sub(start) + time.Duration(float64(time.Second)/cfg.Rate)
		res.AchievedRate = float64(len(samples)) / span.Seconds()
	}
	res.count(samples, cfg.Expect)
	return res
}

// count adds the samples' statuses, errors (with the first few as
// examples) and latency percentiles to res; expect is the status that
// counts as a success.
func (res *Result) count(samples []sample, expect int) {
	lat := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		lat = append(lat, s.latency)
		switch {
		case s.err != nil:
			res.TransportErrors++
			res.StatusCounts["error"]++
			if len(res.ErrorSamples) < maxErrorSamples {
				res.ErrorSamples = append(res.ErrorSamples, s.err.Error())
			}
		default:
			res.StatusCounts[strconv.Itoa(s.status)]++
			if s.status != expect {
				res.StatusErrors++
				if len(res.ErrorSamples) < maxErrorSamples {
					res.ErrorSamples = append(res.ErrorSamples, fmt.Sprintf("status %d, want %d", s.status, expect))
				}
			}
		}
	}
	res.Errors = res.TransportErrors + res.StatusErrors
	slices.Sort(lat)
	res.LatencyMS = map[string]float64{
		"p50": ms(Percentile(lat, 50)),
		"p90": ms(Percentile(lat, 90)),
		"p99": ms(Percentile(lat, 99)),
		"max": ms(Percentile(lat, 100)),
	}
}

// do sends one request due at due, reads and discards its body, and
// measures from due.
func do(ctx context.Context, client *http.Client, cfg Config, due time.Time) sample {
	req, err := http.NewRequestWithContext(ctx, cfg.Method, cfg.URL, nil)
	if err != nil {
		return sample{latency: time.Since(due), err: err}
	}
	for k, vs := range cfg.Headers {
		req.Header[k] = vs
	}
	if cfg.Host != "" {
		req.Host = cfg.Host
	}
	resp, err := client.Do(req)
	if err != nil {
		return sample{latency: time.Since(due), err: err}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	s := sample{latency: time.Since(due), status: resp.StatusCode}
	if err != nil {
		s.err = fmt.Errorf("reading the body: %w", err)
	}
	return s
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000 }

func (r Result) text() string {
	var b strings.Builder
	codes := make([]string, 0, len(r.StatusCounts))
	for c := range r.StatusCounts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for i, c := range codes {
		codes[i] = fmt.Sprintf("%s=%d", c, r.StatusCounts[c])
	}
	fmt.Fprintf(&b, "url:        %s\n", r.URL)
	fmt.Fprintf(&b, "requests:   %d in %.2fs (all done)\n", r.Requests, r.ElapsedSeconds)
	fmt.Fprintf(&b, "rate:       %.1f req/s target, %.1f req/s achieved (max start lag %.3f ms)\n", r.TargetRate, r.AchievedRate, r.MaxStartLagMS)
	fmt.Fprintf(&b, "status:     %s (expect %d)\n", strings.Join(codes, " "), r.Expect)
	fmt.Fprintf(&b, "errors:     %d (transport %d, unexpected status %d)\n", r.Errors, r.TransportErrors, r.StatusErrors)
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(&b, "  e.g.      %s\n", e)
	}
	fmt.Fprintf(&b, "latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		r.LatencyMS["p50"], r.LatencyMS["p90"], r.LatencyMS["p99"], r.LatencyMS["max"])
	return b.String()
}

func parseConfig(args []string, stderr io.Writer) (Config, bool, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var headers headerFlags
	url := fs.String("url", "", "the URL to request (required)")
	method := fs.String("method", http.MethodGet, "the request method")
	rate := fs.Float64("rate", 100, "requests started per second")
	duration := fs.Duration("duration", 10*time.Second, "how long to keep starting requests")
	expect := fs.Int("expect", http.StatusOK, "the expected status; any other is an error")
	conc := fs.Int("concurrency", 256, "the most requests in flight")
	timeout := fs.Duration("timeout", 10*time.Second, "the timeout of one request")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	fs.Var(&headers, "header", "a request header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return Config{}, false, err
	}
	switch {
	case fs.NArg() != 0:
		return Config{}, false, fmt.Errorf("unexpected arguments %q", fs.Args())
	case *url == "":
		return Config{}, false, errors.New("-url is required")
	case !(*rate > 0):
		return Config{}, false, errors.New("-rate must be positive")
	case *duration <= 0:
		return Config{}, false, errors.New("-duration must be positive")
	case *conc < 1:
		return Config{}, false, errors.New("-concurrency must be at least 1")
	}
	cfg := Config{URL: *url, Method: *method, Rate: *rate, Duration: *duration, Headers: http.Header{},
		Expect: *expect, Concurrency: *conc, Timeout: *timeout}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if strings.EqualFold(name, "Host") {
			cfg.Host = value
			continue
		}
		cfg.Headers.Add(name, value)
	}
	if len(Schedule(cfg.Rate, cfg.Duration)) == 0 {
		return Config{}, false, errors.New("-rate times -duration is less than one request")
	}
	return cfg, *asJSON, nil
}

func main() {
	cfg, asJSON, err := parseConfig(os.Args[1:], os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
		os.Exit(2)
	}
	res := Run(context.Background(), cfg)
	if asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
	} else {
		fmt.Print(res.text())
	}
	if res.Errors > 0 {
		os.Exit(1)
	}
}
