package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

type nangoError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Path    []string `json:"path"`
		} `json:"errors"`
	} `json:"error"`
}

func decodeError(t *testing.T, a answer) nangoError {
	t.Helper()
	var e nangoError
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("answer %d is not Nango's error envelope: %s", a.status, a.body)
	}
	return e
}

// The REST face refuses, before any upstream call, what Nango would refuse, in Nango's envelope.
func TestRESTRefusesBadRequestsInNangosEnvelopeWithoutCallingNango(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 4096)
	tests := []struct {
		name       string
		call       restCall
		wantStatus int
		wantCode   string
		wantInMsg  string
	}{
		{"unknown route", restCall{method: "GET", target: "/nope"}, 404, "not_found", "/nope"},
		{"wrong method on a known route", restCall{method: "PUT", target: "/integrations"}, 405, "method_not_allowed", "PUT"},
		{"non-JSON content type", restCall{method: "POST", target: "/integrations", headers: map[string]string{"Content-Type": "text/plain"}, body: "x"}, 415, "invalid_content_type", "text/plain"},
		{"unknown query parameter", restCall{method: "GET", target: "/providers?search=git&page=2"}, 400, "invalid_query_params", `"page"`},
		{"invalid path id", restCall{method: "GET", target: "/integrations/bad%21key"}, 400, "invalid_uri_params", "unique_key"},
		{"invalid body field", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"bad key!"}`}, 400, "invalid_body", "unique_key"},
		{"unknown body field", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"k","nope":1}`}, 400, "invalid_body", "nope"},
		{"malformed JSON", restCall{method: "POST", target: "/integrations", body: `{"provider":`}, 400, "invalid_body", ""},
		{"body over the limit", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"` + strings.Repeat("a", 5000) + `"}`}, 413, "payload_too_large", "limit"},
		{"proxy body over the limit", restCall{method: "POST", target: "/proxy/x", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github"}, body: `"` + strings.Repeat("a", 5000) + `"`}, 413, "payload_too_large", "4096 bytes"},
		{"missing required header value", restCall{method: "GET", target: "/records?model=GithubIssue"}, 400, "invalid_query_params", "connection_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetRequests()
			got := send(t, base, tt.call, false)
			if got.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", got.status, tt.wantStatus, got.body)
			}
			e := decodeError(t, got)
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantInMsg) {
				t.Errorf("error = %+v, want code %q mentioning %q", e.Error, tt.wantCode, tt.wantInMsg)
			}
			if n := len(sim.Requests()); n != 0 {
				t.Errorf("Nango received %d requests, want none", n)
			}
		})
	}
}

func TestRESTValidationErrorsListTheFieldsLikeNango(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey})
	base := startGateway(t, sim, 1<<20)
	got := send(t, base, restCall{method: "GET", target: "/integrations/bad%21key/functions?limit=500"}, false)
	e := decodeError(t, got)
	paths := map[string]bool{}
	for _, v := range e.Error.Errors {
		paths[strings.Join(v.Path, ".")] = true
	}
	if !paths["unique_key"] || !paths["limit"] {
		t.Errorf("errors[] = %+v, want unique_key and limit", e.Error.Errors)
	}
}

// Upstream errors come back with Nango's own status and error object.
func TestRESTGivesBackNangosOwnErrors(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	tests := []struct {
		status int
		code   string
	}{{400, "invalid_body"}, {401, "unknown_account"}, {403, "forbidden"}, {404, "unknown_provider_config"}, {409, "conflict"}, {500, "server_error"}, {503, "service_unavailable"}}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			// Times outlasts the upstream client's retries of a GET.
			sim.ClearFaults()
			sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: tt.status, Code: tt.code, Times: 5})
			got := send(t, base, restCall{method: "GET", target: "/integrations"}, false)
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d", got.status, tt.status)
			}
			if e := decodeError(t, got); e.Error.Code != tt.code {
				t.Errorf("code = %q, want %q", e.Error.Code, tt.code)
			}
		})
	}
	t.Run("429 keeps Retry-After", func(t *testing.T) {
		// A wait longer than the gateway ever sleeps is handed to the caller at once.
		sim.ClearFaults()
		sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: 429, Code: "too_many_request", Times: 5, Header: http.Header{"Retry-After": {"60"}}})
		got := send(t, base, restCall{method: "GET", target: "/integrations"}, false)
		if got.status != 429 || got.header.Get("Retry-After") != "60" {
			t.Errorf("status %d Retry-After %q, want 429 and 60", got.status, got.header.Get("Retry-After"))
		}
	})
}

// A proxied answer over the limit is refused as too large, not as a rate limit.
func TestRESTProxyAnswerOverTheLimitIs413(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 4096)
	got := send(t, base, restCall{method: "GET", target: "/proxy/bytes/5000", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github"}}, false)
	if got.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d (%s), want 413", got.status, got.body)
	}
	if e := decodeError(t, got); e.Error.Code != "payload_too_large" {
		t.Errorf("code = %q, want payload_too_large", e.Error.Code)
	}
}
