package review

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/central-config/central-config/internal/diag"
	"github.com/central-config/central-config/internal/source"
	"github.com/central-config/central-config/internal/source/dir"
	"github.com/central-config/central-config/internal/syncer"
	"github.com/central-config/central-config/internal/testrepo"
)

// exampleRepo is the example config repository: the base of every case.
const exampleRepo = "../../examples/central-config"

// read reads a folder as the engine's dir source does.
func read(t testing.TB, path string) *source.Snapshot {
	t.Helper()
	src, err := dir.New(dir.Options{ID: "local", Path: path})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := src.Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func defaultOptions() Options {
	return Options{SourceID: "local", Guard: syncer.GuardOf(nil, false)}
}

func refs(es []Entity) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Ref)
	}
	return out
}

func changed(r *Report, ref string) (Change, bool) {
	i := slices.IndexFunc(r.Changed, func(c Change) bool { return c.Ref == ref })
	if i < 0 {
		return Change{}, false
	}
	return r.Changed[i], true
}

func hasDiag(l diag.List, file, code string) bool {
	return slices.ContainsFunc(l, func(d diag.Diagnostic) bool { return d.File == file && d.Code == code })
}

func TestCompareSaysWhatTheEngineWouldDoWithTheHead(t *testing.T) {
	cases := []struct {
		name  string
		edits []testrepo.Edit
		check func(t *testing.T, r *Report)
	}{{
		name:  "an unchanged repository changes nothing",
		edits: nil,
		check: func(t *testing.T, r *Report) {
			if r.Counts.Added+r.Counts.Changed+r.Counts.Removed != 0 || r.Counts.Unchanged != r.Counts.Before || r.Counts.Before == 0 {
				t.Errorf("counts %+v, want every entity unchanged", r.Counts)
			}
		},
	}, {
		name:  "a renamed service is one removed and one added, and refs to the old name dangle",
		edits: []testrepo.Edit{{Path: "services/checkout.yaml", Old: "- name: fraud-scorer", New: "- name: fraud-detector"}},
		check: func(t *testing.T, r *Report) {
			if got := refs(r.Added); !slices.Equal(got, []string{"component:default/fraud-detector"}) {
				t.Errorf("added %v", got)
			}
			if got := refs(r.Removed); !slices.Equal(got, []string{"component:default/fraud-scorer"}) {
				t.Errorf("removed %v", got)
			}
			if r.Removed[0].File != "services/checkout.yaml" || r.Removed[0].Line == 0 {
				t.Errorf("removed entity's place %+v", r.Removed[0])
			}
			if !hasDiag(r.NewDiags, "services/checkout.yaml", diag.CodeDanglingRef) {
				t.Errorf("no new dangling-ref warning for the old name: %v", r.NewDiags)
			}
			if r.Guard.Refused || r.Guard.Removed != 1 {
				t.Errorf("guard %+v", r.Guard)
			}
		},
	}, {
		name:  "an owner move is a changed owner field and an ownership move",
		edits: []testrepo.Edit{{Path: "services/checkout.yaml", Old: "owner: payments", New: "owner: orders"}},
		check: func(t *testing.T, r *Report) {
			c, ok := changed(r, "component:default/cart-service")
			if !ok {
				t.Fatalf("cart-service not changed: %+v", r.Changed)
			}
			want := Field{Path: "spec.owner", Category: CategoryOwner, Old: "group:default/payments", New: "group:default/orders"}
			if len(c.Fields) != 1 || c.Fields[0].Path != want.Path || c.Fields[0].Category != want.Category ||
				c.Fields[0].Old != want.Old || c.Fields[0].New != want.New {
				t.Errorf("fields %+v, want %+v", c.Fields, want)
			}
			if moves := r.OwnerMoves(); len(moves) != 1 || moves[0].Ref != c.Ref {
				t.Errorf("ownership moves %+v", moves)
			}
			// The file's other entities change only by its revision.
			other, ok := changed(r, "component:default/checkout-service")
			if !ok || len(other.Fields) != 0 {
				t.Errorf("checkout-service: %+v %v", other, ok)
			}
		},
	}, {
		name: "deleting most of the repository is past the guard",
		edits: []testrepo.Edit{{Path: "services", Delete: true}, {Path: "teams", Delete: true}, {Path: "systems", Delete: true},
			{Path: "apis", Delete: true}, {Path: "kafka", Delete: true}, {Path: "native", Delete: true}},
		check: func(t *testing.T, r *Report) {
			if !r.Guard.Refused || r.Guard.Removed != len(r.Removed) || r.Guard.Total != r.Counts.Before {
				t.Fatalf("guard %+v, %d removed of %d", r.Guard, len(r.Removed), r.Counts.Before)
			}
			// agreeWithTheEngine checks the reason is the engine's text.
			if !strings.Contains(r.GuardLine(), "the sync would refuse it") ||
				!strings.Contains(r.GuardLine(), "would remove "+strconv.Itoa(r.Guard.Removed)+" of "+strconv.Itoa(r.Guard.Total)+" entities") {
				t.Errorf("guard line %q", r.GuardLine())
			}
		},
	}, {
		name:  "a broken file keeps its base entities, as the engine does",
		edits: []testrepo.Edit{{Path: "services/checkout.yaml", Old: "  - name: cart-service\n", New: "  - name: cart-service\n  bad: [unclosed\n"}},
		check: func(t *testing.T, r *Report) {
			if len(r.Removed) != 0 {
				t.Errorf("removed %v: the engine keeps a broken file's entities", refs(r.Removed))
			}
			if len(r.Kept) != 1 || r.Kept[0].File != "services/checkout.yaml" ||
				!slices.Contains(r.Kept[0].Entities, "component:default/cart-service") || !slices.Contains(r.Kept[0].Entities, "api:default/payments-api") {
				t.Fatalf("kept %+v", r.Kept)
			}
			if r.HeadErrors == 0 || !hasDiag(r.NewDiags, "services/checkout.yaml", diag.CodeParse) {
				t.Errorf("no new parse error: %v", r.NewDiags)
			}
			// Others still see the kept entities: no dangling refs to them.
			if slices.ContainsFunc(r.NewDiags, func(d diag.Diagnostic) bool { return d.Code == diag.CodeDanglingRef }) {
				t.Errorf("dangling refs to kept entities: %v", r.NewDiags)
			}
		},
	}, {
		name: "a Kafka consumer removed is a removed edge and a changed topic Resource",
		edits: []testrepo.Edit{{Path: "kafka/users.yaml",
			Old: "      - resource:\n          type: topic\n          name: payments.refund-issued.v1\n          patternType: literal\n        operation: Read\n        host: \"*\"\n",
			New: ""}},
		check: func(t *testing.T, r *Report) {
			want := Edge{Application: "order-service", Access: "consumes", Topic: "acme-events/payments.refund-issued.v1"}
			if !slices.Equal(r.Kafka.EdgesRemoved, []Edge{want}) || len(r.Kafka.EdgesAdded) != 0 {
				t.Errorf("kafka %+v, want only %+v removed", r.Kafka, want)
			}
			c, ok := changed(r, "resource:default/payments.refund-issued.v1")
			if !ok || !slices.ContainsFunc(c.Fields, func(f Field) bool {
				return f.Category == CategoryRelations && slices.Equal(f.Removed, []string{"component:default/order-service"})
			}) {
				t.Errorf("topic resource change %+v", c)
			}
		},
	}, {
		name:  "a changed placeholder target changes the API that reads it",
		edits: []testrepo.Edit{{Path: "apis/payments-api.openapi.yaml", Old: "Authorize, capture and refund payments.", New: "Authorize, capture, refund and void payments."}},
		check: func(t *testing.T, r *Report) {
			c, ok := changed(r, "api:default/payments-api")
			if !ok || len(c.Fields) != 1 || c.Fields[0].Path != "spec.definition" || c.File != "services/checkout.yaml" {
				t.Fatalf("payments-api: %+v %v", c, ok)
			}
			if !strings.Contains(c.Fields[0].New.(string), "void payments") {
				t.Errorf("new definition %q", c.Fields[0].New)
			}
			if len(r.Changed) != 1 {
				t.Errorf("changed %d entities, want the API alone (its file did not change)", len(r.Changed))
			}
		},
	}, {
		name: "an entity moved to another file is changed, not removed and added",
		edits: []testrepo.Edit{
			{Path: "systems/supply-chain.yaml", New: "apiVersion: central-config.io/v1\nsystems:\n  - name: inventory\n    title: Inventory\n" +
				"    description: >-\n      Stock levels per warehouse and per SKU, reservations for open orders\n" +
				"      and synchronisation with the warehouse management system.\n    owner: fulfillment\n    domain: supply-chain\n    tags: [stock]\n"},
			{Path: "systems/shipping.yaml", New: "apiVersion: central-config.io/v1\nsystems:\n  - name: shipping\n    title: Shipping\n    owner: fulfillment\n    domain: supply-chain\n"},
		},
		check: func(t *testing.T, r *Report) {
			c, ok := changed(r, "system:default/shipping")
			if !ok || c.File != "systems/shipping.yaml" || len(c.Fields) == 0 || c.Fields[0].Category != CategoryFile ||
				c.Fields[0].Old != "systems/supply-chain.yaml" || c.Fields[0].New != "systems/shipping.yaml" {
				t.Fatalf("shipping: %+v %v", c, ok)
			}
			if slices.Contains(refs(r.Removed), "system:default/shipping") || r.HeadErrors != 0 {
				t.Errorf("removed %v, %d errors: a moved entity is neither removed nor an error", refs(r.Removed), r.HeadErrors)
			}
			if c, ok := changed(r, "system:default/inventory"); ok && len(c.Fields) != 0 {
				t.Error("inventory, whose file changed but not its content, changed more than its revision")
			}
		},
	}, {
		name: "an author's own source-location and edit-url are published, so they are shown",
		edits: []testrepo.Edit{{Path: "native/legacy-billing/catalog-info.yaml", Old: "  title: Legacy billing\n",
			New: "  title: Legacy billing\n  annotations:\n    backstage.io/source-location: url:https://git.acme.example/billing/fork/\n" +
				"    backstage.io/edit-url: https://git.acme.example/billing/fork/edit\n"}},
		check: func(t *testing.T, r *Report) {
			c, ok := changed(r, "component:default/legacy-billing")
			var paths []string
			for _, f := range c.Fields {
				paths = append(paths, f.Path)
			}
			want := []string{"metadata.annotations.backstage.io/edit-url", "metadata.annotations.backstage.io/source-location"}
			if !ok || !slices.Equal(paths, want) || c.Fields[1].New != "url:https://git.acme.example/billing/fork/" || c.Fields[1].Category != CategoryAnnotations {
				t.Errorf("legacy-billing: %+v %v, want the fields %v", c, ok, want)
			}
		},
	}, {
		name:  "a partition count change",
		edits: []testrepo.Edit{{Path: "kafka/topics.yaml", Old: "  partitions: 12", New: "  partitions: 24"}},
		check: func(t *testing.T, r *Report) {
			want := PartitionChange{Topic: "acme-events/orders.order-created.v1", Old: 12, New: 24}
			if !slices.Equal(r.Kafka.Partitions, []PartitionChange{want}) {
				t.Errorf("partitions %+v", r.Kafka.Partitions)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, head := testrepo.Checkout(t, exampleRepo), testrepo.Checkout(t, exampleRepo, tc.edits...)
			r := Compare(read(t, base), read(t, head), defaultOptions())
			if r.Counts.Added != len(r.Added) || r.Counts.Changed != len(r.Changed) || r.Counts.Removed != len(r.Removed) {
				t.Errorf("counts %+v disagree with the lists (%d, %d, %d)", r.Counts, len(r.Added), len(r.Changed), len(r.Removed))
			}
			tc.check(t, r)
			// The engine itself, on the same two revisions, does what
			// the report says.
			agreeWithTheEngine(t, r, syncBoth(t, base, head, defaultOptions()))
		})
	}
}
