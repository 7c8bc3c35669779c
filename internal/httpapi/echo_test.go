package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestErrorsClipEchoedInput: an error repeats at most maxEcho characters
// of what the client sent.
func TestErrorsClipEchoedInput(t *testing.T) {
	long := strings.Repeat("a", 3000)
	for _, r := range []request{
		{method: "GET", target: "/" + long},
		{method: "DELETE", target: "/central-config/syncs/" + long},
		{method: "POST", target: "/central-config/sync", body: `{"source":"` + long + `"}`, auth: true},
		{method: "GET", target: "/central-config/kafka/topology?depth=" + long},
	} {
		e := newEnv(t, nil, nil)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, r.build())
		res := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		var body apiError
		res.decode(t, &body)
		if res.status < 400 || len(body.Error.Message) > 250 || !strings.Contains(body.Error.Message, "aaa…") {
			t.Errorf("%s %.50s: %d %q", r.method, r.target, res.status, body.Error.Message)
		}
	}
	if got := clip(strings.Repeat("é", 150)); got != strings.Repeat("é", 100)+"…" {
		t.Errorf("clip cuts bytes, not characters: %q", got)
	}
}
