package dialect_test

import (
	"path"
	"slices"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// fixture is what one public fixture file reads into, counted by hand from
// the file (see the comments): the numbers of clusters, topics,
// applications, producers and consumers (applications with at least one
// topic to write or read), of dangling-ref warnings (ACLs on topics the
// file does not declare), and checks of concrete names.
type fixture struct {
	clusters, topics, apps, producers, consumers, dangling int
	check                                                  func(t *testing.T, top *kafka.Topology, docs []*document.Document)
}

// julieBasic checks the shape shared by the JulieOps examples that have a
// project with consumers App0 and App1, a stream App0 (reads topicA,
// topicB; writes topicC, topicD), connectors Connect1 (reads topicA,
// topicB) and Connect2 (writes topicC, topicD), and two project topics.
func julieBasic(prefix string) func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
	return func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		foo, bar := prefix+".foo", prefix+".bar.avro"
		a := wantApp(t, top, "App0", kafka.KindStream, "User:App0")
		wantRefs(t, "App0 consumes", a.Consumes, foo, bar, "topicA?", "topicB?")
		wantRefs(t, "App0 produces", a.Produces, "topicC?", "topicD?")
		a = wantApp(t, top, "App1", kafka.KindService, "User:App1")
		wantRefs(t, "App1 consumes", a.Consumes, foo, bar)
		wantRefs(t, "App1 produces", a.Produces)
		a = wantApp(t, top, "Connect1", kafka.KindConnector, "User:Connect1")
		wantRefs(t, "Connect1 consumes", a.Consumes, "topicA?", "topicB?")
		a = wantApp(t, top, "Connect2", kafka.KindConnector, "User:Connect2")
		wantRefs(t, "Connect2 produces", a.Produces, "topicC?", "topicD?")
	}
}

var fixtures = map[string]fixture{
	// --- Strimzi ---
	// One Kafka with spec.kafka.replicas 3, version 2.7.0, no namespace.
	"strimzi/kafka-ephemeral.yaml": {clusters: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		c := wantCluster(t, top, "my-cluster", 3, "2.7.0", "")
		if c.Source.Pos != (document.Pos{Line: 1, Column: 1}) || c.Source.Dialect != kafka.DialectStrimzi {
			t.Fatalf("cluster source %+v", c.Source)
		}
	}},
	"strimzi/kafka-persistent.yaml": {clusters: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantCluster(t, top, "my-cluster", 3, "3.9.0", "")
	}},
	// A dual-role node pool of 1 replica; the Kafka has no replicas.
	"strimzi/kafka-single-node.yaml": {clusters: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantCluster(t, top, "my-cluster", 1, "4.1.0", "")
		if len(top.NodePools) != 1 || top.NodePools[0].Name != "dual-role" || !top.NodePools[0].HasRole("broker") {
			t.Fatalf("node pools %+v", top.NodePools)
		}
	}},
	// kafka.strimzi.io/v1 KafkaTopic my-topic on my-cluster: 1 partition,
	// 1 replica, two configs.
	"strimzi/kafka-topic.yaml": {topics: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		tp := wantTopic(t, top, "my-cluster", "my-topic", 1, 1)
		if tp.Config["retention.ms"] != "7200000" || tp.Config["segment.bytes"] != "1073741824" || len(tp.Config) != 2 {
			t.Fatalf("config %v", tp.Config)
		}
		if f := tp.Fields["partitions"]; f.Pos != (document.Pos{Line: 8, Column: 15}) || f.File != "strimzi/kafka-topic.yaml" {
			t.Fatalf("partitions source %+v", f)
		}
	}},
	// KafkaUser my-user (SCRAM): Read, Describe, group Read, Write, Create,
	// Describe, all literal on my-topic: a producer and a consumer of a
	// topic this file does not declare.
	"strimzi/kafka-user.yaml": {apps: 1, producers: 1, consumers: 1, dangling: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "my-user", kafka.KindUser, "User:my-user")
		wantRefs(t, "my-user produces", a.Produces, "my-cluster/my-topic?")
		wantRefs(t, "my-user consumes", a.Consumes, "my-cluster/my-topic?")
		wantGroups(t, a, "my-group")
		if p := a.Produces[0].Source.Pos; p != (document.Pos{Line: 37, Column: 20}) {
			t.Fatalf("the Write ACL is at 37:20, got %v", p)
		}
		if len(a.ACLs) != 2 {
			t.Fatalf("Describe and Create grant nothing: want 2 ACLs, got %+v", a.ACLs)
		}
	}},
	"strimzi/kafka-with-dual-role-nodes.yaml": {clusters: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantCluster(t, top, "my-cluster", 3, "4.0.0", "")
	}},
	// A controller pool of 3 and a broker pool of 3; spec.kafka.replicas 3
	// is ignored with node pools: 3 brokers, not 6.
	"strimzi/kafka-with-kraft.yaml": {clusters: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		c := wantCluster(t, top, "my-cluster", 3, "3.6.1", "")
		if len(top.NodePools) != 2 || c.Fields["brokers"].Pos.Line != 20 {
			t.Fatalf("pools %+v, brokers from %+v (want the broker pool at line 20)", top.NodePools, c.Fields["brokers"])
		}
	}},
	// The same ACLs as kafka-user.yaml, with TLS authentication.
	"strimzi/tls-auth-user.yaml": {apps: 1, producers: 1, consumers: 1, dangling: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "my-user", kafka.KindUser, "User:CN=my-user")
		wantRefs(t, "my-user produces", a.Produces, "my-cluster/my-topic?")
		wantRefs(t, "my-user consumes", a.Consumes, "my-cluster/my-topic?")
	}},

	// --- JulieOps ---
	// context2 + source2, foo2, bar2 (values source2, foo, bar); projects
	// projectFoo (foo, bar avro) and projectBar (bar avro).
	"julieops/0-descriptor-context2.yml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "context2.source2.foo.bar.projectFoo.foo", 1, 1)
		wantTopic(t, top, "", "context2.source2.foo.bar.projectBar.bar.avro", 1, 1)
		julieBasic("context2.source2.foo.bar.projectFoo")(t, top, d)
	}},
	"julieops/1-descriptor-context2.yaml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "context2.source2.projectBear.bar.avro", 1, 1)
		julieBasic("context2.source2.projectZet")(t, top, d)
		if top.Application("SchemaRegistry01") != nil || top.Application("ControlCenter") != nil {
			t.Fatal("platform components are not applications")
		}
	}},
	"julieops/1-descriptor.yaml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "contextOrg.source.projectBar.bar.avro", 1, 1)
		julieBasic("contextOrg.source.projectFoo")(t, top, d)
	}},
	// Projects foo (3 topics; consumers App0 group foo, App1; producers
	// App0, App2 twice; stream App0; connectors under access_control),
	// bar (1 topic) and baz (topicE, topicF; stream App1 with
	// applicationId-1 reading topicE and writing topicF as written).
	"julieops/descriptor-connector.yaml": {topics: 6, apps: 5, producers: 4, consumers: 3, dangling: 10, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		p := "contextOrg.source.foo."
		wantTopic(t, top, "", p+"foo", 1, 1)
		wantTopic(t, top, "", p+"bar.avro", 0, 0)
		wantTopic(t, top, "", p+"cat.avro", 0, 0)
		wantTopic(t, top, "", "contextOrg.source.bar.bar.avro", 1, 1)
		wantTopic(t, top, "", "contextOrg.source.baz.topicE", 1, 1)
		a := wantApp(t, top, "App0", kafka.KindStream, "User:App0")
		wantRefs(t, "App0 produces", a.Produces, p+"foo", p+"bar.avro", p+"cat.avro", "topicC?", "topicD?")
		wantRefs(t, "App0 consumes", a.Consumes, p+"foo", p+"bar.avro", p+"cat.avro", "topicA?", "topicB?")
		wantGroups(t, a, "foo")
		a = wantApp(t, top, "App1", kafka.KindStream, "User:App1")
		wantRefs(t, "App1 produces", a.Produces, "topicF?")
		wantRefs(t, "App1 consumes", a.Consumes, p+"foo", p+"bar.avro", p+"cat.avro", "topicE?")
		wantGroups(t, a, "applicationId-1")
		a = wantApp(t, top, "App2", kafka.KindService, "User:App2")
		wantRefs(t, "App2 produces", a.Produces, p+"foo", p+"bar.avro", p+"cat.avro")
		a = wantApp(t, top, "Connect1", kafka.KindConnector, "User:Connect1")
		wantRefs(t, "Connect1 consumes", a.Consumes, "topicA?", "topicB?")
		wantGroups(t, a, "group")
		wantApp(t, top, "Connect2", kafka.KindConnector, "User:Connect2")
	}},
	// The older dialect: team + source; the team owns everything.
	"julieops/descriptor-for-cloud.yaml": {topics: 4, apps: 6, producers: 3, consumers: 4, dangling: 8, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		tp := wantTopic(t, top, "", "team.source.foo.foo", 12, 3)
		if tp.Owner != "team" {
			t.Fatalf("owner %q, want team", tp.Owner)
		}
		wantTopic(t, top, "", "team.source.bar.events.avro", 12, 3)
		wantTopic(t, top, "", "team.source.bar.test.json", 12, 3)
		a := wantApp(t, top, "63002", kafka.KindConnector, "User:63002") // a consumer and a connector
		wantRefs(t, "63002 consumes", a.Consumes, "team.source.foo.foo", "team.source.foo.bar.avro", "topicA?", "topicB?")
		if a.Owner != "team" {
			t.Fatalf("owner %q", a.Owner)
		}
		a = wantApp(t, top, "App3", kafka.KindService, "User:App3")
		wantRefs(t, "App3 produces", a.Produces, "team.source.foo.foo", "team.source.foo.bar.avro")
		a = wantApp(t, top, "App234", kafka.KindService, "User:App234")
		wantRefs(t, "App234 consumes", a.Consumes, "team.source.bar.events.avro", "team.source.bar.test.json")
	}},
	"julieops/descriptor-ksql-multiple.yaml": {topics: 1, apps: 1, producers: 1, consumers: 1, dangling: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "context.foo.foo", 1, 1)
		a := wantApp(t, top, "ksql0", kafka.KindKSQL, "User:ksql0")
		wantRefs(t, "ksql0 consumes", a.Consumes, "topicA?")
		wantRefs(t, "ksql0 produces", a.Produces, "topicC?")
	}},
	// ksql with artefacts only: no principals.
	"julieops/descriptor-ksql.yaml": {topics: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "context.foo.foo", 1, 1)
	}},
	"julieops/descriptor-only-topics.yaml": {topics: 4, apps: 1, consumers: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "App0", kafka.KindService, "User:App0")
		wantRefs(t, "App0 consumes", a.Consumes, "oltp.foo.foo", "oltp.foo.bar.avro", "oltp.foo.zet.json")
		wantTopic(t, top, "", "oltp.bar.bar.avro", 1, 1)
	}},
	// A topic-level consumer (App4 on topicA), a stream and a connector
	// using topic names as written.
	"julieops/descriptor-short.yaml": {topics: 2, apps: 5, producers: 2, consumers: 4, dangling: 3, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "context.foo.topicA", 0, 0)
		wantTopic(t, top, "", "context.foo.topicB.avro", 0, 0)
		a := wantApp(t, top, "App4", kafka.KindService, "User:App4")
		wantRefs(t, "App4 consumes", a.Consumes, "context.foo.topicA")
		a = wantApp(t, top, "App1", kafka.KindService, "User:App1")
		wantRefs(t, "App1 produces", a.Produces, "context.foo.topicA", "context.foo.topicB.avro")
		a = wantApp(t, top, "StreamsApp1", kafka.KindStream, "User:StreamsApp1")
		wantRefs(t, "StreamsApp1 consumes", a.Consumes, "topicA?")
		wantRefs(t, "StreamsApp1 produces", a.Produces, "topicB?")
		a = wantApp(t, top, "Connect1", kafka.KindConnector, "User:Connect1")
		wantRefs(t, "Connect1 consumes", a.Consumes, "topicB?")
	}},
	"julieops/descriptor-streams-only-write.yaml": {apps: 1, producers: 1, dangling: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "App0", kafka.KindStream, "User:App0")
		wantRefs(t, "App0 produces", a.Produces, "topicA?", "topicB?")
	}},
	// context + source, foo, bar, zet: five name parts before the project.
	"julieops/descriptor-with-camelCaseNames.yml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		p := "contextOrg.source.foo.bar.zet."
		wantTopic(t, top, "", p+"fooBar.fooBar", 3, 3)
		wantTopic(t, top, "", p+"fooBar.barFoo.avro", 3, 3)
		wantTopic(t, top, "", p+"barFoo.barFoo.avro", 3, 3)
		a := wantApp(t, top, "App1", kafka.KindService, "User:App1")
		wantRefs(t, "App1 consumes", a.Consumes, p+"fooBar.fooBar", p+"fooBar.barFoo.avro")
	}},
	"julieops/descriptor-with-others-context2.yml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "context2.source.foo.bar.zet.bar.bar.avro", 1, 1)
		julieBasic("context2.source.foo.bar.zet.foo")(t, top, d)
	}},
	"julieops/descriptor-with-others.yml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "contextOrg.source.foo.bar.zet.bar.bar.avro", 1, 1)
		julieBasic("contextOrg.source.foo.bar.zet.foo")(t, top, d)
	}},
	// Topics with plans carry only replication.factor: partitions unknown.
	"julieops/descriptor-with-plans.yaml": {topics: 5, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "contextOrg.source.foo.foo", 1, 1)
		wantTopic(t, top, "", "contextOrg.source.foo.fooBar", 0, 1)
		wantTopic(t, top, "", "contextOrg.source.foo.barFooBar", 0, 1)
		wantTopic(t, top, "", "contextOrg.source.bar.bar.avro", 1, 1)
	}},
	// context, company, env, source: the order written.
	"julieops/descriptor-with-schemas.yaml": {topics: 3, apps: 7, producers: 4, consumers: 4, dangling: 8, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		p := "context.company.env.source.projectA."
		tp := wantTopic(t, top, "", p+"bar.avro", 1, 1)
		if tp.Source.Pos != (document.Pos{Line: 43, Column: 9}) || tp.Source.File != "julieops/descriptor-with-schemas.yaml" {
			t.Fatalf("topic source %+v, want julieops/descriptor-with-schemas.yaml:43:9", tp.Source)
		}
		wantTopic(t, top, "", "context.company.env.source.projectB.bar.avro", 1, 1)
		a := wantApp(t, top, "App4", kafka.KindService, "User:App4")
		wantRefs(t, "App4 produces", a.Produces, p+"foo", p+"bar.avro")
		a = wantApp(t, top, "Streams0", kafka.KindStream, "User:Streams0")
		wantRefs(t, "Streams0 produces", a.Produces, "topicC?", "topicD?")
		a = wantApp(t, top, "Connect1", kafka.KindConnector, "User:Connect1")
		wantGroups(t, a, "group")
	}},
	"julieops/dir_with_multiple-descriptor.yaml": {topics: 3, apps: 4, producers: 2, consumers: 3, dangling: 8, check: func(t *testing.T, top *kafka.Topology, d []*document.Document) {
		wantTopic(t, top, "", "contextOrg.source.bar.bar.avro", 1, 1)
		julieBasic("contextOrg.source.foo")(t, top, d)
	}},
	"julieops/example-descriptor.yaml": {topics: 3, apps: 7, producers: 4, consumers: 4, dangling: 8, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "team.source.foo.foo", 1, 1)
		wantTopic(t, top, "", "team.source.foo.bar.avro", 1, 1)
		wantTopic(t, top, "", "team.source.bar.bar.avro", 1, 1)
		a := wantApp(t, top, "App3", kafka.KindService, "User:App3")
		wantRefs(t, "App3 produces", a.Produces, "team.source.foo.foo", "team.source.foo.bar.avro")
		a = wantApp(t, top, "Streams0", kafka.KindStream, "User:Streams0")
		wantRefs(t, "Streams0 consumes", a.Consumes, "topicA?", "topicB?")
	}},

	// --- kafka-gitops ---
	"kafka-gitops/application-service.yaml": {apps: 1, producers: 1, consumers: 1, dangling: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "test-service", kafka.KindService, "User:test")
		wantRefs(t, "test-service produces", a.Produces, "test-topic?")
		wantRefs(t, "test-service consumes", a.Consumes, "another-test-topic?")
		wantGroups(t, a, "test-service")
	}},
	// Settings only (the files live elsewhere): nothing to read, and no
	// problem either.
	"kafka-gitops/confluent-cloud-state.yaml": {},
	// test-user reads every topic prefixed kafka.; none is declared.
	"kafka-gitops/custom-user-acls.yaml": {apps: 1, dangling: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "test-user", kafka.KindUser, "User:test")
		if len(a.ACLs) != 1 || a.ACLs[0] != (kafka.ACL{Pattern: "kafka.", PatternType: kafka.Prefixed, Access: kafka.Consume,
			Source: kafka.Source{File: "kafka-gitops/custom-user-acls.yaml", Pos: document.Pos{Line: 14, Column: 7}, Dialect: kafka.DialectGitOps}}) {
			t.Fatalf("ACLs %+v", a.ACLs)
		}
	}},
	"kafka-gitops/kafka-streams-service.yaml": {apps: 1, producers: 1, consumers: 1, dangling: 3, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "streams-application", kafka.KindStream, "User:test")
		wantRefs(t, "produces", a.Produces, "my-other-streams-topic?", "another-topic?")
		wantRefs(t, "consumes", a.Consumes, "my-streams-topic?")
		wantGroups(t, a, "streams-application")
	}},
	"kafka-gitops/seed-topic-modification-2.yaml": {topics: 3, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		tp := wantTopic(t, top, "", "test-topic", 1, 2)
		if tp.Config["retention.ms"] != "60000" {
			t.Fatalf("config %v", tp.Config)
		}
		wantTopic(t, top, "", "new-topic", 6, 2)
		wantTopic(t, top, "", "topic-with-configs-1", 3, 2)
	}},
	// Confluent Cloud: no principal.
	"kafka-gitops/services.yaml": {apps: 1, consumers: 1, dangling: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "my-test-service", kafka.KindService, "")
		wantRefs(t, "consumes", a.Consumes, "my-test-topic?")
	}},
	"kafka-gitops/simple.yaml": {topics: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "test-topic", 6, 2)
	}},
	"kafka-gitops/topics-and-services.yaml": {topics: 2, apps: 2, producers: 1, consumers: 2, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		tp := wantTopic(t, top, "", "another.topic.0", 1, 2)
		if tp.Config["cleanup.policy"] != "compact" || tp.Config["segment.bytes"] != "100000" {
			t.Fatalf("config %v", tp.Config)
		}
		wantTopic(t, top, "", "MY_TOPIC", 6, 2)
		a := wantApp(t, top, "test-service", kafka.KindService, "User:test")
		wantRefs(t, "test-service produces", a.Produces, "another.topic.0")
		wantRefs(t, "test-service consumes", a.Consumes, "MY_TOPIC")
		a = wantApp(t, top, "my-other-service", kafka.KindService, "User:test")
		wantRefs(t, "my-other-service consumes", a.Consumes, "another.topic.0")
	}},
	"kafka-gitops/topics.yaml": {topics: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		wantTopic(t, top, "", "my-test-topic", 6, 3)
	}},
	// john-doe is an operator: reads every topic; none is declared here.
	"kafka-gitops/users.yaml": {apps: 1, dangling: 1, check: func(t *testing.T, top *kafka.Topology, _ []*document.Document) {
		a := wantApp(t, top, "john-doe", kafka.KindUser, "")
		if len(a.ACLs) != 1 || a.ACLs[0].Pattern != "*" || a.ACLs[0].Access != kafka.Consume {
			t.Fatalf("ACLs %+v", a.ACLs)
		}
	}},
}

// TestEveryFixtureReadsIntoItsTopology reads each public fixture file on
// its own and checks what it holds, counted by hand from the file. Every
// fixture file must have an entry, so a new fixture cannot go untested.
func TestEveryFixtureReadsIntoItsTopology(t *testing.T) {
	files := kafkatest.FixtureFiles(t)
	if len(files) != len(fixtures) {
		t.Errorf("%d fixture files, %d expectations", len(files), len(fixtures))
	}
	for name := range fixtures {
		if !slices.Contains(files, name) {
			t.Errorf("expectation for %s, which is not a fixture file", name)
		}
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			want, ok := fixtures[rel]
			if !ok {
				t.Fatalf("no expectation for fixture %s: count it and add it to the table", rel)
			}
			top, diags, docs := readFixtures(t, rel)
			wantDialect := map[string]kafka.Dialect{"strimzi": kafka.DialectStrimzi, "julieops": kafka.DialectJulieOps, "kafka-gitops": kafka.DialectGitOps}[path.Dir(rel)]
			if len(docs) == 0 {
				t.Fatal("no documents")
			}
			for _, d := range docs {
				if got, ok := dialect.Detect(d); !ok || got != wantDialect {
					t.Fatalf("document %d detected as %q (%v), want %q", d.Index, got, ok, wantDialect)
				}
			}
			kafkatest.CheckDiags(t, diags, rel)
			noErrors(t, diags)
			dangling := 0
			for _, d := range diags {
				if d.Code != diag.CodeDanglingRef {
					t.Fatalf("unexpected diagnostic %v", d)
				}
				if d.Line == 0 || d.Column == 0 {
					t.Fatalf("diagnostic without position: %v", d)
				}
				dangling++
			}
			got := fixture{clusters: len(top.Clusters), topics: len(top.Topics), apps: len(top.Applications),
				producers: len(top.Producers()), consumers: len(top.Consumers()), dangling: dangling}
			if got.clusters != want.clusters || got.topics != want.topics || got.apps != want.apps ||
				got.producers != want.producers || got.consumers != want.consumers || got.dangling != want.dangling {
				t.Fatalf("got clusters %d topics %d apps %d producers %d consumers %d dangling %d,\nwant clusters %d topics %d apps %d producers %d consumers %d dangling %d\ntopics %v\n%s",
					got.clusters, got.topics, got.apps, got.producers, got.consumers, got.dangling,
					want.clusters, want.topics, want.apps, want.producers, want.consumers, want.dangling, topicNames(top), kafkatest.Render(diags))
			}
			for _, tp := range top.Topics {
				if tp.Source.File != rel || tp.Source.Pos.Line == 0 || tp.Source.Dialect != wantDialect {
					t.Fatalf("topic %s has source %+v", tp.Key(), tp.Source)
				}
			}
			for _, a := range top.Applications {
				if a.Source.File != rel || a.Source.Pos.Line == 0 {
					t.Fatalf("application %s has source %+v", a.Name, a.Source)
				}
				for _, r := range append(slices.Clone(a.Produces), a.Consumes...) {
					if r.Source.File != rel || r.Source.Pos.Line == 0 {
						t.Fatalf("application %s: ref %s has source %+v", a.Name, r.Key(), r.Source)
					}
				}
			}
			if want.check != nil {
				want.check(t, top, docs)
			}
		})
	}
}
