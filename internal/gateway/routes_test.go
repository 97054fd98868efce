package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// TestV1RoutesThatOverlapReachTheirOwnRPC pins the /v1 patterns that also match a
// path-parameter route: grpc-gateway lets the last registered handler win, so a
// reordering would silently send them to the wrong RPC. Which RPC ran is read from
// the request Nango received.
func TestV1RoutesThatOverlapReachTheirOwnRPC(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	tests := []struct {
		name      string
		call      restCall
		wantLine  string // method and path Nango received
		wantQuery string // a query parameter only the right RPC sends
	}{
		{"UpdateMetadata, not PatchConnection", restCall{method: "PATCH", target: "/v1/connections/metadata", body: `{"metadata":{"a":1},"connection_id":["conn-github-1"],"provider_config_key":"github"}`}, "PATCH /connections/metadata", ""},
		{"PatchConnection", restCall{method: "PATCH", target: "/v1/connections/conn-github-1?provider_config_key=github", body: `{"tags":{"a":"b"}}`}, "PATCH /connections/conn-github-1", "provider_config_key"},
		{"WaitForConnection, not GetConnection", restCall{method: "GET", target: "/v1/connections/wait?integration_key=github&user_id=user-alice"}, "GET /connections", "endUserId"},
		{"GetConnection", restCall{method: "GET", target: "/v1/connections/conn-github-1?provider_config_key=github"}, "GET /connections/conn-github-1", "provider_config_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, base, tt.call, false)
			if got.status >= 300 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			reqs := sim.Requests()
			last := reqs[len(reqs)-1]
			if line := last.Method + " " + last.Path; line != tt.wantLine {
				t.Errorf("Nango received %s, want %s", line, tt.wantLine)
			}
			if tt.wantQuery != "" && !last.Query.Has(tt.wantQuery) {
				t.Errorf("Nango received query %q, want it to carry %s", last.RawQuery, tt.wantQuery)
			}
		})
	}
}

// An async action runs through POST /action/trigger with X-Async: true and its result is
// read at the statusUrl it returned, as the SDK does.
func TestRESTAsyncActionRoundTrip(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true, AsyncActionDelay: 50 * time.Millisecond})
	base := startGateway(t, sim, 1<<20)
	trigger := send(t, base, restCall{method: "POST", target: "/action/trigger",
		headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github", "X-Async": "true"},
		body:    `{"action_name":"echo","input":{"n":42}}`}, false)
	if trigger.status != http.StatusAccepted {
		t.Fatalf("trigger status %d: %s", trigger.status, trigger.body)
	}
	var accepted struct {
		ID        string `json:"id"`
		StatusURL string `json:"statusUrl"`
	}
	if err := json.Unmarshal(trigger.body, &accepted); err != nil || !strings.HasPrefix(accepted.StatusURL, "/action/") {
		t.Fatalf("accepted body %s", trigger.body)
	}
	if trigger.header.Get("Location") != accepted.StatusURL {
		t.Errorf("Location %q, want %q", trigger.header.Get("Location"), accepted.StatusURL)
	}
	if last := sim.Requests()[len(sim.Requests())-1]; last.Header.Get("X-Async") != "true" {
		t.Errorf("Nango did not receive X-Async: true")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := send(t, base, restCall{method: "GET", target: accepted.StatusURL}, false)
		if got.status == http.StatusOK {
			if !sameBody(got.body, []byte(`{"n":42}`)) {
				t.Errorf("result %s, want the echoed input", got.body)
			}
			return
		}
		if got.status != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("result status %d: %s", got.status, got.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
