package service

import (
	"context"
	"net/http"
	"net/url"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// providersService implements gatewayv1.ProvidersServiceServer.
type providersService struct {
	gatewayv1.UnimplementedProvidersServiceServer
	deps Deps
}

// NewProvidersService returns the ProvidersService.
func NewProvidersService(d Deps) *providersService { return &providersService{deps: d} }

// ListProviders is GET /providers?search=. Nango's query is strict, so nothing but search is
// ever sent (the SDK's connect_session_token would be refused).
func (s *providersService) ListProviders(ctx context.Context, req *gatewayv1.ListProvidersRequest) (*gatewayv1.ListProvidersResponse, error) {
	var q url.Values
	if req.Search != nil {
		q = url.Values{"search": {req.GetSearch()}}
	}
	out := &gatewayv1.ListProvidersResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("providers"),
		Query:  q,
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetProvider is GET /providers/{provider}; Nango requires an empty query.
func (s *providersService) GetProvider(ctx context.Context, req *gatewayv1.GetProviderRequest) (*gatewayv1.GetProviderResponse, error) {
	out := &gatewayv1.GetProviderResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("providers", req.GetProvider()),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetProviderTemplates is GET /providers/{provider}/templates.
func (s *providersService) GetProviderTemplates(ctx context.Context, req *gatewayv1.GetProviderTemplatesRequest) (*gatewayv1.GetProviderTemplatesResponse, error) {
	out := &gatewayv1.GetProviderTemplatesResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("providers", req.GetProvider(), "templates"),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}
