package gitops_test

import (
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/gitops"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

const connectAndCustom = `settings:
  topics:
    defaults:
      replication: 3
topics:
  orders:
    partitions: 6
  payments:
    partitions: 3
    replication: 2
    retention: forever
services:
  connect:
    type: kafka-connect
    principal: User:connect
    group-id: connect-cluster
    produces: [connect-extra]
    connectors:
      jdbc-source:
        produces: [orders]
      s3-sink:
        consumes: [payments]
  billing:
    type: application
    produces: [invoices]
users:
  alice:
    principal: User:alice
    roles: [writer, reader]
schemas:
  orders-value: {type: AVRO}
customServiceAcls:
  billing:
    read-orders:
      name: orders
      type: TOPIC
      pattern: PREFIXED
      host: "*"
      principal: User:billing
      operation: ALL
      permission: ALLOW
    group:
      name: billing-
      type: GROUP
      pattern: PREFIXED
      host: "*"
      operation: READ
      permission: ALLOW
    denied:
      name: secrets
      type: TOPIC
      pattern: LITERAL
      host: "*"
      operation: READ
      permission: DENY
`

var reader = kafkatest.Dialect{File: "g.yaml", Detect: gitops.Detect, Read: gitops.Read,
	Code: kafka.CodeDialect, Guess: "looks like a kafka-gitops state file (has "}

func acls(a kafka.Application) string {
	var s []string
	for _, acl := range a.ACLs {
		s = append(s, string(acl.PatternType)+" "+acl.Pattern+" "+string(acl.Access))
	}
	return strings.Join(s, "|")
}

func TestServicesUsersAndCustomACLs(t *testing.T) {
	top, diags := reader.ReadText(t, connectAndCustom)
	// retention is not a topic key kafka-gitops knows.
	if len(diags) != 1 || diags[0].Severity != diag.Warning || diags[0].Line != 11 || diags[0].Column != 5 ||
		!strings.Contains(diags[0].Message, `topics.payments.retention is not read`) {
		t.Fatalf("diagnostics %v", diags)
	}
	if tp := top.Topics[0]; tp.Name != "orders" || tp.Partitions != 6 || tp.Replicas != 3 || tp.Fields["replicas"].Pos.Line != 4 {
		t.Fatalf("the default replication applies: %+v", tp)
	}
	if tp := top.Topics[1]; tp.Name != "payments" || tp.Replicas != 2 {
		t.Fatalf("%+v", tp)
	}
	byName := map[string]kafka.Application{}
	for _, a := range top.Applications {
		if _, dup := byName[a.Name+"/"+string(a.Kind)]; !dup { // the service, before its custom ACLs
			byName[a.Name+"/"+string(a.Kind)] = a
		}
	}
	c := byName["connect/connector"]
	if acls(c) != "literal connect-extra produce|literal orders produce|literal payments consume" || strings.Join(c.ConsumerGroups, ",") != "connect-cluster" {
		t.Fatalf("connect %s %v", acls(c), c.ConsumerGroups)
	}
	b := byName["billing/service"]
	if acls(b) != "literal invoices produce" || len(b.ConsumerGroups) != 0 {
		t.Fatalf("billing, a producer only, has no group: %s %v", acls(b), b.ConsumerGroups)
	}
	u := byName["alice/user"]
	if acls(u) != "literal * produce|literal * consume" || u.Principal != "User:alice" {
		t.Fatalf("alice %s", acls(u))
	}
	var custom kafka.Application
	n := 0
	for _, a := range top.Applications {
		if a.Name == "billing" {
			n++
			custom = a
		}
	}
	if n != 2 || acls(custom) != "prefixed orders produce|prefixed orders consume" || custom.Principal != "User:billing" ||
		strings.Join(custom.ConsumerGroups, ",") != "billing-*" {
		t.Fatalf("custom ACLs %s %+v", acls(custom), custom)
	}
	merged, diags := kafka.Merge(top)
	if len(diags) != 2 { // invoices and connect-extra are not declared
		t.Fatalf("merge diagnostics %v", diags)
	}
	m := merged.Application("billing")
	if len(m.Produces) != 2 || len(m.Consumes) != 1 || m.Principal != "User:billing" {
		t.Fatalf("merged billing %+v", m)
	}
}

func TestOtherDocumentsAreNotDetected(t *testing.T) {
	reader.NotDetected(t,
		"topics: [a]\n",
		"topics: {a: {partitions: 1}}\nversion: 2\n",
		"settings: 1\n",
		"apiVersion: v1\ntopics: {}\n",
	)
}

func TestBrokenStateFiles(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line, col  int
		fragment   string
	}{
		{"an unknown service type", "services:\n  s:\n    type: app\n", 3, 11, `services.s.type "app" is not application, kafka-streams or kafka-connect`},
		{"produces a string", "services:\n  s:\n    type: application\n    produces: t\n", 4, 15, "services.s.produces must be a list, not a string"},
		{"partitions text", "topics:\n  t:\n    partitions: six\n", 3, 17, "topics.t.partitions must be an integer, not a string"},
		{"a config map", "topics:\n  t:\n    partitions: 1\n    configs: {a: {b: c}}\n", 4, 18, `topics.t.configs.a must be a plain value (text or number), not a mapping`},
		{"an unknown role", "users:\n  u:\n    roles: [admin]\n", 3, 13, `users.u role "admin" is not writer, reader or operator`},
		{"a custom ACL without name", "customServiceAcls:\n  s:\n    a:\n      type: TOPIC\n      pattern: LITERAL\n      operation: READ\n      permission: ALLOW\n", 4, 7,
			"customServiceAcls.s.a.name is missing"},
	} {
		t.Run(c.name, func(t *testing.T) { reader.WantError(t, c.text, c.line, c.col, c.fragment) })
	}
}
