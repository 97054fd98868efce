package service

import (
	"bytes"
	"context"
	"net/http"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// environmentService implements gatewayv1.EnvironmentServiceServer.
type environmentService struct {
	gatewayv1.UnimplementedEnvironmentServiceServer
	deps Deps
}

// NewEnvironmentService returns the EnvironmentService.
func NewEnvironmentService(d Deps) *environmentService { return &environmentService{deps: d} }

// GetEnvironmentVariables is GET /environment-variables. Nango answers a bare JSON array,
// which protojson cannot read into one message, so it is decoded element by element.
func (s *environmentService) GetEnvironmentVariables(ctx context.Context, _ *gatewayv1.GetEnvironmentVariablesRequest) (*gatewayv1.GetEnvironmentVariablesResponse, error) {
	resp, err := s.deps.Upstream.Do(ctx, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("environment-variables"),
		// The SDK sends it on this GET too; Nango accepts it.
		Header: http.Header{"Content-Type": {"application/json"}},
	})
	if err != nil {
		return nil, err
	}
	// Like the SDK, an empty body means no variables.
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return &gatewayv1.GetEnvironmentVariablesResponse{Variables: []*gatewayv1.EnvironmentVariable{}}, nil
	}
	vars, err := decodeArrayAnswer(resp.Body, func() *gatewayv1.EnvironmentVariable { return &gatewayv1.EnvironmentVariable{} })
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetEnvironmentVariablesResponse{Variables: vars}, nil
}
