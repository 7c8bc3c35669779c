// Package pgtest gives tests a throwaway PostgreSQL server, so that the
// PostgreSQL store and what is built on it are tested against the real
// thing on any machine that has PostgreSQL installed, without setup.
//
// If the environment variable CENTRAL_CONFIG_TEST_POSTGRES_URL is set, to
// the URL of a server and a role that may create databases (for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), Start uses
// that server and only creates a fresh database per Server.URL call,
// dropping it when the test that called Start ends.
//
// Otherwise Start runs a private cluster with the binaries in
// /usr/lib/postgresql/15/bin (Debian's postgresql-15): data and unix socket
// in a temporary directory, listening on a free port of 127.0.0.1, trust
// authentication, fsync off. Running as root, the server runs as the
// postgres user, since initdb and postgres refuse root. The tests of one
// test binary share the cluster; it is stopped and removed when the last of
// them ends (pass or fail), and the kernel stops it if the test binary dies
// first. Start never skips: without the binaries the test fails.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points the tests at an
// existing server instead of a private cluster.
const EnvURL = "CENTRAL_CONFIG_TEST_POSTGRES_URL"

const binDir = "/usr/lib/postgresql/15/bin"

var (
	// mu guards shared and refs, and serialises starting and stopping.
	mu     sync.Mutex
	shared *cluster
	// refs counts the tests (and Main) using shared.
	refs int

	dbSeq atomic.Int64
)

// Server is one test's handle on the server.
type Server struct {
	tb testing.TB
	// admin is the URL of a database to run CREATE DATABASE from.
	admin string
	// c is the private cluster, nil for a server given by EnvURL.
	c *cluster
}

// Start returns the server for tb, starting the shared cluster if no test
// runs it yet; it is released when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{tb: tb, admin: u}
	}
	mu.Lock()
	defer mu.Unlock()
	if shared == nil {
		c, err := newCluster()
		if err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
		shared = c
	}
	refs++
	s := &Server{tb: tb, admin: shared.url("postgres"), c: shared}
	tb.Cleanup(s.release)
	return s
}

// Main runs m's tests with one cluster for the whole test binary: call it
// from TestMain so that tests calling Start one after another share a
// cluster instead of starting one each.
func Main(m *testing.M) {
	mu.Lock()
	refs++
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	unref()
	mu.Unlock()
	os.Exit(code)
}

// unref drops one reference to the shared cluster and removes the cluster
// after the last one. mu must be held.
func unref() {
	refs--
	if refs == 0 && shared != nil {
		shared.destroy()
		shared = nil
	}
}

func (s *Server) release() {
	mu.Lock()
	defer mu.Unlock()
	unref()
	// A test that stopped the server and failed before starting it again
	// must not leave it down for the others.
	if shared != nil && !shared.running() {
		if err := shared.start(); err != nil {
			s.tb.Errorf("pgtest: restart the server left stopped: %v", err)
		}
	}
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// URL creates a fresh, empty database and returns its URL. name makes it
// recognisable; the database's real name adds the process id and a
// sequence number, so that calls and concurrent test binaries never share
// one. On a server given by EnvURL the database is dropped when the test
// that called Start ends; a private cluster is removed whole.
func (s *Server) URL(name string) string {
	s.tb.Helper()
	name = unsafeChars.ReplaceAllString(strings.ToLower(name), "_")
	name = fmt.Sprintf("%.40s_%d_%d", name, os.Getpid(), dbSeq.Add(1))
	u, err := url.Parse(s.admin)
	if err != nil {
		s.tb.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	ident := pgx.Identifier{name}.Sanitize()
	if err := s.exec("CREATE DATABASE " + ident); err != nil {
		s.tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	if s.c == nil {
		// A private cluster goes away whole; dropping each database
		// (a checkpoint each) would only slow the tests down.
		s.tb.Cleanup(func() {
			if err := s.exec("DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)"); err != nil {
				s.tb.Logf("pgtest: drop database %s: %v", name, err)
			}
		})
	}
	return u.String()
}

func (s *Server) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// private skips the test unless the server is the private cluster, the
// only one tests may stop (doing says what they would do).
func (s *Server) private(doing string) {
	s.tb.Helper()
	if s.c == nil {
		s.tb.Skipf("pgtest: %s the server needs the private cluster; %s is set", doing, EnvURL)
	}
}

// Stop stops the server, keeping its data, for tests of what happens when
// the database goes away. It stops the cluster every test of the binary
// shares: such a test must not run in parallel with others using it. On
// a server given by EnvURL, which the tests may not stop, it skips the
// test.
func (s *Server) Stop() {
	s.tb.Helper()
	s.private("stopping")
	mu.Lock()
	defer mu.Unlock()
	s.c.stop()
}

// Start starts the server again after Stop, with its data and port.
func (s *Server) Start() {
	s.tb.Helper()
	s.private("restarting")
	mu.Lock()
	defer mu.Unlock()
	if !s.c.running() {
		if err := s.c.start(); err != nil {
			s.tb.Fatalf("pgtest: %v", err)
		}
	}
}

// cluster is a private PostgreSQL cluster.
type cluster struct {
	dir  string // everything: data, socket, log
	port int
	// cred runs the binaries as the postgres user when we are root.
	cred *syscall.Credential
	proc *os.Process
	// exited is closed when proc has exited.
	exited chan struct{}
}

func newCluster() (_ *cluster, err error) {
	for _, bin := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(binDir, bin)); err != nil {
			return nil, fmt.Errorf("PostgreSQL 15 is needed for these tests: %w; install Debian's postgresql-15, or set %s to the URL of a server", err, EnvURL)
		}
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	c := &cluster{dir: dir}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.Command(filepath.Join(binDir, "initdb"), "-D", c.data(), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the server must run as the postgres user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }
func (c *cluster) log() string  { return filepath.Join(c.dir, "postgres.log") }

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func (c *cluster) running() bool {
	if c.proc == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// start runs postgres as a child process (not daemonised by pg_ctl), so
// that the kernel can stop it if the test binary dies without cleaning up.
func (c *cluster) start() error {
	logFile, err := os.OpenFile(c.log(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+c.dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster takes its
	// backends down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT}
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		// The kernel sends Pdeathsig when the thread that started the
		// child ends, so this goroutine keeps its thread until postgres
		// exits (the locked thread then ends with it).
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
		_ = logFile.Close()
		close(exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.proc, c.exited = cmd.Process, exited
	return c.waitReady()
}

func (c *cluster) waitReady() error {
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited:\n%s", c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return fmt.Errorf("postgres not ready after a minute: %w\n%s", err, c.logTail())
		}
	}
}

func (c *cluster) logTail() string {
	b, err := os.ReadFile(c.log())
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop shuts postgres down, fast (SIGINT: disconnect clients, checkpoint),
// and kills it if that takes too long.
func (c *cluster) stop() {
	if !c.running() {
		return
	}
	_ = c.proc.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.proc.Kill()
		<-c.exited
	}
}

func (c *cluster) destroy() {
	c.stop()
	if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
}
