package dialect_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/document"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// TestExampleRepositoryReadsIntoTheAcmeTopology reads the example config
// repository's Kafka folder (Strimzi: a node pool and a Kafka, ten
// KafkaTopics, six KafkaUsers) into the topology its comments describe.
func TestExampleRepositoryReadsIntoTheAcmeTopology(t *testing.T) {
	dir := filepath.Join(kafkatest.RepoRoot(t), "examples", "central-config", "kafka")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var docs []*document.Document
	for _, e := range entries {
		docs = append(docs, kafkatest.DecodeFile(t, filepath.Join(dir, e.Name()), "kafka/"+e.Name())...)
	}
	if len(docs) != 2+10+6 {
		t.Fatalf("%d documents, want 18", len(docs))
	}
	top, diags := dialect.Read(docs)
	if len(diags) != 0 {
		t.Fatalf("diagnostics:\n%s", kafkatest.Render(diags))
	}
	if len(top.Clusters) != 1 || len(top.Topics) != 10 || len(top.Applications) != 6 || len(top.Producers()) != 4 || len(top.Consumers()) != 6 {
		t.Fatalf("clusters %d topics %d apps %d producers %d consumers %d", len(top.Clusters), len(top.Topics),
			len(top.Applications), len(top.Producers()), len(top.Consumers()))
	}
	// Brokers come from the dual-role node pool in the same file.
	wantCluster(t, top, "acme-events", 3, "4.0.0", "acme-events-kafka-bootstrap.kafka.svc:9093")
	for name, p := range map[string]int{
		"orders.order-created.v1": 12, "orders.order-cancelled.v1": 6, "payments.payment-authorized.v1": 12,
		"payments.payment-failed.v1": 6, "payments.refund-issued.v1": 6, "inventory.stock-reserved.v1": 12,
		"inventory.stock-level-changed.v1": 24, "catalog.product-updated.v1": 12, "shipping.shipment-dispatched.v1": 6,
		"returns.return-requested.v1": 3,
	} {
		wantTopic(t, top, "acme-events", name, p, 3)
	}
	tp := top.Topic("acme-events", "inventory.stock-level-changed.v1")
	if tp.Config["cleanup.policy"] != "compact" || tp.Config["min.compaction.lag.ms"] != "60000" || tp.Source.File != "kafka/topics.yaml" || tp.Source.Pos.Line != 95 {
		t.Fatalf("topic %+v", tp)
	}
	c := func(n string) string { return "acme-events/" + n }
	type io struct{ produces, consumes []string }
	want := map[string]io{
		"order-service": {
			[]string{c("orders.order-created.v1"), c("orders.order-cancelled.v1")},
			[]string{c("payments.payment-authorized.v1"), c("payments.payment-failed.v1"), c("payments.refund-issued.v1"),
				c("inventory.stock-reserved.v1"), c("shipping.shipment-dispatched.v1")}},
		"payment-gateway": {
			[]string{c("payments.payment-authorized.v1"), c("payments.payment-failed.v1"), c("payments.refund-issued.v1")},
			[]string{c("orders.order-cancelled.v1"), c("returns.return-requested.v1")}},
		"inventory-service": {
			[]string{c("inventory.stock-reserved.v1"), c("inventory.stock-level-changed.v1")},
			[]string{c("orders.order-created.v1"), c("orders.order-cancelled.v1")}},
		"shipping-service": {
			[]string{c("shipping.shipment-dispatched.v1")},
			[]string{c("orders.order-created.v1"), c("inventory.stock-reserved.v1")}},
		"notification-service": {nil,
			[]string{c("orders.order-created.v1"), c("orders.order-cancelled.v1"), c("shipping.shipment-dispatched.v1"), c("payments.refund-issued.v1")}},
		"search-service": {nil,
			[]string{c("catalog.product-updated.v1"), c("inventory.stock-level-changed.v1")}},
	}
	for name, w := range want {
		a := wantApp(t, top, name, kafka.KindUser, "User:CN="+name)
		wantRefs(t, name+" produces", a.Produces, w.produces...)
		wantRefs(t, name+" consumes", a.Consumes, w.consumes...)
		wantGroups(t, a, name)
	}
}

// TestSplitGitOpsFilesMerge reads the Confluent Cloud example, whose state
// is split over four files: the service in services.yaml consumes the
// topic of topics.yaml, and the operator of users.yaml reads it too.
func TestSplitGitOpsFilesMerge(t *testing.T) {
	top, diags, _ := readFixtures(t, "kafka-gitops/confluent-cloud-state.yaml", "kafka-gitops/services.yaml",
		"kafka-gitops/topics.yaml", "kafka-gitops/users.yaml")
	if len(diags) != 0 {
		t.Fatalf("diagnostics:\n%s", kafkatest.Render(diags))
	}
	wantTopic(t, top, "", "my-test-topic", 6, 3)
	a := wantApp(t, top, "my-test-service", kafka.KindService, "")
	wantRefs(t, "my-test-service consumes", a.Consumes, "my-test-topic")
	if r := a.Consumes[0]; r.Source.File != "kafka-gitops/services.yaml" || r.Source.Pos != (document.Pos{Line: 5, Column: 9}) {
		t.Fatalf("the ref points at the consumes item: %+v", r.Source)
	}
	a = wantApp(t, top, "john-doe", kafka.KindUser, "")
	wantRefs(t, "john-doe consumes", a.Consumes, "my-test-topic")
	if len(top.Topics) != 1 || len(top.Applications) != 2 {
		t.Fatalf("topics %d apps %d", len(top.Topics), len(top.Applications))
	}
}

// TestJulieOpsDescriptorsMergeByPrincipal reads three descriptors of one
// folder together: App0 is one application across them.
func TestJulieOpsDescriptorsMergeByPrincipal(t *testing.T) {
	top, diags, _ := readFixtures(t, "julieops/1-descriptor.yaml", "julieops/dir_with_multiple-descriptor.yaml",
		"julieops/descriptor-with-others.yml")
	noErrors(t, diags)
	if len(top.Topics) != 9 || len(top.Applications) != 4 {
		t.Fatalf("topics %d apps %d: %v", len(top.Topics), len(top.Applications), topicNames(top))
	}
	a := wantApp(t, top, "App1", kafka.KindService, "User:App1")
	wantRefs(t, "App1 consumes", a.Consumes,
		"contextOrg.source.projectFoo.foo", "contextOrg.source.projectFoo.bar.avro",
		"contextOrg.source.foo.foo", "contextOrg.source.foo.bar.avro",
		"contextOrg.source.foo.bar.zet.foo.foo", "contextOrg.source.foo.bar.zet.foo.bar.avro")
}

// TestStrimziAndOurFormatMeet: a KafkaUser in one file, our application of
// the same name in another (saying which service it is and using a
// prefix), and topics in a third are one topology.
func TestStrimziAndOurFormatMeet(t *testing.T) {
	top, diags := readTexts(t,
		"kafka/topics.yaml", `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: orders.created
  labels: {strimzi.io/cluster: events}
spec: {partitions: 6, replicas: 3}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: orders.cancelled
  labels: {strimzi.io/cluster: events}
spec: {partitions: 6, replicas: 3}
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: payments.done
  labels: {strimzi.io/cluster: events}
`,
		"kafka/users.yaml", `apiVersion: kafka.strimzi.io/v1
kind: KafkaUser
metadata:
  name: billing
  labels: {strimzi.io/cluster: events}
spec:
  authorization:
    type: simple
    acls:
      - resource: {type: topic, name: orders., patternType: prefix}
        operations: [Read, Describe]
      - resource: {type: topic, name: "*"}
        operations: [Write]
        type: deny
`,
		"kafka/apps.yaml", `apiVersion: central-config.io/kafka/v1
applications:
  - name: billing
    service: billing-service
    owner: payments
    produces: [payments.done]
`)
	noErrors(t, diags)
	if len(diags) != 0 {
		t.Fatalf("diagnostics:\n%s", kafkatest.Render(diags))
	}
	a := wantApp(t, top, "billing", kafka.KindService, "User:billing")
	wantRefs(t, "billing consumes", a.Consumes, "events/orders.created", "events/orders.cancelled")
	wantRefs(t, "billing produces", a.Produces, "events/payments.done")
	if a.Service != "billing-service" || a.Owner != "payments" {
		t.Fatalf("service %q owner %q", a.Service, a.Owner)
	}
	if r := a.Consumes[0]; r.Pattern != "orders." || r.PatternType != kafka.Prefixed || r.Source.File != "kafka/users.yaml" || r.Source.Pos.Line != 11 {
		t.Fatalf("ref %+v", r)
	}
}

// TestConflictsAreReportedAtBothDeclarations: one topic with 12 partitions
// in our format and 6 in Strimzi, and two owners of one application.
func TestConflictsAreReportedAtBothDeclarations(t *testing.T) {
	_, diags := readTexts(t,
		"kafka/ours.yaml", `apiVersion: central-config.io/kafka/v1
topics:
  - name: orders
    cluster: events
    partitions: 12
    config: {retention.ms: 1000}
applications:
  - name: shop
    owner: sales
`,
		"kafka/strimzi.yaml", `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaTopic
metadata:
  name: orders
  labels: {strimzi.io/cluster: events}
spec:
  partitions: 6
  config: {retention.ms: 2000}
`,
		"kafka/other.yaml", `apiVersion: central-config.io/kafka/v1
applications:
  - name: shop
    owner: marketing
`)
	_ = kafkatest.WantDiag(t, diags, "kafka/ours.yaml", 5, 17, diag.Error, kafka.CodeConflict,
		"topic events/orders: partitions is 12 here but 6 at kafka/strimzi.yaml:7:15")
	_ = kafkatest.WantDiag(t, diags, "kafka/strimzi.yaml", 7, 15, diag.Error, kafka.CodeConflict,
		"topic events/orders: partitions is 6 here but 12 at kafka/ours.yaml:5:17")
	_ = kafkatest.WantDiag(t, diags, "kafka/ours.yaml", 6, 28, diag.Error, kafka.CodeConflict, "config retention.ms is 1000 here but 2000 at kafka/strimzi.yaml:8:26")
	_ = kafkatest.WantDiag(t, diags, "kafka/strimzi.yaml", 8, 26, diag.Error, kafka.CodeConflict, "config retention.ms is 2000 here but 1000 at kafka/ours.yaml:6:28")
	_ = kafkatest.WantDiag(t, diags, "kafka/ours.yaml", 9, 12, diag.Error, kafka.CodeConflict, "application shop: owner is sales here but marketing at kafka/other.yaml:4:12")
	_ = kafkatest.WantDiag(t, diags, "kafka/other.yaml", 4, 12, diag.Error, kafka.CodeConflict, "application shop: owner is marketing here but sales at kafka/ours.yaml:9:12")
	if len(diags) != 6 {
		t.Fatalf("want 6 diagnostics:\n%s", kafkatest.Render(diags))
	}
}

// TestDocumentsThatAreNotKafkaAreNotClaimed: other readers of the engine
// handle them; no diagnostics, nothing read.
func TestDocumentsThatAreNotKafkaAreNotClaimed(t *testing.T) {
	for name, text := range map[string]string{
		"central-config": "apiVersion: central-config.io/v1\nteams:\n  - name: payments\n",
		"backstage":      "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\nspec: {type: service, owner: a, lifecycle: production}\n",
		"deployment":     "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
		"kafka connect":  "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnect\nmetadata: {name: x}\nspec: {replicas: 1}\n",
		"openapi":        "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
		"topics list":    "topics: [a, b]\n",
		"gitops-ish":     "topics: {a: {partitions: 1}}\nname: something-else\n",
		"context only":   "context: prod\nregion: eu\n",
		"k8s with keys":  "apiVersion: v1\nkind: ConfigMap\ncontext: a\nprojects: []\n",
		"a list":         "- topics\n- services\n",
		"a scalar":       "hello\n",
		"rules":          "apps:\n  - id: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			docs := kafkatest.Decode(t, "x.yaml", text)
			for _, d := range docs {
				if dl, ok := dialect.Detect(d); ok {
					t.Fatalf("claimed as %s", dl)
				}
				if f, diags, claimed := dialect.ReadDocument(d); claimed || f != nil || diags != nil {
					t.Fatalf("ReadDocument claimed it: %v %v %v", f, diags, claimed)
				}
			}
			top, diags := dialect.Read(docs)
			if !top.Empty() || len(diags) != 0 {
				t.Fatalf("read %+v %v", top, diags)
			}
		})
	}
}

// TestKafkaLookalikesThatCannotBeReadAreErrors: documents claimed by a
// dialect but unreadable name the dialect guess and the position.
func TestKafkaLookalikesThatCannotBeReadAreErrors(t *testing.T) {
	cases := []struct {
		name, text     string
		dialect        kafka.Dialect
		line, col      int
		code, fragment string
	}{
		{"our format, another version", "apiVersion: central-config.io/kafka/v2\ntopics: []\n", kafka.DialectNative, 1, 13, diag.CodeSchema,
			"apiVersion central-config.io/kafka/v2 is not supported; this engine reads central-config.io/kafka/v1"},
		{"Strimzi, a kind with a typo", "apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaTopik\nmetadata: {name: x}\n", kafka.DialectStrimzi, 2, 7, kafka.CodeDialect,
			"looks like a Strimzi KafkaTopik (apiVersion kafka.strimzi.io/v1beta2) but kind KafkaTopik is not one of Kafka, KafkaNodePool, KafkaTopic, KafkaUser"},
		{"Strimzi, an old version", "apiVersion: kafka.strimzi.io/v1alpha1\nkind: KafkaTopic\nmetadata: {name: x}\n", kafka.DialectStrimzi, 1, 13, kafka.CodeDialect,
			"looks like a Strimzi KafkaTopic (apiVersion kafka.strimzi.io/v1alpha1) but only kafka.strimzi.io/v1beta2 and kafka.strimzi.io/v1 are read"},
		{"Strimzi, no kind", "apiVersion: kafka.strimzi.io/v1\nmetadata: {name: x}\n", kafka.DialectStrimzi, 1, 1, kafka.CodeDialect,
			"looks like a Strimzi resource (apiVersion kafka.strimzi.io/v1) but kind is missing"},
		{"Strimzi, partitions as text", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata:\n  name: x\n  labels: {strimzi.io/cluster: c}\nspec:\n  partitions: \"3\"\n", kafka.DialectStrimzi, 7, 15, kafka.CodeDialect,
			"looks like a Strimzi KafkaTopic (apiVersion kafka.strimzi.io/v1) but spec.partitions must be an integer, not a string"},
		{"Strimzi, a node pool without a cluster", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaNodePool\nmetadata:\n  name: pool\nspec: {replicas: 3, roles: [broker]}\n", kafka.DialectStrimzi, 4, 3, kafka.CodeDialect,
			"metadata.labels has no strimzi.io/cluster label naming its Kafka cluster"},
		{"Strimzi, an operation with a typo", "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata: {name: u, labels: {strimzi.io/cluster: c}}\nspec:\n  authorization:\n    type: simple\n    acls:\n      - resource: {type: topic, name: t}\n        operations: [Read, write]\n", kafka.DialectStrimzi, 9, 28, kafka.CodeDialect,
			`spec.authorization.acls[0] operation "write" is not one of Read, Write`},
		{"JulieOps, topics not a list", `context: "c"
projects:
  - name: a
    topics: []
  - name: b
  - name: c
    topics:
      foo: {config: {}}
`, kafka.DialectJulieOps, 8, 7, kafka.CodeDialect,
			"looks like a JulieOps descriptor (has context and projects) but projects[2].topics must be a list, not a mapping"},
		{"JulieOps, projects not a list", "context: c\nprojects: {a: 1}\n", kafka.DialectJulieOps, 2, 11, kafka.CodeDialect,
			"looks like a JulieOps descriptor (has context and projects) but projects must be a list, not a mapping"},
		{"JulieOps, a consumer without principal", "context: c\nprojects:\n  - name: p\n    consumers:\n      - group: g\n", kafka.DialectJulieOps, 5, 9, kafka.CodeDialect,
			"but projects[0].consumers[0].principal is missing"},
		{"JulieOps, partitions not a number", "context: c\nprojects:\n  - name: p\n    topics:\n      - name: t\n        config: {num.partitions: many}\n", kafka.DialectJulieOps, 6, 34, kafka.CodeDialect,
			`but projects[0].topics[0].config["num.partitions"] must be a whole number, not "many"`},
		{"JulieOps, older dialect, a map in the name", "team: t\nsource: s\nextra: {a: b}\nprojects: []\n", kafka.DialectJulieOps, 3, 8, kafka.CodeDialect,
			"looks like a JulieOps descriptor (has team and source) but extra must be a plain value: JulieOps puts every top-level field into topic names"},
		{"kafka-gitops, a service without type", "services:\n  my-app:\n    produces: [a]\n", kafka.DialectGitOps, 3, 5, kafka.CodeDialect,
			"looks like a kafka-gitops state file (has services) but services.my-app.type is missing"},
		{"kafka-gitops, partitions missing", "topics:\n  orders.v1:\n    replication: 3\nservices: {}\n", kafka.DialectGitOps, 3, 5, kafka.CodeDialect,
			`looks like a kafka-gitops state file (has topics and services) but topics["orders.v1"].partitions is missing`},
		{"kafka-gitops, a bad custom ACL", "customUserAcls:\n  u:\n    acl:\n      name: x\n      type: TOPIC\n      pattern: PREFIX\n      host: '*'\n      operation: READ\n      permission: ALLOW\n", kafka.DialectGitOps, 6, 16, kafka.CodeDialect,
			`customUserAcls.u.acl.pattern "PREFIX" is not one of LITERAL, PREFIXED`},
		{"kafka-gitops, services a list", "services: [a, b]\ntopics: {}\n", kafka.DialectGitOps, 1, 11, kafka.CodeDialect,
			"services must be a mapping, not a list"},
		{"our format, an unknown key", "apiVersion: central-config.io/kafka/v1\ntopics:\n  - name: a\n    partition: 3\n", kafka.DialectNative, 4, 5, diag.CodeSchema,
			`unknown key "partition" in topics[0]; allowed: name, cluster, partitions, replicas, config, owner, description`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := kafkatest.Decode(t, "k.yaml", c.text)
			if dl, ok := dialect.Detect(docs[0]); !ok || dl != c.dialect {
				t.Fatalf("detected %q %v, want %q", dl, ok, c.dialect)
			}
			_, diags := dialect.Read(docs)
			kafkatest.CheckDiags(t, diags, "k.yaml")
			d := kafkatest.WantDiag(t, diags, "k.yaml", c.line, c.col, diag.Error, c.code, c.fragment)
			if !strings.Contains(d.String(), "k.yaml:") {
				t.Fatal(d)
			}
		})
	}
}

// TestReadSortsDiagnostics: whatever order documents come in, problems
// come out by file and position.
func TestReadSortsDiagnostics(t *testing.T) {
	_, diags := readTexts(t,
		"b.yaml", "apiVersion: central-config.io/kafka/v1\nnope: 1\n",
		"a.yaml", "apiVersion: central-config.io/kafka/v1\nclusters:\n  - name: x\n    size: 3\n",
	)
	if len(diags) != 2 || diags[0].File != "a.yaml" || diags[1].File != "b.yaml" {
		t.Fatalf("diagnostics not sorted:\n%s", kafkatest.Render(diags))
	}
}
