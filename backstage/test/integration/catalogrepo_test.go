//go:build backstage

package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// location is a Location entity listing one catalog file of another
// repository.
func location(name, target string) string {
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: %s
spec:
  type: url
  target: %s
`, name, target)
}

// TestLocationsAndTemplatesOfTheRepositoryReachTheCatalog moves what a
// catalog repository holds into the config repository: a Template, a
// Location of a catalog file kept in another repository (served here by a
// local host Backstage may read), and a Location whose file is gone. The
// Template is in the catalog as kind Template; the first Location is too,
// and the Backstage catalog itself reads its target (the entity there is
// Backstage's, without central-config's annotations); the second one's
// read fails, and the catalog reports that processing error naming it.
func TestLocationsAndTemplatesOfTheRepositoryReachTheCatalog(t *testing.T) {
	summarizeFailures(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/payments/catalog-info.yaml" {
			http.NotFound(w, r)
			return
		}
		_, _ = fmt.Fprint(w, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments-portal
  description: Kept in the payments team's own repository.
spec:
  type: website
  lifecycle: production
  owner: group:default/payments
`)
	}))
	defer other.Close()
	host, err := url.Parse(other.URL)
	if err != nil {
		fatalf(t, "%v", err)
	}
	files := exampleFiles(t, repoPaths(t).example)
	files["locations/team-repositories.yaml"] = location("team-repositories", other.URL+"/payments/catalog-info.yaml")
	files["locations/gone-repositories.yaml"] = location("gone-repositories", other.URL+"/gone/catalog-info.yaml")
	s, _ := newStack(t, stackOptions{engineFrequency: "{ seconds: 5 }", files: files,
		backendConfig: fmt.Sprintf("backend:\n  reading:\n    allow:\n      - host: %s\n", host.Host)})

	eng := s.startEngine()
	backend := s.startBackend()
	eventually(t, 2*time.Minute, "the Template, the Location and its target in the catalog", func() error {
		_, published, err := s.engine.entities()
		if err != nil {
			return err
		}
		for _, ref := range []string{"template:default/create-go-service", "location:default/team-repositories", "location:default/gone-repositories"} {
			if _, ok := published[ref]; !ok {
				return fmt.Errorf("the engine does not publish %s", ref)
			}
		}
		got, err := s.catalog.entities()
		if err != nil {
			return err
		}
		if e, ok := got["template:default/create-go-service"]; !ok || e.Kind != "Template" {
			return fmt.Errorf("no Template create-go-service in the catalog (%d entities)", len(got))
		}
		if _, ok := got["location:default/team-repositories"]; !ok {
			return fmt.Errorf("no Location team-repositories in the catalog")
		}
		portal, ok := got["component:default/payments-portal"]
		if !ok {
			return fmt.Errorf("Backstage has not read the Location's target yet")
		}
		if want := "url:" + other.URL + "/payments/catalog-info.yaml"; portal.Metadata.Annotations["backstage.io/managed-by-location"] != want {
			return fmt.Errorf("payments-portal is managed by %q, want %q", portal.Metadata.Annotations["backstage.io/managed-by-location"], want)
		}
		if src, ok := portal.Metadata.Annotations["central-config.io/source"]; ok {
			return fmt.Errorf("payments-portal was read by Backstage, not published by central-config, yet has central-config.io/source %q", src)
		}
		return nil
	}, eng, backend)
	eventually(t, time.Minute, "the gone Location's processing error", func() error {
		for _, line := range strings.Split(backend.output(), "\n") {
			if strings.Contains(line, "location:default/gone-repositories") && strings.Contains(line, "/gone/catalog-info.yaml") {
				return nil
			}
		}
		return fmt.Errorf("no processing error naming location:default/gone-repositories in the backend's log")
	}, eng, backend)
}
