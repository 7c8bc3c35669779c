// Package live discovers what really exists on Kafka clusters: their
// topics, with partitions and replication factor, and their consumer
// groups, listed with franz-go's admin client. A Monitor does it for each
// configured cluster on an interval and keeps the last observation, which
// package drift compares with the declared topology. A cluster that
// cannot be reached is a state of its observation, never an error of the
// engine.
package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/central-config/central-config/internal/kafka/drift"
)

// Cluster is how to reach one cluster, and what of the topology it is
// compared with.
type Cluster struct {
	Scope drift.Scope
	// Seeds are host:port addresses of some of its brokers.
	Seeds []string
	// SASL authenticates the connections; nil for none.
	SASL *SASL
	// TLS encrypts them; nil for plaintext.
	TLS *tls.Config
}

// SASL is a SASL mechanism and its credentials.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	Username  string
	Password  string
}

func (s *SASL) mechanism() (sasl.Mechanism, error) {
	switch s.Mechanism {
	case "PLAIN":
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("unsupported SASL mechanism %q", s.Mechanism)
}

// TLSConfig returns the TLS settings for brokers: the CAs of caFile (PEM)
// instead of the system's when it is set, and serverName as the name to
// verify when it is set.
func TLSConfig(caFile, serverName string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	c.RootCAs = x509.NewCertPool()
	if !c.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return c, nil
}

// Discover connects to the cluster and lists its topics, without Kafka's
// internal ones, and its consumer groups. A partial answer (a broker that
// does not answer the group listing) is an error: findings from half a
// cluster would be wrong. Errors never contain the password.
func Discover(ctx context.Context, c Cluster) (drift.Observed, error) {
	obs, err := discover(ctx, c)
	if err == nil {
		return obs, nil
	}
	msg := err.Error()
	if c.SASL != nil {
		switch {
		case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
			msg += fmt.Sprintf(" (SASL %s as user %q)", c.SASL.Mechanism, c.SASL.Username)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			// Some brokers drop the connection on a failed
			// authentication instead of answering it.
			msg += fmt.Sprintf(" (the broker closed the connection: check the SASL credentials of user %q and the mechanism %s, and whether the listener needs TLS)",
				c.SASL.Username, c.SASL.Mechanism)
		}
		if c.SASL.Password != "" {
			msg = strings.ReplaceAll(msg, c.SASL.Password, "[redacted]")
		}
	}
	return drift.Observed{}, errors.New(msg)
}

func discover(ctx context.Context, c Cluster) (drift.Observed, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Seeds...), kgo.ClientID("central-config")}
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS.Clone()))
	}
	if c.SASL != nil {
		m, err := c.SASL.mechanism()
		if err != nil {
			return drift.Observed{}, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return drift.Observed{}, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return drift.Observed{}, fmt.Errorf("list topics: %w", err)
	}
	var obs drift.Observed
	for _, td := range topics.Sorted() {
		if td.IsInternal {
			continue
		}
		t := drift.Topic{Name: td.Topic}
		// A topic that failed to load (no leader yet) has no partitions:
		// it exists, its numbers are unknown (0) and not compared.
		if td.Err == nil && len(td.Partitions) > 0 {
			t.Partitions = len(td.Partitions)
			t.Replicas = minReplicas(td.Partitions)
		}
		obs.Topics = append(obs.Topics, t)
	}
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		return drift.Observed{}, fmt.Errorf("list consumer groups: %w", err)
	}
	for _, g := range groups.Sorted() {
		if isConsumerGroup(g) {
			obs.Groups = append(obs.Groups, g.Group)
		}
	}
	return obs, nil
}

// minReplicas is the smallest replica count of the partitions: during a
// reassignment a partition lists its new replicas as well as the old.
func minReplicas(ps kadm.PartitionDetails) int {
	n := -1
	for _, p := range ps {
		if n < 0 || len(p.Replicas) < n {
			n = len(p.Replicas)
		}
	}
	return max(n, 0)
}

// isConsumerGroup tells consumer groups (protocol type consumer, or none
// for groups that only commit offsets, and Kafka Streams groups) from the
// other users of the group protocol: Kafka Connect workers, Schema
// Registry's leader election, share groups.
func isConsumerGroup(g kadm.ListedGroup) bool {
	if g.GroupType == "share" {
		return false
	}
	return slices.Contains([]string{"", "consumer"}, g.ProtocolType) || g.GroupType == "streams"
}
