package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A profile of four frames: the catalog's processing code, knex, our
// provider and idle; samples 10 ms apart.
const sample = `{
  "nodes": [
    {"id": 1, "callFrame": {"functionName": "(root)", "url": "", "lineNumber": -1}},
    {"id": 2, "callFrame": {"functionName": "processEntity", "url": "file:///app/node_modules/@backstage/plugin-catalog-backend/dist/processing/x.cjs.js", "lineNumber": 9}},
    {"id": 3, "callFrame": {"functionName": "query", "url": "file:///app/node_modules/knex/lib/runner.js", "lineNumber": 0}},
    {"id": 4, "callFrame": {"functionName": "sync", "url": "file:///app/plugins/catalog-backend-module-central-config/src/providers/P.ts", "lineNumber": 41}},
    {"id": 5, "callFrame": {"functionName": "(idle)", "url": "", "lineNumber": -1}}
  ],
  "startTime": 0, "endTime": 100000,
  "samples":    [2, 2, 3, 2, 4, 5, 5, 3, 3, 5],
  "timeDeltas": [0, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000]
}`

func parse(t *testing.T) *profile {
	t.Helper()
	var p profile
	if err := json.Unmarshal([]byte(sample), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestSelfTimeByPackage(t *testing.T) {
	out := summarize(parse(t), 0, 0, 10, 1)
	// The last sample has no successor: it counts nothing. Busy: samples
	// 0-4 and 7-8, 10 ms each.
	for _, want := range []string{
		"70ms on CPU of 90ms",
		"| @backstage/plugin-catalog-backend | 0.0 s | 43% | `processEntity processing/x.cjs.js:10` 0.0 s |",
		"| knex | 0.0 s | 43% |",
		"| plugins/catalog-backend-module-central-config | 0.0 s | 14% |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "| (idle)") {
		t.Errorf("idle listed as a place CPU went:\n%s", out)
	}
}

func TestWindow(t *testing.T) {
	// Samples at 0, 10, ..., 90 ms; [20 ms, 50 ms) holds samples 2-4.
	out := summarize(parse(t), 20*time.Millisecond, 50*time.Millisecond, 10, 1)
	if !strings.Contains(out, "30ms on CPU of 30ms") {
		t.Errorf("window 20-50 ms:\n%s", out)
	}
}

func FuzzSummarize(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"nodes": [], "samples": [1, 2], "timeDeltas": [5]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p profile
		if json.Unmarshal(data, &p) != nil {
			return
		}
		_ = summarize(&p, 0, 0, 5, 2) // must not panic, whatever the file holds
	})
}
