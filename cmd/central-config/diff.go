package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/central-config/central-config/internal/config"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/review"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/dir"
	gitsource "github.com/central-config/central-config/internal/source/git"
	"github.com/central-config/central-config/internal/syncer"
)

// exitGuard is diff's exit code when the mass-deletion guard would refuse
// the head: the sync would publish nothing of it.
const exitGuard = 3

// diffSourceID names the source in the compared entities' annotations
// when the configuration has no sources, as validate's does.
const diffSourceID = "local"

// gitTokenEnv names the environment variable diff --git reads a private
// repository's token from, so it appears in no command line.
const gitTokenEnv = "CENTRAL_CONFIG_GIT_TOKEN"

// defaultDiffTimeout bounds a whole diff: the clone of a remote --git
// repository above all.
const defaultDiffTimeout = 5 * time.Minute

// diffArgs are diff's parsed flags and arguments.
type diffArgs struct {
	format     string
	include    []string
	source     string
	maxBytes   int
	timeout    time.Duration
	git        string
	base, head string
}

func parseDiffArgs(e *env, args []string) (diffArgs, bool) {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var a diffArgs
	var include stringList
	fs.StringVar(&a.format, "format", "text", "")
	fs.Var(&include, "include", "")
	fs.IntVar(&a.maxBytes, "max-bytes", review.MaxComment, "")
	fs.StringVar(&a.git, "git", "", "")
	fs.StringVar(&a.source, "source", "", "")
	fs.DurationVar(&a.timeout, "timeout", defaultDiffTimeout, "")
	baseRev := fs.String("base", "", "")
	headRev := fs.String("head", "", "")
	var positional []string
	fail := func(format string, args ...any) (diffArgs, bool) {
		fmt.Fprintf(e.stderr, "central-config diff: "+format+"\n", args...)
		return diffArgs{}, false
	}
	for {
		if err := fs.Parse(args); err != nil {
			return fail("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	a.include = include
	formats := []string{"text", "json", "markdown", "github"}
	if !slices.Contains(formats, a.format) {
		return fail("--format must be one of %s, not %q", strings.Join(formats, ", "), a.format)
	}
	if a.timeout <= 0 {
		return fail("--timeout must be a positive duration (such as 5m), not %s", a.timeout)
	}
	if a.maxBytes < review.MinMarkdown {
		return fail("--max-bytes must be at least %d, not %d", review.MinMarkdown, a.maxBytes)
	}
	if a.git != "" {
		if len(positional) > 0 || *baseRev == "" || *headRev == "" {
			return fail("--git REPO takes --base REV and --head REV, and no BASE HEAD folders")
		}
		a.base, a.head = *baseRev, *headRev
		return a, true
	}
	if *baseRev != "" || *headRev != "" {
		return fail("--base and --head name revisions of --git REPO; without --git give two folders: BASE HEAD")
	}
	if len(positional) != 2 {
		return fail("give two folders, BASE HEAD (checkouts of the config repository), or --git REPO --base REV --head REV")
	}
	a.base, a.head = positional[0], positional[1]
	return a, true
}

func diffCmd(e *env, args []string) int {
	a, ok := parseDiffArgs(e, args)
	if !ok {
		return exitUsage
	}
	failed := func(err error) int {
		fmt.Fprintf(e.stderr, "central-config diff: %v\n", err)
		return exitUsage
	}
	cfg, err := config.Load(e.configFiles, e.lookupEnv, e.log)
	if err != nil {
		return failed(err)
	}
	src, err := diffSource(cfg, a)
	if err != nil {
		return failed(err)
	}
	ctx, cancel := context.WithTimeout(e.context(), a.timeout)
	defer cancel()
	token, _ := e.lookupEnv(gitTokenEnv)
	base, head, err := diffSnapshots(ctx, a, src, token, int64(cfg.Limits.MaxFileBytes))
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (--timeout %s)", err, a.timeout)
	}
	if err != nil {
		return failed(err)
	}
	rep := review.Compare(base, head, review.Options{
		SourceID: src.id,
		Mapping:  mapping.Options{Rules: cfg.CompiledRules, Kinds: src.kinds, Limits: cfg.Limits.Document()},
		Guard:    syncer.GuardOf(cfg.Guard.MaxDeletionRatio, cfg.Guard.AllowMassDeletion),
	})
	switch a.format {
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	case "markdown":
		fmt.Fprint(e.stdout, rep.Markdown(a.maxBytes))
	case "github":
		rep.GitHub(e.stdout)
	default:
		rep.Text(e.stdout)
	}
	switch {
	case rep.Guard.Refused:
		return exitGuard
	case rep.HeadErrors > 0:
		return 1
	}
	return 0
}

// diffSourceOf is the configured source whose change diff reviews: its id,
// the files it reads and the kinds it allows.
type diffSourceOf struct {
	id    string
	paths []string
	kinds mapping.KindRules
}

// diffSource picks the source --source names, or the only one configured;
// with no source configured, every file and the global kinds. --include
// replaces the source's paths.
func diffSource(cfg *config.Config, a diffArgs) (diffSourceOf, error) {
	out := diffSourceOf{id: diffSourceID, kinds: cfg.Kinds(-1)}
	ids := make([]string, len(cfg.Sources))
	for i, sc := range cfg.Sources {
		ids[i] = sc.ID
	}
	i := slices.Index(ids, a.source)
	switch {
	case a.source != "" && i < 0 && len(ids) == 0:
		return out, fmt.Errorf("--source %q: the configuration has no sources", a.source)
	case a.source != "" && i < 0:
		return out, fmt.Errorf("--source %q is not a configured source; the sources are %s", a.source, strings.Join(ids, ", "))
	case a.source == "" && len(ids) > 1:
		return out, fmt.Errorf("the configuration has %d sources (%s): name the one the repository is with --source ID", len(ids), strings.Join(ids, ", "))
	case a.source == "" && len(ids) == 1:
		i = 0
	}
	if i >= 0 {
		out = diffSourceOf{id: ids[i], paths: cfg.Sources[i].Paths, kinds: cfg.Kinds(i)}
	}
	if len(a.include) > 0 {
		out.paths = a.include
	}
	return out, nil
}

// diffSnapshots reads the two revisions: two folders, or two revisions of
// one git repository (token, when set, is its access token).
func diffSnapshots(ctx context.Context, a diffArgs, s diffSourceOf, token string, maxFileBytes int64) (base, head *source.Snapshot, err error) {
	if a.git == "" {
		read := func(path string) (*source.Snapshot, error) {
			src, err := dir.New(dir.Options{ID: s.id, Path: path, Paths: s.paths, MaxFileBytes: maxFileBytes})
			if err != nil {
				return nil, err
			}
			return src.Fetch(ctx, "")
		}
		if base, err = read(a.base); err != nil {
			return nil, nil, fmt.Errorf("BASE: %w", err)
		}
		if head, err = read(a.head); err != nil {
			return nil, nil, fmt.Errorf("HEAD: %w", err)
		}
		return base, head, nil
	}
	repoURL, err := gitURL(a.git)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(repoURL, "file:") {
		// A local repository takes no credentials.
		token = ""
	}
	src, err := gitsource.New(gitsource.Options{ID: s.id, URL: repoURL, Token: token, Paths: s.paths, MaxFileBytes: maxFileBytes})
	if err != nil {
		return nil, nil, err
	}
	snaps, err := src.FetchRevisions(ctx, a.base, a.head)
	if err != nil {
		return nil, nil, err
	}
	return snaps[0], snaps[1], nil
}

// gitURL takes a repository URL as is and turns a local path into a
// file:// URL.
func gitURL(repo string) (string, error) {
	if strings.Contains(repo, "://") {
		return repo, nil
	}
	abs, err := filepath.Abs(repo)
	if err != nil {
		return "", errors.New("--git: " + err.Error())
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}
