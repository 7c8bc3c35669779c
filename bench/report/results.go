package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Results are the benchmark results of every section, read from the
// results folder (one benchfmt file per section).
type Results struct {
	// Sections by name: the results of the section's last run.
	Sections map[string]*Section
}

// Section is one results file.
type Section struct {
	// Config holds the file's configuration lines (date, commit, machine,
	// cpu, ...), the first value of each key.
	Config map[string]string
	// Runs holds, per benchmark name (without the GOMAXPROCS suffix), one
	// entry per result line in file order: the run's values by unit.
	Runs map[string][]map[string]float64
	// Names lists the benchmark names in the order first seen.
	Names []string
	// Invocations counts the runs of the section saved in the file (one,
	// plus one per later run added to it).
	Invocations int
}

// ReadResults reads every <section>.txt file of dir.
func ReadResults(dir string) (*Results, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	res := &Results{Sections: map[string]*Section{}}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		s, err := readSection(bytes.NewReader(raw), p)
		if err != nil {
			return nil, err
		}
		s.Invocations = strings.Count("\n"+string(raw), "\ndate: ")
		res.Sections[strings.TrimSuffix(filepath.Base(p), ".txt")] = s
	}
	return res, nil
}

func readSection(r io.Reader, name string) (*Section, error) {
	s := &Section{Config: map[string]string{}, Runs: map[string][]map[string]float64{}}
	rd := benchfmt.NewReader(r, name)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if _, ok := s.Config[c.Key]; !ok {
					s.Config[c.Key] = string(c.Value)
				}
			}
			base, parts := rec.Name.Parts()
			full := string(base)
			for _, p := range parts {
				if len(p) > 0 && p[0] == '-' {
					continue // GOMAXPROCS
				}
				full += string(p)
			}
			values := map[string]float64{}
			for _, v := range rec.Values {
				// The Reader tidies units (ns/op to sec/op, MB/s to
				// B/s); the benchmarks' own units are the ones to use.
				unit, value := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, value = v.OrigUnit, v.OrigValue
				}
				values[unit] = value
			}
			if _, ok := s.Runs[full]; !ok {
				s.Names = append(s.Names, full)
			}
			s.Runs[full] = append(s.Runs[full], values)
		case *benchfmt.SyntaxError:
			return nil, rec
		}
	}
	return s, rd.Err()
}

// Stat summarises one metric over runs.
type Stat struct {
	Median, Min, Max float64
	N                int
}

// Valid is false when no run reported the metric.
func (s Stat) Valid() bool { return s.N > 0 }

// Summarize returns the median, min and max of values.
func Summarize(values []float64) Stat {
	if len(values) == 0 {
		return Stat{}
	}
	v := slices.Clone(values)
	slices.Sort(v)
	med := v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return Stat{Median: med, Min: v[0], Max: v[len(v)-1], N: len(v)}
}

// Values returns a metric's values over the runs of a benchmark of a
// section (none when absent).
func (r *Results) Values(section, name, unit string) []float64 {
	s := r.Sections[section]
	if s == nil {
		return nil
	}
	var out []float64
	for _, run := range s.Runs[name] {
		if v, ok := run[unit]; ok {
			out = append(out, v)
		}
	}
	return out
}

// Stat summarises a metric over the runs of a benchmark.
func (r *Results) Stat(section, name, unit string) Stat {
	return Summarize(r.Values(section, name, unit))
}

// Ratio summarises num/den computed run by run (the i-th run of one
// benchmark with the i-th of the other: runs of the same invocation), over
// the passes that measured both.
func (r *Results) Ratio(section, numName, numUnit, denName, denUnit string) Stat {
	var ratios []float64
	for _, p := range r.pairs(section, numName, numUnit, denName, denUnit) {
		if p[1] != 0 {
			ratios = append(ratios, p[0]/p[1])
		}
	}
	return Summarize(ratios)
}

// pairs returns (a, b) for every pass i whose i-th run of each benchmark
// reported the unit.
func (r *Results) pairs(section, aName, aUnit, bName, bUnit string) [][2]float64 {
	s := r.Sections[section]
	if s == nil {
		return nil
	}
	a, b := s.Runs[aName], s.Runs[bName]
	var out [][2]float64
	for i := range min(len(a), len(b)) {
		x, okA := a[i][aUnit]
		y, okB := b[i][bUnit]
		if okA && okB {
			out = append(out, [2]float64{x, y})
		}
	}
	return out
}

// Sum adds two metrics of one benchmark run by run.
func (r *Results) Sum(section, name, unitA, unitB string) []float64 {
	var out []float64
	for _, p := range r.pairs(section, name, unitA, name, unitB) {
		out = append(out, p[0]+p[1])
	}
	return out
}

// Format writes a figure with a sensible number of digits: 3 significant
// digits below 1000, thousands separated above.
func Format(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1000:
		return thousands(math.Round(v))
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// String is "median (min-max)", or the value alone for one run, or "n/a".
func (s Stat) String() string {
	switch {
	case s.N == 0:
		return "n/a"
	case s.N == 1 || s.Min == s.Max:
		return Format(s.Median)
	default:
		return fmt.Sprintf("%s (%s–%s)", Format(s.Median), Format(s.Min), Format(s.Max))
	}
}

// With is String with a unit after it, or "n/a" alone.
func (s Stat) With(unit string) string {
	if s.N == 0 {
		return "n/a"
	}
	return s.String() + " " + unit
}

// Scaled returns s with every figure multiplied by k (units).
func (s Stat) Scaled(k float64) Stat {
	return Stat{Median: s.Median * k, Min: s.Min * k, Max: s.Max * k, N: s.N}
}
