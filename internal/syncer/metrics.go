package syncer

import (
	"github.com/central-config/central-config/internal/store"
)

// Metrics receives what runs report; nil discards it. internal/metrics
// holds the Prometheus collectors the command wires behind it.
type Metrics struct {
	// Observe is called once per finished run.
	Observe func(store.Run)
	// ObserveFetchBytes is called with the size of each fetched snapshot.
	ObserveFetchBytes func(source string, n int)
	// ObserveSpoolFallback is called once per run whose entity JSON
	// waited in memory because its spool file (TMPDIR) could not be
	// created or written.
	ObserveSpoolFallback func(source string)
}

func (m *Metrics) fetched(source string, n int) {
	if m != nil && m.ObserveFetchBytes != nil {
		m.ObserveFetchBytes(source, n)
	}
}

func (m *Metrics) spoolFellBack(source string) {
	if m != nil && m.ObserveSpoolFallback != nil {
		m.ObserveSpoolFallback(source)
	}
}

func (m *Metrics) observe(r store.Run) {
	if m != nil && m.Observe != nil && r.Outcome != "" {
		m.Observe(r)
	}
}
