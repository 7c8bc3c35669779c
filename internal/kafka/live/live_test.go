package live_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/central-config/central-config/internal/kafka"
	"github.com/central-config/central-config/internal/kafka/drift"
	"github.com/central-config/central-config/internal/kafka/live"
)

// newCluster starts an in-process Kafka (kfake) that the test closes.
func newCluster(t *testing.T, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// admin is an admin client of the cluster, with extra client options
// (SASL, TLS).
func admin(t *testing.T, c *kfake.Cluster, opts ...kgo.Opt) (*kadm.Client, *kgo.Client) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.ListenAddrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), cl
}

func createTopic(t *testing.T, adm *kadm.Client, name string, partitions int32, replicas int16) {
	t.Helper()
	r, err := adm.CreateTopic(context.Background(), partitions, replicas, nil, name)
	if err == nil {
		err = r.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
}

// commitGroup makes a consumer group that only committed offsets, as
// tools and simple consumers do.
func commitGroup(t *testing.T, adm *kadm.Client, group, topic string) {
	t.Helper()
	resp, err := adm.CommitOffsets(context.Background(), group, kadm.OffsetsFromRecords(kgo.Record{Topic: topic, Partition: 0, Offset: 1}))
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit offsets of %s: %v", group, err)
	}
}

// joinGroup runs a real group consumer until it has consumed a record
// and committed, and keeps it in the group until the test ends.
func joinGroup(t *testing.T, c *kfake.Cluster, group, topic string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, producer := admin(t, c)
	if err := producer.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	_, consumer := admin(t, c, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit())
	for {
		fs := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumer group %s consumed nothing: %v", group, err)
		}
		if fs.NumRecords() > 0 {
			break
		}
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
}

func discover(t *testing.T, c live.Cluster, timeout time.Duration) (drift.Observed, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return live.Discover(ctx, c)
}

func TestDiscoverListsTopicsAndConsumerGroupsButNotInternalTopics(t *testing.T) {
	c := newCluster(t, kfake.NumBrokers(3))
	adm, _ := admin(t, c)
	createTopic(t, adm, "orders.v1", 6, 3)
	createTopic(t, adm, "payments.v1", 3, 1)
	commitGroup(t, adm, "order-service", "orders.v1")
	joinGroup(t, c, "payment-listener", "payments.v1")

	got, err := discover(t, live.Cluster{Seeds: c.ListenAddrs()}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := drift.Observed{
		Topics: []drift.Topic{{Name: "orders.v1", Partitions: 6, Replicas: 3}, {Name: "payments.v1", Partitions: 3, Replicas: 1}},
		Groups: []string{"order-service", "payment-listener"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("observed\n got %+v\nwant %+v (__consumer_offsets is Kafka's own and never listed)", got, want)
	}
}

// declared is the repository's view of cluster prod: orders.v1 with 12
// partitions (6 on the cluster), payments.v1 replicated 3 times (1 on the
// cluster), invoices.v1 (not on the cluster), and order-service consuming
// with its group; tmp.scratch is on the cluster but ignored.
func declared(t *testing.T) *kafka.Topology {
	t.Helper()
	top, diags := kafka.Merge(&kafka.Topology{
		Clusters: []kafka.Cluster{{Name: "prod", Brokers: 3}},
		Topics: []kafka.Topic{
			{Cluster: "prod", Name: "orders.v1", Partitions: 12, Replicas: 3},
			{Cluster: "prod", Name: "payments.v1", Partitions: 3, Replicas: 3},
			{Cluster: "prod", Name: "invoices.v1", Partitions: 1},
		},
		Applications: []kafka.Application{{Name: "order-service", Kind: kafka.KindService, ConsumerGroups: []string{"order-service"}}},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return top
}

func TestAMonitorReportsEveryKindOfDrift(t *testing.T) {
	c := newCluster(t, kfake.NumBrokers(3))
	adm, _ := admin(t, c)
	createTopic(t, adm, "orders.v1", 6, 3)
	createTopic(t, adm, "payments.v1", 3, 1)
	createTopic(t, adm, "audit.v1", 2, 2)
	createTopic(t, adm, "tmp.scratch", 1, 1)
	commitGroup(t, adm, "order-service", "orders.v1")
	commitGroup(t, adm, "console-consumer-42", "audit.v1")

	now := time.Date(2025, 3, 4, 10, 30, 0, 0, time.UTC)
	var observed []string
	m := live.NewMonitor(live.Options{
		Clusters: []live.Cluster{{Seeds: c.ListenAddrs(), Scope: drift.Scope{Cluster: "prod", IgnoreTopics: []string{"tmp.*"}}}},
		Now:      func() time.Time { return now },
		Observe: func(cluster string, at time.Time, err error) {
			observed = append(observed, cluster+" "+at.Format(time.RFC3339)+" "+errText(err))
		},
	})
	if got := m.Report(declared(t)); len(got) != 1 || got[0].State != drift.StateNever || got[0].CheckedAt != nil || len(got[0].Findings) != 0 {
		t.Fatalf("before the first discovery: %+v", got)
	}
	m.DiscoverAll(context.Background())
	got := m.Report(declared(t))
	want := []drift.Cluster{{Cluster: "prod", Declared: true, State: drift.StateOK, CheckedAt: &now, Findings: []drift.Finding{
		{Kind: drift.MissingTopic, Topic: "invoices.v1"},
		{Kind: drift.UndeclaredTopic, Topic: "audit.v1"},
		{Kind: drift.PartitionsMismatch, Topic: "orders.v1", Declared: 12, Actual: 6},
		{Kind: drift.ReplicationMismatch, Topic: "payments.v1", Declared: 3, Actual: 1},
		{Kind: drift.UndeclaredConsumerGroup, Group: "console-consumer-42"},
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("report\n got %+v\nwant %+v", got, want)
	}
	if len(observed) != 1 || observed[0] != "prod 2025-03-04T10:30:00Z ok" {
		t.Fatalf("Observe calls: %q", observed)
	}
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func TestAnUnreachableClusterIsAStateAndTheOthersAreStillDiscovered(t *testing.T) {
	gone := newCluster(t)
	addrs := gone.ListenAddrs()
	gone.Close()
	up := newCluster(t)
	adm, _ := admin(t, up)
	createTopic(t, adm, "orders.v1", 12, 1)

	m := live.NewMonitor(live.Options{
		Clusters: []live.Cluster{
			{Seeds: addrs, Scope: drift.Scope{Cluster: "gone"}},
			{Seeds: up.ListenAddrs(), Scope: drift.Scope{Cluster: "prod"}},
		},
		Timeout: 3 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	var got []drift.Cluster
	for {
		got = m.Report(declared(t))
		if got[0].State != drift.StateNever && got[1].State != drift.StateNever {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first round did not finish: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	g := got[0]
	if g.State != drift.StateUnreachable || g.CheckedAt == nil || g.Error == nil || !strings.Contains(*g.Error, "dial") || len(g.Findings) != 0 || g.Declared {
		t.Errorf("the closed cluster: %+v (error %v)", g, g.Error)
	}
	if p := got[1]; p.State != drift.StateOK || p.Error != nil || len(p.Findings) != 3 {
		t.Errorf("the cluster that answers: %+v", p)
	}
}

func TestSASLCredentialsAreCheckedAndThePasswordNeverShows(t *testing.T) {
	const password = "kafka-pw-7c1e9b"
	c := newCluster(t, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-admin", password),
		kfake.Superuser("SCRAM-SHA-256", "admin", password),
		kfake.Superuser("SCRAM-SHA-512", "admin512", password))
	tests := []struct {
		name   string
		sasl   *live.SASL
		wantOK bool
		want   string // in the error
	}{
		{"PLAIN with the right password", &live.SASL{Mechanism: "PLAIN", Username: "plain-admin", Password: password}, true, ""},
		{"SCRAM-SHA-256 with the right password", &live.SASL{Mechanism: "SCRAM-SHA-256", Username: "admin", Password: password}, true, ""},
		{"SCRAM-SHA-512 with the right password", &live.SASL{Mechanism: "SCRAM-SHA-512", Username: "admin512", Password: password}, true, ""},
		{"SCRAM-SHA-256 with a wrong password", &live.SASL{Mechanism: "SCRAM-SHA-256", Username: "admin", Password: "wrong-" + password}, false,
			`check the SASL credentials of user "admin" and the mechanism SCRAM-SHA-256`},
		{"no SASL at all", nil, false, "SASL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := live.NewMonitor(live.Options{Timeout: 5 * time.Second,
				Clusters: []live.Cluster{{Seeds: c.ListenAddrs(), SASL: tt.sasl, Scope: drift.Scope{Cluster: "prod"}}}})
			m.DiscoverAll(context.Background())
			got := m.Report(nil)[0]
			if tt.wantOK {
				if got.State != drift.StateOK {
					t.Fatalf("state %s, error %v", got.State, deref(got.Error))
				}
				return
			}
			if got.State != drift.StateUnreachable || got.Error == nil {
				t.Fatalf("state %s, want unreachable", got.State)
			}
			if !strings.Contains(*got.Error, tt.want) {
				t.Errorf("error %q does not say %q", *got.Error, tt.want)
			}
			if strings.Contains(*got.Error, password) {
				t.Errorf("the error shows the password: %q", *got.Error)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func TestTLSVerifiesTheBrokerWithTheConfiguredCA(t *testing.T) {
	cert, caFile := selfSigned(t, "kafka.test")
	c := newCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))

	withCA, err := live.TLSConfig(caFile, "kafka.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := discover(t, live.Cluster{Seeds: c.ListenAddrs(), TLS: withCA}, 5*time.Second); err != nil {
		t.Fatalf("with the CA and server name: %v", err)
	}
	systemRoots, err := live.TLSConfig("", "kafka.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := discover(t, live.Cluster{Seeds: c.ListenAddrs(), TLS: systemRoots}, 3*time.Second); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a certificate no trusted CA signed must be refused, got %v", err)
	}
	if _, err := live.TLSConfig(filepath.Join(t.TempDir(), "missing.pem"), ""); err == nil {
		t.Fatal("a CA file that does not exist must be an error")
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := live.TLSConfig(notPEM, ""); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Fatalf("a CA file without certificates: %v", err)
	}
}

// selfSigned makes a certificate for name and 127.0.0.1, and a PEM file
// of it to trust as a CA.
func selfSigned(t *testing.T, name string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

func TestAMonitorIsSafeForConcurrentReads(t *testing.T) {
	c := newCluster(t)
	m := live.NewMonitor(live.Options{Clusters: []live.Cluster{{Seeds: c.ListenAddrs(), Scope: drift.Scope{Cluster: "prod"}}}})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				_ = m.Report(declared(t))
			}
		})
	}
	m.DiscoverAll(context.Background())
	wg.Wait()
	if got := m.Report(nil)[0].State; got != drift.StateOK {
		t.Fatalf("state %s", got)
	}
}
