package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/central-config/central-config/internal/metrics/metricstest"
	"github.com/central-config/central-config/internal/store"
)

var testNow = time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)

func TestObserveRun(t *testing.T) {
	start := testNow.Add(-3 * time.Second)
	errs := func(codes ...string) []store.FileError {
		var out []store.FileError
		for _, c := range codes {
			out = append(out, store.FileError{File: "f.yaml", Severity: "error", Code: c, Message: "m"})
		}
		return out
	}
	type sample struct {
		name   string
		labels map[string]string
		value  float64
		absent bool
	}
	src := map[string]string{"source": "platform"}
	code := func(c string) map[string]string { return map[string]string{"source": "platform", "code": c} }
	outcome := func(o string) map[string]string { return map[string]string{"source": "platform", "outcome": o} }
	tests := []struct {
		name string
		runs []store.Run
		want []sample
	}{
		{
			name: "succeeded",
			runs: []store.Run{{SourceID: "platform", Outcome: store.Succeeded, StartedAt: start, FinishedAt: testNow,
				Counts: store.Counts{Entities: 42}, Generation: 7}},
			want: []sample{
				{name: "central_config_sync_runs_total", labels: outcome("succeeded"), value: 1},
				{name: "central_config_sync_duration_seconds", labels: src, value: 1}, // one observation
				{name: "central_config_entities", labels: src, value: 42},
				{name: "central_config_last_success_timestamp_seconds", labels: src, value: float64(testNow.Unix())},
				{name: "central_config_generation", value: 7},
			},
		},
		{
			name: "degraded counts file errors by code, warnings and infos aside",
			runs: []store.Run{{SourceID: "platform", Outcome: store.Degraded, StartedAt: start, FinishedAt: testNow, Counts: store.Counts{Entities: 5},
				Errors: append(errs("parse", "parse", "invalid-ref"), store.FileError{File: "g.yaml", Severity: "warning", Code: "dangling-ref"},
					store.FileError{File: "api.yaml", Severity: "info", Code: "placeholder-url"})}},
			want: []sample{
				{name: "central_config_file_errors", labels: code("parse"), value: 2},
				{name: "central_config_file_errors", labels: code("invalid-ref"), value: 1},
				{name: "central_config_file_errors", labels: code("dangling-ref"), absent: true},
				{name: "central_config_file_errors", labels: code("placeholder-url"), absent: true},
				{name: "central_config_last_success_timestamp_seconds", labels: src, value: float64(testNow.Unix())},
			},
		},
		{
			name: "file errors reset by the next mapped run",
			runs: []store.Run{
				{SourceID: "platform", Outcome: store.Degraded, Errors: errs("parse", "invalid-ref")},
				{SourceID: "platform", Outcome: store.Degraded, Errors: errs("invalid-ref")},
			},
			want: []sample{
				{name: "central_config_file_errors", labels: code("parse"), absent: true},
				{name: "central_config_file_errors", labels: code("invalid-ref"), value: 1},
				{name: "central_config_sync_runs_total", labels: outcome("degraded"), value: 2},
			},
		},
		{
			name: "a clean run clears them",
			runs: []store.Run{
				{SourceID: "platform", Outcome: store.Degraded, Errors: errs("parse")},
				{SourceID: "platform", Outcome: store.Succeeded},
			},
			want: []sample{{name: "central_config_file_errors", labels: code("parse"), absent: true}},
		},
		{
			name: "unchanged and fetch failures keep them",
			runs: []store.Run{
				{SourceID: "platform", Outcome: store.Degraded, Errors: errs("parse"), Counts: store.Counts{Entities: 5}, FinishedAt: testNow.Add(-time.Hour)},
				{SourceID: "platform", Outcome: store.Unchanged, Counts: store.Counts{Entities: 5}, FinishedAt: testNow},
				{SourceID: "platform", Outcome: store.Failed, Reason: "fetch failed", FinishedAt: testNow.Add(time.Hour)},
			},
			want: []sample{
				{name: "central_config_file_errors", labels: code("parse"), value: 1},
				{name: "central_config_entities", labels: src, value: 5},
				{name: "central_config_last_success_timestamp_seconds", labels: src, value: float64(testNow.Unix())},
				{name: "central_config_sync_runs_total", labels: outcome("failed"), value: 1},
				{name: "central_config_sync_runs_total", labels: outcome("unchanged"), value: 1},
			},
		},
		{
			name: "a guard refusal reports its mapping's errors",
			runs: []store.Run{
				{SourceID: "platform", Outcome: store.Degraded, Errors: errs("parse")},
				{SourceID: "platform", Outcome: store.Failed, Reason: "refused", Errors: errs("schema")},
			},
			want: []sample{
				{name: "central_config_file_errors", labels: code("parse"), absent: true},
				{name: "central_config_file_errors", labels: code("schema"), value: 1},
			},
		},
		{
			name: "failed before start has no duration",
			runs: []store.Run{{SourceID: "platform", Outcome: store.Failed, Reason: "store unavailable"}},
			want: []sample{
				{name: "central_config_sync_duration_seconds", labels: src, absent: true},
				{name: "central_config_entities", labels: src, absent: true},
			},
		},
		{
			name: "running and empty outcomes are not runs",
			runs: []store.Run{{SourceID: "platform", Outcome: store.Running}, {SourceID: "platform"}},
			want: []sample{{name: "central_config_sync_runs_total", labels: outcome("running"), absent: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := New(reg)
			for _, r := range tt.runs {
				m.ObserveRun(r)
			}
			for _, s := range tt.want {
				v, ok := metricstest.Value(t, reg, s.name, s.labels)
				switch {
				case s.absent && ok:
					t.Errorf("%s%v = %v, want no series", s.name, s.labels, v)
				case !s.absent && (!ok || v != s.value):
					t.Errorf("%s%v = %v (present %v), want %v", s.name, s.labels, v, ok, s.value)
				}
			}
		})
	}
}

func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.ObserveRun(store.Run{SourceID: "x", Outcome: store.Succeeded})
	m.ObserveFetchBytes("x", 10)
	New(nil).ObserveRun(store.Run{SourceID: "x", Outcome: store.Succeeded})
}

// TestMetricsOnOneRegistryShareTheFileErrorsLock: the syncer's and the
// API's Metrics reset and set a source's file errors under one lock, so
// two runs reported at once never leave a mix of both.
func TestMetricsOnOneRegistryShareTheFileErrorsLock(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := New(reg), New(reg)
	if a.fileErrors != b.fileErrors {
		t.Fatal("two Metrics on one registry have their own file errors gauge and lock")
	}
	if New(prometheus.NewRegistry()).fileErrors == a.fileErrors {
		t.Fatal("Metrics on another registry share the lock")
	}
}
