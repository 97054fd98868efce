package service

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// scriptsService implements gatewayv1.ScriptsServiceServer.
type scriptsService struct {
	gatewayv1.UnimplementedScriptsServiceServer
	deps Deps
}

// NewScriptsService returns the ScriptsService.
func NewScriptsService(d Deps) *scriptsService { return &scriptsService{deps: d} }

// GetScriptsConfig is GET /scripts/config?format=. The SDK always sends format, "nango" by
// default. The two formats answer different shapes: nango a bare array of
// StandardNangoConfig, openai {"data": [...]}; with nothing deployed both are [].
func (s *scriptsService) GetScriptsConfig(ctx context.Context, req *gatewayv1.GetScriptsConfigRequest) (*gatewayv1.GetScriptsConfigResponse, error) {
	format := "nango"
	if req.Format != nil {
		format = req.GetFormat()
	}
	resp, err := s.deps.Upstream.Do(ctx, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("scripts", "config"),
		Query:  url.Values{"format": {format}},
	})
	if err != nil {
		return nil, err
	}
	// With nothing deployed Nango answers a bare [] whatever the format: no configs.
	if format == "openai" && !isJSONArray(resp.Body) {
		out := &gatewayv1.GetScriptsConfigResponse{}
		if err := decodeAnswer(resp.Body, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	configs, err := decodeArrayAnswer(resp.Body, func() *structpb.Struct { return &structpb.Struct{} })
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetScriptsConfigResponse{Configs: configs}, nil
}

// isJSONArray reports whether body is a JSON array (by its first byte; decoding checks the rest).
func isJSONArray(body []byte) bool {
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '['
}
