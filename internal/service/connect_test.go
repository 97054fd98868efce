package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// connectCheckSession checks a session the simulator issued: a token, its link, and an
// expiry 30 minutes out.
func connectCheckSession(t *testing.T, s *gatewayv1.ConnectSession) {
	t.Helper()
	if s.GetToken() == "" || !strings.Contains(s.GetConnectLink(), s.GetToken()) {
		t.Errorf("session has no token or a link without it: link %q", s.GetConnectLink())
	}
	exp, err := time.Parse(time.RFC3339, s.GetExpiresAt())
	if err != nil {
		t.Fatalf("expires_at %q: %v", s.GetExpiresAt(), err)
	}
	if d := time.Until(exp); d < 25*time.Minute || d > 31*time.Minute {
		t.Errorf("session expires in %v, want about 30 minutes", d)
	}
}

func TestCreateConnectSessionSendsTheDocumentedBody(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectSessionsServiceClient)
	connConfig := metaStruct(t, map[string]any{"oauth_scopes_override": "repo,user"})
	tests := []struct {
		name string
		req  *gatewayv1.CreateConnectSessionRequest
		body string
	}{
		{
			"every field, in the documented order",
			&gatewayv1.CreateConnectSessionRequest{
				EndUser: &gatewayv1.EndUserInput{
					Id: "u 1", Email: proto.String("u1@example.com"), DisplayName: proto.String("Ann & <Bob>"),
					Tags: map[string]string{"plan": "pro"},
				},
				Organization:        &gatewayv1.OrganizationInput{Id: "org-1", DisplayName: proto.String("Acme")},
				AllowedIntegrations: []string{"github", "slack"},
				IntegrationsConfigDefaults: map[string]*gatewayv1.IntegrationConfigDefaults{
					"slack":  {UserScopes: proto.String("users:read,chat:write"), AuthorizationParams: map[string]string{"team": "T1"}},
					"github": {ConnectionConfig: connConfig},
				},
				Overrides:          map[string]*gatewayv1.ConnectOverride{"github": {DocsConnect: proto.String("https://docs.example.com/gh")}},
				WebhookUrlOverride: proto.String("https://hooks.example.com/n?a=1&b=2"),
				Tags:               map[string]string{"tenant": "t1", "end_user_email": "u1@example.com"},
			},
			`{"end_user":{"id":"u 1","email":"u1@example.com","display_name":"Ann & <Bob>","tags":{"plan":"pro"}},` +
				`"organization":{"id":"org-1","display_name":"Acme"},` +
				`"allowed_integrations":["github","slack"],` +
				`"integrations_config_defaults":{"github":{"connection_config":{"oauth_scopes_override":"repo,user"}},"slack":{"user_scopes":"users:read,chat:write","authorization_params":{"team":"T1"}}},` +
				`"overrides":{"github":{"docs_connect":"https://docs.example.com/gh"}},` +
				`"webhook_url_override":"https://hooks.example.com/n?a=1&b=2",` +
				`"tags":{"end_user_email":"u1@example.com","tenant":"t1"}}`,
		},
		{
			"end user only",
			&gatewayv1.CreateConnectSessionRequest{EndUser: &gatewayv1.EndUserInput{Id: "u1"}},
			`{"end_user":{"id":"u1"}}`,
		},
		{
			"tags without an end user",
			&gatewayv1.CreateConnectSessionRequest{Tags: map[string]string{"end_user_id": "u1"}},
			`{"tags":{"end_user_id":"u1"}}`,
		},
		{
			"empty defaults and overrides stay objects",
			&gatewayv1.CreateConnectSessionRequest{
				EndUser:                    &gatewayv1.EndUserInput{Id: "u1"},
				IntegrationsConfigDefaults: map[string]*gatewayv1.IntegrationConfigDefaults{"github": {}},
				Overrides:                  map[string]*gatewayv1.ConnectOverride{"slack": {}},
			},
			`{"end_user":{"id":"u1"},"integrations_config_defaults":{"github":{}},"overrides":{"slack":{}}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			got, err := client.CreateConnectSession(rpcCtx(t), tc.req)
			if err != nil {
				t.Fatalf("CreateConnectSession: %v", err)
			}
			connCheckRequest(t, h.lastRequest(t), http.MethodPost, "/connect/sessions", "", tc.body)
			connectCheckSession(t, got.GetData())
		})
	}

	t.Run("exact reply", func(t *testing.T) {
		connFixture(h.sim, http.MethodPost, "/connect/sessions", http.StatusCreated,
			`{"data":{"token":"tok","connect_link":"https://connect.nango.dev?session_token=tok","expires_at":"2026-01-01T00:30:00.000Z","later":1}}`)
		got, err := client.CreateConnectSession(rpcCtx(t), &gatewayv1.CreateConnectSessionRequest{EndUser: &gatewayv1.EndUserInput{Id: "u1"}})
		if err != nil {
			t.Fatalf("CreateConnectSession: %v", err)
		}
		connDiff(t, got, &gatewayv1.CreateConnectSessionResponse{Data: &gatewayv1.ConnectSession{
			Token: "tok", ConnectLink: "https://connect.nango.dev?session_token=tok", ExpiresAt: "2026-01-01T00:30:00.000Z",
			Extra: mustStruct(t, map[string]any{"later": 1}),
		}})
	})

	t.Run("unknown integration", func(t *testing.T) {
		_, err := client.CreateConnectSession(rpcCtx(t), &gatewayv1.CreateConnectSessionRequest{
			EndUser: &gatewayv1.EndUserInput{Id: "u1"}, AllowedIntegrations: []string{"nope"},
		})
		wantCode(t, err, codes.InvalidArgument, "invalid_body")
	})

	wantUpstreamErrors(t, h, http.MethodPost, "/connect/sessions", func(ctx context.Context) error {
		_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{EndUser: &gatewayv1.EndUserInput{Id: "u1"}})
		return err
	})
}

func TestCreateReconnectSessionSendsTheConnectionAndIntegration(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectSessionsServiceClient)
	tests := []struct {
		name string
		req  *gatewayv1.CreateReconnectSessionRequest
		body string
	}{
		{
			"required keys only",
			&gatewayv1.CreateReconnectSessionRequest{ConnectionId: "conn-github-1", IntegrationId: "github"},
			`{"connection_id":"conn-github-1","integration_id":"github"}`,
		},
		{
			"with optional keys",
			&gatewayv1.CreateReconnectSessionRequest{
				ConnectionId: "conn-github-1", IntegrationId: "github",
				EndUser:                    &gatewayv1.EndUserInput{Id: "u1", DisplayName: proto.String("Ann")},
				IntegrationsConfigDefaults: map[string]*gatewayv1.IntegrationConfigDefaults{"github": {UserScopes: proto.String("repo")}},
				WebhookUrlOverride:         proto.String("https://hooks.example.com/r"),
				Tags:                       map[string]string{"tenant": "t1"},
			},
			`{"connection_id":"conn-github-1","integration_id":"github","end_user":{"id":"u1","display_name":"Ann"},` +
				`"integrations_config_defaults":{"github":{"user_scopes":"repo"}},"webhook_url_override":"https://hooks.example.com/r","tags":{"tenant":"t1"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			got, err := client.CreateReconnectSession(rpcCtx(t), tc.req)
			if err != nil {
				t.Fatalf("CreateReconnectSession: %v", err)
			}
			connCheckRequest(t, h.lastRequest(t), http.MethodPost, "/connect/sessions/reconnect", "", tc.body)
			connectCheckSession(t, got.GetData())
		})
	}

	t.Run("unknown connection", func(t *testing.T) {
		_, err := client.CreateReconnectSession(rpcCtx(t), &gatewayv1.CreateReconnectSessionRequest{ConnectionId: "missing", IntegrationId: "github"})
		wantCode(t, err, codes.InvalidArgument, "invalid_body")
	})

	wantUpstreamErrors(t, h, http.MethodPost, "/connect/sessions/reconnect", func(ctx context.Context) error {
		_, err := client.CreateReconnectSession(ctx, &gatewayv1.CreateReconnectSessionRequest{ConnectionId: "conn-github-1", IntegrationId: "github"})
		return err
	})
}

func TestConnectSessionValidationFailsBeforeCallingNango(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectSessionsServiceClient)
	long := strings.Repeat("x", 256)
	wantInvalidCases(t, h, []invalidCase{
		{"no end user and no tags", "end_user", func(ctx context.Context) error {
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{AllowedIntegrations: []string{"github"}})
			return err
		}},
		{"end user without id", "end_user.id", func(ctx context.Context) error {
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{EndUser: &gatewayv1.EndUserInput{Email: proto.String("a@b.co")}})
			return err
		}},
		{"end user id too long", "end_user.id", func(ctx context.Context) error {
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{EndUser: &gatewayv1.EndUserInput{Id: long}})
			return err
		}},
		{"organization id too long", "organization.id", func(ctx context.Context) error {
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{
				EndUser: &gatewayv1.EndUserInput{Id: "u1"}, Organization: &gatewayv1.OrganizationInput{Id: long},
			})
			return err
		}},
		{"webhook override not a URL", "webhook_url_override", func(ctx context.Context) error {
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{
				EndUser: &gatewayv1.EndUserInput{Id: "u1"}, WebhookUrlOverride: proto.String("ftp://x"),
			})
			return err
		}},
		{"too many tags", "tags", func(ctx context.Context) error {
			tags := map[string]string{}
			for _, k := range strings.Split("a b c d e f g h i j k", " ") {
				tags[k] = "v"
			}
			_, err := client.CreateConnectSession(ctx, &gatewayv1.CreateConnectSessionRequest{Tags: tags})
			return err
		}},
		{"reconnect without connection", "connection_id", func(ctx context.Context) error {
			_, err := client.CreateReconnectSession(ctx, &gatewayv1.CreateReconnectSessionRequest{IntegrationId: "github"})
			return err
		}},
		{"reconnect without integration", "integration_id", func(ctx context.Context) error {
			_, err := client.CreateReconnectSession(ctx, &gatewayv1.CreateReconnectSessionRequest{ConnectionId: "c1"})
			return err
		}},
		{"reconnect end user without id", "end_user.id", func(ctx context.Context) error {
			_, err := client.CreateReconnectSession(ctx, &gatewayv1.CreateReconnectSessionRequest{
				ConnectionId: "c1", IntegrationId: "github", EndUser: &gatewayv1.EndUserInput{},
			})
			return err
		}},
	})
}
