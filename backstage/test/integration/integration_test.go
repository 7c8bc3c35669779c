//go:build backstage

// Package integration runs the real engine and the real Backstage backend
// together: a PostgreSQL cluster (pgtest) holding both, a git server
// (gittest) with the example config repository, the engine built from
// cmd/central-config, and the backend of backstage/ with
// app-config.production.yaml. It checks what a user relies on: every
// engine entity reaches the catalog with our annotations and survives a
// restart; commits show up through the engine's event; a broken file keeps
// the old entities; the engine sees the catalog's acknowledgement; the
// frontend proxy reaches the engine with the token added server side.
//
// It needs the app installed (bash backstage/scripts/setup.sh) and runs
// only with the backstage build tag:
//
//	go test -tags backstage -count=1 -v ./backstage/test/integration
package integration

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store/pgtest"
)

const (
	engineToken  = "integration-engine-token-5f2a"
	catalogToken = "integration-static-token-9c4e"
	// The engine's GitHub webhook secret (the benchmark signs pushes).
	webhookSecret = "integration-webhook-secret-3d7b"
	// Long enough that only the engine's event can explain a quick update.
	pollSeconds = 60
)

// paths of the repository, the app and the example config repository.
type paths struct{ root, app, example string }

func repoPaths(t testing.TB) paths {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		fatalf(t, "%v", err)
	}
	root := filepath.Clean(filepath.Join(wd, "../../.."))
	p := paths{root: root, app: filepath.Join(root, "backstage"), example: filepath.Join(root, "examples/central-config")}
	if _, err := os.Stat(filepath.Join(p.app, "node_modules/@backstage/cli-node/config/nodeTransform.cjs")); err != nil {
		fatalf(t, "the Backstage app is not installed (run bash backstage/scripts/setup.sh): %v", err)
	}
	return p
}

// exampleFiles reads the example config repository as a commit's changes.
func exampleFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		fatalf(t, "%v", err)
	}
	return files
}

type stack struct {
	t         testing.TB
	p         paths
	dir       string
	engineDB  string
	env       []string
	engineBin string
	// engineConfigs are the engine's config overlays: "" (the stack's
	// schedule, with its event to Backstage), "quiet" (the same without
	// the event) and "idle" (with it, syncing every minute).
	engineConfigs map[string]string
	backendArgs   []string
	engine        engine
	catalog       catalog
}

func (s *stack) startEngine() *process { return s.startEngineWith("") }

// startEngineWith starts the engine with one of its engineConfigs.
func (s *stack) startEngineWith(config string) *process {
	p := start(s.t, "engine", s.p.root, nil, s.engineBin,
		"--config", filepath.Join(s.p.root, "examples/app-config.yaml"), "--config", s.engineConfigs[config], "serve")
	eventually(s.t, 60*time.Second, "engine ready", func() error {
		var ok any
		return getJSON(s.engine.baseURL+"/central-config/last-sync", s.engine.token, &ok)
	}, p)
	return p
}

func (s *stack) startBackend() *process {
	p := start(s.t, "backend", filepath.Join(s.p.app, "packages/backend"), s.env, s.backendArgs...)
	eventually(s.t, 3*time.Minute, "backend ready", func() error {
		var ok any
		return getJSON(s.catalog.baseURL+"/api/catalog/entities/by-query?limit=1", s.catalog.token, &ok)
	}, p)
	return p
}

// requireCatalogMatches waits until the catalog holds exactly the engine's
// entities (by ref), each with the engine's annotations.
func (s *stack) requireCatalogMatches(what string, timeout time.Duration, watch ...*process) (generation int64) {
	s.t.Helper()
	eventually(s.t, timeout, what, func() error {
		g, want, err := s.engine.entities()
		if err != nil {
			return err
		}
		got, err := s.catalog.entities()
		if err != nil {
			return err
		}
		generation = g
		return sameEntities(want, got)
	}, watch...)
	return generation
}

func sameEntities(want, got map[string]entity) error {
	var problems []string
	for ref, w := range want {
		g, ok := got[ref]
		if !ok {
			problems = append(problems, "missing "+ref)
			continue
		}
		for k, v := range w.Metadata.Annotations {
			if g.Metadata.Annotations[k] != v {
				problems = append(problems, fmt.Sprintf("%s: annotation %s is %q, the engine has %q", ref, k, g.Metadata.Annotations[k], v))
			}
		}
		if g.Metadata.Description != w.Metadata.Description {
			problems = append(problems, fmt.Sprintf("%s: description %q, the engine has %q", ref, g.Metadata.Description, w.Metadata.Description))
		}
	}
	for ref := range got {
		if _, ok := want[ref]; !ok {
			problems = append(problems, "extra "+ref)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
		}
		return fmt.Errorf("catalog (%d entities) differs from the engine (%d): %s", len(got), len(want), strings.Join(problems, "; "))
	}
	return nil
}

func (s *stack) requireAcked(generation int64, watch ...*process) {
	s.t.Helper()
	eventually(s.t, 30*time.Second, fmt.Sprintf("ack of generation %d", generation), func() error {
		ls, err := s.engine.lastSync()
		if err != nil {
			return err
		}
		for _, a := range ls.Catalog.Acks {
			if a.Consumer == "backstage" && a.Generation == generation && !a.Lagging && ls.Generation == generation {
				return nil
			}
		}
		return fmt.Errorf("engine at generation %d, acks %+v", ls.Generation, ls.Catalog.Acks)
	}, watch...)
}

// waitForRun waits until the engine finished a run of revision.
func (s *stack) waitForRun(revision string, watch ...*process) lastSync {
	s.t.Helper()
	var seen lastSync
	eventually(s.t, 60*time.Second, "engine run of "+revision[:8], func() error {
		ls, err := s.engine.lastSync()
		if err != nil {
			return err
		}
		seen = ls
		for _, src := range ls.Sources {
			if src.LastRun != nil && src.LastRun.Revision != nil && *src.LastRun.Revision == revision {
				return nil
			}
		}
		return fmt.Errorf("no finished run of %s yet", revision)
	}, watch...)
	return seen
}

// stackOptions vary the stack between tests.
type stackOptions struct {
	// engineFrequency is the engine's sync schedule, e.g. "{ seconds: 1 }".
	engineFrequency string
	// backendConfig is one more config file for the backend (YAML).
	backendConfig string
	// files is the config repository's first commit; nil means the
	// example repository.
	files map[string]string
}

// newStack sets up, without starting them, the engine and the Backstage
// backend on one throwaway PostgreSQL server, and a git server holding the
// config repository (the example one unless opts.files) at its first
// commit.
func newStack(t testing.TB, opts stackOptions) (*stack, *gittest.Repo) {
	p := repoPaths(t)
	dir := t.TempDir()

	// PostgreSQL: a database for the engine; Backstage creates its own
	// (backstage_plugin_<id>) on the same server.
	pg := pgtest.Start(t)
	engineDB := pg.URL("engine")
	pgURL, err := url.Parse(engineDB)
	if err != nil {
		fatalf(t, "%v", err)
	}

	// The config repository on a real git server.
	git := gittest.NewServer(t)
	// owner/repo, as GitHub's push webhook names the git source.
	repo := git.NewRepo("acme/config")
	files := opts.files
	if files == nil {
		files = exampleFiles(t, p.example)
	}
	repo.Commit("main", files)

	// The engine, built from this tree.
	engineBin := buildEngine(t, p.root, dir)
	enginePort, backendPort := freePort(t), freePort(t)
	backendURL := fmt.Sprintf("http://127.0.0.1:%d", backendPort)
	notify := fmt.Sprintf("  notify:\n    backstage:\n      url: %s/api/events/http/central-config\n", backendURL)
	engineConfig := func(frequency, notify string) string {
		return fmt.Sprintf(`centralConfig:
  sources:
    - id: example
      git:
        url: %s
        branch: main
        token: %s
      schedule:
        frequency: %s
  database:
    client: pg
    connection: %s
  cacheDir: %s
  server:
    listen: 127.0.0.1:%d
    token: %s
    protectReads: true
  webhooks:
    github:
      secret: %s
%s  logging:
    format: text
`, repo.URL, gittest.Token, frequency, engineDB, filepath.Join(dir, "cache"), enginePort, engineToken, webhookSecret, notify)
	}
	engineConfigs := map[string]string{}
	for name, content := range map[string]string{
		"":      engineConfig(opts.engineFrequency, notify),
		"quiet": engineConfig(opts.engineFrequency, ""),
		"idle":  engineConfig("{ minutes: 1 }", notify),
	} {
		engineConfigs[name] = filepath.Join(dir, strings.TrimSuffix("engine-"+name, "-")+".yaml")
		writeFile(t, engineConfigs[name], content)
	}

	// The backend's test overlay: its port, a static token for the catalog
	// API, and a poll slow enough to tell the event path apart.
	backendConfig := filepath.Join(dir, "app-config.test.yaml")
	writeFile(t, backendConfig, fmt.Sprintf(`app:
  baseUrl: %[1]s
backend:
  baseUrl: %[1]s
  listen: 127.0.0.1:%[2]d
  auth:
    externalAccess:
      - type: static
        options:
          token: %[3]s
          subject: central-config-integration-test
catalog:
  providers:
    centralConfig:
      schedule:
        # ISO strings: an object here would merge key by key with
        # app-config.yaml's { minutes: 1 } into 1 min + N s.
        frequency: PT%[4]dS
        timeout: PT30S
        initialDelay: PT1S
`, backendURL, backendPort, catalogToken, pollSeconds))
	configs := []string{"--config", backendConfig}
	if opts.backendConfig != "" {
		// A file of its own: Backstage merges config files key by key.
		extra := filepath.Join(dir, "app-config.extra.yaml")
		writeFile(t, extra, opts.backendConfig)
		configs = append(configs, "--config", extra)
	}

	password, _ := pgURL.User.Password()
	if password == "" {
		password = "unused-trust-auth"
	}
	s := &stack{
		t: t, p: p, dir: dir, engineDB: engineDB,
		env: []string{
			"NODE_ENV=production",
			"CENTRAL_CONFIG_URL=http://127.0.0.1:" + fmt.Sprint(enginePort),
			"CENTRAL_CONFIG_TOKEN=" + engineToken,
			"POSTGRES_HOST=" + pgURL.Hostname(),
			"POSTGRES_PORT=" + pgURL.Port(),
			"POSTGRES_USER=" + pgURL.User.Username(),
			"POSTGRES_PASSWORD=" + password,
			"ESBK_TSCONFIG_PATH=" + filepath.Join(p.app, "tsconfig.json"),
		},
		engineBin:     engineBin,
		engineConfigs: engineConfigs,
		// What `backstage-cli package start` runs, without its file watcher.
		backendArgs: append([]string{
			"bash", filepath.Join(p.root, "scripts/node-env.sh"),
			"node", "--enable-source-maps",
			"--require", filepath.Join(p.app, "node_modules/@backstage/cli-node/config/nodeTransform.cjs"),
			"src/index.ts",
			"--config", "../../app-config.yaml",
			"--config", "../../app-config.production.yaml",
		}, configs...),
		engine:  engine{baseURL: fmt.Sprintf("http://127.0.0.1:%d", enginePort), token: engineToken},
		catalog: catalog{baseURL: backendURL, token: catalogToken},
	}

	if dir := os.Getenv("BENCH_BACKEND_CPU_PROF"); dir != "" {
		// A V8 CPU profile of each backend, written when it stops
		// (summarise it with go run ./bench/nodeprof).
		s.env = append(s.env, "NODE_OPTIONS=--cpu-prof --cpu-prof-dir="+dir)
	}
	return s, repo
}

func TestBackstageCatalogFollowsTheEngine(t *testing.T) {
	summarizeFailures(t)
	s, repo := newStack(t, stackOptions{engineFrequency: "{ seconds: 1 }"})
	p, backendURL := s.p, s.catalog.baseURL

	eng := s.startEngine()
	s.engine.waitFirstSync(t, eng)

	started := time.Now()
	backend := s.startBackend()
	generation := s.requireCatalogMatches("every engine entity in the catalog", 2*time.Minute, eng, backend)
	t.Logf("backend up and catalog complete in %s at generation %d", time.Since(started).Round(time.Second), generation)
	s.requireAcked(generation, eng, backend)
	if !strings.Contains(backend.output(), "Applied the full list") {
		errorf(t, "the first run did not apply the full list")
	}

	// Restart with the engine down: the catalog serves what it has.
	before, err := s.catalog.entities()
	if err != nil {
		fatalf(t, "%v", err)
	}
	backend.stop()
	eng.stop()
	backend = s.startBackend()
	got, err := s.catalog.entities()
	if err != nil {
		fatalf(t, "%v", err)
	}
	if len(got) != len(before) {
		fatalf(t, "after a restart with the engine down the catalog has %d entities, before it had %d", len(got), len(before))
	}
	// The scheduler keeps the provider's next run in the database: the
	// restarted backend serves the catalog before any sync.
	time.Sleep(5 * time.Second)
	got2, err := s.catalog.entities()
	if err != nil {
		fatalf(t, "%v", err)
	}
	if len(got2) != len(got) {
		fatalf(t, "the catalog changed while the engine was down: %d then %d entities", len(got), len(got2))
	}

	eng = s.startEngine()
	s.requireCatalogMatches("catalog matches after the engine is back", 2*time.Minute, eng, backend)
	s.requireAcked(generation, eng, backend)

	// A commit that changes, adds and removes entities reaches the catalog
	// through the engine's event, well before the provider's next poll.
	inventory := strings.Replace(exampleFiles(t, p.example)["rules/legacy/inventory.yaml"],
		"Sells, activates and redeems gift cards, online and in store.",
		"Gift cards, changed by the integration test.", 1)
	inventory = strings.Replace(inventory, "tier: silver", "tier: retired", 1) // store-locator goes
	committed := time.Now()
	rev := repo.Commit("main", map[string]string{
		"rules/legacy/inventory.yaml": inventory,
		"native/probe/catalog-info.yaml": `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: integration-probe
  description: Added by the integration test.
spec:
  type: service
  lifecycle: experimental
  owner: group:default/payments
`,
	})
	s.waitForRun(rev, eng, backend)
	generation = s.requireCatalogMatches("the commit in the catalog", pollSeconds*time.Second/2, eng, backend)
	t.Logf("commit to catalog in %s", time.Since(committed).Round(100*time.Millisecond))
	got, err = s.catalog.entities()
	if err != nil {
		fatalf(t, "%v", err)
	}
	if got["component:default/gift-card-service"].Metadata.Description != "Gift cards, changed by the integration test." {
		errorf(t, "gift-card-service not changed: %+v", got["component:default/gift-card-service"].Metadata)
	}
	if _, ok := got["component:default/integration-probe"]; !ok {
		errorf(t, "integration-probe not added")
	}
	if _, ok := got["component:default/store-locator"]; ok {
		errorf(t, "store-locator not removed")
	}
	if !strings.Contains(backend.output(), "Applied the changes from generation") {
		errorf(t, "the provider did not apply a delta after the restart")
	}
	s.requireAcked(generation, eng, backend)

	// A broken file keeps its entities at their last good revision.
	rev = repo.Commit("main", map[string]string{"rules/legacy/inventory.yaml": "apps: [\n  - id: broken\n"})
	ls := s.waitForRun(rev, eng, backend)
	if ls.Sources[0].State != "degraded" {
		errorf(t, "source state after a broken file: %q, want degraded", ls.Sources[0].State)
	}
	s.requireCatalogMatches("catalog after a broken file", 30*time.Second, eng, backend)
	got, err = s.catalog.entities()
	if err != nil {
		fatalf(t, "%v", err)
	}
	if got["component:default/gift-card-service"].Metadata.Description != "Gift cards, changed by the integration test." {
		errorf(t, "gift-card-service lost or changed by a broken file: %+v", got["component:default/gift-card-service"].Metadata)
	}
	ls, err = s.engine.lastSync()
	if err != nil {
		fatalf(t, "%v", err)
	}
	s.requireAcked(ls.Generation, eng, backend)

	// The frontend's proxy reaches the engine (which protects its reads)
	// with the token added by the backend; without Backstage credentials it
	// refuses, and it lets no write through.
	var viaProxy lastSync
	if err := getJSON(backendURL+"/api/proxy/central-config/last-sync", catalogToken, &viaProxy); err != nil {
		errorf(t, "proxy read: %v", err)
	} else if viaProxy.Generation != ls.Generation {
		errorf(t, "proxy read generation %d, engine %d", viaProxy.Generation, ls.Generation)
	}
	if err := getJSON(backendURL+"/api/proxy/central-config/last-sync", "", &viaProxy); err == nil || !strings.Contains(err.Error(), ": 401") {
		errorf(t, "proxy without credentials: %v, want 401", err)
	}
	if code := post(t, backendURL+"/api/proxy/central-config/sync", catalogToken); code != 404 {
		errorf(t, "proxy POST /sync answered %d, want 404 (only GET is proxied)", code)
	}
	// Sync now goes through the central-config backend plugin, which checks
	// the permission (allow-all here) and adds the engine token.
	if code := post(t, backendURL+"/api/central-config/sync", catalogToken); code != 202 {
		errorf(t, "POST /api/central-config/sync answered %d, want 202", code)
	}
	if code := post(t, backendURL+"/api/central-config/sync", ""); code != 401 {
		errorf(t, "POST /api/central-config/sync without credentials answered %d, want 401", code)
	}

	// The backend logged no warning or error beyond the two this set-up
	// causes: a loopback backend.baseUrl in production, and no built
	// frontend for the app plugin to serve.
	// Also one Backstage may log at start-up when the catalog subscribes to
	// events before the events plugin's route is up (events still arrive
	// in-process, which is how the engine's notification reaches the
	// provider).
	// And the restarted backend's provider may read while this test keeps
	// the engine down on purpose: it says so, and that it recovered.
	expected := []string{"backend.baseUrl is set to a localhost URL", "Can't serve static app content",
		"Event subscribe request failed with status 404, events backend not found"}
	const engineDown = "Reading entities from the central-config engine failed"
	if out := backend.output(); strings.Contains(out, engineDown) {
		if !strings.Contains(out, "Reading entities from the central-config engine recovered") {
			errorf(t, "the provider logged that the engine was down, and never that it recovered")
		}
		expected = append(expected, engineDown+": GET "+s.engine.baseURL+"/central-config/entities")
	}
	for _, line := range strings.Split(backend.output(), "\n") {
		if !strings.Contains(line, `"level":"warn"`) && !strings.Contains(line, `"level":"error"`) {
			continue
		}
		known := false
		for _, e := range expected {
			known = known || strings.Contains(line, e)
		}
		if !known {
			errorf(t, "backend logged: %s", line)
		}
	}

	// The databases Backstage created for itself (documented in
	// docs/backstage.md).
	t.Logf("backstage databases: %s", strings.Join(backstageDatabases(t, s.engineDB), ", "))
}
