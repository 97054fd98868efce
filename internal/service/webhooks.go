package service

import gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"

// webhooksService implements gatewayv1.WebhooksServiceServer.
type webhooksService struct {
	gatewayv1.UnimplementedWebhooksServiceServer
	deps Deps
}

// NewWebhooksService returns the WebhooksService.
func NewWebhooksService(d Deps) *webhooksService { return &webhooksService{deps: d} }
