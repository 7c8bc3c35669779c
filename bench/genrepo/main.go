// Command genrepo writes a synthetic config repository of N entities in the
// central-config format, for benchmarks and the validity oracle, and
// optionally a Kafka topology (--kafka-topics, --kafka-apps).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/central-config/central-config/internal/testrepo"
)

func main() {
	n := flag.Int("entities", 1000, "about how many entities to generate")
	topics := flag.Int("kafka-topics", 0, "also write kafka/topology.yaml with this many topics (e.g. 5000)")
	apps := flag.Int("kafka-apps", 1000, "applications of that topology")
	out := flag.String("out", "", "folder to write (replaced)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genrepo: --out is required")
		os.Exit(2)
	}
	if err := os.RemoveAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, "genrepo:", err)
		os.Exit(1)
	}
	files := testrepo.Generate(*n)
	if *topics > 0 {
		files = append(files, testrepo.GenerateKafka(*topics, *apps, testrepo.Teams(*n)))
	}
	for _, f := range files {
		p := filepath.Join(*out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "genrepo:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genrepo:", err)
			os.Exit(1)
		}
	}
}
