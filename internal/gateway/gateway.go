package gateway

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// Options configure the REST face.
type Options struct {
	// Conn reaches the gateway's own gRPC server; dial it with DialOptions().
	Conn *grpc.ClientConn
	// MaxBodyBytes bounds REST request bodies (413 beyond).
	MaxBodyBytes int64
	// ProxyMaxBodyBytes bounds /proxy request bodies.
	ProxyMaxBodyBytes int64
}

// New returns the REST face as one handler.
func New(ctx context.Context, opts Options) (http.Handler, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newNangoJSON()),
		runtime.WithIncomingHeaderMatcher(incomingHeaders),
		runtime.SetQueryParameterParser(&strictQueryParser{}),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithForwardResponseOption(forwardStatus),
		runtime.WithForwardResponseRewriter(rewriteResponse),
		runtime.WithStreamErrorHandler(streamError),
	)
	// Registration order matters: for the same verb and an equally specific pattern the
	// last registered handler wins. PATCH /connections/metadata must beat
	// PATCH /connections/{connection_id}, so MetadataService comes after ConnectionsService.
	// TestRouteTable pins the result.
	registrations := []struct {
		name     string
		register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	}{
		{"providers", gatewayv1.RegisterProvidersServiceHandler},
		{"integrations", gatewayv1.RegisterIntegrationsServiceHandler},
		{"connections", gatewayv1.RegisterConnectionsServiceHandler},
		{"metadata", gatewayv1.RegisterMetadataServiceHandler},
		{"scripts", gatewayv1.RegisterScriptsServiceHandler},
		{"records", gatewayv1.RegisterRecordsServiceHandler},
		{"syncs", gatewayv1.RegisterSyncsServiceHandler},
		{"environment", gatewayv1.RegisterEnvironmentServiceHandler},
		{"actions", gatewayv1.RegisterActionsServiceHandler},
		{"connect sessions", gatewayv1.RegisterConnectSessionsServiceHandler},
		{"webhooks", gatewayv1.RegisterWebhooksServiceHandler},
	}
	for _, reg := range registrations {
		if err := reg.register(ctx, mux, opts.Conn); err != nil {
			return nil, fmt.Errorf("register %s routes: %w", reg.name, err)
		}
	}
	return &front{
		mux:          mux,
		proxy:        &proxyHandler{client: gatewayv1.NewProxyServiceClient(opts.Conn), maxBodyBytes: opts.ProxyMaxBodyBytes},
		maxBodyBytes: opts.MaxBodyBytes,
	}, nil
}
