package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Kafka configures what the engine does with real Kafka clusters.
type Kafka struct {
	// Discovery, when set, lists what really exists on the clusters and
	// compares it with the declared topology (drift).
	Discovery *KafkaDiscovery `config:"discovery"`
}

// KafkaDiscovery is live discovery: every Interval the engine connects to
// each cluster, lists its topics and consumer groups and keeps the result.
type KafkaDiscovery struct {
	// Interval is the time between two discoveries; default 5 minutes.
	Interval *Duration `config:"interval"`
	// Timeout bounds one discovery of one cluster; default 10 seconds.
	Timeout *Duration `config:"timeout"`
	// IgnoreTopics and IgnoreGroups are names, or prefixes ending in *,
	// of topics and consumer groups that are never compared (tools'
	// own topics, ad-hoc console consumers).
	IgnoreTopics []string `config:"ignoreTopics"`
	IgnoreGroups []string `config:"ignoreGroups"`
	// Clusters are the clusters to discover.
	Clusters []KafkaCluster `config:"clusters"`
}

// KafkaCluster is how to reach one cluster of the topology.
type KafkaCluster struct {
	// Name is the cluster's name in the topology.
	Name string `config:"name"`
	// BootstrapServers are host:port addresses of some of its brokers.
	BootstrapServers []string `config:"bootstrapServers"`
	// TopicsWithoutCluster also compares the topics declared on no named
	// cluster (JulieOps, kafka-gitops) with this cluster.
	TopicsWithoutCluster bool       `config:"topicsWithoutCluster"`
	SASL                 *KafkaSASL `config:"sasl"`
	TLS                  *KafkaTLS  `config:"tls"`
}

// KafkaSASL is SASL authentication.
type KafkaSASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `config:"mechanism"`
	Username  string `config:"username"`
	Password  Secret `config:"password"`
}

// KafkaTLS is TLS to the brokers.
type KafkaTLS struct {
	Enabled bool `config:"enabled"`
	// CAFile is a PEM file of the CAs to trust instead of the system's.
	CAFile string `config:"caFile"`
	// ServerName is the name to verify the brokers' certificates for,
	// when it is not the host of the address.
	ServerName string `config:"serverName"`
}

// The SASL mechanisms discovery supports.
var kafkaSASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

func (k Kafka) check() error {
	d := k.Discovery
	if d == nil {
		return nil
	}
	at := Key + ".kafka.discovery"
	if d.Interval != nil && *d.Interval <= 0 {
		return fmt.Errorf("%s.interval must be longer than 0", at)
	}
	if d.Timeout != nil && *d.Timeout <= 0 {
		return fmt.Errorf("%s.timeout must be longer than 0", at)
	}
	for _, l := range []struct {
		key  string
		list []string
	}{{"ignoreTopics", d.IgnoreTopics}, {"ignoreGroups", d.IgnoreGroups}} {
		for i, p := range l.list {
			if p == "" || strings.Contains(strings.TrimSuffix(p, "*"), "*") {
				return fmt.Errorf("%s.%s[%d]: %q must be a name, or a prefix ending in *", at, l.key, i, p)
			}
		}
	}
	if len(d.Clusters) == 0 {
		return fmt.Errorf("%s.clusters must list at least one cluster (leave discovery out to turn it off)", at)
	}
	seen := map[string]bool{}
	for i, c := range d.Clusters {
		at := fmt.Sprintf("%s.clusters[%d]", at, i)
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("%s.name is required: the name of a cluster of the topology", at)
		}
		if seen[c.Name] {
			return fmt.Errorf("%s.name: cluster %q is listed twice", at, c.Name)
		}
		seen[c.Name] = true
		if len(c.BootstrapServers) == 0 {
			return fmt.Errorf("%s.bootstrapServers must list at least one host:port", at)
		}
		for j, addr := range c.BootstrapServers {
			if err := checkHostPort(addr); err != nil {
				return fmt.Errorf("%s.bootstrapServers[%d]: %w", at, j, err)
			}
		}
		if err := c.SASL.check(at + ".sasl"); err != nil {
			return err
		}
		if t := c.TLS; t != nil && !t.Enabled && (t.CAFile != "" || t.ServerName != "") {
			return fmt.Errorf("%s.tls: caFile and serverName need enabled: true (without it the connection is not encrypted)", at)
		}
	}
	return nil
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 1 to 65535", addr)
	}
	return nil
}

func (s *KafkaSASL) check(at string) error {
	if s == nil {
		return nil
	}
	found := false
	for _, m := range kafkaSASLMechanisms {
		if strings.EqualFold(s.Mechanism, m) {
			s.Mechanism, found = m, true
		}
	}
	if !found {
		return fmt.Errorf("%s.mechanism must be one of %s, not %q", at, strings.Join(kafkaSASLMechanisms, ", "), s.Mechanism)
	}
	if s.Username == "" {
		return fmt.Errorf("%s.username is required", at)
	}
	if s.Password == "" {
		return fmt.Errorf("%s.password is required (an unset ${VAR} leaves it out)", at)
	}
	return nil
}
