package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

const testKey = "server-test-key"

// startGateway runs a gateway on free loopback ports in front of sim.
func startGateway(t *testing.T, sim *simulator.Simulator, grace time.Duration) (*Server, *grpc.ClientConn) {
	t.Helper()
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.ShutdownGrace = grace
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Start()
	return srv, dial(t, srv)
}

// startConfiguredGateway runs a gateway in front of the upstream at upstreamURL, with
// testConfig edited by edit (nil for none), until the test ends.
func startConfiguredGateway(t *testing.T, upstreamURL string, edit func(*config.Config)) *Server {
	t.Helper()
	cfg := testConfig(t, upstreamURL, testKey)
	cfg.ShutdownGrace = 2 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return srv
}

// testConfig is the gateway's default configuration, as config.Load gives it, on free
// loopback ports in front of the upstream at nangoHost, without access control
// (access_test.go adds a clients file).
func testConfig(t *testing.T, nangoHost, key string) config.Config {
	t.Helper()
	env := map[string]string{"NANGO_HOST": nangoHost, "NANGO_SECRET_KEY": key, "NANGO_WEBHOOK_SIGNING_KEY": testSigningKey}
	cfg, err := config.Load([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--insecure-no-auth=true"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// dial opens a gRPC client connection to srv, closed when the test ends.
func dial(t *testing.T, srv *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestReflectionListsTheTwelveServices(t *testing.T) {
	srv, conn := startGateway(t, simulator.New(simulator.Options{APIKey: testKey}), time.Second)
	defer srv.Shutdown()

	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var ours []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		if strings.HasPrefix(s.GetName(), "nango.gateway.v1.") {
			ours = append(ours, strings.TrimPrefix(s.GetName(), "nango.gateway.v1."))
		}
	}
	sort.Strings(ours)
	want := []string{"ActionsService", "ConnectSessionsService", "ConnectionsService", "EnvironmentService",
		"IntegrationsService", "MetadataService", "ProvidersService", "ProxyService", "RecordsService",
		"ScriptsService", "SyncsService", "WebhooksService"}
	if strings.Join(ours, ",") != strings.Join(want, ",") {
		t.Errorf("services = %v, want %v", ours, want)
	}
}

// GRPC_REFLECTION=false leaves reflection unregistered: a client asking gets Unimplemented.
func TestReflectionCanBeSwitchedOff(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.GRPCReflection = false
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	stream, err := reflectionpb.NewServerReflectionClient(dial(t, srv)).ServerReflectionInfo(context.Background())
	if err == nil {
		_ = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("reflection answered %v, want Unimplemented", err)
	}
}

func TestHealthReadinessAndOpenAPIAreServed(t *testing.T) {
	srv, conn := startGateway(t, simulator.New(simulator.Options{APIKey: testKey}), time.Second)
	defer srv.Shutdown()

	hc, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("grpc health = %v, %v", hc.GetStatus(), err)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/openapi.json": `"swagger"`} {
		resp, err := http.Get("http://" + srv.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, body)
		}
	}
}

// From SIGTERM on, neither face takes new work while the work in progress on both
// finishes: gRPC refuses new calls, HTTP answers 503 (a webhook then is delivered again
// elsewhere) and readiness says not ready.
func TestShutdownDrainsInFlightCallsAndRefusesNewOnesOnBothFaces(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	sim.InjectFault(simulator.Fault{Method: http.MethodGet, PathPrefix: "/environment-variables", Latency: 1500 * time.Millisecond})
	srv, conn := startGateway(t, sim, 5*time.Second)
	client := gatewayv1.NewEnvironmentServiceClient(conn)
	base := "http://" + srv.HTTPAddr()

	var wg sync.WaitGroup
	var grpcErr error
	var httpStatus int
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, grpcErr = client.GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
	}()
	go func() {
		defer wg.Done()
		resp, err := http.Get(base + "/environment-variables")
		if err == nil {
			httpStatus = resp.StatusCode
			resp.Body.Close()
		}
	}()
	// Both calls are under way (the upstream answers after 1.5 s) before shutting down.
	deadline := time.Now().Add(5 * time.Second)
	for srv.drain.active.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	shutdownDone := make(chan struct{})
	go func() { srv.Shutdown(); close(shutdownDone) }()
	time.Sleep(100 * time.Millisecond)

	for path, want := range map[string]int{"/readyz": 503, "/environment-variables": 503, "/webhooks/nango": 503} {
		method := http.MethodGet
		if path == "/webhooks/nango" {
			method = http.MethodPost
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s during shutdown: %v, want an answer", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s during shutdown: %d, want %d", path, resp.StatusCode, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := gatewayv1.NewEnvironmentServiceClient(dial(t, srv)).GetEnvironmentVariables(ctx, &gatewayv1.GetEnvironmentVariablesRequest{}); err == nil {
		t.Error("a new gRPC call during shutdown succeeded")
	}

	wg.Wait()
	if grpcErr != nil {
		t.Errorf("in-flight gRPC call failed during shutdown: %v", grpcErr)
	}
	if httpStatus != http.StatusOK {
		t.Errorf("in-flight HTTP call answered %d during shutdown, want 200", httpStatus)
	}
	<-shutdownDone
	if _, err := client.GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{}); err == nil {
		t.Error("a call after shutdown succeeded")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("HTTP still accepts connections after shutdown")
	}
}

func TestShutdownForcesCallsPastTheGracePeriod(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	sim.InjectFault(simulator.Fault{PathPrefix: "/environment-variables", Latency: 10 * time.Second})
	srv, conn := startGateway(t, sim, 200*time.Millisecond)
	client := gatewayv1.NewEnvironmentServiceClient(conn)
	errc := make(chan error, 1)
	go func() {
		_, err := client.GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
		errc <- err
	}()
	for len(sim.Requests()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	srv.Shutdown()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("shutdown took %v with a 200ms grace", took)
	}
	if err := <-errc; err == nil {
		t.Error("the call outliving the grace period succeeded")
	}
}

// A failure part-way through New (here: no NATS at EVENT_BUS_URL) is an error naming the
// setting, and what was already built is released: the ports can be bound again.
func TestNewFailsCleanlyAndReleasesWhatItBuilt(t *testing.T) {
	cfg := testConfig(t, "http://127.0.0.1:1", testKey)
	cfg.EventBusURL = "nats://127.0.0.1:1"
	_, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "EVENT_BUS_URL") {
		t.Fatalf("err = %v, want one naming EVENT_BUS_URL", err)
	}
}

// A rate-limit wait longer than the gateway will sleep reaches gRPC callers as
// ResourceExhausted with RetryInfo and the grpc-retry-pushback-ms trailer.
func TestRateLimitWaitReachesGRPCCallersAsPushback(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: http.StatusTooManyRequests, Code: "too_many_request", Times: 5,
		Header: http.Header{"Retry-After": {"60"}}})
	srv, conn := startGateway(t, sim, time.Second)
	defer srv.Shutdown()
	var trailer metadata.MD
	_, err := gatewayv1.NewIntegrationsServiceClient(conn).ListIntegrations(context.Background(), &gatewayv1.ListIntegrationsRequest{}, grpc.Trailer(&trailer))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("err = %v, want ResourceExhausted", err)
	}
	if got := trailer.Get("grpc-retry-pushback-ms"); len(got) != 1 || got[0] != "60000" {
		t.Errorf("grpc-retry-pushback-ms = %v, want [60000]", got)
	}
}
