// Command central-config is the central-config engine: it reads a central
// config repository and turns it into Backstage entities. The validate and
// render subcommands check and show what a repository produces, diff what
// a change to it does; serve and
// migrate run the engine as a service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/central-config/central-config/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `central-config: a central config repository, in Backstage.

Usage:
  central-config [--config FILE]... COMMAND [flags] [args]

Commands:
  validate [--format text|json|github] [--verbose] [--include GLOB]... DIR
      Check a config repository checkout. Exits 1 when any file has an
      error, 0 otherwise (warnings do not fail). --format github prints
      GitHub Actions annotations. --verbose also prints infos (such as
      placeholders of URLs left for Backstage) and lists the files
      ignored, with the reason; --format json always has both.
  diff [--format text|json|markdown|github] [--source ID] [--include GLOB]... BASE HEAD
  diff [flags] [--timeout 5m] --git REPO --base REV --head REV
      Say what the engine would do with the HEAD revision of a config
      repository after BASE: entities added, changed (field by field) and
      removed, by kind; ownership moves; files that fail at HEAD (their
      BASE entities are kept); Kafka topics and producers/consumers added
      or removed; the mass-deletion guard's verdict; diagnostics HEAD adds
      or fixes. BASE and HEAD are two checkouts, or two revisions of one
      git repository (a local path or a URL) read without a checkout;
      a private URL's token is read from $CENTRAL_CONFIG_GIT_TOKEN.
      --source ID picks the configured source (its paths and kinds;
      required when --config has several); --include replaces its paths.
      --timeout bounds the whole read (default 5m).
      --format markdown is a review summary of at most --max-bytes
      (default 65536, GitHub's comment limit); --format github prints
      annotations. Exits 3 when the guard would refuse HEAD, else 1 when
      HEAD has errors, 0 otherwise.
  render [--format yaml|json] [--include GLOB]... DIR
      Print the Backstage entities the repository produces.
  serve [--listen ADDR]
      Run the engine: sync every configured source on its schedule and
      serve the HTTP API (default 127.0.0.1:7080). SQLite by default.
  migrate
      Apply the database migrations and exit.
  version
      Print the version.

Global flags:
  --config FILE   app-config file to read (repeatable; later files win)
  --version       print the version
  --help          print this help

Exit codes: 0 ok, 1 problems found, 2 usage or configuration error, 3 the
mass-deletion guard would refuse the change (diff).
`

// exitUsage is the exit code for a usage or configuration error.
const exitUsage = 2

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// env carries what a command needs from its surroundings.
type env struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	configFiles    []string
	log            *slog.Logger
	// ctx ends serve like a signal does; context.Background when nil.
	ctx context.Context
}

// loadConfig loads the --config files; when they cannot be loaded it
// says why, as command cmd, on stderr.
func (e *env) loadConfig(cmd string) (*config.Config, bool) {
	cfg, err := config.Load(e.configFiles, e.lookupEnv, e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "central-config %s: %v\n", cmd, err)
		return nil, false
	}
	return cfg, true
}

func (e *env) context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

func run(args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	global := flag.NewFlagSet("central-config", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	var configFiles stringList
	global.Var(&configFiles, "config", "")
	showVersion := global.Bool("version", false, "")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "central-config: %v\n\n%s", err, usage)
		return exitUsage
	}
	if *showVersion {
		fmt.Fprintf(stdout, "central-config %s\n", version)
		return 0
	}
	rest := global.Args()
	if len(rest) == 0 {
		fmt.Fprintf(stderr, "central-config: a command is required\n\n%s", usage)
		return exitUsage
	}
	e := &env{stdout: stdout, stderr: stderr, lookupEnv: lookupEnv, configFiles: configFiles,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	cmd, cmdArgs := rest[0], rest[1:]
	switch cmd {
	case "validate":
		return validateCmd(e, cmdArgs)
	case "render":
		return renderCmd(e, cmdArgs)
	case "diff":
		return diffCmd(e, cmdArgs)
	case "serve":
		return serveCmd(e, cmdArgs)
	case "migrate":
		return migrateCmd(e, cmdArgs)
	case "version":
		fmt.Fprintf(stdout, "central-config %s\n", version)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "central-config: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}
