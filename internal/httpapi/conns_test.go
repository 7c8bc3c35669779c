package httpapi

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestProbesAnswerWithEveryConnectionTaken: past server.maxConnections,
// the reserve serves the probes and refuses the rest with 503.
func TestProbesAnswerWithEveryConnectionTaken(t *testing.T) {
	e := newEnv(t, seed, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.h, ConnContext: ConnContext, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(LimitListener(ln, 2)) }()
	defer func() { _ = srv.Close() }()
	url := "http://" + ln.Addr().String()
	// Two slow bodies take both connections.
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		_, _ = fmt.Fprintf(c, "POST /central-config/catalog-acks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
	}
	time.Sleep(100 * time.Millisecond)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/central-config/last-sync": 503} {
		res, err := client.Get(url + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s with every connection taken: %d %s, want %d", path, res.StatusCode, body, want)
		}
		if want == 503 && !strings.Contains(string(body), "too-many-connections") {
			t.Errorf("%s: %s", path, body)
		}
	}
}
