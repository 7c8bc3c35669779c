package httpapi

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The OpenAPI conformance check: every response a handler test gets is
// validated against openapi.yaml (see checkSpec), and TestMain fails the
// run when a documented operation and status was never exercised.

var (
	specDoc    *openapi3.T
	specRouter routers.Router

	coverageMu sync.Mutex
	covered    = map[string]bool{} // "METHOD /path status"
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml is not valid: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("router: %w", err)
	}
	return doc, router, nil
}

func TestMain(m *testing.M) {
	var err error
	specDoc, specRouter, err = loadSpec()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	// Coverage is only meaningful when every test ran.
	if f := flag.Lookup("test.run"); code == 0 && (f == nil || f.Value.String() == "") {
		if missing := uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: documented responses no test exercised:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// uncovered lists documented operation responses no test got.
func uncovered() []string {
	coverageMu.Lock()
	defer coverageMu.Unlock()
	var missing []string
	for path, item := range specDoc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				key := method + " " + path + " " + status
				if !covered[key] {
					missing = append(missing, key)
				}
			}
		}
	}
	slices.Sort(missing)
	return missing
}

func TestOpenAPIDocument(t *testing.T) {
	tests := []struct {
		name string
		path string
		ops  []string
	}{
		{"health", "/healthz", []string{"GET"}},
		{"ready", "/readyz", []string{"GET"}},
		{"metrics", "/metrics", []string{"GET"}},
		{"spec", "/openapi.yaml", []string{"GET"}},
		{"last sync", "/central-config/last-sync", []string{"GET"}},
		{"runs", "/central-config/syncs", []string{"GET"}},
		{"run", "/central-config/syncs/{id}", []string{"GET"}},
		{"trigger", "/central-config/sync", []string{"POST"}},
		{"webhook", "/central-config/webhooks/github", []string{"POST"}},
		{"entities", "/central-config/entities", []string{"GET"}},
		{"acks", "/central-config/catalog-acks", []string{"POST"}},
		{"kafka topology", "/central-config/kafka/topology", []string{"GET"}},
		{"kafka clusters", "/central-config/kafka/clusters", []string{"GET"}},
		{"kafka drift", "/central-config/kafka/drift", []string{"GET"}},
	}
	if got, want := specDoc.Paths.Len(), len(tests); got != want {
		t.Errorf("openapi.yaml documents %d paths, the API serves %d", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := specDoc.Paths.Value(tt.path)
			if item == nil {
				t.Fatalf("%s is not documented", tt.path)
			}
			for _, m := range tt.ops {
				if item.GetOperation(m) == nil {
					t.Errorf("%s %s is not documented", m, tt.path)
				}
			}
		})
	}
}

// response is what a handler answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// checkSpec validates one response against openapi.yaml and records the
// operation and status as exercised.
func checkSpec(t *testing.T, req *http.Request, res response) {
	t.Helper()
	// The router matches on the URL as a client sends it.
	r := req.Clone(context.Background())
	if r.URL.Host == "" {
		r.URL.Scheme, r.URL.Host = "http", "engine.test"
	}
	route, params, err := specRouter.FindRoute(r)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	status := strconv.Itoa(res.status)
	ref := route.Operation.Responses.Value(status)
	if ref == nil {
		t.Fatalf("%s %s: status %s is not documented", req.Method, route.Path, status)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.status,
		Header:                 res.header,
		Body:                   io.NopCloser(bytes.NewReader(res.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("%s %s %d does not conform to openapi.yaml: %v\nbody: %.2000s", req.Method, route.Path, res.status, err, res.body)
	}
	// ValidateResponse skips 304; check its headers here, and that
	// responses without content have no body.
	for name, h := range ref.Value.Headers {
		if h.Value.Required && res.header.Get(name) == "" {
			t.Errorf("%s %s %d: required header %s is missing", req.Method, route.Path, res.status, name)
		}
	}
	if len(ref.Value.Content) == 0 && len(res.body) > 0 {
		t.Errorf("%s %s %d: documented without content, got %q", req.Method, route.Path, res.status, res.body)
	}
	coverageMu.Lock()
	covered[req.Method+" "+route.Path+" "+status] = true
	coverageMu.Unlock()
}

// checkErrorShape validates a body against the Error schema, for the
// responses outside any documented operation (unknown paths, methods).
func checkErrorShape(t *testing.T, body []byte) {
	t.Helper()
	var v any
	if err := jsonUnmarshal(body, &v); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if err := specDoc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
		t.Errorf("error body does not match the Error schema: %v: %s", err, body)
	}
}
