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

// diffSourceID names the source in the compared entities' annotations,
// as validate's does.
const diffSourceID = "local"

// diffArgs are diff's parsed flags and arguments.
type diffArgs struct {
	format     string
	include    []string
	maxBytes   int
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
	cfg, err := config.Load(e.configFiles, e.lookupEnv, e.log)
	if err != nil {
		fmt.Fprintf(e.stderr, "central-config diff: %v\n", err)
		return exitUsage
	}
	base, head, err := diffSnapshots(e.context(), a, int64(cfg.Limits.MaxFileBytes))
	if err != nil {
		fmt.Fprintf(e.stderr, "central-config diff: %v\n", err)
		return exitUsage
	}
	rep := review.Compare(base, head, review.Options{
		SourceID: diffSourceID,
		Mapping:  mapping.Options{Rules: cfg.CompiledRules, Kinds: cfg.CheckKinds(), Limits: cfg.Limits.Document()},
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

// diffSnapshots reads the two revisions: two folders, or two revisions of
// one git repository.
func diffSnapshots(ctx context.Context, a diffArgs, maxFileBytes int64) (base, head *source.Snapshot, err error) {
	if a.git == "" {
		read := func(path string) (*source.Snapshot, error) {
			src, err := dir.New(dir.Options{ID: diffSourceID, Path: path, Paths: a.include, MaxFileBytes: maxFileBytes})
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
	src, err := gitsource.New(gitsource.Options{ID: diffSourceID, URL: repoURL, Paths: a.include, MaxFileBytes: maxFileBytes})
	if err != nil {
		return nil, nil, err
	}
	if base, err = src.FetchRevision(ctx, a.base); err != nil {
		return nil, nil, fmt.Errorf("--base: %w", err)
	}
	if head, err = src.FetchRevision(ctx, a.head); err != nil {
		return nil, nil, fmt.Errorf("--head: %w", err)
	}
	return base, head, nil
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
