package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// TestRouteTable pins the routes whose patterns overlap: the last registered handler wins in
// grpc-gateway, so a reordering would silently send them to the wrong RPC.
func TestRouteTable(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	tests := []struct {
		call     restCall
		wantPath string
	}{
		{restCall{method: "PATCH", target: "/connections/metadata", body: `{"metadata":{"a":1},"connection_id":"conn-github-1","provider_config_key":"github"}`}, "/connections/metadata"},
		{restCall{method: "PATCH", target: "/connections/conn-github-1?provider_config_key=github", body: `{"tags":{"a":"b"}}`}, "/connections/conn-github-1"},
		{restCall{method: "POST", target: "/action/trigger", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github"}, body: `{"action_name":"echo"}`}, "/action/trigger"},
		{restCall{method: "GET", target: "/records/?model=GithubIssue&limit=1", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github"}}, "/records/"},
	}
	for _, tt := range tests {
		t.Run(tt.call.method+" "+tt.call.target, func(t *testing.T) {
			got := send(t, base, tt.call, false)
			if got.status >= 300 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			reqs := sim.Requests()
			if last := reqs[len(reqs)-1]; last.Method != tt.call.method || last.Path != tt.wantPath {
				t.Errorf("Nango received %s %s, want %s %s", last.Method, last.Path, tt.call.method, tt.wantPath)
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
