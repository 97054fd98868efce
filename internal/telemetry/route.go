package telemetry

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	"github.com/nango-gateway/nango-gateway/internal/middleware"
)

// RouteName names the call a context belongs to: the RPC (or relay route) the REST face
// named it, else the gRPC method, in the low-cardinality form labels and span names use.
// It is the upstream client's Config.Route.
func RouteName(ctx context.Context) string {
	name := middleware.RouteName(ctx)
	if name == "" {
		name, _ = grpc.Method(ctx)
	}
	return middleware.RouteTemplate(strings.TrimPrefix(name, "/"))
}

// routeLabel keeps a label bounded even for a route named elsewhere.
func routeLabel(route string) string {
	if route == "" {
		return "unknown"
	}
	return middleware.RouteTemplate(route)
}
