//go:build backstage

package integration

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central-config/central-config/internal/source/git/gittest"
)

// prober commits new services to the config repository and times their
// way into the catalog, step by step, from the records each part keeps:
// the engine's run row and log line, the provider's log line and ack, and
// the catalog's own tables.
type prober struct {
	b   *testing.B
	s   *stack
	git *gittest.Repo
	// eng is the running engine, started with engineConfig.
	eng          *process
	engineConfig string
	backends     []*process
	engineDB     *pgx.Conn
	catalogDB    *pgx.Conn
	probes       int
	lastRevision string
}

func newProber(b *testing.B, s *stack, git *gittest.Repo, eng *process, engineConfig string, backends []*process) *prober {
	ctx := context.Background()
	engineDB, err := pgx.Connect(ctx, s.engineDB)
	if err != nil {
		fatalf(b, "%v", err)
	}
	// Backstage's catalog keeps its database on the same server.
	cfg, err := pgx.ParseConfig(s.engineDB)
	if err != nil {
		fatalf(b, "%v", err)
	}
	cfg.Database = "backstage_plugin_catalog"
	catalogDB, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		fatalf(b, "%v", err)
	}
	b.Cleanup(func() {
		_ = engineDB.Close(ctx)
		_ = catalogDB.Close(ctx)
	})
	return &prober{b: b, s: s, git: git, eng: eng, engineConfig: engineConfig, backends: backends,
		engineDB: engineDB, catalogDB: catalogDB}
}

func (p *prober) watch() []*process { return append([]*process{p.eng}, p.backends...) }

// useEngine restarts the engine with another of the stack's configs,
// unless it runs that one, and waits for its start-up run to end (so that
// no probe's commit is read by it).
func (p *prober) useEngine(config string) {
	if p.engineConfig == config {
		return
	}
	p.eng.stop()
	restarted := time.Now()
	p.eng = p.s.startEngineWith(config)
	p.engineConfig = config
	eventually(p.b, time.Minute, "the restarted engine's first run", func() error {
		var attempt *time.Time
		err := p.engineDB.QueryRow(context.Background(), "SELECT max(last_attempt_at) FROM sources").Scan(&attempt)
		if err == nil && (attempt == nil || attempt.Before(restarted)) {
			err = fmt.Errorf("last attempt %v, restarted at %v", attempt, restarted)
		}
		return err
	}, p.eng)
}

// The milestones of a probe, in the order the change passes them.
const (
	atCommit      = iota
	atPushed      // the push to the git server returned
	atRunStarted  // the engine's run row: started_at (at the webhook for a triggered run)
	atRunFinished // its finished_at, after the commit that publishes
	atDiscovered  // the catalog's refresh_state row: last_discovery_at, the provider's applyMutation transaction
	atAcked       // the engine's acks row: acked_at, after applyMutation
	atProcessed   // the catalog's stitch_queue row: next_stitch_at, set as processing ends
	atStitched    // final_entities.last_updated_at
	atSeen        // the catalog API serves it (sampled every 100 ms)
	numMilestones
)

var milestoneNames = [numMilestones]string{"commit", "pushed", "run started", "run finished",
	"in refresh_state", "acked", "processed", "stitched", "in the API"}

// probeStages are the steps reported as medians: the critical path, then
// the provider's side branch. (Backstage's production log lines carry no
// time, so the provider's own log cannot tell when it applied.)
var probeStages = []struct {
	name     string
	from, to int
}{
	{"push", atCommit, atPushed},
	{"to run", atPushed, atRunStarted},
	{"run", atRunStarted, atRunFinished},
	{"notify+read", atRunFinished, atDiscovered},
	{"processing", atDiscovered, atProcessed},
	{"stitching", atProcessed, atStitched},
	{"to API", atStitched, atSeen},
	{"applyMutation+ack", atDiscovered, atAcked},
}

// probeTimes is one probe's way: each milestone since the commit began,
// -1 when no record of it was found.
type probeTimes struct {
	name    string
	at      [numMilestones]time.Duration
	trigger string
	// steps are the run log line's step times (fetch_ms=...).
	steps string
}

func (t probeTimes) String() string {
	parts := []string{fmt.Sprintf("%s (run: trigger %s, %s)", t.name, t.trigger, t.steps)}
	for i := atPushed; i < numMilestones; i++ {
		parts = append(parts, fmt.Sprintf("%s %s", milestoneNames[i], fmtAt(t.at[i])))
	}
	return strings.Join(parts, ", ")
}

func fmtAt(d time.Duration) string {
	if d < 0 {
		return "?"
	}
	return d.Round(time.Millisecond).String()
}

// probe commits a new service at a random moment within phase (the
// period of what picks it up, so that samples do not all start just after
// a poll), delivers GitHub's push webhook when webhook is set, and waits
// until the catalog API serves the service.
func (p *prober) probe(phase time.Duration, webhook bool) probeTimes {
	time.Sleep(mathrand.N(phase))
	name := fmt.Sprintf("bench-probe-%d", p.probes)
	p.probes++
	t := probeTimes{name: name}
	for i := range t.at {
		t.at[i] = -1
	}
	stop := make(chan struct{})
	stamps := p.watchCatalog("component:default/"+name, stop)

	committed := time.Now()
	since := func(at time.Time) time.Duration {
		if at.IsZero() {
			return -1
		}
		return at.Sub(committed)
	}
	rev := p.git.Commit("main", map[string]string{"native/bench/" + name + "/catalog-info.yaml": probe(name)})
	t.at[atCommit], t.at[atPushed] = 0, time.Since(committed)
	var runID int64
	if webhook {
		runID = p.deliverPush(rev)
	}
	p.lastRevision = rev
	p.s.waitEntity(name, 10*time.Minute, p.watch()...)
	t.at[atSeen] = time.Since(committed)
	close(stop)
	st := <-stamps
	t.at[atDiscovered], t.at[atProcessed], t.at[atStitched] = since(st.discovered), since(st.processed), since(st.stitched)

	run := p.runOf(runID, rev)
	t.trigger, t.steps = run.trigger, p.runSteps(rev)
	t.at[atRunStarted], t.at[atRunFinished] = since(run.started), since(run.finished)
	t.at[atAcked] = since(p.acked(run.generation))
	return t
}

// deliverPush posts GitHub's push webhook for rev to the engine, signed
// with its secret and with GitHub's headers, and returns the run it
// started.
func (p *prober) deliverPush(rev string) int64 {
	before := p.lastRevision
	if before == "" {
		before = strings.Repeat("0", 40)
	}
	payload, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": before, "after": rev, "created": false, "deleted": false, "forced": false,
		"repository": map[string]any{"name": "config", "full_name": "acme/config", "default_branch": "main",
			"owner": map[string]string{"login": "acme", "name": "acme"}},
		"pusher":      map[string]string{"name": "bench", "email": "bench@example.com"},
		"head_commit": map[string]any{"id": rev, "message": "test commit", "added": []string{}, "removed": []string{}, "modified": []string{}},
	})
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(payload)
	req, err := http.NewRequest(http.MethodPost, p.s.engine.baseURL+"/central-config/webhooks/github", bytes.NewReader(payload))
	if err != nil {
		fatalf(p.b, "%v", err)
	}
	delivery := make([]byte, 16)
	_, _ = rand.Read(delivery)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/bench")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", hex.EncodeToString(delivery))
	req.Header.Set("X-GitHub-Hook-ID", "1")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	res, err := client.Do(req)
	if err != nil {
		fatalf(p.b, "push webhook: %v", err)
	}
	defer func() { _ = res.Body.Close() }()
	var answer struct {
		Triggered []triggeredRun `json:"triggered"`
		Ignored   string         `json:"ignored"`
	}
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil || res.StatusCode != http.StatusAccepted || len(answer.Triggered) != 1 {
		fatalf(p.b, "push webhook: %s, %+v (%v): the engine started no run", res.Status, answer, err)
	}
	return answer.Triggered[0].RunID
}

type triggeredRun struct {
	RunID int64 `json:"runId"`
}

type runRow struct {
	trigger           string
	started, finished time.Time
	generation        int64
}

// runOf reads the engine's run id or, without one, the run that
// published rev.
func (p *prober) runOf(id int64, rev string) runRow {
	query, arg := "SELECT trigger, started_at, finished_at, generation FROM runs WHERE id = $1", any(id)
	if id == 0 {
		query, arg = "SELECT trigger, started_at, finished_at, generation FROM runs WHERE revision = $1 AND generation > 0 ORDER BY id LIMIT 1", rev
	}
	var r runRow
	var started, finished *time.Time
	if err := p.engineDB.QueryRow(context.Background(), query, arg).Scan(&r.trigger, &started, &finished, &r.generation); err != nil {
		p.b.Logf("the run of %s: %v", rev[:8], err)
		return r
	}
	if started != nil {
		r.started = *started
	}
	if finished != nil {
		r.finished = *finished
	}
	return r
}

var stepField = regexp.MustCompile(`\b(\w+)_ms=(\d+)`)

// runSteps are the step times of the engine's log line for the run of
// rev.
func (p *prober) runSteps(rev string) string {
	for _, l := range strings.Split(p.eng.output(), "\n") {
		if !strings.Contains(l, `msg="sync finished"`) || !strings.Contains(l, "revision="+rev) {
			continue
		}
		var steps []string
		for _, m := range stepField.FindAllStringSubmatch(l, -1) {
			steps = append(steps, m[1]+" "+m[2])
		}
		return strings.Join(steps, ", ") + " ms"
	}
	return "no log line"
}

// acked is when the provider acknowledged generation (waiting up to two
// seconds for it).
func (p *prober) acked(generation int64) time.Time {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var g int64
		var at time.Time
		err := p.engineDB.QueryRow(context.Background(), "SELECT generation, acked_at FROM acks WHERE consumer = 'backstage'").Scan(&g, &at)
		if err == nil && g >= generation {
			return at
		}
	}
	return time.Time{}
}

type catalogStamps struct{ discovered, processed, stitched time.Time }

// watchCatalog reads ref's rows in the catalog's database every 20 ms
// until stop closes (and once more then): when the provider's mutation
// wrote it, when processing queued it for stitching (the queue row goes
// once stitched, so this one may be missed) and when stitching wrote the
// final entity.
func (p *prober) watchCatalog(ref string, stop <-chan struct{}) <-chan catalogStamps {
	out := make(chan catalogStamps, 1)
	go func() {
		var st catalogStamps
		for stopped := false; ; {
			var discovered, queued, stitched *time.Time
			err := p.catalogDB.QueryRow(context.Background(), `SELECT r.last_discovery_at, q.next_stitch_at, f.last_updated_at
				FROM refresh_state r
				LEFT JOIN stitch_queue q ON q.entity_ref = r.entity_ref
				LEFT JOIN final_entities f ON f.entity_id = r.entity_id AND f.final_entity IS NOT NULL
				WHERE r.entity_ref = $1`, ref).Scan(&discovered, &queued, &stitched)
			if err == nil {
				if discovered != nil && st.discovered.IsZero() {
					st.discovered = *discovered
				}
				if queued != nil && st.processed.IsZero() {
					st.processed = *queued
				}
				if stitched != nil {
					st.stitched = *stitched
				}
			}
			if stopped {
				out <- st
				return
			}
			select {
			case <-stop:
				stopped = true
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return out
}

// summarizeProbes logs, in one line, each stage's median and range over
// the probes that recorded both its ends (benchmark logs keep ten lines),
// and appends each probe's way to the file BENCH_PROBE_LOG when set.
func summarizeProbes(b *testing.B, path string, probes []probeTimes) {
	if len(probes) == 0 {
		return
	}
	var stages []string
	for _, st := range probeStages {
		var d []time.Duration
		for _, t := range probes {
			if t.at[st.from] >= 0 && t.at[st.to] >= 0 {
				d = append(d, t.at[st.to]-t.at[st.from])
			}
		}
		if len(d) == 0 {
			stages = append(stages, st.name+" ?")
			continue
		}
		slices.Sort(d)
		stages = append(stages, fmt.Sprintf("%s %s (%s-%s)", st.name, fmtAt(percentile(d, 50)), fmtAt(d[0]), fmtAt(d[len(d)-1])))
	}
	b.Logf("%s, medians (min-max) of %d probes: %s", path, len(probes), strings.Join(stages, ", "))
	file := os.Getenv("BENCH_PROBE_LOG")
	if file == "" {
		return
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fatalf(b, "BENCH_PROBE_LOG: %v", err)
	}
	defer func() { _ = f.Close() }()
	for _, t := range probes {
		fmt.Fprintf(f, "%s %s: %s\n", b.Name(), path, t)
	}
}

// seen are the probes' times to the catalog API.
func seen(probes []probeTimes) []time.Duration {
	var out []time.Duration
	for _, t := range probes {
		out = append(out, t.at[atSeen])
	}
	return out
}
