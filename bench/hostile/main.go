// Command hostile writes a config repository with one of the hostile files
// of the hardening issue (or all of them) next to good files, to try the
// engine on it by hand; the black-box tests (test/blackbox/hostile_test.go)
// and `make bench SECTIONS=hostile` use the same files.
//
//	go run ./bench/hostile -list
//	go run ./bench/hostile -case deep-lists -out /tmp/hostile-repo
//	go run ./bench/hostile -case all -entities 200 -out /tmp/hostile-repo
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/central-config/central-config/internal/testrepo"
)

func main() {
	name := flag.String("case", "", "the hostile file to write: a case name (see -list), or all")
	n := flag.Int("entities", 200, "about how many good entities to write next to it (testrepo.Generate); 0 for none")
	out := flag.String("out", "", "folder to write the repository to (must not exist, or be empty)")
	list := flag.Bool("list", false, "list the cases")
	flag.Parse()
	if *list {
		for _, c := range testrepo.HostileCases() {
			fmt.Printf("%-12s %s: %s\n", c.Name, c.Path, strings.ReplaceAll(c.Title, "`", ""))
		}
		return
	}
	if *name == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "hostile: -case and -out are required (-list lists the cases)")
		os.Exit(2)
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		fmt.Fprintf(os.Stderr, "hostile: %s is not empty\n", *out)
		os.Exit(2)
	}
	var cases []testrepo.HostileCase
	if *name == "all" {
		cases = testrepo.HostileCases()
	} else {
		c, ok := testrepo.HostileCaseNamed(*name)
		if !ok {
			fmt.Fprintf(os.Stderr, "hostile: no case %q (-list lists them)\n", *name)
			os.Exit(2)
		}
		cases = []testrepo.HostileCase{c}
	}
	if *n > 0 {
		if err := testrepo.WriteFiles(*out, testrepo.Generate(*n)); err != nil {
			fail(err)
		}
	}
	for _, c := range cases {
		if err := c.Write(*out); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostile:", err)
	os.Exit(1)
}
