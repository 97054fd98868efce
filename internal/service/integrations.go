package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// integrationsService implements gatewayv1.IntegrationsServiceServer.
type integrationsService struct {
	gatewayv1.UnimplementedIntegrationsServiceServer
	deps Deps
}

// NewIntegrationsService returns the IntegrationsService.
func NewIntegrationsService(d Deps) *integrationsService { return &integrationsService{deps: d} }

// integrationsContentType is sent on the bodiless GETs and DELETEs where the SDK sends it too.
var integrationsContentType = http.Header{"Content-Type": {"application/json"}}

// ListIntegrations is GET /integrations. The SDK rewraps the reply as {configs}; the
// gateway keeps Nango's {data}.
func (s *integrationsService) ListIntegrations(ctx context.Context, _ *gatewayv1.ListIntegrationsRequest) (*gatewayv1.ListIntegrationsResponse, error) {
	out := &gatewayv1.ListIntegrationsResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("integrations"),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetIntegration is GET /integrations/{uniqueKey}?include=. Every include value is sent as
// its own parameter, which Nango accepts; the SDK sends only the last one (a bug not kept).
func (s *integrationsService) GetIntegration(ctx context.Context, req *gatewayv1.GetIntegrationRequest) (*gatewayv1.GetIntegrationResponse, error) {
	var q url.Values
	if len(req.GetInclude()) > 0 {
		q = url.Values{"include": append([]string(nil), req.GetInclude()...)}
	}
	out := &gatewayv1.GetIntegrationResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey()),
		Query:  q,
		Header: integrationsContentType.Clone(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateIntegration is POST /integrations. The body is built key by key so that only
// Nango's keys, and only the ones the caller set, are sent.
func (s *integrationsService) CreateIntegration(ctx context.Context, req *gatewayv1.CreateIntegrationRequest) (*gatewayv1.CreateIntegrationResponse, error) {
	body := map[string]any{
		"provider":   req.GetProvider(),
		"unique_key": req.GetUniqueKey(),
	}
	if req.DisplayName != nil {
		body["display_name"] = req.GetDisplayName()
	}
	if req.Credentials != nil {
		creds, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(req.GetCredentials())
		if err != nil {
			// The message would be about the credentials: keep them out of it.
			return nil, status.Error(codes.Internal, "cannot encode the integration credentials")
		}
		body["credentials"] = json.RawMessage(creds)
	}
	if req.ForwardWebhooks != nil {
		body["forward_webhooks"] = req.GetForwardWebhooks()
	}
	if len(req.GetIntegrationConfig()) > 0 {
		body["integration_config"] = req.GetIntegrationConfig()
	}
	if len(req.GetCustom()) > 0 {
		body["custom"] = req.GetCustom()
	}
	raw, err := integrationsJSON(body)
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.CreateIntegrationResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("integrations"),
		JSON:   raw,
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateQuickstartIntegration is POST /integrations/quickstart: the integration runs on
// Nango's shared developer app, so the body carries no credentials.
func (s *integrationsService) CreateQuickstartIntegration(ctx context.Context, req *gatewayv1.CreateQuickstartIntegrationRequest) (*gatewayv1.CreateQuickstartIntegrationResponse, error) {
	body := map[string]any{
		"provider":   req.GetProvider(),
		"unique_key": req.GetUniqueKey(),
	}
	if req.DisplayName != nil {
		body["display_name"] = req.GetDisplayName()
	}
	if req.ForwardWebhooks != nil {
		body["forward_webhooks"] = req.GetForwardWebhooks()
	}
	raw, err := integrationsJSON(body)
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.CreateQuickstartIntegrationResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("integrations", "quickstart"),
		JSON:   raw,
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateIntegration is PATCH /integrations/{uniqueKey}. IntegrationPatch holds exactly the
// body's keys, and protojson leaves unset ones out, so Nango changes only what was given.
func (s *integrationsService) UpdateIntegration(ctx context.Context, req *gatewayv1.UpdateIntegrationRequest) (*gatewayv1.UpdateIntegrationResponse, error) {
	out := &gatewayv1.UpdateIntegrationResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPatch,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey()),
		JSON:   req.GetPatch(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteIntegration is DELETE /integrations/{uniqueKey}; Nango answers {success: true}.
func (s *integrationsService) DeleteIntegration(ctx context.Context, req *gatewayv1.DeleteIntegrationRequest) (*gatewayv1.DeleteIntegrationResponse, error) {
	out := &gatewayv1.DeleteIntegrationResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodDelete,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey()),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListFunctions is GET /integrations/{uniqueKey}/functions. Nango's query is strict, so
// only the parameters the caller set are sent.
func (s *integrationsService) ListFunctions(ctx context.Context, req *gatewayv1.ListFunctionsRequest) (*gatewayv1.ListFunctionsResponse, error) {
	q := url.Values{}
	if req.Type != nil {
		q.Set("type", req.GetType())
	}
	if req.Search != nil {
		q.Set("search", req.GetSearch())
	}
	if req.Page != nil {
		q.Set("page", strconv.Itoa(int(req.GetPage())))
	}
	if req.Limit != nil {
		q.Set("limit", strconv.Itoa(int(req.GetLimit())))
	}
	out := &gatewayv1.ListFunctionsResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey(), "functions"),
		Query:  q,
		Header: integrationsContentType.Clone(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetFunction is GET /integrations/{uniqueKey}/functions/{name}?type=.
func (s *integrationsService) GetFunction(ctx context.Context, req *gatewayv1.GetFunctionRequest) (*gatewayv1.GetFunctionResponse, error) {
	out := &gatewayv1.GetFunctionResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey(), "functions", req.GetName()),
		Query:  integrationsTypeQuery(req.Type),
		Header: integrationsContentType.Clone(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetFunctionCode is GET /integrations/{uniqueKey}/functions/{name}/code?type=. Without a
// type, a sync and an action of the same name make Nango answer 409 ambiguous_function.
func (s *integrationsService) GetFunctionCode(ctx context.Context, req *gatewayv1.GetFunctionCodeRequest) (*gatewayv1.GetFunctionCodeResponse, error) {
	out := &gatewayv1.GetFunctionCodeResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodGet,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey(), "functions", req.GetName(), "code"),
		Query:  integrationsTypeQuery(req.Type),
		Header: integrationsContentType.Clone(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteFunction is DELETE /integrations/{uniqueKey}/functions/{name}?type=; Nango requires
// the type (validation already made sure it is set).
func (s *integrationsService) DeleteFunction(ctx context.Context, req *gatewayv1.DeleteFunctionRequest) (*gatewayv1.DeleteFunctionResponse, error) {
	out := &gatewayv1.DeleteFunctionResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodDelete,
		Path:   nangohttp.PathOf("integrations", req.GetUniqueKey(), "functions", req.GetName()),
		Query:  url.Values{"type": {req.GetType()}},
		Header: integrationsContentType.Clone(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// integrationsTypeQuery is the optional ?type= of the function calls.
func integrationsTypeQuery(typ *string) url.Values {
	if typ == nil {
		return nil
	}
	return url.Values{"type": {*typ}}
}

// integrationsJSON encodes a request body the way JSON.stringify does: no HTML escaping,
// so the bytes on the wire are the SDK's. Errors never quote the body (it may hold
// credentials).
func integrationsJSON(body map[string]any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, status.Error(codes.Internal, "cannot encode the integration request body")
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
