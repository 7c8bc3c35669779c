package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/central-config/central-config/internal/config"
	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/source/dir"
)

// repoFlags are the flags validate and render share.
type repoFlags struct {
	fs      *flag.FlagSet
	format  *string
	include stringList
}

func newRepoFlags(name, defaultFormat string) *repoFlags {
	f := &repoFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard)
	f.format = f.fs.String("format", defaultFormat, "")
	f.fs.Var(&f.include, "include", "")
	return f
}

// parse reads the flags and the one DIR argument; flags may come after DIR.
func (f *repoFlags) parse(e *env, args []string, formats ...string) (string, bool) {
	var positional []string
	for {
		if err := f.fs.Parse(args); err != nil {
			fmt.Fprintf(e.stderr, "central-config %s: %v\n", f.fs.Name(), err)
			return "", false
		}
		args = f.fs.Args()
		if len(args) == 0 {
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if !slices.Contains(formats, *f.format) {
		fmt.Fprintf(e.stderr, "central-config %s: --format must be one of %s, not %q\n", f.fs.Name(), strings.Join(formats, ", "), *f.format)
		return "", false
	}
	if len(positional) != 1 {
		fmt.Fprintf(e.stderr, "central-config %s: give exactly one DIR (the config repository checkout)\n", f.fs.Name())
		return "", false
	}
	return positional[0], true
}

// mapDir reads and maps a folder with the rules and limits from config;
// listIgnored lists the files that produced nothing (validate). It also
// returns how many mapping rules the config holds.
func mapDir(e *env, path string, include []string, listIgnored bool) (*mapping.Result, int, error) {
	cfg, err := config.Load(e.configFiles, e.lookupEnv, e.log)
	if err != nil {
		return nil, 0, err
	}
	rules := cfg.CompiledRules
	src, err := dir.New(dir.Options{ID: "local", Path: path, Paths: include, MaxFileBytes: int64(cfg.Limits.MaxFileBytes)})
	if err != nil {
		return nil, 0, err
	}
	snap, err := src.Fetch(context.Background(), "")
	if err != nil {
		return nil, 0, err
	}
	return mapping.Map(snap, mapping.Options{SourceID: src.ID(), Rules: rules, Kinds: cfg.CheckKinds(), Limits: cfg.Limits.Document(), ListIgnored: listIgnored}), len(rules), nil
}

// mapRepo parses the flags and DIR as parse does and maps DIR as mapDir
// does, returning its result and how many mapping rules the config holds;
// false (a usage error) when either fails, said on stderr.
func (f *repoFlags) mapRepo(e *env, args []string, listIgnored bool, formats ...string) (*mapping.Result, int, bool) {
	dirPath, ok := f.parse(e, args, formats...)
	if !ok {
		return nil, 0, false
	}
	res, rules, err := mapDir(e, dirPath, f.include, listIgnored)
	if err != nil {
		fmt.Fprintf(e.stderr, "central-config %s: %v\n", f.fs.Name(), err)
		return nil, 0, false
	}
	return res, rules, true
}

// rulesHint is the line validate prints when files of no known shape were
// read without any mapping rule: the rules live in the engine's config, not
// in the repository, so validate applies them only with --config.
func rulesHint(e *env, res *mapping.Result, rules int) string {
	n := res.IgnoredCounts[mapping.IgnoredNoShape]
	if rules > 0 || n == 0 {
		return ""
	}
	where := "no --config given"
	if len(e.configFiles) > 0 {
		where = "the --config files have no centralConfig.rules"
	}
	return fmt.Sprintf("hint: no mapping rules applied (%s); %d %s of no known document shape may be meant for the rules in the engine's config: central-config --config app-config.yaml validate DIR",
		where, n, plural(n, "file", "files"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func validateCmd(e *env, args []string) int {
	f := newRepoFlags("validate", "text")
	verbose := f.fs.Bool("verbose", false, "")
	res, rules, ok := f.mapRepo(e, args, true, "text", "json", "github")
	if !ok {
		return exitUsage
	}
	entities, locations := published(res)
	hint := rulesHint(e, res, rules)
	switch *f.format {
	case "json":
		out := struct {
			Files    int `json:"files"`
			Ignored  int `json:"ignored"`
			Entities int `json:"entities"`
			// Locations counts the published Locations, apart from
			// entities, as the engine's status does.
			Locations int `json:"locations"`
			Errors    int `json:"errors"`
			Warnings  int `json:"warnings"`
			Infos     int `json:"infos"`
			// Rules counts the mapping rules applied (from --config).
			Rules int `json:"rules"`
			// IgnoredFiles lists every file that produced nothing, with
			// its reason; ignored counts them.
			IgnoredFiles []mapping.IgnoredFile `json:"ignoredFiles"`
			Diagnostics  diag.List             `json:"diagnostics"`
		}{len(res.Files), len(res.IgnoredFiles), entities, locations, res.Diagnostics.Count(diag.Error), res.Diagnostics.Count(diag.Warning),
			res.Diagnostics.Count(diag.Info), rules, res.IgnoredFiles, res.Diagnostics}
		if out.Diagnostics == nil {
			out.Diagnostics = diag.List{}
		}
		if out.IgnoredFiles == nil {
			out.IgnoredFiles = []mapping.IgnoredFile{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	case "github":
		// Infos become notices, which GitHub shows apart (and caps
		// apart) from errors and warnings.
		for _, d := range res.Diagnostics {
			fmt.Fprintln(e.stdout, d.GitHub())
		}
		writeSummary(e.stdout, res, entities, locations, *verbose)
		if hint != "" {
			fmt.Fprintln(e.stdout, hint)
		}
	default:
		for _, d := range res.Diagnostics {
			if d.Severity != diag.Info || *verbose {
				fmt.Fprintln(e.stdout, d.String())
			}
		}
		writeSummary(e.stdout, res, entities, locations, *verbose)
		if hint != "" {
			fmt.Fprintln(e.stdout, hint)
		}
	}
	if res.Diagnostics.HasErrors() {
		return 1
	}
	return 0
}

// published counts the entities a mapping publishes and, apart, its
// Locations.
func published(res *mapping.Result) (entities, locations int) {
	for _, e := range res.Entities() {
		if strings.EqualFold(e.Ref.Kind, "location") {
			locations++
		} else {
			entities++
		}
	}
	return entities, locations
}

// writeSummary prints the counts, then one line on the ignored files;
// verbose lists them, one per line, with the reason.
func writeSummary(w io.Writer, res *mapping.Result, entities, locations int, verbose bool) {
	line := fmt.Sprintf("%d files read, %d entities, %d errors, %d warnings",
		len(res.Files), entities, res.Diagnostics.Count(diag.Error), res.Diagnostics.Count(diag.Warning))
	if locations > 0 {
		line = fmt.Sprintf("%d files read, %d entities and %d locations, %d errors, %d warnings",
			len(res.Files), entities, locations, res.Diagnostics.Count(diag.Error), res.Diagnostics.Count(diag.Warning))
	}
	if n := res.Diagnostics.Count(diag.Info); n > 0 {
		line += fmt.Sprintf(", %d infos", n)
		if !verbose {
			line += " (--verbose shows them)"
		}
	}
	fmt.Fprintln(w, line)
	if len(res.IgnoredFiles) == 0 {
		return
	}
	order := []string{mapping.IgnoredNoShape, mapping.IgnoredKubernetes, mapping.IgnoredNotConfig, mapping.IgnoredOutsidePaths, mapping.IgnoredTooLarge}
	for _, reason := range slices.Sorted(maps.Keys(res.IgnoredCounts)) {
		if !slices.Contains(order, reason) {
			order = append(order, reason)
		}
	}
	var parts []string
	for _, reason := range order {
		if n := res.IgnoredCounts[reason]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, reason))
		}
	}
	line = fmt.Sprintf("%d files ignored (%s)", len(res.IgnoredFiles), strings.Join(parts, ", "))
	if !verbose {
		line += "; --verbose lists them"
	}
	fmt.Fprintln(w, line)
	if verbose {
		for _, f := range res.IgnoredFiles {
			fmt.Fprintf(w, "  %s: ignored: %s\n", diag.Printable(f.Path), f.Reason)
		}
	}
}

func renderCmd(e *env, args []string) int {
	f := newRepoFlags("render", "yaml")
	res, _, ok := f.mapRepo(e, args, false, "yaml", "json")
	if !ok {
		return exitUsage
	}
	for _, d := range res.Diagnostics {
		fmt.Fprintln(e.stderr, d.String())
	}
	entities := make([]map[string]any, 0)
	for _, ent := range res.Entities() {
		entities = append(entities, ent.Object)
	}
	if err := writeEntities(e.stdout, *f.format, entities); err != nil {
		fmt.Fprintf(e.stderr, "central-config render: %v\n", err)
		return 1
	}
	if res.Diagnostics.HasErrors() {
		return 1
	}
	return 0
}

func writeEntities(w io.Writer, format string, entities []map[string]any) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"entities": entities})
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	for _, ent := range entities {
		if err := enc.Encode(ent); err != nil {
			return errors.Join(err, enc.Close())
		}
	}
	return enc.Close()
}
