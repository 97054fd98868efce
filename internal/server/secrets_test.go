package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsNeverContainSecrets runs calls that carry every kind of secret (the gateway's key,
// OAuth tokens in credentials, an integration's client secret, a caller's own bearer token)
// with debug logging, including failures and a panic-free validation error, and then
// searches the logs for each secret.
func TestLogsNeverContainSecrets(t *testing.T) {
	const gatewayKey = "sk-gateway-secret-0123456789"
	const clientSecret = "client-secret-do-not-log"
	const callerToken = "caller-token-do-not-log"
	sim := simulator.New(simulator.Options{APIKey: gatewayKey, Seed: true})
	upstream := httptest.NewServer(sim)
	defer upstream.Close()

	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := testConfig(t, upstream.URL, gatewayKey)
	cfg.LogLevel = slog.LevelDebug
	srv, err := New(context.Background(), cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	conn := dial(t, srv)
	ctx := context.Background()

	connections := gatewayv1.NewConnectionsServiceClient(conn)
	full, err := connections.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{gatewayKey, clientSecret, callerToken, full.GetConnection().GetCredentials().GetAccessToken(), full.GetConnection().GetCredentials().GetRefreshToken()}
	_, _ = connections.GetToken(ctx, &gatewayv1.GetTokenRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	_, _ = connections.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "nope"})
	integrations := gatewayv1.NewIntegrationsServiceClient(conn)
	_, _ = integrations.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "gh-secret",
		Credentials: &gatewayv1.IntegrationCredentials{Type: "OAUTH2", ClientId: ptr("cid"), ClientSecret: ptr(clientSecret)}})
	_, _ = integrations.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "bad key!",
		Credentials: &gatewayv1.IntegrationCredentials{Type: "OAUTH2", ClientId: ptr("cid"), ClientSecret: ptr(clientSecret)}})

	// Over REST, with the caller's own bearer token, which the gateway must neither forward nor log.
	for _, target := range []string{"/connections/conn-github-1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false", "/integrations/nope"} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+target, nil)
		req.Header.Set("Authorization", "Bearer "+callerToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Shutdown()

	out := logs.String()
	if !strings.Contains(out, "GetConnection") {
		t.Fatalf("expected call logs, got %q", out)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("logs contain a secret (%d chars)", len(s))
		}
	}
	for _, r := range sim.Requests() {
		if strings.Contains(r.Header.Get("Authorization"), callerToken) {
			t.Error("the caller's token was forwarded to Nango")
		}
	}
}

func ptr(s string) *string { return &s }
