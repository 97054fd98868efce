package middleware_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/middleware"
)

// fakeServices panic or count calls, so the chain's effect is visible.
type fakeServices struct {
	gatewayv1.UnimplementedEnvironmentServiceServer
	gatewayv1.UnimplementedRecordsServiceServer
	mu    sync.Mutex
	calls int
}

func (f *fakeServices) GetEnvironmentVariables(context.Context, *gatewayv1.GetEnvironmentVariablesRequest) (*gatewayv1.GetEnvironmentVariablesResponse, error) {
	panic("token sk-secret-in-panic leaked?")
}

func (f *fakeServices) StreamRecords(*gatewayv1.StreamRecordsRequest, grpc.ServerStreamingServer[gatewayv1.StreamRecordsResponse]) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return nil
}

func (f *fakeServices) ListRecords(context.Context, *gatewayv1.ListRecordsRequest) (*gatewayv1.ListRecordsResponse, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return &gatewayv1.ListRecordsResponse{}, nil
}

func start(t *testing.T, logs *bytes.Buffer) (*grpc.ClientConn, *fakeServices) {
	t.Helper()
	opts, err := middleware.ServerOptions(slog.New(slog.NewJSONHandler(logs, nil)), middleware.Extra{})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	fake := &fakeServices{}
	gatewayv1.RegisterEnvironmentServiceServer(srv, fake)
	gatewayv1.RegisterRecordsServiceServer(srv, fake)
	lis := bufconn.Listen(1 << 16)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, fake
}

func TestAPanicBecomesInternalAndTheServerLivesOn(t *testing.T) {
	var logs bytes.Buffer
	conn, _ := start(t, &logs)
	client := gatewayv1.NewEnvironmentServiceClient(conn)
	for range 2 {
		_, err := client.GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
		if status.Code(err) != codes.Internal || strings.Contains(status.Convert(err).Message(), "sk-secret") {
			t.Fatalf("err = %v, want a bare Internal", err)
		}
	}
	if !strings.Contains(logs.String(), "panic in handler") {
		t.Errorf("the panic was not logged: %s", logs.String())
	}
}

func TestInvalidRequestsNeverReachTheServiceUnaryOrStream(t *testing.T) {
	var logs bytes.Buffer
	conn, fake := start(t, &logs)
	records := gatewayv1.NewRecordsServiceClient(conn)
	bad := &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "lowercase"}
	_, err := records.ListRecords(context.Background(), bad)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "model") {
		t.Errorf("unary: err = %v, want InvalidArgument naming model", err)
	}
	stream, err := records.StreamRecords(context.Background(), &gatewayv1.StreamRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "lowercase"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "model") {
		t.Errorf("stream: err = %v, want InvalidArgument naming model", err)
	}
	if fake.calls != 0 {
		t.Errorf("the service was called %d times", fake.calls)
	}
	if _, err := records.ListRecords(context.Background(), &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "GithubIssue"}); err != nil {
		t.Errorf("a valid request failed: %v", err)
	}
	if !strings.Contains(logs.String(), `"grpc.code":"InvalidArgument"`) {
		t.Errorf("rejected calls are not logged with their code: %s", logs.String())
	}
}

// Outer interceptors (the grpc_server_* metrics) run before recovery, so they see a
// panic as the Internal the caller gets, and stats handlers see every call.
func TestOuterInterceptorsSeeTheFinalCodeOfAPanic(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	var seen []codes.Code
	outer := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		mu.Lock()
		seen = append(seen, status.Code(err))
		mu.Unlock()
		return resp, err
	}
	counter := &countingStats{}
	opts, err := middleware.ServerOptions(slog.New(slog.NewJSONHandler(&logs, nil)), middleware.Extra{
		OuterUnary: []grpc.UnaryServerInterceptor{outer}, StatsHandlers: []stats.Handler{counter}})
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	gatewayv1.RegisterEnvironmentServiceServer(srv, &fakeServices{})
	lis := bufconn.Listen(1 << 16)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = gatewayv1.NewEnvironmentServiceClient(conn).GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != codes.Internal {
		t.Errorf("outer interceptor saw %v, want [Internal]", seen)
	}
	if counter.calls.Load() == 0 {
		t.Error("the stats handler saw no call")
	}
}

// countingStats counts the RPCs a stats handler is told of.
type countingStats struct{ calls atomic.Int64 }

func (c *countingStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	c.calls.Add(1)
	return ctx
}
func (c *countingStats) HandleRPC(context.Context, stats.RPCStats) {}
func (c *countingStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (c *countingStats) HandleConn(context.Context, stats.ConnStats) {}
