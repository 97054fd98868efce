package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/certs/certstest"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

type tlsGateway struct {
	srv      *Server
	ca       *certstest.CA
	billing  certstest.Issued // a client certificate naming the billing client
	stranger certstest.Issued // signed by the CA, named by no client
	foreign  certstest.Issued // signed by another CA
	opsToken string
}

// startMutualTLSGateway serves both listeners over TLS with client certificates
// required. billing is named by its certificate (records only); ops by a token (anything).
func startMutualTLSGateway(t *testing.T, edit func(*config.Config)) *tlsGateway {
	t.Helper()
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	ca := certstest.NewCA(t, "corp")
	g := &tlsGateway{
		ca: ca, billing: ca.Client("billing", "spiffe://corp/billing"), stranger: ca.Client("stranger", "spiffe://corp/stranger"),
		foreign: certstest.NewCA(t, "elsewhere").Client("billing", "spiffe://corp/billing"), opsToken: "tok-ops-tls",
	}
	sum := sha256.Sum256([]byte(g.opsToken))
	clients := "clients:\n" +
		"  - name: billing\n    certificate_identity: spiffe://corp/billing\n    allow: [\"nango.gateway.v1.RecordsService/*\"]\n" +
		"  - name: ops\n    token_sha256: " + hex.EncodeToString(sum[:]) + "\n    allow: [\"*\"]\n"
	path := filepath.Join(t.TempDir(), "clients.yaml")
	if err := os.WriteFile(path, []byte(clients), 0o600); err != nil {
		t.Fatal(err)
	}
	server := ca.Server("gateway")
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.InsecureNoAuth, cfg.ClientsFile = false, path
	cfg.TLSCertFile, cfg.TLSKeyFile, cfg.TLSClientCAFile = server.CertFile, server.KeyFile, ca.File
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	g.srv = srv
	return g
}

func (g *tlsGateway) tlsConfig(client *certstest.Issued) *tls.Config {
	cfg := &tls.Config{RootCAs: g.ca.Pool, ServerName: "localhost"}
	if client != nil {
		cfg.Certificates = []tls.Certificate{client.TLS}
	}
	return cfg
}

func (g *tlsGateway) grpcConn(t *testing.T, client *certstest.Issued) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(g.srv.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewTLS(g.tlsConfig(client))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (g *tlsGateway) httpGet(t *testing.T, client *certstest.Issued, target string, header http.Header) (int, string, error) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: g.tlsConfig(client)}}
	defer hc.CloseIdleConnections()
	req, _ := http.NewRequest("GET", "https://"+g.srv.HTTPAddr()+target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Connection-Id", "conn-github-1")
	req.Header.Set("Provider-Config-Key", "github")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// With mutual TLS a client certificate names the client on gRPC, on /v1 and on the
// relay; a certificate from another CA never gets through the handshake; and a caller
// cannot claim another identity with metadata or headers.
func TestMutualTLSNamesTheClientOnEveryWayIn(t *testing.T) {
	g := startMutualTLSGateway(t, nil)
	listRecords := &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"}
	claimOps := metadata.AppendToOutgoingContext(t.Context(), access.CertificateIdentityMetadata, "spiffe://corp/ops")

	grpcCases := []struct {
		name   string
		client *certstest.Issued
		call   func(*grpc.ClientConn) error
		want   codes.Code
	}{
		{"billing reads records", &g.billing, func(c *grpc.ClientConn) error {
			_, err := gatewayv1.NewRecordsServiceClient(c).ListRecords(t.Context(), listRecords)
			return err
		}, codes.OK},
		{"billing may not list providers", &g.billing, func(c *grpc.ClientConn) error {
			_, err := gatewayv1.NewProvidersServiceClient(c).ListProviders(t.Context(), &gatewayv1.ListProvidersRequest{})
			return err
		}, codes.PermissionDenied},
		{"a certificate no client has", &g.stranger, func(c *grpc.ClientConn) error {
			_, err := gatewayv1.NewRecordsServiceClient(c).ListRecords(claimOps, listRecords)
			return err
		}, codes.Unauthenticated},
		{"a token still names its client", &g.stranger, func(c *grpc.ClientConn) error {
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+g.opsToken)
			_, err := gatewayv1.NewProvidersServiceClient(c).ListProviders(ctx, &gatewayv1.ListProvidersRequest{})
			return err
		}, codes.OK},
		{"a certificate from another CA", &g.foreign, func(c *grpc.ClientConn) error {
			_, err := gatewayv1.NewRecordsServiceClient(c).ListRecords(t.Context(), listRecords)
			return err
		}, codes.Unavailable},
		{"no certificate", nil, func(c *grpc.ClientConn) error {
			_, err := gatewayv1.NewRecordsServiceClient(c).ListRecords(t.Context(), listRecords)
			return err
		}, codes.Unavailable},
	}
	for _, tt := range grpcCases {
		t.Run("grpc "+tt.name, func(t *testing.T) {
			if got := status.Code(tt.call(g.grpcConn(t, tt.client))); got != tt.want {
				t.Fatalf("code %v, want %v", got, tt.want)
			}
		})
	}

	spoof := http.Header{"Grpc-Metadata-" + access.CertificateIdentityMetadata: {"spiffe://corp/ops"}}
	httpCases := []struct {
		name   string
		client *certstest.Issued
		target string
		header http.Header
		want   int
	}{
		{"relay records", &g.billing, "/records?model=GithubIssue", nil, 200},
		{"relay integrations", &g.billing, "/integrations", nil, 403},
		{"v1 records", &g.billing, "/v1/records?model=GithubIssue", nil, 200},
		{"v1 providers", &g.billing, "/v1/providers", nil, 403},
		{"v1 identity claimed in a header", &g.stranger, "/v1/providers", spoof, 401},
		{"relay identity claimed in a header", &g.stranger, "/providers", spoof, 401},
	}
	for _, tt := range httpCases {
		t.Run("https "+tt.name, func(t *testing.T) {
			code, body, err := g.httpGet(t, tt.client, tt.target, tt.header)
			if err != nil {
				t.Fatal(err)
			}
			if code != tt.want {
				t.Fatalf("status %d, want %d: %s", code, tt.want, body)
			}
		})
	}
	t.Run("https without a client certificate fails the handshake", func(t *testing.T) {
		if _, _, err := g.httpGet(t, nil, "/v1/records", nil); err == nil {
			t.Fatal("the handshake succeeded without a client certificate")
		}
	})
	t.Run("plain HTTP is not served", func(t *testing.T) {
		resp, err := http.Get("http://" + g.srv.HTTPAddr() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest { // Go's answer to plain HTTP on a TLS port
				t.Fatalf("plain HTTP answered %d", resp.StatusCode)
			}
		}
	})
}

// A client that sends its body too slowly is cut off with 408 and nothing reaches Nango.
func TestSlowRequestBodyIsCutOff(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.HTTPReadBodyTimeout = 300 * time.Millisecond
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)

	conn, err := net.Dial("tcp", srv.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := len(sim.Requests())
	body := `{"provider":"github","unique_key":"slow"}`
	if _, err := io.WriteString(conn, "POST /integrations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body[:5]); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	answer, _ := io.ReadAll(conn) // the gateway answers, then closes the connection
	if !strings.HasPrefix(string(answer), "HTTP/1.1 408") {
		t.Fatalf("answer %q, want 408", answer)
	}
	if len(sim.Requests()) != before {
		t.Error("Nango received part of a request")
	}
}
