package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const (
	billingToken = "tok-billing-7f3a"
	opsToken     = "tok-ops-91c2"
)

// startGuardedGateway runs a gateway with a clients file: billing may read records and
// stream webhook events; ops may call anything.
func startGuardedGateway(t *testing.T) (*Server, *grpc.ClientConn, *simulator.Simulator) {
	t.Helper()
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	path := writeBillingAndOpsClients(t)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.InsecureNoAuth, cfg.ClientsFile = false, path
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return srv, dial(t, srv), sim
}

// writeBillingAndOpsClients writes a clients file: billing may read records and stream
// webhook events, ops may call anything. It returns the file's path.
func writeBillingAndOpsClients(t *testing.T) string {
	t.Helper()
	hash := func(tok string) string { s := sha256.Sum256([]byte(tok)); return hex.EncodeToString(s[:]) }
	path := filepath.Join(t.TempDir(), "clients.yaml")
	clients := "clients:\n" +
		"  - name: billing\n    token_sha256: " + hash(billingToken) + "\n" +
		"    allow: [\"nango.gateway.v1.RecordsService/*\", \"nango.gateway.v1.WebhooksService/StreamWebhookEvents\"]\n" +
		"  - name: ops\n    token_sha256: " + hash(opsToken) + "\n    allow: [\"*\"]\n"
	if err := os.WriteFile(path, []byte(clients), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func withToken(t *testing.T, token string) context.Context {
	ctx := t.Context()
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// One allowlist governs gRPC, the /v1 mapping and the relay at Nango's paths; a refused
// call never reaches Nango, and an allowed one reaches it with the gateway's key only.
func TestOneAllowlistGovernsEveryWayIn(t *testing.T) {
	srv, conn, sim := startGuardedGateway(t)
	records := gatewayv1.NewRecordsServiceClient(conn)
	providers := gatewayv1.NewProvidersServiceClient(conn)
	listRecords := &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"}

	grpcCases := []struct {
		name  string
		call  func() error
		want  codes.Code
		sends bool // whether Nango receives a request
	}{
		{"no token", func() error { _, err := records.ListRecords(withToken(t, ""), listRecords); return err }, codes.Unauthenticated, false},
		{"unknown token", func() error { _, err := records.ListRecords(withToken(t, "tok-guess"), listRecords); return err }, codes.Unauthenticated, false},
		{"allowed service", func() error { _, err := records.ListRecords(withToken(t, billingToken), listRecords); return err }, codes.OK, true},
		{"other service", func() error {
			_, err := providers.ListProviders(withToken(t, billingToken), &gatewayv1.ListProvidersRequest{})
			return err
		}, codes.PermissionDenied, false},
		{"allowed stream", func() error {
			stream, err := records.StreamRecords(withToken(t, billingToken), &gatewayv1.StreamRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}, codes.OK, true},
		{"wildcard client", func() error {
			_, err := providers.ListProviders(withToken(t, opsToken), &gatewayv1.ListProvidersRequest{})
			return err
		}, codes.OK, true},
	}
	for _, tt := range grpcCases {
		t.Run("grpc "+tt.name, func(t *testing.T) {
			before := len(sim.Requests())
			if got := status.Code(tt.call()); got != tt.want {
				t.Fatalf("code %v, want %v", got, tt.want)
			}
			assertUpstream(t, sim, before, tt.sends)
		})
	}

	base := "http://" + srv.HTTPAddr()
	httpCases := []struct {
		name, method, target, token string
		want                        int
		wantCode                    string // Nango's error code in the envelope
	}{
		{"relay no token", "GET", "/records?model=GithubIssue", "", 401, "unauthenticated"},
		{"relay allowed", "GET", "/records?model=GithubIssue", billingToken, 200, ""},
		{"relay other rpc", "GET", "/integrations", billingToken, 403, "forbidden"},
		{"relay unmapped route needs a rule naming it", "GET", "/some/new/route", billingToken, 403, "forbidden"},
		{"relay unmapped route under *", "GET", "/some/new/route", opsToken, 500, "generic_error_support"}, // Nango's answer to a route it lacks
		{"v1 allowed", "GET", "/v1/records?model=GithubIssue", billingToken, 200, ""},
		{"v1 other rpc", "GET", "/v1/providers", billingToken, 403, "forbidden"},
		{"v1 no token", "GET", "/v1/records?model=GithubIssue", "", 401, "unauthenticated"},
	}
	for _, tt := range httpCases {
		t.Run("http "+tt.name, func(t *testing.T) {
			before := len(sim.Requests())
			req, _ := http.NewRequest(tt.method, base+tt.target, nil)
			req.Header.Set("Connection-Id", "conn-github-1")
			req.Header.Set("Provider-Config-Key", "github")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			if tt.wantCode != "" {
				var env struct {
					Error struct{ Code string } `json:"error"`
				}
				if json.Unmarshal(body, &env) != nil || env.Error.Code != tt.wantCode {
					t.Errorf("body %s, want Nango's envelope with code %s", body, tt.wantCode)
				}
			}
			assertUpstream(t, sim, before, tt.want != 401 && tt.want != 403)
		})
	}

	t.Run("exempt: health, readiness, webhooks", func(t *testing.T) {
		if _, err := healthpb.NewHealthClient(conn).Check(withToken(t, ""), &healthpb.HealthCheckRequest{}); err != nil {
			t.Errorf("gRPC health needs no token: %v", err)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(base + path)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("%s: %v %v", path, err, resp)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
		resp, err := http.Post(base+"/webhooks/nango", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized { // its own HMAC check: a missing signature
			t.Errorf("webhook without signature: %d, want the HMAC check's 401", resp.StatusCode)
		}
	})
}

// assertUpstream checks whether the call reached Nango and, if it did, that Nango saw
// the gateway's key and never a client's token.
func assertUpstream(t *testing.T, sim *simulator.Simulator, before int, wantSent bool) {
	t.Helper()
	reqs := sim.Requests()
	if sent := len(reqs) > before; sent != wantSent {
		t.Fatalf("Nango received %d requests, want sent=%v", len(reqs)-before, wantSent)
	}
	for _, r := range reqs[before:] {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("Nango received Authorization %q, want the gateway's key", got)
		}
	}
}
