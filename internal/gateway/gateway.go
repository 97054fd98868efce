package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/middleware"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
)

// APIPrefix starts every path of the gRPC API's own HTTP/JSON mapping.
const APIPrefix = "/v1/"

// Options configure the HTTP face.
type Options struct {
	// Conn reaches the gateway's own gRPC server; dial it with DialOptions(). The /v1
	// mapping calls the services through it, so every interceptor applies.
	Conn *grpc.ClientConn
	// Upstream is the client of Nango the relay forwards through.
	Upstream *nangohttp.Client
	// Logger receives one line per relayed request; never a secret.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies (413 beyond).
	MaxBodyBytes int64
	// ProxyMaxBodyBytes bounds the bodies of relayed /proxy/** requests.
	ProxyMaxBodyBytes int64
	// Access, when set, authorises each relayed request under the name of the RPC it
	// corresponds to. (/v1 calls are authorised by the gRPC server they reach.)
	Access *access.Guard
}

// New returns the HTTP face as one handler: the gRPC API's mapping under /v1/, and the
// relay of Nango's REST API everywhere else.
func New(ctx context.Context, opts Options) (http.Handler, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newNangoJSON()),
		runtime.WithIncomingHeaderMatcher(incomingHeaders),
		runtime.WithMetadata(certificateMetadata),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithOutgoingTrailerMatcher(dropMetadata),
		runtime.SetQueryParameterParser(&strictQueryParser{}),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithStreamErrorHandler(streamError),
	)
	registrations := []struct {
		name     string
		register func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	}{
		{"providers", gatewayv1.RegisterProvidersServiceHandler},
		{"integrations", gatewayv1.RegisterIntegrationsServiceHandler},
		{"connections", gatewayv1.RegisterConnectionsServiceHandler},
		// After connections: PATCH /v1/connections/metadata must beat
		// PATCH /v1/connections/{connection_id} (the last registered pattern wins).
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
	records := &recordStream{mux: mux, client: gatewayv1.NewRecordsServiceClient(opts.Conn), marshaler: newNangoJSON()}
	watch := &recordWatch{mux: mux, client: records.client, marshaler: records.marshaler}
	api := withCORS(&front{mux: mux, maxBodyBytes: opts.MaxBodyBytes, records: records, watch: watch})
	var policy []func(http.Handler) http.Handler
	if opts.Access != nil {
		policy = append(policy, opts.Access.HTTP(func(r *http.Request) string {
			return middleware.RouteName(r.Context())
		}, func(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, "", err) }))
	}
	relayed := middleware.HTTP(opts.Logger, func(r *http.Request) string {
		return routeName(r.Method, r.URL.Path, r.Header)
	}, &relay{upstream: opts.Upstream, maxBodyBytes: opts.MaxBodyBytes, maxProxyBodyBytes: opts.ProxyMaxBodyBytes}, policy...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, APIPrefix) {
			api.ServeHTTP(w, r)
			return
		}
		relayed.ServeHTTP(w, r)
	}), nil
}

// IsStream reports whether r asks for one of the /v1 streams, which have no write
// deadline: they last as long as the caller reads.
func IsStream(r *http.Request) bool { return streamRoutes[r.URL.Path] }

// dropMetadata keeps gRPC metadata (content-type, pushback hints) out of the HTTP answer:
// the status line, Retry-After and the body already say what a caller needs.
func dropMetadata(string) (string, bool) { return "", false }

// outgoingHeader drops metadata too, except the id of the action TriggerActionAndWait
// queued, which a caller needs most when the wait fails: it goes out as
// Grpc-Metadata-Nango-Action-Id, grpc-gateway's usual name.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, service.MetadataActionID) {
		return runtime.MetadataHeaderPrefix + key, true
	}
	return dropMetadata(key)
}

// setOutgoingHeaders copies the header metadata outgoingHeader lets through onto an error
// answer, as grpc-gateway's own error handler would: errorHandler replaces it.
func setOutgoingHeaders(ctx context.Context, w http.ResponseWriter) {
	md, ok := runtime.ServerMetadataFromContext(ctx)
	if !ok {
		return
	}
	for key, values := range md.HeaderMD {
		if name, ok := outgoingHeader(key); ok {
			for _, v := range values {
				w.Header().Add(name, v)
			}
		}
	}
}
