// Package notify tells the Backstage catalog that the engine published a
// new generation, through Backstage's events HTTP ingress, so the
// central-config entity provider reads it at once instead of at its next
// scheduled poll. Notifications are hints: losing one only delays the
// catalog until that poll.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// Backstage posts to an events HTTP ingress endpoint such as
// http://backstage:7007/api/events/http/central-config.
type Backstage struct {
	URL string
	// Token is sent as a bearer token when set (Backstage static
	// external access).
	Token  string
	Client *http.Client
	Log    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu sync.Mutex
	// failing is the kind of failure last warned about ("" when none):
	// an outage is warned about once per kind of failure.
	failing string
	// waitingSince is when a refused connection was first seen before
	// any notification went through (Backstage not up yet); zero when
	// not waiting.
	waitingSince time.Time
	// delivered: a notification has reached Backstage since the start.
	delivered bool
}

// startupGrace is how long a refused connection, before any notification
// went through, counts as Backstage starting (make run installs it
// first); past it, it is a warning: the URL may name the wrong port.
const startupGrace = 10 * time.Minute

// event is the body Backstage's provider receives on the topic.
type event struct {
	Source     string `json:"source"`
	Generation int64  `json:"generation"`
	Revision   string `json:"revision"`
	RunID      int64  `json:"runId"`
}

// Published sends the notification for a run that published a generation;
// runs that published nothing are ignored. It does not block the caller.
func (b *Backstage) Published(run store.Run) {
	if run.Generation == 0 || b.URL == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.report(run, b.send(ctx, event{Source: run.SourceID, Generation: run.Generation, Revision: run.Revision, RunID: run.ID}))
	}()
}

func (b *Backstage) send(ctx context.Context, e event) error {
	body, _ := json.Marshal(e)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if b.Token != "" {
		req.Header.Set("Authorization", "Bearer "+b.Token)
	}
	client := b.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("backstage answered %s", res.Status)
	}
	return nil
}

// report logs each kind of failure of an outage once and the recovery,
// not every failed notification, with the source and run that published.
//
// Until a first notification went through, a refused connection means
// Backstage is not up yet (it often starts after the engine, and make run
// installs it first): that is an info, for up to startupGrace. Any other
// failure (an HTTP status such as 404 for a topic Backstage does not open,
// 401 for a wrong token), a refusal past the grace, and a refusal once
// Backstage has answered, is a warning.
func (b *Backstage) report(run store.Run, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	log := slog.New(slog.DiscardHandler)
	if b.Log != nil {
		log = b.Log.With("source", run.SourceID, "run", run.ID)
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	if err == nil {
		if b.failing != "" || !b.waitingSince.IsZero() {
			log.Info("notifying Backstage works", "url", b.URL)
		}
		b.delivered, b.failing, b.waitingSince = true, "", time.Time{}
		return
	}
	refused := errors.Is(err, syscall.ECONNREFUSED)
	if refused && !b.delivered && b.failing == "" {
		if b.waitingSince.IsZero() {
			b.waitingSince = now()
			log.Info("Backstage does not answer yet; it is notified of new generations once it does, and its catalog reads them at its start or next poll", "url", b.URL, "error", err)
			return
		}
		if now().Sub(b.waitingSince) < startupGrace {
			return
		}
	}
	kind := "refused"
	if !refused {
		kind = err.Error()
	}
	if kind == b.failing {
		return
	}
	b.failing = kind
	log.Warn("cannot notify Backstage of a new generation; the catalog will catch up at its next poll", "url", b.URL, "error", err)
}
