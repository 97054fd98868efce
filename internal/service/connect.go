package service

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// connectSessionsService implements gatewayv1.ConnectSessionsServiceServer.
type connectSessionsService struct {
	gatewayv1.UnimplementedConnectSessionsServiceServer
	deps Deps
}

// NewConnectSessionsService returns the ConnectSessionsService.
func NewConnectSessionsService(d Deps) *connectSessionsService {
	return &connectSessionsService{deps: d}
}

// CreateConnectSession sends POST /connect/sessions. Nango answers 201 {data:{token,
// connect_link, expires_at}}; the token is a credential of the Connect UI and is not logged.
func (s *connectSessionsService) CreateConnectSession(ctx context.Context, req *gatewayv1.CreateConnectSessionRequest) (*gatewayv1.CreateConnectSessionResponse, error) {
	// Nango takes a session without an end user only when top-level tags identify it.
	if req.GetEndUser() == nil && len(req.GetTags()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "end_user: required unless tags are given")
	}
	body, err := connectSessionBody(connectSessionFields{
		endUser:             req.GetEndUser(),
		organization:        req.GetOrganization(),
		allowedIntegrations: req.GetAllowedIntegrations(),
		defaults:            req.GetIntegrationsConfigDefaults(),
		overrides:           req.GetOverrides(),
		webhookURLOverride:  req.WebhookUrlOverride,
		tags:                req.GetTags(),
	}, nil)
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.CreateConnectSessionResponse{}
	_, err = doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("connect", "sessions"),
		JSON:   body,
	}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateReconnectSession sends POST /connect/sessions/reconnect for an existing connection.
func (s *connectSessionsService) CreateReconnectSession(ctx context.Context, req *gatewayv1.CreateReconnectSessionRequest) (*gatewayv1.CreateReconnectSessionResponse, error) {
	body, err := connectSessionBody(connectSessionFields{
		endUser:            req.GetEndUser(),
		organization:       req.GetOrganization(),
		defaults:           req.GetIntegrationsConfigDefaults(),
		overrides:          req.GetOverrides(),
		webhookURLOverride: req.WebhookUrlOverride,
		tags:               req.GetTags(),
	}, func(o *jsonObject) {
		o.set("connection_id", req.GetConnectionId())
		o.set("integration_id", req.GetIntegrationId())
	})
	if err != nil {
		return nil, err
	}
	out := &gatewayv1.CreateReconnectSessionResponse{}
	_, err = doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("connect", "sessions", "reconnect"),
		JSON:   body,
	}, out)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// connectSessionFields are the keys both routes share.
type connectSessionFields struct {
	endUser             *gatewayv1.EndUserInput
	organization        *gatewayv1.OrganizationInput
	allowedIntegrations []string // POST /connect/sessions only
	defaults            map[string]*gatewayv1.IntegrationConfigDefaults
	overrides           map[string]*gatewayv1.ConnectOverride
	webhookURLOverride  *string
	tags                map[string]string
}

// connectSessionBody builds the strict body with only the keys the caller set: first the
// route's own keys (head, may be nil), then the documented order of the shared ones.
func connectSessionBody(f connectSessionFields, head func(*jsonObject)) (json.RawMessage, error) {
	if err := checkEndUserInput("end_user", f.endUser); err != nil {
		return nil, err
	}
	if org := f.organization; org != nil {
		if len([]rune(org.GetId())) > 255 {
			return nil, status.Error(codes.InvalidArgument, "organization.id: must be at most 255 characters")
		}
		if org.DisplayName != nil && len([]rune(org.GetDisplayName())) > 255 {
			return nil, status.Error(codes.InvalidArgument, "organization.display_name: must be at most 255 characters")
		}
	}

	o := &jsonObject{}
	if head != nil {
		head(o)
	}
	if f.endUser != nil {
		o.set("end_user", endUserBody(f.endUser))
	}
	if org := f.organization; org != nil {
		v := &jsonObject{}
		v.set("id", org.GetId())
		if org.DisplayName != nil {
			v.set("display_name", org.GetDisplayName())
		}
		o.setObject("organization", v)
	}
	if len(f.allowedIntegrations) > 0 {
		o.set("allowed_integrations", f.allowedIntegrations)
	}
	if len(f.defaults) > 0 {
		m := &jsonObject{}
		for _, key := range connectSortedKeys(f.defaults) {
			d := f.defaults[key]
			v := &jsonObject{}
			if d.UserScopes != nil {
				v.set("user_scopes", d.GetUserScopes())
			}
			if len(d.GetAuthorizationParams()) > 0 {
				v.set("authorization_params", d.GetAuthorizationParams())
			}
			if d.GetConnectionConfig() != nil {
				v.set("connection_config", d.GetConnectionConfig())
			}
			m.setObject(key, v)
		}
		o.setObject("integrations_config_defaults", m)
	}
	if len(f.overrides) > 0 {
		m := &jsonObject{}
		for _, key := range connectSortedKeys(f.overrides) {
			v := &jsonObject{}
			if f.overrides[key].DocsConnect != nil {
				v.set("docs_connect", f.overrides[key].GetDocsConnect())
			}
			m.setObject(key, v)
		}
		o.setObject("overrides", m)
	}
	if f.webhookURLOverride != nil {
		o.set("webhook_url_override", *f.webhookURLOverride)
	}
	if len(f.tags) > 0 {
		o.set("tags", f.tags)
	}
	return o.bytes()
}

// connectSortedKeys gives map keys in a stable order, so equal requests send equal bytes.
func connectSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
