package strimzi_test

import (
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/strimzi"
)

const userWithEverything = `apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: billing
  labels:
    strimzi.io/cluster: events
spec:
  authentication:
    type: tls-external
  authorization:
    type: simple
    acls:
      - resource: {type: topic, name: orders., patternType: prefix}
        operations: [Read, Describe]
      - resource: {type: topic, name: invoices}
        operations: [All]
      - resource: {type: topic, name: "*"}
        operations: [Write]
        type: deny
      - resource: {type: group, name: billing-, patternType: prefix}
        operations: [Read]
      - resource: {type: group, name: billing}
        operation: All
      - resource: {type: cluster}
        operations: [IdempotentWrite]
      - resource: {type: transactionalId, name: tx}
        operations: [Write]
`

var reader = kafkatest.Dialect{File: "s.yaml", Detect: strimzi.Detect, Read: strimzi.Read,
	Code: kafka.CodeDialect, Guess: "looks like a Strimzi "}

func TestKafkaUserACLs(t *testing.T) {
	top, diags := reader.ReadText(t, userWithEverything)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	a := top.Applications[0]
	if a.Name != "billing" || a.Principal != "User:CN=billing" || a.Kind != kafka.KindUser {
		t.Fatalf("%+v", a)
	}
	var got []string
	for _, acl := range a.ACLs {
		got = append(got, acl.Cluster+" "+string(acl.PatternType)+" "+acl.Pattern+" "+string(acl.Access))
	}
	want := []string{"events prefixed orders. consume", "events literal invoices produce", "events literal invoices consume"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("ACLs\n got  %v\n want %v", got, want)
	}
	if strings.Join(a.ConsumerGroups, ",") != "billing-*,billing" {
		t.Fatalf("groups %v", a.ConsumerGroups)
	}
	if p := a.ACLs[1].Source.Pos; p.Line != 16 || p.Column != 22 {
		t.Fatalf("the All ACL is at 16:22, got %v", p)
	}
}

func TestKafkaTopicNameAndClusterLabel(t *testing.T) {
	top, diags := reader.ReadText(t, "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: orders-created\n  labels: {strimzi.io/cluster: events}\nspec:\n  topicName: Orders.Created\n")
	if len(diags) != 0 || top.Topics[0].Key() != (kafka.TopicKey{Cluster: "events", Name: "Orders.Created"}) {
		t.Fatalf("%v %+v", diags, top.Topics)
	}
	// Without the label: a warning, and the topic is on no cluster.
	top, diags = reader.ReadText(t, "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\nmetadata:\n  name: lonely\n")
	if len(diags) != 1 || diags[0].Severity != diag.Warning || diags[0].Line != 4 || diags[0].Column != 3 ||
		!strings.Contains(diags[0].Message, "has no strimzi.io/cluster label") || len(top.Topics) != 1 || top.Topics[0].Cluster != "" {
		t.Fatalf("%v %+v", diags, top.Topics)
	}
}

func TestKafkaBootstrapNeedsANamespace(t *testing.T) {
	const k = "apiVersion: kafka.strimzi.io/v1beta2\nkind: Kafka\nmetadata:\n  name: events\n%s\nspec:\n  kafka:\n    listeners:\n      - {name: ext, port: 9094, type: loadbalancer}\n      - {name: plain, port: 9092, type: internal}\n"
	top, _ := reader.ReadText(t, strings.Replace(k, "%s", "  namespace: kafka", 1))
	if c := top.Clusters[0]; c.Bootstrap != "events-kafka-bootstrap.kafka.svc:9092" || c.Fields["bootstrap"].Pos.Line != 10 {
		t.Fatalf("%+v", c)
	}
	top, _ = reader.ReadText(t, strings.Replace(k, "%s", "", 1))
	if c := top.Clusters[0]; c.Bootstrap != "" || c.Brokers != 0 {
		t.Fatalf("%+v", c)
	}
}

func TestOtherStrimziKindsAreNotClaimed(t *testing.T) {
	for _, kind := range []string{"KafkaConnect", "KafkaConnector", "KafkaMirrorMaker2", "KafkaBridge", "KafkaRebalance"} {
		reader.NotDetected(t, "apiVersion: kafka.strimzi.io/v1beta2\nkind: "+kind+"\nmetadata: {name: x}\n")
	}
}

func TestBrokenResources(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line, col  int
		fragment   string
	}{
		{"no metadata", "apiVersion: kafka.strimzi.io/v1\nkind: Kafka\nspec: {}\n", 1, 1,
			"looks like a Strimzi Kafka (apiVersion kafka.strimzi.io/v1) but metadata is missing"},
		{"a name that is a number", "apiVersion: kafka.strimzi.io/v1\nkind: Kafka\nmetadata: {name: 12}\n", 3, 18,
			"metadata.name must be a string, not an integer"},
		{"a Kafka without spec.kafka", "apiVersion: kafka.strimzi.io/v1\nkind: Kafka\nmetadata: {name: k}\nspec: {zookeeper: {}}\n", 4, 7,
			"spec.kafka is missing"},
		{"negative pool replicas", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata: {name: p, labels: {strimzi.io/cluster: c}}\nspec: {replicas: -1, roles: [broker]}\n", 4, 18,
			"spec.replicas must be a whole number of nodes (0 or more), not an integer"},
		{"an unknown role", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata: {name: p, labels: {strimzi.io/cluster: c}}\nspec: {replicas: 1, roles: [brokers]}\n", 4, 29,
			`spec.roles[0] "brokers" is not a role; use broker or controller`},
		{"another authorization", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    type: opa\n", 6, 11,
			`spec.authorization.type "opa" is not simple`},
		{"an ACL without resource", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    acls:\n      - operations: [Read]\n", 7, 9,
			"spec.authorization.acls[0].resource is missing"},
		{"a bad pattern type", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    acls:\n      - resource: {type: topic, name: t, patternType: prefixed}\n        operations: [Read]\n", 7, 55,
			`spec.authorization.acls[0].resource.patternType "prefixed" is not literal or prefix`},
		{"an ACL without operations", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    acls:\n      - resource: {type: topic, name: t}\n", 7, 9,
			"spec.authorization.acls[0] has no operations (or operation)"},
		{"acls not a list", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    acls: {a: b}\n", 6, 11,
			"spec.authorization.acls must be a list, not a mapping"},
	} {
		t.Run(c.name, func(t *testing.T) {
			top := reader.WantError(t, c.text, c.line, c.col, c.fragment)
			if len(top.Applications)+len(top.Clusters)+len(top.NodePools)+len(top.Topics) != 0 {
				t.Fatalf("a broken resource is not read: %+v", top)
			}
		})
	}
}
