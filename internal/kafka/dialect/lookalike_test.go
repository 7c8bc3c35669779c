package dialect_test

import (
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/dialect"
	"github.com/central-config/central-config/internal/kafka/internal/kafkatest"
)

// TestNoDialectDocumentIsALookalike runs Lookalike on every document of
// the public fixtures of the four dialects.
func TestNoDialectDocumentIsALookalike(t *testing.T) {
	n := 0
	for rel := range fixtures {
		_, _, docs := readFixtures(t, rel)
		for _, doc := range docs {
			n++
			if d, ok := dialect.Lookalike(doc); ok {
				t.Errorf("%s: a %s document taken for a lookalike: %v", rel, must(dialect.Detect(doc)), d)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d documents", n)
	}
}

func must(d kafka.Dialect, _ bool) kafka.Dialect { return d }

func TestALookalikeIsAWarningAtTheDocument(t *testing.T) {
	kafkakewl := `{
  "namespace": "acme.payments",
  "topics": {"payments": {"name": "acme.payments.payments", "partitions": 6}},
  "applications": {"gateway": {"user": "svc-gateway"}},
  "relationships": {"gateway": {"produce": ["payments"]}}
}`
	for name, text := range map[string]string{
		"kafkakewl.json": kafkakewl,
		"clusters.yaml":  "topics: [orders]\nclusters: [main]\n",
		"services.yaml":  "topics: {orders: {}}\nservices: {shop: {}}\nowners: [x]\n", // kafka-gitops has no owners key
		"projects.yaml":  "topics: [orders]\nprojects: [{name: shop}]\n",              // JulieOps needs a context
	} {
		docs := kafkatest.Decode(t, name, text)
		d, ok := dialect.Lookalike(docs[0])
		if !ok {
			t.Errorf("%s: not taken for a lookalike", name)
			continue
		}
		if d.File != name || d.Line != 1 || d.Column != 1 || d.Severity != diag.Warning || d.Code != kafka.CodeUnknownFormat ||
			!strings.Contains(d.Message, "supported: "+dialect.Supported) {
			t.Errorf("%s: %v", name, d)
		}
	}
	for name, text := range map[string]string{
		"no-topics.yaml":    "applications: [a]\nclusters: [b]\n",
		"topics-only.yaml":  "topics: [a]\n",
		"list.yaml":         "- topics\n- applications\n",
		"gitops.yaml":       "topics:\n  orders: {partitions: 1, replication: 1}\nservices:\n  shop: {type: application, produces: [orders]}\n",
		"native-kafka.yaml": "apiVersion: central-config.io/kafka/v1\ntopics: [{name: a, cluster: c}]\nclusters: [{name: c}]\n",
	} {
		if d, ok := dialect.Lookalike(kafkatest.Decode(t, name, text)[0]); ok {
			t.Errorf("%s taken for a lookalike: %v", name, d)
		}
	}
}
