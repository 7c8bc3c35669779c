package httpapi

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/central-config/central-config/internal/store"
)

// apiCase is one row of a table-driven handler test.
type apiCase struct {
	name  string
	setup func(*fakeStore, *fakeSyncer)
	opts  func(*Options)
	req   request
	// status is the expected status; code the expected error code.
	status int
	code   string
	check  func(t *testing.T, e *env, res response)
}

func runCases(t *testing.T, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.setup, tc.opts)
			res := e.do(t, tc.req)
			if res.status != tc.status {
				t.Fatalf("status = %d, want %d; body: %s", res.status, tc.status, res.body)
			}
			if tc.code != "" {
				if got := res.errorCode(t); got != tc.code {
					t.Errorf("error code = %q, want %q; body: %s", got, tc.code, res.body)
				}
			}
			if tc.check != nil {
				tc.check(t, e, res)
			}
		})
	}
}

var errStore = errors.New("database is closed")

// failing makes one store method fail.
func failing(method string) func(*fakeStore, *fakeSyncer) {
	return func(f *fakeStore, _ *fakeSyncer) { f.fail[method] = errStore }
}

// both chains setups.
func both(fns ...func(*fakeStore, *fakeSyncer)) func(*fakeStore, *fakeSyncer) {
	return func(f *fakeStore, s *fakeSyncer) {
		for _, fn := range fns {
			if fn != nil {
				fn(f, s)
			}
		}
	}
}

func protectReads(o *Options) { o.ProtectReads = true }
func noToken(o *Options)      { o.Token = "" }
func noSecret(o *Options)     { o.WebhookSecret = "" }

func ago(d time.Duration) time.Time { return testNow.Add(-d) }

// seed fills a store with a history: platform synced (degraded earlier),
// teams failing; two catalogs, one lagging.
func seed(f *fakeStore, _ *fakeSyncer) {
	f.generation = 3
	runs := []store.Run{
		{ID: 1, SourceID: "platform", Trigger: store.TriggerStartup, StartedAt: ago(3 * time.Hour), FinishedAt: ago(3*time.Hour - 2*time.Second),
			Outcome: store.Succeeded, Revision: "aaa111", Counts: store.Counts{Files: 2, Entities: 3, Added: 3}, Generation: 1},
		{ID: 2, SourceID: "teams", Trigger: store.TriggerStartup, StartedAt: ago(3 * time.Hour), FinishedAt: ago(3*time.Hour - time.Second),
			Outcome: store.Succeeded, Revision: "bbb111", Counts: store.Counts{Files: 1, Entities: 1, Added: 1}, Generation: 2},
		{ID: 3, SourceID: "platform", Trigger: store.TriggerWebhook, StartedAt: ago(2 * time.Hour), FinishedAt: ago(2*time.Hour - time.Second),
			Outcome: store.Degraded, Revision: "aaa222", PreviousRevision: "aaa111", Counts: store.Counts{Files: 2, Entities: 3, Changed: 1, Unchanged: 2},
			Errors: []store.FileError{
				{File: "services/api.yaml", Line: 4, Column: 3, Severity: "error", Code: "invalid-entity", Message: "metadata.name is required"},
				{File: "teams/a.yaml", Severity: "warning", Code: "dangling-ref", Message: "owner group:team-x is not defined"},
			}, Generation: 3},
		{ID: 4, SourceID: "teams", Trigger: store.TriggerSchedule, StartedAt: ago(time.Hour), FinishedAt: ago(time.Hour - 5*time.Second),
			Outcome: store.Failed, Reason: "fetch failed: authentication required", ReasonCode: store.ReasonFetchFailed, PreviousRevision: "bbb111"},
		{ID: 5, SourceID: "platform", Trigger: store.TriggerSchedule, StartedAt: ago(10 * time.Minute), FinishedAt: ago(10*time.Minute - time.Second),
			Outcome: store.Succeeded, Revision: "aaa333", PreviousRevision: "aaa222", Counts: store.Counts{Files: 2, Entities: 3, Changed: 1, Unchanged: 2}},
	}
	for _, r := range runs {
		f.runs[r.ID] = r
	}
	f.statuses["platform"] = store.SourceStatus{SourceID: "platform", Revision: "aaa333", LastAttemptAt: ago(10 * time.Minute),
		LastSuccessAt: ago(10*time.Minute - time.Second), LastSuccessRevision: "aaa333", NextDueAt: testNow.Add(-5 * time.Minute).Add(5 * time.Minute),
		EntityCount: 3, LastRunID: 5, FilesRunID: 5}
	f.statuses["teams"] = store.SourceStatus{SourceID: "teams", Revision: "bbb111", LastAttemptAt: ago(time.Hour),
		LastSuccessAt: ago(3*time.Hour - time.Second), LastSuccessRevision: "bbb111", NextDueAt: ago(time.Hour).Add(10 * time.Second),
		ConsecutiveFailures: 1, EntityCount: 1, LastRunID: 4, FilesRunID: 2}
	f.files["platform"] = []store.File{{Path: "services/api.yaml", Hash: "h1", Revision: "aaa333"}, {Path: "teams/a.yaml", Hash: "h2", Revision: "aaa111"}}
	f.files["teams"] = []store.File{{Path: "teams.yaml", Hash: "h3", Revision: "bbb111"}}
	f.entities = []store.Entity{
		entity("platform", "component:default/api", "Component:default/api", 1),
		entity("platform", "component:default/web", "Component:default/web", 3),
		entity("teams", "group:default/team-a", "Group:default/team-a", 2),
		entity("platform", "system:default/shop", "System:default/shop", 1),
	}
	f.removals = []store.Removal{
		{SourceID: "platform", Key: "component:default/old", Ref: "Component:default/old", Generation: 3},
	}
	f.acks["backstage"] = store.Ack{Consumer: "backstage", Generation: 3, AckedAt: ago(9 * time.Minute)}
	f.acks["backstage-staging"] = store.Ack{Consumer: "backstage-staging", Generation: 1, AckedAt: ago(3 * time.Hour)}
}

// entity builds a published entity with a Backstage body.
func entity(source, key, ref string, gen int64) store.Entity {
	kind, rest, _ := strings.Cut(ref, ":")
	ns, name, _ := strings.Cut(rest, "/")
	body := `{"apiVersion":"backstage.io/v1alpha1","kind":"` + kind + `","metadata":{"name":"` + name +
		`","namespace":"` + ns + `","annotations":{"central-config/source":"` + source + `"}},"spec":{"owner":"group:default/team-a"}}`
	return store.Entity{SourceID: source, Key: key, Ref: ref, File: "catalog.yaml", Hash: key, Body: []byte(body), Generation: gen}
}
