package kafka_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/kafka"
)

// backstageName is Backstage's rule for metadata.name (with the length
// checked apart).
var backstageName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)

func checkName(t *testing.T, name string) {
	t.Helper()
	if len(name) > 63 || !backstageName.MatchString(name) {
		t.Errorf("%q (%d characters) is not a valid Backstage metadata.name", name, len(name))
	}
}

func TestTopicEntityName(t *testing.T) {
	long := strings.Repeat("abcdefghij.", 10) + "v1" // 112 characters
	tests := []struct {
		name           string
		cluster, topic string
		want           string
		// prefix, when set, is what want must start with (for hashed names).
		prefix string
		length int
	}{
		{name: "a valid topic name is kept as it is", topic: "orders.order-created.v1", want: "orders.order-created.v1"},
		{name: "underscores, dots and dashes are kept", topic: "a_b.c-d", want: "a_b.c-d"},
		{name: "a cluster, when given, comes first with two dashes", cluster: "acme-events", topic: "orders.v1", want: "acme-events--orders.v1"},
		{name: "characters Backstage refuses become dashes", topic: "orders/created v1:x", want: "orders-created-v1-x"},
		{name: "each non-ASCII letter becomes one dash", topic: "größe.v1", want: "gr--e.v1"},
		{name: "separators at the ends are trimmed", topic: "__orders.created.-", want: "orders.created"},
		{name: "the cluster is cleaned by the same rule", cluster: "_eu west_", topic: "t", want: "eu-west--t"},
		{name: "a name of exactly 63 characters is kept", topic: strings.Repeat("a", 63), want: strings.Repeat("a", 63)},
		{name: "a longer name is cut to 54 characters and ends with a hash", topic: long,
			prefix: long[:54] + "-", length: 63},
		{name: "a cut that ends on a separator trims it before the hash", topic: strings.Repeat("a", 53) + "." + strings.Repeat("b", 20),
			prefix: strings.Repeat("a", 53) + "-", length: 53 + 1 + 8},
		{name: "a cluster prefix that makes a name too long is hashed with the cluster", cluster: "prod", topic: strings.Repeat("x", 62),
			prefix: "prod--" + strings.Repeat("x", 48) + "-", length: 63},
		{name: "a name with no valid character left is topic and a hash", topic: "###", prefix: "topic-", length: 14},
		{name: "an empty name is topic and a hash", topic: "", prefix: "topic-", length: 14},
		{name: "a cluster with no valid character is left out", cluster: "***", topic: "t", want: "t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kafka.TopicEntityName(tt.cluster, tt.topic)
			checkName(t, got)
			if tt.want != "" && got != tt.want {
				t.Errorf("TopicEntityName(%q, %q) = %q, want %q", tt.cluster, tt.topic, got, tt.want)
			}
			if tt.prefix != "" && (!strings.HasPrefix(got, tt.prefix) || len(got) != tt.length) {
				t.Errorf("TopicEntityName(%q, %q) = %q, want %q and a hash, %d characters", tt.cluster, tt.topic, got, tt.prefix, tt.length)
			}
			if again := kafka.TopicEntityName(tt.cluster, tt.topic); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
	t.Run("two long names that share their first 54 characters get different names", func(t *testing.T) {
		a, b := kafka.TopicEntityName("", long+"a"), kafka.TopicEntityName("", long+"b")
		if a == b {
			t.Errorf("both are %q", a)
		}
	})
	t.Run("the same long name on two clusters gets two names", func(t *testing.T) {
		a, b := kafka.TopicEntityName("eu", long), kafka.TopicEntityName("us", long)
		if a == b {
			t.Errorf("both are %q", a)
		}
	})
	t.Run("every name is valid, whatever the input", func(t *testing.T) {
		for _, s := range []string{"-", ".", "a", "-a-", "a..b", "ä", "日本語", strings.Repeat("-", 100) + "a", strings.Repeat("é", 80),
			"a" + strings.Repeat(".", 70) + "b", strings.Repeat("ab", 40)} {
			for _, c := range []string{"", "c", "-", strings.Repeat("c", 70)} {
				checkName(t, kafka.TopicEntityName(c, s))
			}
		}
	})
}

func TestTopicEntityNames(t *testing.T) {
	topics := func(keys ...string) *kafka.Topology {
		top := &kafka.Topology{}
		for _, k := range keys {
			cluster, name, ok := strings.Cut(k, "/")
			if !ok {
				cluster, name = "", k
			}
			top.Topics = append(top.Topics, kafka.Topic{Cluster: cluster, Name: name})
		}
		return top
	}
	key := func(k string) kafka.TopicKey {
		cluster, name, ok := strings.Cut(k, "/")
		if !ok {
			return kafka.TopicKey{Name: k}
		}
		return kafka.TopicKey{Cluster: cluster, Name: name}
	}
	tests := []struct {
		name string
		top  *kafka.Topology
		want map[string]string // key -> name; "#" at the end: that prefix and a hash
	}{
		{"a topic name used on one cluster only is the bare name",
			topics("prod/orders.v1", "prod/payments.v1", "stage/returns.v1"),
			map[string]string{"prod/orders.v1": "orders.v1", "prod/payments.v1": "payments.v1", "stage/returns.v1": "returns.v1"}},
		{"a topic name used on two clusters is prefixed with each cluster",
			topics("prod/orders.v1", "stage/orders.v1", "prod/payments.v1"),
			map[string]string{"prod/orders.v1": "prod--orders.v1", "stage/orders.v1": "stage--orders.v1", "prod/payments.v1": "payments.v1"}},
		{"a topic on no named cluster keeps the bare name next to one on a cluster",
			topics("orders.v1", "prod/orders.v1"),
			map[string]string{"orders.v1": "orders.v1", "prod/orders.v1": "prod--orders.v1"}},
		{"a prefixed name equal to another topic's name makes both hashed",
			topics("prod/x", "stage/x", "prod--x"),
			map[string]string{"prod/x": "prod--x-#", "prod--x": "prod--x-#", "stage/x": "stage--x"}},
		{"names equal after cleaning are both hashed",
			topics("a b", "a-b", "c"),
			map[string]string{"a b": "a-b-#", "a-b": "a-b-#", "c": "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kafka.TopicEntityNames(tt.top)
			if len(got) != len(tt.want) {
				t.Fatalf("%d names, want %d: %v", len(got), len(tt.want), got)
			}
			seen := map[string]kafka.TopicKey{}
			for k, w := range tt.want {
				n := got[key(k)]
				checkName(t, n)
				if p, hashed := strings.CutSuffix(w, "#"); hashed {
					if !strings.HasPrefix(n, p) || len(n) != len(p)+8 {
						t.Errorf("%s is %q, want %q and a hash", k, n, p)
					}
				} else if n != w {
					t.Errorf("%s is %q, want %q", k, n, w)
				}
				if other, dup := seen[n]; dup {
					t.Errorf("%s and %s are both %q", k, other, n)
				}
				seen[n] = key(k)
			}
		})
	}
	t.Run("the names do not depend on the order of the topics", func(t *testing.T) {
		a := kafka.TopicEntityNames(topics("prod/x", "stage/x", "prod--x", "a b", "a-b"))
		b := kafka.TopicEntityNames(topics("a-b", "prod--x", "a b", "stage/x", "prod/x"))
		for k, n := range a {
			if b[k] != n {
				t.Errorf("%v is %q or %q by order", k, n, b[k])
			}
		}
	})
	t.Run("no topology has no names", func(t *testing.T) {
		if got := kafka.TopicEntityNames(nil); len(got) != 0 {
			t.Errorf("got %v", got)
		}
	})
}
