package julieops_test

import (
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/julieops"
)

const specialTopics = `context: ctx
env: 2024
projects:
  - name: 7
    topics:
      - name: t
        config:
          num.partitions: 6
          replication.factor: "3"
          retention.ms: "1000"
    ksql:
      - principal: User:Ksql1
        topics: {read: [t-in]}
    connectors:
      access_control:
        - principal: User:CN=connect,O=acme
          group: connect-cluster
          topics: {write: [t-out]}
    custom_roles:
      - principal: User:Someone
    schemas:
      - principal: User:Registry
        subjects: [s]
special_topics:
  - name: i-am-special
    config: {num.partitions: "2"}
`

var reader = kafkatest.Dialect{File: "j.yaml", Detect: julieops.Detect, Read: julieops.Read,
	Code: kafka.CodeDialect, Guess: "looks like a JulieOps descriptor (has context and projects) but "}

func TestNamesConfigsAndApplications(t *testing.T) {
	top, diags := reader.ReadText(t, specialTopics)
	// The custom role is not read, with a warning at its key.
	if len(diags) != 1 || diags[0].Severity != diag.Warning || diags[0].Line != 19 || diags[0].Column != 5 ||
		!strings.Contains(diags[0].Message, "projects[0].custom_roles is not read") {
		t.Fatalf("diagnostics %v", diags)
	}
	if len(top.Topics) != 2 {
		t.Fatalf("topics %+v", top.Topics)
	}
	// Numbers are name parts too: env 2024, project 7.
	tp := top.Topics[0]
	if tp.Name != "ctx.2024.7.t" || tp.Partitions != 6 || tp.Replicas != 3 || len(tp.Config) != 1 || tp.Config["retention.ms"] != "1000" {
		t.Fatalf("topic %+v", tp)
	}
	if tp.Fields["partitions"].Pos.Line != 8 || tp.Fields["replicas"].Pos.Line != 9 {
		t.Fatalf("fields %+v", tp.Fields)
	}
	if sp := top.Topics[1]; sp.Name != "i-am-special" || sp.Partitions != 2 {
		t.Fatalf("special topic %+v", sp)
	}
	if len(top.Applications) != 2 {
		t.Fatalf("applications %+v", top.Applications)
	}
	k := top.Applications[0]
	if k.Name != "Ksql1" || k.Kind != kafka.KindKSQL || len(k.ACLs) != 1 || k.ACLs[0].Pattern != "t-in" || k.ACLs[0].Access != kafka.Consume {
		t.Fatalf("ksql %+v", k)
	}
	c := top.Applications[1]
	if c.Name != "connect" || c.Principal != "User:CN=connect,O=acme" || c.Kind != kafka.KindConnector ||
		len(c.ACLs) != 1 || c.ACLs[0].Access != kafka.Produce || len(c.ConsumerGroups) != 1 || c.ConsumerGroups[0] != "connect-cluster" {
		t.Fatalf("connector %+v", c)
	}
}

func TestAnOlderDescriptorWithoutProjects(t *testing.T) {
	top, diags := reader.ReadText(t, "team: t\nsource: s\n")
	if !top.Empty() || len(diags) != 1 || diags[0].Severity != diag.Warning ||
		diags[0].Message != "looks like a JulieOps descriptor (has team and source) but has no projects: it declares no topics" {
		t.Fatalf("%+v %v", top, diags)
	}
}

func TestOtherDocumentsAreNotDetected(t *testing.T) {
	reader.NotDetected(t, "context: a\n", "team: a\n", "projects: []\n", "- context\n")
}

func TestBrokenDescriptors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line, col  int
		fragment   string
	}{
		{"a project without name", "context: c\nprojects:\n  - topics: []\n", 3, 5, "projects[0].name is missing"},
		{"a topic without name", "context: c\nprojects:\n  - name: p\n    topics:\n      - config: {}\n", 5, 9, "projects[0].topics[0].name is missing"},
		{"an empty context", "context: \"\"\nprojects: []\n", 1, 10, "context must not be empty"},
		{"a list context", "context: [a]\nprojects: []\n", 1, 10, "context must be a plain value (text or number), not a list"},
		{"stream topics a list", "context: c\nprojects:\n  - name: p\n    streams:\n      - principal: User:s\n        topics: [a]\n", 6, 17,
			"projects[0].streams[0].topics must be a mapping, not a list"},
		{"stream read a string", "context: c\nprojects:\n  - name: p\n    streams:\n      - principal: User:s\n        topics: {read: a}\n", 6, 24,
			"projects[0].streams[0].topics.read must be a list, not a string"},
		{"a principal naming nobody", "context: c\nprojects:\n  - name: p\n    producers:\n      - principal: \"User:\"\n", 5, 20,
			`projects[0].producers[0].principal "User:" names no user`},
		{"access_control not a list", "context: c\nprojects:\n  - name: p\n    connectors:\n      access_control: {a: b}\n", 5, 23,
			"projects[0].connectors.access_control must be a list, not a mapping"},
	} {
		t.Run(c.name, func(t *testing.T) { reader.WantError(t, c.text, c.line, c.col, c.fragment) })
	}
}
