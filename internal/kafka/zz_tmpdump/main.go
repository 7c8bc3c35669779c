package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka/dialect"
)

func main() {
	var docs []*document.Document
	for _, f := range os.Args[1:] {
		data, _ := os.ReadFile(f)
		ds, d := document.Decode(filepath.Base(f), data, document.Limits{})
		if d != nil {
			fmt.Println("DECODE", d)
		}
		docs = append(docs, ds...)
	}
	t, diags := dialect.Read(docs)
	for _, d := range diags {
		fmt.Println(d)
	}
	if os.Getenv("JSON") != "" {
		b, _ := json.MarshalIndent(t, "", " ")
		fmt.Println(string(b))
	}
	fmt.Printf("clusters=%d topics=%d apps=%d producers=%d consumers=%d pools=%d\n", len(t.Clusters), len(t.Topics), len(t.Applications), len(t.Producers()), len(t.Consumers()), len(t.NodePools))
	for _, c := range t.Clusters {
		fmt.Printf("  cluster %s brokers=%d version=%s bootstrap=%s\n", c.Name, c.Brokers, c.Version, c.Bootstrap)
	}
	for _, tp := range t.Topics {
		fmt.Printf("  topic %s p=%d r=%d cfg=%v owner=%s\n", tp.Key(), tp.Partitions, tp.Replicas, tp.Config, tp.Owner)
	}
	for _, a := range t.Applications {
		fmt.Printf("  app %s kind=%s principal=%s groups=%v\n", a.Name, a.Kind, a.Principal, a.ConsumerGroups)
		for _, r := range a.Produces {
			fmt.Printf("     P %s declared=%v\n", r.Key(), r.Declared)
		}
		for _, r := range a.Consumes {
			fmt.Printf("     C %s declared=%v\n", r.Key(), r.Declared)
		}
	}
}
