package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/central-config/central-config/internal/config"
	"github.com/central-config/central-config/internal/httpapi"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/kafka/live"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/metrics"
	"github.com/central-config/central-config/internal/notify"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/dir"
	gitsource "github.com/central-config/central-config/internal/source/git"
	githubsource "github.com/central-config/central-config/internal/source/github"
	"github.com/central-config/central-config/internal/source/githubauth"
	"github.com/central-config/central-config/internal/store"
	"github.com/central-config/central-config/internal/store/migrations"
	"github.com/central-config/central-config/internal/store/postgres"
	"github.com/central-config/central-config/internal/store/sqlite"
	"github.com/central-config/central-config/internal/syncer"
)

// Defaults of the service, documented in docs/configuration.md.
const (
	defaultListen   = "127.0.0.1:7080"
	defaultDatabase = ".data/central-config.db"
	defaultCacheDir = ".data/cache"

	defaultMaxConnections = 1024
	defaultReadTimeout    = 30 * time.Second
	defaultWriteTimeout   = 60 * time.Second
	// fdsKept are the file descriptors kept out of server.maxConnections
	// for the engine's own use: the database pool, git, logs.
	fdsKept = 256
	// maxHeaderBytes bounds a request's line and headers.
	maxHeaderBytes = 64 << 10
)

// serveCmd runs the engine: the sync loop and the HTTP API, until SIGINT
// or SIGTERM; then it stops taking requests, lets a running sync finish or
// cancels it, and exits.
func serveCmd(e *env, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintf(e.stderr, "central-config serve: usage: central-config --config FILE serve [--listen ADDR]\n")
		return exitUsage
	}
	cfg, ok := e.loadConfig("serve")
	if !ok {
		return exitUsage
	}
	log := newLogger(e.stderr, cfg.Logging)
	ctx, stop := signal.NotifyContext(e.context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	engineMetrics := metrics.New(reg)
	monitor, err := newKafkaMonitor(cfg.Kafka.Discovery, log, engineMetrics)
	if err != nil {
		log.Error("invalid configuration", "error", err)
		return exitUsage
	}
	sources, err := newSources(cfg, log, reg)
	if err != nil {
		log.Error("invalid configuration", "error", err)
		return exitUsage
	}
	addr := listenAddr(cfg.Server, *listen)
	web, err := startServer(cfg.Server, addr, reg, log, stop)
	if err != nil {
		log.Error("cannot listen", "address", addr, "error", err)
		return 1
	}
	defer web.shutdown()
	log.Info("opening the database", "address", web.url(), "database", cfg.Database.Client)
	st, code := openStoreAtStart(ctx, cfg.Database, log, web)
	if st == nil {
		return code
	}
	defer func() { _ = st.Close() }()

	sy, err := newSyncer(cfg, st, sources, log, engineMetrics)
	if err != nil {
		log.Error("invalid configuration", "error", err)
		return exitUsage
	}
	web.starting.Ready(httpapi.New(httpapi.Options{Store: st, Syncer: sy, Token: cfg.Server.Token.Reveal(), ProtectReads: cfg.Server.ProtectReads,
		WebhookSecret: cfg.Webhooks.GitHub.Secret.Reveal(), Registry: reg, Metrics: engineMetrics, Log: log,
		StatusCacheTTL: 250 * time.Millisecond, Topology: topologyOf(sy), Drift: driftOf(monitor, sy), WriteTimeout: web.writeTimeout}))
	log.Info("central-config engine started", "version", version, "address", web.url(),
		"sources", len(sy.SourceIDs()), "database", cfg.Database.Client, "kafkaDiscoveryClusters", discoveryClusters(cfg.Kafka.Discovery))

	var loops sync.WaitGroup
	loops.Go(func() { sy.Run(ctx) })
	if monitor != nil {
		loops.Go(func() { monitor.Run(ctx) })
	}
	<-ctx.Done()
	log.Info("shutting down")
	web.shutdown()
	loops.Wait()
	if web.failed.Load() {
		return 1
	}
	return 0
}

// The API serves the syncer through its interface.
var _ httpapi.Syncer = (*syncer.Syncer)(nil)

// listenAddr is where serve listens: --listen, else server.listen, else
// defaultListen.
func listenAddr(s config.Server, flagAddr string) string {
	switch {
	case flagAddr != "":
		return flagAddr
	case s.Listen != "":
		return s.Listen
	}
	return defaultListen
}

// webServer is the engine's HTTP server from start-up on: it answers
// /healthz 200 and /readyz 503 migrating until Ready gets the API, so
// that no liveness probe depends on another replica's migration lock.
type webServer struct {
	srv          *http.Server
	addr         net.Addr
	starting     *httpapi.Starting
	writeTimeout time.Duration
	// failed is set when the server stops on an error; serve then exits 1.
	failed atomic.Bool
}

// startServer listens on addr and serves in the background; a server
// failure logs it, sets failed and calls stop.
func startServer(s config.Server, addr string, reg *prometheus.Registry, log *slog.Logger, stop func()) (*webServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	readTimeout, writeTimeout := durationOr(s.ReadTimeout, defaultReadTimeout), durationOr(s.WriteTimeout, defaultWriteTimeout)
	w := &webServer{addr: ln.Addr(), writeTimeout: writeTimeout,
		starting: &httpapi.Starting{Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}}
	ln = httpapi.LimitListener(ln, maxConnections(s.MaxConnections, log))
	w.srv = &http.Server{Handler: w.starting, ConnContext: httpapi.ConnContext, MaxHeaderBytes: maxHeaderBytes,
		ReadHeaderTimeout: min(10*time.Second, readTimeout), ReadTimeout: readTimeout, WriteTimeout: writeTimeout,
		IdleTimeout: 2 * time.Minute}
	go func() {
		if err := w.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server failed", "error", err)
			w.failed.Store(true)
			stop()
		}
	}()
	return w, nil
}

// url is the address the server listens on, as a URL.
func (w *webServer) url() string { return "http://" + w.addr.String() }

// shutdown stops the server taking requests and waits up to 30 seconds
// for the ones in progress. Calling it again does nothing.
func (w *webServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = w.srv.Shutdown(ctx)
}

// openTimeout bounds opening the database at start-up: the wait for the
// migration lock (other replicas migrating) and the migrations.
const openTimeout = migrations.LockTimeout + 10*time.Minute

// openStoreAtStart opens and migrates the database within openTimeout:
// /healthz answers meanwhile, so a database that never answers, or a
// migration stuck behind a lock, must not keep the engine "alive" for
// ever. On failure the store is nil and code is serve's exit code: 0 when
// a signal stopped the start, else 1.
func openStoreAtStart(ctx context.Context, db config.Database, log *slog.Logger, web *webServer) (st store.Store, code int) {
	openCtx, cancelOpen := context.WithTimeout(ctx, openTimeout)
	defer cancelOpen()
	st, err := openStore(openCtx, db)
	switch {
	case err == nil:
		return st, 0
	case web.failed.Load():
		return nil, 1
	case ctx.Err() != nil:
		log.Info("stopped while opening the database", "error", err)
		return nil, 0
	case openCtx.Err() != nil:
		log.Error("the database was not open and migrated in time", "timeout", openTimeout.String(), "error", err)
		return nil, 1
	}
	log.Error("cannot open the database", "error", err)
	return nil, 1
}

// discoveryClusters counts the Kafka clusters live discovery watches.
func discoveryClusters(d *config.KafkaDiscovery) int {
	if d == nil {
		return 0
	}
	return len(d.Clusters)
}

// durationOr returns d, or def when d is not set.
func durationOr(d *config.Duration, def time.Duration) time.Duration {
	if d == nil || *d <= 0 {
		return def
	}
	return d.Std()
}

// maxConnections is server.maxConnections (default 1024), lowered with a
// warning when the open-file limit (ulimit -n) leaves too little room
// for it, fdsKept and the probe reserve.
func maxConnections(configured int, log *slog.Logger) int {
	n := configured
	if n <= 0 {
		n = defaultMaxConnections
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return n
	}
	if room := int(min(rl.Cur, 1<<30)) - fdsKept - httpapi.ProbeReserve; n > room {
		log.Warn("server.maxConnections lowered to fit the open-file limit (ulimit -n)",
			"configured", n, "maxConnections", max(room, 1), "openFileLimit", rl.Cur)
		n = max(room, 1)
	}
	return n
}

// newKafkaMonitor builds live discovery of the configured Kafka clusters;
// nil when discovery is off.
func newKafkaMonitor(d *config.KafkaDiscovery, log *slog.Logger, m *metrics.Metrics) (*live.Monitor, error) {
	if d == nil {
		return nil, nil
	}
	opts := live.Options{Log: log, Observe: m.ObserveDiscovery}
	if d.Interval != nil {
		opts.Interval = d.Interval.Std()
	}
	if d.Timeout != nil {
		opts.Timeout = d.Timeout.Std()
	}
	for i, c := range d.Clusters {
		lc := live.Cluster{Seeds: c.BootstrapServers, Scope: drift.Scope{Cluster: c.Name, TopicsWithoutCluster: c.TopicsWithoutCluster,
			IgnoreTopics: d.IgnoreTopics, IgnoreGroups: d.IgnoreGroups}}
		if c.SASL != nil {
			lc.SASL = &live.SASL{Mechanism: c.SASL.Mechanism, Username: c.SASL.Username, Password: c.SASL.Password.Reveal()}
		}
		if c.TLS != nil && c.TLS.Enabled {
			tc, err := live.TLSConfig(c.TLS.CAFile, c.TLS.ServerName)
			if err != nil {
				return nil, fmt.Errorf("%s.kafka.discovery.clusters[%d].tls.caFile: %w", config.Key, i, err)
			}
			lc.TLS = tc
		}
		opts.Clusters = append(opts.Clusters, lc)
	}
	return live.NewMonitor(opts), nil
}

// topologyOf is the API's Options.Topology: the merged topology of every
// source, once this engine has read each of them. Before that (at
// start-up, or on a replica that another replica's sync lock keeps from
// reading a source) a graph would be missing that source's topics, so it
// is unavailable, not partial or empty.
func topologyOf(sy *syncer.Syncer) func(context.Context) (*kafka.Topology, map[string]string, error) {
	return func(ctx context.Context) (*kafka.Topology, map[string]string, error) {
		if unread := sy.Unread(); len(unread) > 0 {
			return nil, nil, fmt.Errorf("%w: this engine has not read every source yet; not read: %s",
				httpapi.ErrKafkaUnavailable, strings.Join(unread, ", "))
		}
		return sy.Topology(ctx)
	}
}

// driftOf is the API's Options.Drift: the monitor's last observations
// compared with the topology, once every source has been read (before
// that, topics of an unread source would all look undeclared). Nil when
// discovery is off.
func driftOf(m *live.Monitor, sy *syncer.Syncer) func(context.Context, *kafka.Topology) ([]drift.Cluster, error) {
	if m == nil {
		return nil
	}
	return func(_ context.Context, top *kafka.Topology) ([]drift.Cluster, error) {
		if unread := sy.Unread(); len(unread) > 0 {
			return nil, fmt.Errorf("%w: drift is compared once every source has been read by this engine; not read yet: %s",
				httpapi.ErrKafkaUnavailable, strings.Join(unread, ", "))
		}
		return m.Report(top), nil
	}
}

// migrateCmd applies the database migrations and exits.
func migrateCmd(e *env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintf(e.stderr, "central-config migrate: takes no arguments\n")
		return exitUsage
	}
	cfg, ok := e.loadConfig("migrate")
	if !ok {
		return exitUsage
	}
	st, err := openStore(context.Background(), cfg.Database)
	if err != nil {
		fmt.Fprintf(e.stderr, "central-config migrate: %v\n", err)
		return 1
	}
	defer func() { _ = st.Close() }()
	fmt.Fprintf(e.stdout, "database is migrated (%s)\n", clientName(cfg.Database))
	return 0
}

func clientName(db config.Database) string {
	if db.Client == "" {
		return "sqlite"
	}
	return db.Client
}

// openStore opens and migrates the configured database.
func openStore(ctx context.Context, db config.Database) (store.Store, error) {
	switch clientName(db) {
	case "pg":
		if db.Connection == "" {
			return nil, errors.New("centralConfig.database.connection must be a PostgreSQL URL when client is pg")
		}
		return postgres.Open(ctx, db.Connection.Reveal())
	default:
		path := db.Connection.Reveal()
		if path == "" {
			path = defaultDatabase
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		return sqlite.Open(ctx, path)
	}
}

// newSources builds the sources from config, and registers the GitHub
// sources' rate limit gauges on reg. serve calls it before it opens the
// database, so that a wrong source fails at once, not after the
// migrations.
func newSources(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) ([]syncer.Source, error) {
	cacheDir := cfg.CacheDir
	if cacheDir == "" {
		cacheDir = defaultCacheDir
	}
	var sources []syncer.Source
	var githubSources []*githubsource.Source
	for i, sc := range cfg.Sources {
		src, repo, branch, err := openSource(cfg, i, cacheDir, int64(cfg.Limits.MaxFileBytes), log)
		if err != nil {
			return nil, err
		}
		if gs, ok := src.(*githubsource.Source); ok {
			githubSources = append(githubSources, gs)
		}
		s := syncer.Source{Source: src, Repo: repo, Branch: branch, Kinds: cfg.Kinds(i)}
		if f := sc.Schedule.Frequency; f != nil {
			s.Interval = f.Std()
		}
		if t := sc.Schedule.Timeout; t != nil {
			s.Timeout = t.Std()
		}
		if d := sc.Schedule.InitialDelay; d != nil {
			s.InitialDelay = d.Std()
		}
		sources = append(sources, s)
	}
	if len(githubSources) > 0 {
		if err := reg.Register(githubsource.NewRateLimitCollector(githubSources...)); err != nil {
			return nil, err
		}
	}
	return sources, nil
}

// newSyncer builds the syncer of sources on st from config.
func newSyncer(cfg *config.Config, st syncer.Store, sources []syncer.Source, log *slog.Logger, m *metrics.Metrics) (*syncer.Syncer, error) {
	rules := cfg.CompiledRules
	notifier := &notify.Backstage{URL: cfg.Notify.Backstage.URL, Token: cfg.Notify.Backstage.Token.Reveal(), Log: log}
	opts := syncer.Options{Store: st, Sources: sources, Log: log, Published: notifier.Published,
		Mapping:           mapping.Options{Rules: rules, Limits: cfg.Limits.Document()},
		AllowMassDeletion: cfg.Guard.AllowMassDeletion,
		KeepRuns:          cfg.History.MaxRuns, KeepGenerations: int64(cfg.History.DeltaGenerations),
		Metrics: &syncer.Metrics{Observe: m.ObserveRun, ObserveFetchBytes: m.ObserveFetchBytes,
			ObserveSpoolFallback: m.ObserveSpoolFallback},
	}
	guard := syncer.GuardOf(cfg.Guard.MaxDeletionRatio, cfg.Guard.AllowMassDeletion)
	opts.MaxDeletionRatio = guard.MaxDeletionRatio
	return syncer.New(opts)
}

// openSource builds source i, and the repository and branch that
// webhooks name it by. No source reads a file larger than maxFileBytes
// into memory. log gets the warnings of the source's credentials.
func openSource(cfg *config.Config, i int, cacheDir string, maxFileBytes int64, log *slog.Logger) (source.Source, string, string, error) {
	sc := cfg.Sources[i]
	switch {
	case sc.Git != nil:
		g := sc.Git
		branch := g.Branch
		if branch == "" {
			branch = gitsource.DefaultBranch
		}
		repo := githubRepoOf(g.URL)
		opts := gitsource.Options{ID: sc.ID, URL: g.URL, Branch: g.Branch, Username: g.Username,
			Paths: sc.Paths, CacheDir: filepath.Join(cacheDir, "git"), ViewURL: g.ViewURL, EditURL: g.EditURL, CommitURL: g.CommitURL,
			MaxFileBytes: maxFileBytes}
		app, token, err := credentials(cfg, i, repo, fmt.Sprintf("%s.sources[%d].git.url", config.Key, i), log)
		if err != nil {
			return nil, "", "", err
		}
		opts.App, opts.Token = app, token
		src, err := gitsource.New(opts)
		return src, repo, branch, err
	case sc.GitHub != nil:
		g := sc.GitHub
		opts := githubsource.Options{ID: sc.ID, Owner: g.Owner, Repo: g.Repo, Branch: g.Branch,
			BaseURL: g.APIBaseURL, WebURL: g.WebURL, Paths: sc.Paths, MaxFileBytes: maxFileBytes}
		app, token, err := credentials(cfg, i, g.Owner+"/"+g.Repo, "", log)
		if err != nil {
			return nil, "", "", err
		}
		opts.App, opts.Token = app, token
		src, err := githubsource.New(opts)
		return src, g.Owner + "/" + g.Repo, g.Branch, err
	default:
		src, err := dir.New(dir.Options{ID: sc.ID, Path: sc.Dir.Path, Paths: sc.Paths, MaxFileBytes: maxFileBytes})
		return src, "", "", err
	}
}

// credentials are source i's for repo ("owner/name"): the installation
// tokens of the first of its apps that admits the owner and is installed
// on the repository, else its token (or none), as Backstage's
// SingleInstanceGithubCredentialsProvider. urlKey names the git URL the
// repository comes from.
func credentials(cfg *config.Config, i int, repo, urlKey string, log *slog.Logger) (*githubauth.Installation, string, error) {
	creds := cfg.SourceCredentials(i)
	if len(creds.Apps) == 0 {
		return nil, creds.Token.Reveal(), nil
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		return nil, "", fmt.Errorf("%s: a GitHub App reads a repository at https://HOST/OWNER/REPO(.git); this URL names none", urlKey)
	}
	apps := githubauth.ForOwner(creds.Apps, owner)
	if len(apps) == 0 {
		return nil, creds.Token.Reveal(), nil
	}
	app, err := githubauth.New(githubauth.Options{APIBaseURL: creds.APIBaseURL, APIBaseDeduced: creds.APIBaseDeduced,
		Apps: apps, Owner: owner, Repo: name, Token: creds.Token.Reveal(),
		Log: log.With("source", cfg.Sources[i].ID)})
	return app, "", err
}

// githubRepoOf returns "owner/repo" of a git URL on a GitHub host, so a
// GitHub webhook can trigger a git source too.
func githubRepoOf(url string) string {
	u := strings.TrimSuffix(url, ".git")
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	parts := strings.Split(u[i+3:], "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

// newLogger builds the engine's structured logger: JSON unless stderr is
// a terminal (or logging.format says otherwise).
func newLogger(w io.Writer, c config.Logging) *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := c.Format
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
