package client_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/nango-gateway/nango-gateway/client"
	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/certs/certstest"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// The options a service would use reach a real gateway over TLS with its token; a call
// without the token, or without TLS, does not get through.
func TestOptionsReachATLSGatewayOnlyWithTLSAndToken(t *testing.T) {
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: "k", Seed: true}))
	t.Cleanup(upstream.Close)
	const token = "tok-client-tls"
	sum := sha256.Sum256([]byte(token))
	clients := filepath.Join(t.TempDir(), "clients.yaml")
	if err := os.WriteFile(clients, []byte("clients:\n  - name: svc\n    token_sha256: "+hex.EncodeToString(sum[:])+
		"\n    allow: [\"nango.gateway.v1.ConnectionsService/GetConnection\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := certstest.NewCA(t, "corp")
	cert := ca.Server("gateway")
	env := map[string]string{"NANGO_HOST": upstream.URL, "NANGO_SECRET_KEY": "k", "NANGO_WEBHOOK_SIGNING_KEY": "s"}
	cfg, err := config.Load([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clients-file", clients,
		"--tls-cert-file", cert.CertFile, "--tls-key-file", cert.KeyFile}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)

	roots := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	tests := []struct {
		name string
		opts client.Options
		want codes.Code
	}{
		{"tls and token", client.Options{Token: token, TLS: roots}, codes.OK},
		{"tls without token", client.Options{TLS: roots}, codes.Unauthenticated},
		{"wrong token", client.Options{Token: "tok-guess", TLS: roots}, codes.Unauthenticated},
		{"plaintext to a tls gateway", client.Options{Token: token, Insecure: true}, codes.Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := client.New(srv.GRPCAddr(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err = gatewayv1.NewConnectionsServiceClient(conn).GetConnection(ctx,
				&gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
			got := codes.OK
			if e, ok := client.AsError(err); ok {
				got = e.Code
			}
			if got != tt.want {
				t.Fatalf("GetConnection: %v, want %v", err, tt.want)
			}
		})
	}
}
