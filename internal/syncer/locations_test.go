package syncer

import (
	"testing"

	"github.com/central-config/central-config/internal/source/git/gittest"
	"github.com/central-config/central-config/internal/store"
)

func location(name string, targets ...string) string {
	s := "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: " + name + "\nspec:\n  type: url\n  targets:\n"
	for _, t := range targets {
		s += "    - " + t + "\n"
	}
	return s
}

func TestPublishedLocationsAreCountedApartFromEntities(t *testing.T) {
	e := newEngine(t, nil)
	e.repo.Commit("main", map[string]string{
		"teams.yaml": teamFile, "svc.yaml": services("a", "b"),
		// Published: absolute targets.
		"locations/payments.yaml": location("payments-repos", "https://github.com/acme/payments/blob/main/catalog-info.yaml"),
		// Not published: its target is a file of the repository.
		"locations/all.yaml": location("all", "../svc.yaml"),
	})
	run := e.sync(store.Succeeded)
	if run.Counts.Entities != 4 || run.Counts.Locations != 1 || run.Counts.Added != 5 {
		t.Fatalf("counts = %+v, want 4 entities and 1 location (5 added)", run.Counts)
	}
	if got := publishedEntities(t, e.store); got["location:default/payments-repos"] == nil || got["location:default/all"] != nil {
		t.Fatalf("published = %v", keys(got))
	}
	st, err := e.store.Status(ctx, "main")
	if err != nil || st.EntityCount != 4 || st.LocationCount != 1 {
		t.Fatalf("status = %+v, %v; want entityCount 4, locationCount 1", st, err)
	}

	// Unchanged: the same counts.
	run = e.sync(store.Unchanged)
	if run.Counts.Entities != 4 || run.Counts.Locations != 1 {
		t.Fatalf("unchanged run counts = %+v", run.Counts)
	}

	// A second Location added and the first removed, one entity removed.
	e.repo.Commit("main", map[string]string{
		"locations/payments.yaml": gittest.Delete,
		"locations/web.yaml":      location("web-repos", "https://github.com/acme/web/blob/main/catalog-info.yaml", "https://github.com/acme/shop/blob/main/catalog-info.yaml"),
		"locations/more.yaml":     location("more-repos", "https://gitlab.acme.example/a/b/-/blob/main/catalog-info.yaml"),
		"svc.yaml":                services("a"),
	})
	run = e.sync(store.Succeeded)
	if run.Counts.Entities != 3 || run.Counts.Locations != 2 || run.Counts.Added != 2 || run.Counts.Removed != 2 {
		t.Fatalf("counts = %+v, want 3 entities and 2 locations (+2 locations, -1 location -1 component)", run.Counts)
	}
	st, err = e.store.Status(ctx, "main")
	if err != nil || st.EntityCount != 3 || st.LocationCount != 2 {
		t.Fatalf("status = %+v, %v; want entityCount 3, locationCount 2", st, err)
	}

	// A new process reads the counts from the store and still agrees.
	sy := newSyncer(t, e.store, e.repo.URL, t.TempDir(), nil)
	run, err = sy.SyncOnce(ctx, "main", store.TriggerManual)
	if err != nil || run.Counts.Entities != 3 || run.Counts.Locations != 2 {
		t.Fatalf("a restarted engine counts %+v, %v", run.Counts, err)
	}
}
