package service_test

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/nango-gateway/nango-gateway/internal/middleware"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// harness is a gRPC server with the real interceptor chain and every service, in front of
// the Nango simulator: tests call the gateway over gRPC and read what Nango received.
type harness struct {
	sim  *simulator.Simulator
	conn *grpc.ClientConn
}

const testAPIKey = "test-secret-key"

func newHarness(t *testing.T, opts simulator.Options) *harness {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testAPIKey
	}
	sim := simulator.New(opts)
	upstreamServer := httptest.NewServer(sim)
	t.Cleanup(upstreamServer.Close)

	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: upstreamServer.URL, SecretKey: opts.APIKey})
	if err != nil {
		t.Fatalf("upstream client: %v", err)
	}
	return newHarnessWithDeps(t, sim, service.Deps{Upstream: upstream})
}

func newHarnessWithDeps(t *testing.T, sim *simulator.Simulator, deps service.Deps) *harness {
	t.Helper()
	serverOpts, err := middleware.ServerOptions(slog.New(slog.DiscardHandler), middleware.Extra{})
	if err != nil {
		t.Fatalf("interceptors: %v", err)
	}
	srv := grpc.NewServer(serverOpts...)
	service.RegisterAll(srv, deps)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &harness{sim: sim, conn: conn}
}

// lastRequest is the last request the simulator received.
func (h *harness) lastRequest(t *testing.T) simulator.RecordedRequest {
	t.Helper()
	reqs := h.sim.Requests()
	if len(reqs) == 0 {
		t.Fatal("the simulator received no request")
	}
	return reqs[len(reqs)-1]
}
