package native_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
	"github.com/central-config/central-config/internal/kafka/native"
)

const full = `apiVersion: central-config.io/kafka/v1
clusters:
  - name: acme-events
    environment: production
    brokers: 3
    bootstrap: acme-events-kafka-bootstrap.kafka.svc:9093
    version: 4.0.0
    description: The event bus.
topics:
  - name: orders.order-created.v1
    cluster: acme-events
    partitions: 12
    replicas: 3
    owner: orders
    description: One message per order.
    config:
      retention.ms: 604800000
      cleanup.policy: delete
      preallocate: false
  - name: payments.done
    cluster: acme-events
applications:
  - name: order-service
    kind: stream
    principal: User:CN=order-service
    owner: orders
    service: order-service
    description: Takes orders.
    cluster: acme-events
    consumerGroup: order-service
    produces: [orders.order-created.v1]
    consumes: ["payments.*", "*"]
`

var reader = kafkatest.Dialect{File: "kafka.yaml", Detect: native.Detect, Read: native.Read,
	Code: diag.CodeSchema}

func TestEveryKeyIsRead(t *testing.T) {
	top, diags := reader.ReadText(t, full)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	c := top.Clusters[0]
	if c.Name != "acme-events" || c.Environment != "production" || c.Brokers != 3 || c.Version != "4.0.0" ||
		c.Bootstrap != "acme-events-kafka-bootstrap.kafka.svc:9093" || c.Description != "The event bus." ||
		c.Source != (kafka.Source{File: "kafka.yaml", Pos: document.Pos{Line: 3, Column: 5}, Dialect: kafka.DialectNative}) {
		t.Fatalf("cluster %+v", c)
	}
	if c.Fields["brokers"].Pos != (document.Pos{Line: 5, Column: 14}) {
		t.Fatalf("brokers at %+v", c.Fields["brokers"])
	}
	tp := top.Topics[0]
	if tp.Key() != (kafka.TopicKey{Cluster: "acme-events", Name: "orders.order-created.v1"}) || tp.Partitions != 12 || tp.Replicas != 3 ||
		tp.Owner != "orders" || tp.Description != "One message per order." ||
		tp.Config["retention.ms"] != "604800000" || tp.Config["cleanup.policy"] != "delete" || tp.Config["preallocate"] != "false" {
		t.Fatalf("topic %+v", tp)
	}
	if tp.Fields["config.retention.ms"].Pos != (document.Pos{Line: 17, Column: 21}) {
		t.Fatalf("config position %+v", tp.Fields)
	}
	a := top.Applications[0]
	if a.Name != "order-service" || a.Kind != kafka.KindStream || a.Principal != "User:CN=order-service" || a.Owner != "orders" ||
		a.Service != "order-service" || a.Description != "Takes orders." || len(a.ConsumerGroups) != 1 || a.ConsumerGroups[0] != "order-service" {
		t.Fatalf("application %+v", a)
	}
	want := []kafka.ACL{
		{Cluster: "acme-events", Pattern: "orders.order-created.v1", PatternType: kafka.Literal, Access: kafka.Produce, Source: kafka.Source{File: "kafka.yaml", Pos: document.Pos{Line: 31, Column: 16}, Dialect: kafka.DialectNative}},
		{Cluster: "acme-events", Pattern: "payments.", PatternType: kafka.Prefixed, Access: kafka.Consume, Source: kafka.Source{File: "kafka.yaml", Pos: document.Pos{Line: 32, Column: 16}, Dialect: kafka.DialectNative}},
		{Cluster: "acme-events", Pattern: "*", PatternType: kafka.Literal, Access: kafka.Consume, Source: kafka.Source{File: "kafka.yaml", Pos: document.Pos{Line: 32, Column: 30}, Dialect: kafka.DialectNative}},
	}
	if len(a.ACLs) != len(want) {
		t.Fatalf("ACLs %+v", a.ACLs)
	}
	for i := range want {
		if a.ACLs[i] != want[i] {
			t.Fatalf("ACL %d: %+v, want %+v", i, a.ACLs[i], want[i])
		}
	}
	merged, diags := kafka.Merge(top)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	ma := merged.Application("order-service")
	if len(ma.Produces) != 1 || len(ma.Consumes) != 2 {
		t.Fatalf("produces %+v consumes %+v", ma.Produces, ma.Consumes)
	}
}

func TestAnEmptyDocumentIsAnEmptyTopology(t *testing.T) {
	top, diags := reader.ReadText(t, "apiVersion: central-config.io/kafka/v1\nclusters: []\ntopics:\n")
	if len(diags) != 0 || !top.Empty() {
		t.Fatal(top, diags)
	}
}

// bad documents: each breaks one rule; the reader reports it at the
// position, and (unless inDocOnly) the JSON Schema rejects it too.
var bad = []struct {
	name, text string
	line, col  int
	fragment   string
	inDocOnly  bool // a rule the schema cannot express
}{
	{"unknown root key", "apiVersion: central-config.io/kafka/v1\nservices: []\n", 2, 1,
		`unknown key "services"; allowed: apiVersion, clusters, topics, applications`, false},
	{"unknown cluster key", "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: c\n    size: 3\n", 4, 5,
		`unknown key "size" in clusters[0]`, false},
	{"unknown application key", "apiVersion: central-config.io/kafka/v1\napplications:\n  - name: a\n    produce: [t]\n", 4, 5,
		`unknown key "produce" in applications[0]`, false},
	{"missing name", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - cluster: c\n", 3, 5,
		"topics[0].name is missing", false},
	{"empty name", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: \"\"\n", 3, 11,
		"topics[0].name must not be empty", false},
	{"topics not a list", "apiVersion: central-config.io/kafka/v1\ntopics:\n  name: t\n", 3, 3,
		"topics must be a list, not a mapping", false},
	{"partitions as text", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: t\n    partitions: \"12\"\n", 4, 17,
		"topics[0].partitions must be an integer, not a string", false},
	{"zero replicas", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: t\n    replicas: 0\n", 4, 15,
		"topics[0].replicas must be at least 1, not 0", false},
	{"config list", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: t\n    config: [a]\n", 4, 13,
		"topics[0].config must be a mapping, not a list", false},
	{"config value null", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: t\n    config: {retention.ms: }\n", 4, 28,
		`topics[0].config["retention.ms"] must be a plain value (text or number), but is empty`, false},
	{"topic name with a space", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: my topic\n", 3, 11,
		`topics[0].name "my topic" is not a valid name: a Kafka topic name has only letters`, false},
	{"cluster name with a slash", "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: a/b\n", 3, 11,
		`clusters[0].name "a/b" is not a valid name`, false},
	{"owner a number", "apiVersion: central-config.io/kafka/v1\napplications:\n  - name: a\n    owner: 42\n", 4, 12,
		"applications[0].owner must be a string, not an integer", false},
	{"unknown kind", "apiVersion: central-config.io/kafka/v1\napplications:\n  - name: a\n    kind: producer\n", 4, 11,
		`applications[0].kind "producer" is not a kind; use one of service, user, stream, connector, ksql`, false},
	{"a star inside a ref", "apiVersion: central-config.io/kafka/v1\napplications:\n  - name: a\n    consumes: [\"a*b\"]\n", 4, 16,
		`applications[0].consumes[0] "a*b" is not a topic name, a prefix ending in *, or *`, false},
	{"a ref listed twice", "apiVersion: central-config.io/kafka/v1\napplications:\n  - name: a\n    produces: [t, u, t]\n", 4, 22,
		`applications[0].produces[2] "t" is already listed at line 4`, false},
	{"a version that is a boolean", "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: c\n    version: true\n", 4, 14,
		"clusters[0].version must be a version like 4.0.0, not a boolean", false},
	{"a topic declared twice", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: t\n    cluster: c\n  - name: t\n    cluster: c\n", 5, 5,
		"topic c/t is already declared at line 3", true},
	{"a cluster name of 64 characters", "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: " + strings.Repeat("c", 64) + "\n", 3, 11,
		"clusters[0].name is longer than 63 characters", false},
	{"a topic name of 250 characters", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: " + strings.Repeat("t", 250) + "\n", 3, 11,
		"topics[0].name is longer than 249 characters, the most Kafka allows", false},
	{"another version", "apiVersion: central-config.io/kafka/v2\n", 1, 13,
		"apiVersion central-config.io/kafka/v2 is not supported; this engine reads central-config.io/kafka/v1", false},
}

func TestBrokenDocumentsAreReportedAtThePosition(t *testing.T) {
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			top := reader.WantError(t, c.text, c.line, c.col, c.fragment)
			if len(top.Topics)+len(top.Clusters)+len(top.Applications) > 1 {
				t.Fatalf("the broken element is left out: %+v", top)
			}
		})
	}
}

// TestTheBadElementIsLeftOutTheOthersKept: one broken topic does not hide
// the others.
func TestTheBadElementIsLeftOutTheOthersKept(t *testing.T) {
	top, diags := reader.ReadText(t, "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: a\n  - name: b\n    partitions: many\n  - name: c\n")
	if len(diags) != 1 || len(top.Topics) != 2 || top.Topics[0].Name != "a" || top.Topics[1].Name != "c" {
		t.Fatalf("%v %+v", diags, top.Topics)
	}
}

func TestOtherDocumentsAreNotDetected(t *testing.T) {
	for _, text := range []string{
		"apiVersion: central-config.io/v1\nteams: []\n",
		"apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopic\n",
		"topics: {a: {partitions: 1}}\n",
		"- a\n",
	} {
		docs := kafkatest.Decode(t, "x.yaml", text)
		if _, ok := native.Detect(docs[0]); ok {
			t.Errorf("detected %q", text)
		}
		_, diags := native.Read(docs[0])
		if len(diags) != 1 || diags[0].Severity != diag.Error {
			t.Errorf("Read of a foreign document: %v", diags)
		}
	}
	if top, diags := native.Read(nil); top == nil || diags != nil {
		t.Fatal("nil document")
	}
}

func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	file := filepath.Join(kafkatest.RepoRoot(t), "docs", "schema", "kafka.schema.json")
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("kafka.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("kafka.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestDocsExamplesAndSchemaAgreeWithTheReader: every example of our
// format in docs/kafka.md reads without a problem and passes the JSON
// Schema; every broken document above fails the schema too, so editors
// and the engine agree.
func TestDocsExamplesAndSchemaAgreeWithTheReader(t *testing.T) {
	s := schema(t)
	md, err := os.ReadFile(filepath.Join(kafkatest.RepoRoot(t), "docs", "kafka.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range yamlBlock.FindAllStringSubmatch(string(md), -1) {
		text := m[1]
		switch {
		case strings.Contains(text, "apiVersion: central-config.io/kafka/v1"):
		case strings.HasPrefix(text, "clusters:"), strings.HasPrefix(text, "topics:"), strings.HasPrefix(text, "applications:"):
			text = "apiVersion: central-config.io/kafka/v1\n" + text
		default:
			continue // another dialect's example
		}
		n++
		_, diags := reader.ReadText(t, text)
		if len(diags) != 0 {
			t.Fatalf("docs example reads with problems %v:\n%s", diags, text)
		}
		docs := kafkatest.Decode(t, "kafka.yaml", text)
		if err := s.Validate(docs[0].Root.Value()); err != nil {
			t.Fatalf("docs example fails the schema: %v\n%s", err, text)
		}
	}
	if n < 4 {
		t.Fatalf("only %d examples of our format in docs/kafka.md", n)
	}
	docs := kafkatest.Decode(t, "kafka.yaml", full)
	if err := s.Validate(docs[0].Root.Value()); err != nil {
		t.Fatalf("the full example fails the schema: %v", err)
	}
	for _, c := range bad {
		if c.inDocOnly {
			continue
		}
		docs := kafkatest.Decode(t, "kafka.yaml", c.text)
		if err := s.Validate(docs[0].Root.Value()); err == nil {
			t.Errorf("%s: the schema accepts what the reader rejects:\n%s", c.name, c.text)
		}
	}
}

// TestNamesAtTheBoundAreRead: a cluster name of 63 characters and a topic
// name of 249, the longest allowed, read without a problem.
func TestNamesAtTheBoundAreRead(t *testing.T) {
	cluster, topic := strings.Repeat("c", 63), strings.Repeat("t", 249)
	top, diags := reader.ReadText(t, "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: "+cluster+"\ntopics:\n  - name: "+topic+"\n")
	if len(diags) != 0 || len(top.Clusters) != 1 || top.Clusters[0].Name != cluster || len(top.Topics) != 1 || top.Topics[0].Name != topic {
		t.Fatalf("%v %+v", diags, top)
	}
}
