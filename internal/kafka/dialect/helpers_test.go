package dialect_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// readFixtures reads fixture files (paths relative to the fixtures
// folder) as one repository; documents carry the relative path as file.
func readFixtures(t *testing.T, rels ...string) (*kafka.Topology, diag.List, []*document.Document) {
	t.Helper()
	root := kafkatest.Fixtures(t)
	var docs []*document.Document
	for _, rel := range rels {
		docs = append(docs, kafkatest.DecodeFile(t, filepath.Join(root, filepath.FromSlash(rel)), rel)...)
	}
	top, diags := dialect.Read(docs)
	return top, diags, docs
}

// readTexts reads files given as name/text pairs.
func readTexts(t *testing.T, files ...string) (*kafka.Topology, diag.List) {
	t.Helper()
	var docs []*document.Document
	for i := 0; i+1 < len(files); i += 2 {
		docs = append(docs, kafkatest.Decode(t, files[i], files[i+1])...)
	}
	return dialect.Read(docs)
}

func wantCluster(t *testing.T, top *kafka.Topology, name string, brokers int, version, bootstrap string) *kafka.Cluster {
	t.Helper()
	c := top.Cluster(name)
	if c == nil {
		t.Fatalf("no cluster %s; have %v", name, clusterNames(top))
	}
	if c.Brokers != brokers || c.Version != version || c.Bootstrap != bootstrap {
		t.Fatalf("cluster %s: brokers %d version %q bootstrap %q, want %d %q %q", name, c.Brokers, c.Version, c.Bootstrap, brokers, version, bootstrap)
	}
	return c
}

func clusterNames(top *kafka.Topology) []string {
	var out []string
	for _, c := range top.Clusters {
		out = append(out, c.Name)
	}
	return out
}

func wantTopic(t *testing.T, top *kafka.Topology, cluster, name string, partitions, replicas int) *kafka.Topic {
	t.Helper()
	tp := top.Topic(cluster, name)
	if tp == nil {
		t.Fatalf("no topic %s; have %v", kafka.TopicKey{Cluster: cluster, Name: name}, topicNames(top))
	}
	if tp.Partitions != partitions || tp.Replicas != replicas {
		t.Fatalf("topic %s: partitions %d replicas %d, want %d %d", tp.Key(), tp.Partitions, tp.Replicas, partitions, replicas)
	}
	return tp
}

func topicNames(top *kafka.Topology) []string {
	var out []string
	for _, tp := range top.Topics {
		out = append(out, tp.Key().String())
	}
	return out
}

func wantApp(t *testing.T, top *kafka.Topology, name string, kind kafka.Kind, principal string) *kafka.Application {
	t.Helper()
	a := top.Application(name)
	if a == nil {
		var names []string
		for _, a := range top.Applications {
			names = append(names, a.Name)
		}
		t.Fatalf("no application %s; have %v", name, names)
	}
	if a.Kind != kind || a.Principal != principal {
		t.Fatalf("application %s: kind %s principal %q, want %s %q", name, a.Kind, a.Principal, kind, principal)
	}
	return a
}

// wantRefs checks the exact set of topics of a produces or consumes list
// (cluster/name, or name alone), and which of them are declared: a name
// ending in "?" is a reference to an undeclared topic.
func wantRefs(t *testing.T, what string, refs []kafka.TopicRef, want ...string) {
	t.Helper()
	got := kafkatest.RefKeys(refs)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func wantGroups(t *testing.T, a *kafka.Application, groups ...string) {
	t.Helper()
	if !slices.Equal(a.ConsumerGroups, groups) {
		t.Fatalf("application %s: consumer groups %v, want %v", a.Name, a.ConsumerGroups, groups)
	}
}

func noErrors(t *testing.T, diags diag.List) {
	t.Helper()
	if errs := kafkatest.Errors(diags); len(errs) > 0 {
		t.Fatalf("unexpected errors:\n%s", kafkatest.Render(errs))
	}
}
