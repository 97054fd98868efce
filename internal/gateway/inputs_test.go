package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// What a /v1 caller sends wrong is a 400 naming the problem, and nothing reaches Nango:
// before these checks a deeply nested body or a path that is not UTF-8 failed deep in
// protobuf as a 500, trailing data after a body was ignored, and of two Connection-Id
// headers the first was used silently.
func TestV1RefusesMalformedInputWith400BeforeNango(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	tests := []struct {
		name     string
		method   string
		target   string
		headers  map[string][]string
		body     string
		wantCode string
	}{
		{"body nested 5,000 levels", "POST", "/v1/connections/metadata", nil,
			`{"connection_id":"conn-github-1","provider_config_key":"github","metadata":` + deep + `}`, "invalid_body"},
		{"data after the body", "POST", "/v1/connections/metadata", nil,
			`{"connection_id":"conn-github-1","provider_config_key":"github","metadata":{}} {"x":1}`, "invalid_body"},
		{"path not UTF-8", "GET", "/v1/connections/%FF%FE?provider_config_key=github", nil, "", "invalid_uri_params"},
		{"query not UTF-8", "GET", "/v1/providers?search=%FF", nil, "", "invalid_query_params"},
		{"Connection-Id twice", "GET", "/v1/records?model=GithubIssue",
			map[string][]string{"Connection-Id": {"conn-github-1", "conn-other"}, "Provider-Config-Key": {"github"}}, "", "invalid_headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sim.Requests())
			req, err := http.NewRequest(tt.method, base+tt.target, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for k, vs := range tt.headers {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			got := do(t, req)
			if got.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", got.status, got.body)
			}
			if e := decodeError(t, got); e.Error.Code != tt.wantCode {
				t.Errorf("code %q, want %q (%s)", e.Error.Code, tt.wantCode, got.body)
			}
			if len(sim.Requests()) != before {
				t.Error("Nango received the request")
			}
		})
	}
}
