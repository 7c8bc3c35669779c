package kafka_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

func src(file string, line, col int) kafka.Source {
	return kafka.Source{File: file, Pos: document.Pos{Line: line, Column: col}, Dialect: kafka.DialectNative}
}

func wantRefs(t *testing.T, what string, got []kafka.TopicRef, want ...string) {
	t.Helper()
	if g := kafkatest.RefKeys(got); !slices.Equal(g, want) {
		t.Fatalf("%s: got %v, want %v", what, g, want)
	}
}

func topics(cluster string, names ...string) []kafka.Topic {
	var out []kafka.Topic
	for i, n := range names {
		out = append(out, kafka.Topic{Cluster: cluster, Name: n, Source: src("topics.yaml", i+1, 3)})
	}
	return out
}

// TestACLsResolveAgainstEveryKnownTopic: literal, prefixed and * ACLs,
// with and without a cluster, against topics declared in other fragments.
func TestACLsResolveAgainstEveryKnownTopic(t *testing.T) {
	app := kafka.Application{Name: "app", Kind: kafka.KindService, Source: src("app.yaml", 1, 1)}
	app.Grant(kafka.ACL{Cluster: "a", Pattern: "orders.", PatternType: kafka.Prefixed, Access: kafka.Consume, Source: src("app.yaml", 2, 3)})
	app.Grant(kafka.ACL{Cluster: "b", Pattern: "*", PatternType: kafka.Literal, Access: kafka.Produce, Source: src("app.yaml", 3, 3)})
	app.Grant(kafka.ACL{Pattern: "shared", PatternType: kafka.Literal, Access: kafka.Consume, Source: src("app.yaml", 4, 3)})
	app.Grant(kafka.ACL{Pattern: "missing", PatternType: kafka.Literal, Access: kafka.Consume, Source: src("app.yaml", 5, 3)})
	app.Grant(kafka.ACL{Pattern: "nothing.", PatternType: kafka.Prefixed, Access: kafka.Produce, Source: src("app.yaml", 6, 3)})
	app.Grant(kafka.ACL{Cluster: "a", Pattern: "orders.created", PatternType: kafka.Literal, Access: kafka.Consume, Source: src("app.yaml", 7, 3)})
	frag1 := &kafka.Topology{Topics: append(topics("a", "orders.created", "orders.cancelled", "ordersx", "shared"), topics("b", "b1", "shared")...)}
	frag2 := &kafka.Topology{Applications: []kafka.Application{app}}
	top, diags := kafka.Merge(frag2, frag1)
	a := top.Application("app")
	// orders.created is matched by the prefix and by a literal ACL: once.
	wantRefs(t, "consumes", a.Consumes, "missing?", "a/orders.cancelled", "a/orders.created", "a/shared", "b/shared")
	wantRefs(t, "produces", a.Produces, "b/b1", "b/shared")
	if r := a.Consumes[1]; r.Pattern != "orders." || r.PatternType != kafka.Prefixed || r.Source != src("app.yaml", 2, 3) {
		t.Fatalf("the ref keeps the ACL it comes from: %+v", r)
	}
	if len(diags) != 2 {
		t.Fatalf("want 2 warnings, got %v", diags)
	}
	for i, want := range []struct {
		line     int
		fragment string
	}{{5, `app consumes topic missing, which no document declares`}, {6, `app produces to every topic starting with "nothing.", which matches no declared topic`}} {
		d := diags[i]
		if d.File != "app.yaml" || d.Line != want.line || d.Column != 3 || d.Severity != diag.Warning || d.Code != diag.CodeDanglingRef || d.Message != want.fragment {
			t.Fatalf("diagnostic %d: %v", i, d)
		}
	}
	if len(a.ACLs) != 6 {
		t.Fatalf("the ACLs are kept as written: %+v", a.ACLs)
	}
}

func TestACLMatches(t *testing.T) {
	k := kafka.TopicKey{Cluster: "c", Name: "orders.v1"}
	for _, c := range []struct {
		acl  kafka.ACL
		want bool
	}{
		{kafka.ACL{Pattern: "orders.v1", PatternType: kafka.Literal}, true},
		{kafka.ACL{Pattern: "orders.v", PatternType: kafka.Literal}, false},
		{kafka.ACL{Pattern: "orders.", PatternType: kafka.Prefixed}, true},
		{kafka.ACL{Pattern: "orders.v1", PatternType: kafka.Prefixed}, true},
		{kafka.ACL{Pattern: "orders.v12", PatternType: kafka.Prefixed}, false},
		{kafka.ACL{Pattern: "*", PatternType: kafka.Literal}, true},
		{kafka.ACL{Pattern: "*", PatternType: kafka.Prefixed}, false}, // a prefix "*" is a name starting with *
		{kafka.ACL{Cluster: "c", Pattern: "*", PatternType: kafka.Literal}, true},
		{kafka.ACL{Cluster: "d", Pattern: "*", PatternType: kafka.Literal}, false},
	} {
		if got := c.acl.Matches(k); got != c.want {
			t.Errorf("%+v matches %v: %v, want %v", c.acl, k, got, c.want)
		}
	}
}

// TestMergeCombinesDeclarations: identical declarations merge silently,
// missing fields are filled, applications combine, the most specific kind
// wins, and the fragments are left as they were.
func TestMergeCombinesDeclarations(t *testing.T) {
	a1 := kafka.Application{Name: "app0", Principal: "User:App0", Kind: kafka.KindService, Source: src("a.yaml", 1, 1), ConsumerGroups: []string{"g2"}}
	a1.Grant(kafka.ACL{Pattern: "t1", PatternType: kafka.Literal, Access: kafka.Consume, Source: src("a.yaml", 2, 1)})
	a2 := kafka.Application{Name: "app0", Kind: kafka.KindStream, Owner: "team", Service: "svc", Source: src("b.yaml", 1, 1),
		ConsumerGroups: []string{"g1", "g2"}, Fields: map[string]kafka.Source{"owner": src("b.yaml", 4, 10)}}
	a2.Grant(kafka.ACL{Pattern: "t2", PatternType: kafka.Literal, Access: kafka.Produce, Source: src("b.yaml", 2, 1)})
	a3 := kafka.Application{Name: "app0", Kind: kafka.KindUser, Source: src("c.yaml", 1, 1)}
	f1 := &kafka.Topology{
		Topics:       []kafka.Topic{{Name: "t1", Partitions: 3, Config: map[string]string{"retention.ms": "1"}, Source: src("a.yaml", 5, 3)}},
		Applications: []kafka.Application{a1},
	}
	f2 := &kafka.Topology{
		Topics: []kafka.Topic{
			{Name: "t1", Partitions: 3, Replicas: 2, Owner: "team", Config: map[string]string{"retention.ms": "1", "cleanup.policy": "compact"}, Source: src("b.yaml", 5, 3)},
			{Name: "t2", Source: src("b.yaml", 9, 3)},
		},
		Applications: []kafka.Application{a2, a3},
	}
	top, diags := kafka.Merge(f1, nil, f2)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	tp := top.Topic("", "t1")
	if tp.Partitions != 3 || tp.Replicas != 2 || tp.Owner != "team" || len(tp.Config) != 2 || tp.Source.File != "a.yaml" {
		t.Fatalf("topic %+v", tp)
	}
	if tp.Fields["replicas"].File != "b.yaml" {
		t.Fatalf("a filled field remembers where it comes from: %+v", tp.Fields)
	}
	a := top.Application("app0")
	if a.Kind != kafka.KindStream || a.Owner != "team" || a.Service != "svc" || a.Principal != "User:App0" || a.Source.File != "a.yaml" {
		t.Fatalf("application %+v", a)
	}
	if !slices.Equal(a.ConsumerGroups, []string{"g1", "g2"}) || len(a.ACLs) != 2 {
		t.Fatalf("groups %v ACLs %v", a.ConsumerGroups, a.ACLs)
	}
	wantRefs(t, "consumes", a.Consumes, "t1")
	wantRefs(t, "produces", a.Produces, "t2")
	if len(f1.Topics[0].Config) != 1 || len(f1.Applications[0].ACLs) != 1 || f1.Applications[0].Consumes != nil || f1.Topics[0].Fields != nil {
		t.Fatal("Merge modified a fragment")
	}
	if !slices.IsSortedFunc(top.Topics, func(a, b kafka.Topic) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("topics are not sorted")
	}
}

// TestConflictsNameBothPositions: a conflict is reported at both
// declarations, at the field when its position is known; a value filled
// from a second file is attributed to that file when a third disagrees.
func TestConflictsNameBothPositions(t *testing.T) {
	f := func(file string, partitions, replicas int) *kafka.Topology {
		tp := kafka.Topic{Cluster: "c", Name: "t", Partitions: partitions, Replicas: replicas, Source: src(file, 1, 3), Fields: map[string]kafka.Source{}}
		if partitions > 0 {
			tp.Fields["partitions"] = src(file, 2, 17)
		}
		if replicas > 0 {
			tp.Fields["replicas"] = src(file, 3, 15)
		}
		return &kafka.Topology{Topics: []kafka.Topic{tp}}
	}
	_, diags := kafka.Merge(f("one.yaml", 6, 0), f("two.yaml", 0, 3), f("three.yaml", 6, 2))
	diags.Sort()
	want := []string{
		"three.yaml:3:15: error: topic c/t: replicas is 2 here but 3 at two.yaml:3:15 [kafka-conflict]",
		"two.yaml:3:15: error: topic c/t: replicas is 3 here but 2 at three.yaml:3:15 [kafka-conflict]",
	}
	if len(diags) != len(want) {
		t.Fatalf("got %v", diags)
	}
	for i, d := range diags {
		if d.String() != want[i] {
			t.Fatalf("got  %s\nwant %s", d, want[i])
		}
	}
	_, diags = kafka.Merge(&kafka.Topology{Clusters: []kafka.Cluster{{Name: "c", Version: "3.9", Source: src("x.yaml", 1, 1)}}},
		&kafka.Topology{Clusters: []kafka.Cluster{{Name: "c", Version: "4.0", Source: src("y.yaml", 7, 1)}}})
	if len(diags) != 2 || diags[0].Message != "cluster c: version is 3.9 here but 4.0 at y.yaml:7:1" || diags[0].File != "x.yaml" {
		t.Fatalf("cluster conflict: %v", diags)
	}
	// Descriptions that differ are not a conflict: the first is kept.
	top, diags := kafka.Merge(&kafka.Topology{Topics: []kafka.Topic{{Name: "t", Description: "one", Source: src("x.yaml", 1, 1)}}},
		&kafka.Topology{Topics: []kafka.Topic{{Name: "t", Description: "two", Source: src("y.yaml", 1, 1)}}})
	if len(diags) != 0 || top.Topics[0].Description != "one" {
		t.Fatalf("%v %+v", diags, top.Topics)
	}
}

// TestBrokersComeFromBrokerNodePools: the pools with the broker role of a
// cluster add up, wherever they are declared, and override the Kafka's
// own replicas; controller-only pools do not count.
func TestBrokersComeFromBrokerNodePools(t *testing.T) {
	kafkaCR := &kafka.Topology{Clusters: []kafka.Cluster{{Name: "c", Brokers: 9, Source: src("kafka.yaml", 1, 1)}}}
	pools := &kafka.Topology{NodePools: []kafka.NodePool{
		{Cluster: "c", Name: "brokers-a", Replicas: 3, Roles: []string{"broker"}, Source: src("pools.yaml", 1, 1)},
		{Cluster: "c", Name: "brokers-b", Replicas: 2, Roles: []string{"broker", "controller"}, Source: src("pools.yaml", 20, 1)},
		{Cluster: "c", Name: "controllers", Replicas: 3, Roles: []string{"controller"}, Source: src("pools.yaml", 40, 1)},
		{Cluster: "other", Name: "lonely", Replicas: 1, Roles: []string{"broker"}, Source: src("pools.yaml", 60, 1)},
	}}
	top, diags := kafka.Merge(pools, kafkaCR)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if c := top.Cluster("c"); c.Brokers != 5 || c.Fields["brokers"] != src("pools.yaml", 1, 1) {
		t.Fatalf("cluster %+v", c)
	}
	if top.Cluster("other") != nil || len(top.NodePools) != 4 {
		t.Fatal("a pool does not declare a cluster, and is kept")
	}
	// The same pool declared twice with other replicas is a conflict.
	_, diags = kafka.Merge(pools, &kafka.Topology{NodePools: []kafka.NodePool{
		{Cluster: "c", Name: "brokers-a", Replicas: 4, Roles: []string{"broker"}, Source: src("more.yaml", 1, 1)}}})
	if len(diags) != 2 || !strings.Contains(diags[0].Message, "node pool brokers-a of cluster c") {
		t.Fatalf("pool conflict: %v", diags)
	}
}

func TestMergeOfNothing(t *testing.T) {
	top, diags := kafka.Merge()
	if top == nil || !top.Empty() || diags != nil {
		t.Fatal(top, diags)
	}
	top, _ = kafka.Merge(nil, &kafka.Topology{})
	if !top.Empty() {
		t.Fatal(top)
	}
}

func TestNameFromPrincipal(t *testing.T) {
	for in, want := range map[string]string{
		"User:App0":                         "App0",
		"User:CN=order-service":             "order-service",
		"User:CN=order-service,O=acme,C=FR": "order-service",
		"ServiceAccount:sa-123":             "sa-123",
		"User:63002":                        "63002",
		"App0":                              "App0",
		"CN=x,OU=y":                         "x",
		" User:spaced ":                     "spaced",
		"User:":                             "",
	} {
		if got := kafka.NameFromPrincipal(in); got != want {
			t.Errorf("NameFromPrincipal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTopicKeyString(t *testing.T) {
	if s := (kafka.TopicKey{Cluster: "c", Name: "t"}).String(); s != "c/t" {
		t.Fatal(s)
	}
	if s := (kafka.TopicKey{Name: "t"}).String(); s != "t" {
		t.Fatal(s)
	}
}
