package syncer

import (
	"slices"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/mapping"
	"github.com/central-config/central-config/internal/store"
)

func TestASourcesAllowListDecidesWhichKindsItPublishes(t *testing.T) {
	e := newEngine(t, func(o *Options) {
		o.Sources[0].Kinds = mapping.KindRules{Allow: append(slices.Clone(mapping.DefaultKinds), "Database"),
			Keys: []string{mapping.GlobalKindsKey, "centralConfig.sources[0].rules"}}
	})
	e.repo.Commit("main", map[string]string{
		"teams.yaml":       teamFile,
		"custom/db.yaml":   "apiVersion: acme.example/v1\nkind: Database\nmetadata:\n  name: orders-db\nspec:\n  engine: postgresql\n",
		"custom/cost.yaml": "apiVersion: finance.acme.example/v1alpha1\nkind: CostCenter\nmetadata:\n  name: cc-4711\n",
	})
	run := e.sync(store.Succeeded)
	got := publishedEntities(t, e.store)
	if got["database:default/orders-db"] == nil || got["costcenter:default/cc-4711"] != nil {
		t.Fatalf("published %v; want the Database and not the CostCenter", keys(got))
	}
	i := slices.IndexFunc(run.Errors, func(fe store.FileError) bool { return fe.Code == diag.CodeKindNotAllowed })
	if i < 0 || run.Errors[i].File != "custom/cost.yaml" || run.Errors[i].Line != 2 || run.Errors[i].Severity != string(diag.Warning) ||
		!strings.Contains(run.Errors[i].Message, "centralConfig.sources[0].rules") {
		t.Fatalf("want a kind-not-allowed warning at custom/cost.yaml:2 naming the source's key; got %+v", run.Errors)
	}
}
