// Command genrepo writes a synthetic config repository of N entities in the
// central-config format, for benchmarks and the validity oracle.
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
	for _, f := range testrepo.Generate(*n) {
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
