package client

import (
	"context"
	"net"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// unavailable answers every call UNAVAILABLE and counts the attempts per method.
type unavailable struct {
	gatewayv1.UnimplementedActionsServiceServer
	gatewayv1.UnimplementedProxyServiceServer
	gatewayv1.UnimplementedConnectionsServiceServer

	mu       sync.Mutex
	attempts map[string]int
}

func (u *unavailable) count(method string) error {
	u.mu.Lock()
	u.attempts[method]++
	u.mu.Unlock()
	return status.Error(codes.Unavailable, "upstream connection reset")
}

func (u *unavailable) TriggerAction(context.Context, *gatewayv1.TriggerActionRequest) (*gatewayv1.TriggerActionResponse, error) {
	return nil, u.count("TriggerAction")
}

func (u *unavailable) TriggerActionAsync(context.Context, *gatewayv1.TriggerActionAsyncRequest) (*gatewayv1.TriggerActionAsyncResponse, error) {
	return nil, u.count("TriggerActionAsync")
}

func (u *unavailable) TriggerActionAndWait(context.Context, *gatewayv1.TriggerActionAndWaitRequest) (*gatewayv1.TriggerActionAndWaitResponse, error) {
	return nil, u.count("TriggerActionAndWait")
}

func (u *unavailable) Proxy(context.Context, *gatewayv1.ProxyRequest) (*gatewayv1.ProxyResponse, error) {
	return nil, u.count("Proxy")
}

func (u *unavailable) GetConnection(context.Context, *gatewayv1.GetConnectionRequest) (*gatewayv1.GetConnectionResponse, error) {
	return nil, u.count("GetConnection")
}

func TestDefaultServiceConfigNeverRetriesCallsThatActButRetriesReads(t *testing.T) {
	u := &unavailable{attempts: map[string]int{}}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	gatewayv1.RegisterActionsServiceServer(srv, u)
	gatewayv1.RegisterProxyServiceServer(srv, u)
	gatewayv1.RegisterConnectionsServiceServer(srv, u)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	opts := append(DialOptions(Options{Insecure: true}),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	conn, err := grpc.NewClient("passthrough:///unavailable", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	actions := gatewayv1.NewActionsServiceClient(conn)
	proxy := gatewayv1.NewProxyServiceClient(conn)
	connections := gatewayv1.NewConnectionsServiceClient(conn)
	ctx := context.Background()

	tests := []struct {
		method   string
		call     func() error
		attempts int
	}{
		{"TriggerAction", func() error { _, err := actions.TriggerAction(ctx, &gatewayv1.TriggerActionRequest{}); return err }, 1},
		{"TriggerActionAsync", func() error {
			_, err := actions.TriggerActionAsync(ctx, &gatewayv1.TriggerActionAsyncRequest{})
			return err
		}, 1},
		{"TriggerActionAndWait", func() error {
			_, err := actions.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{})
			return err
		}, 1},
		{"Proxy", func() error { _, err := proxy.Proxy(ctx, &gatewayv1.ProxyRequest{Method: "POST"}); return err }, 1},
		{"GetConnection", func() error {
			_, err := connections.GetConnection(ctx, &gatewayv1.GetConnectionRequest{})
			return err
		}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			if code := status.Code(tt.call()); code != codes.Unavailable {
				t.Fatalf("code %v, want UNAVAILABLE", code)
			}
			u.mu.Lock()
			got := u.attempts[tt.method]
			u.mu.Unlock()
			if got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
		})
	}
}
