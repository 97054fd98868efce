package service

import (
	"log/slog"
	"time"

	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// Deps is what the services share.
type Deps struct {
	// Upstream is the client of Nango's REST API; the only way to reach Nango.
	Upstream *nangohttp.Client
	// Logger never receives secrets.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WaitPollInterval is how often WaitForConnection asks Nango; 0 means 2 s.
	WaitPollInterval time.Duration
	// MaxProxyBodyBytes bounds proxied request and response bodies; 0 means 32 MiB.
	MaxProxyBodyBytes int
	// Bus carries the webhooks Nango sent; nil disables StreamWebhookEvents.
	Bus eventbus.Bus
	// WebhookSigningKey and WebhookSigningKeyPrevious (during a rotation) verify
	// webhook signatures; never logged.
	WebhookSigningKey         string
	WebhookSigningKeyPrevious string
	// SubscriberBuffer is each StreamWebhookEvents subscriber's buffer in events; 0 means
	// eventbus.DefaultBuffer. A subscriber further behind is ended with ResourceExhausted.
	SubscriberBuffer int
}

// RegisterAll registers every service on the gRPC server.
func RegisterAll(s grpc.ServiceRegistrar, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	gatewayv1.RegisterProvidersServiceServer(s, NewProvidersService(d))
	gatewayv1.RegisterIntegrationsServiceServer(s, NewIntegrationsService(d))
	gatewayv1.RegisterConnectionsServiceServer(s, NewConnectionsService(d))
	gatewayv1.RegisterMetadataServiceServer(s, NewMetadataService(d))
	gatewayv1.RegisterScriptsServiceServer(s, NewScriptsService(d))
	gatewayv1.RegisterRecordsServiceServer(s, NewRecordsService(d))
	gatewayv1.RegisterSyncsServiceServer(s, NewSyncsService(d))
	gatewayv1.RegisterEnvironmentServiceServer(s, NewEnvironmentService(d))
	gatewayv1.RegisterActionsServiceServer(s, NewActionsService(d))
	gatewayv1.RegisterProxyServiceServer(s, NewProxyService(d))
	gatewayv1.RegisterConnectSessionsServiceServer(s, NewConnectSessionsService(d))
	gatewayv1.RegisterWebhooksServiceServer(s, NewWebhooksService(d))
}
