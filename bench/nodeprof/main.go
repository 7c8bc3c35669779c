// Command nodeprof summarises a V8 CPU profile (what `node --cpu-prof`
// writes, a .cpuprofile JSON file) by where the time went: self time per
// package (node_modules/<package>, our plugins, Node itself), optionally in
// a window of the profile's time, with the top functions of each.
//
//	go run ./bench/nodeprof -from 10s -to 140s backend.cpuprofile
//
// The Backstage benchmarks write such profiles with
// BENCH_BACKEND_CPU_PROF=DIR (see docs/benchmarks.md).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// profile is the part of V8's CPU profile format this reads.
type profile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
			LineNumber   int    `json:"lineNumber"`
		} `json:"callFrame"`
	} `json:"nodes"`
	StartTime  int64   `json:"startTime"` // µs
	EndTime    int64   `json:"endTime"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"` // µs, before each sample
}

var pkgPattern = regexp.MustCompile(`node_modules/((?:@[^/]+/)?[^/]+)`)

// packageOf names where a frame's code lives.
func packageOf(url, fn string) string {
	switch {
	case url == "":
		if fn == "(garbage collector)" || fn == "(idle)" || fn == "(program)" {
			return fn
		}
		return "(native)"
	case strings.HasPrefix(url, "node:"):
		return "node (" + strings.TrimPrefix(url, "node:") + ")"
	}
	if m := pkgPattern.FindAllStringSubmatch(url, -1); m != nil {
		return m[len(m)-1][1]
	}
	if i := strings.Index(url, "/plugins/"); i >= 0 {
		rest := url[i+len("/plugins/"):]
		return "plugins/" + strings.SplitN(rest, "/", 2)[0]
	}
	if i := strings.Index(url, "/packages/"); i >= 0 {
		rest := url[i+len("/packages/"):]
		return "packages/" + strings.SplitN(rest, "/", 2)[0]
	}
	return url
}

func main() {
	from := flag.Duration("from", 0, "start of the window, from the profile's start")
	to := flag.Duration("to", 0, "end of the window (0: the profile's end)")
	top := flag.Int("top", 15, "packages to list")
	fns := flag.Int("functions", 3, "top functions to list per package")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: nodeprof [-from D] [-to D] FILE.cpuprofile")
		os.Exit(2)
	}
	raw, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodeprof:", err)
		os.Exit(1)
	}
	var p profile
	if err := json.Unmarshal(raw, &p); err != nil {
		fmt.Fprintln(os.Stderr, "nodeprof:", flag.Arg(0), "is not a V8 CPU profile:", err)
		os.Exit(1)
	}
	fmt.Print(summarize(&p, *from, *to, *top, *fns))
}

// summarize attributes each sample's time (the delta to the next sample)
// to the package and function of its frame, inside [from, to).
func summarize(p *profile, from, to time.Duration, top, fns int) string {
	type frame struct{ pkg, fn string }
	frames := map[int]frame{}
	for _, n := range p.Nodes {
		fn := n.CallFrame.FunctionName
		if fn == "" {
			fn = "(anonymous)"
		}
		pkg := packageOf(n.CallFrame.URL, n.CallFrame.FunctionName)
		if n.CallFrame.URL != "" {
			fn = fmt.Sprintf("%s %s:%d", fn, shortURL(n.CallFrame.URL), n.CallFrame.LineNumber+1)
		}
		frames[n.ID] = frame{pkg, fn}
	}
	byPkg := map[string]time.Duration{}
	byFn := map[string]map[string]time.Duration{}
	var total, busy time.Duration
	var at time.Duration
	for i, id := range p.Samples[:min(len(p.Samples), len(p.TimeDeltas))] {
		at += time.Duration(p.TimeDeltas[i]) * time.Microsecond
		var d time.Duration
		if i+1 < len(p.TimeDeltas) {
			d = time.Duration(p.TimeDeltas[i+1]) * time.Microsecond
		}
		if at < from || (to > 0 && at >= to) {
			continue
		}
		f := frames[id]
		total += d
		if f.pkg != "(idle)" {
			busy += d
		}
		byPkg[f.pkg] += d
		if byFn[f.pkg] == nil {
			byFn[f.pkg] = map[string]time.Duration{}
		}
		byFn[f.pkg][f.fn] += d
	}
	pkgs := make([]string, 0, len(byPkg))
	for k := range byPkg {
		if k != "(idle)" {
			pkgs = append(pkgs, k)
		}
	}
	sort.Slice(pkgs, func(i, j int) bool { return byPkg[pkgs[i]] > byPkg[pkgs[j]] })
	var b strings.Builder
	fmt.Fprintf(&b, "window %s: %s on CPU of %s (%.0f%%)\n\n", window(from, to), busy.Round(time.Millisecond), total.Round(time.Millisecond), 100*busy.Seconds()/max(total.Seconds(), 1e-9))
	fmt.Fprintf(&b, "| Where (self time) | CPU | Share of busy | Top functions |\n|---|---:|---:|---|\n")
	for _, k := range pkgs[:min(top, len(pkgs))] {
		names := make([]string, 0, len(byFn[k]))
		for n := range byFn[k] {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return byFn[k][names[i]] > byFn[k][names[j]] })
		var tops []string
		for _, n := range names[:min(fns, len(names))] {
			tops = append(tops, fmt.Sprintf("`%s` %.1f s", n, byFn[k][n].Seconds()))
		}
		fmt.Fprintf(&b, "| %s | %.1f s | %.0f%% | %s |\n", k, byPkg[k].Seconds(), 100*byPkg[k].Seconds()/max(busy.Seconds(), 1e-9), strings.Join(tops, "; "))
	}
	return b.String()
}

func window(from, to time.Duration) string {
	if to == 0 {
		return fmt.Sprintf("from %s to the end", from)
	}
	return fmt.Sprintf("%s to %s", from, to)
}

// shortURL keeps the last two path elements.
func shortURL(u string) string {
	parts := strings.Split(u, "/")
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}
