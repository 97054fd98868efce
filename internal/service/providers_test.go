package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func TestProvidersCalls(t *testing.T) {
	tests := []struct {
		name   string
		call   func(context.Context, gatewayv1.ProvidersServiceClient) (proto.Message, error)
		want   integWant
		direct string
		check  func(t *testing.T, got proto.Message)
	}{
		{
			name: "ListProviders without search sends an empty query and lists the catalog",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{})
			},
			want:   integWant{method: "GET", path: "/providers"},
			direct: "/providers",
			check: func(t *testing.T, got proto.Message) {
				data := got.(*gatewayv1.ListProvidersResponse).GetData()
				if len(data) < 5 {
					t.Errorf("%d providers, want the whole catalog", len(data))
				}
			},
		},
		{
			name: "ListProviders search narrows the catalog",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String("git")})
			},
			want:   integWant{method: "GET", path: "/providers", rawQuery: "search=git"},
			direct: "/providers?search=git",
			check: func(t *testing.T, got proto.Message) {
				data := got.(*gatewayv1.ListProvidersResponse).GetData()
				if len(data) == 0 {
					t.Fatal("no provider matches git")
				}
				for _, p := range data {
					if name := p.GetFields()["name"].GetStringValue(); !strings.Contains(name, "git") {
						t.Errorf("provider %q does not match git", name)
					}
				}
			},
		},
		{
			name: "ListProviders search with a space is form-encoded and may match nothing",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String("git hub")})
			},
			want:   integWant{method: "GET", path: "/providers", rawQuery: "search=git+hub"},
			direct: "/providers?search=git+hub",
			check: func(t *testing.T, got proto.Message) {
				if data := got.(*gatewayv1.ListProvidersResponse).GetData(); len(data) != 0 {
					t.Errorf("%d providers match %q, want none", len(data), "git hub")
				}
			},
		},
		{
			name: "GetProvider returns the catalogue entry",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.GetProvider(ctx, &gatewayv1.GetProviderRequest{Provider: "github"})
			},
			want:   integWant{method: "GET", path: "/providers/github"},
			direct: "/providers/github",
			check: func(t *testing.T, got proto.Message) {
				f := got.(*gatewayv1.GetProviderResponse).GetData().GetFields()
				if f["name"].GetStringValue() != "github" || f["auth_mode"].GetStringValue() != "OAUTH2" {
					t.Errorf("data = %v, want github with auth_mode OAUTH2", f)
				}
			},
		},
		{
			name: "GetProviderTemplates lists the provider's syncs and actions",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.GetProviderTemplates(ctx, &gatewayv1.GetProviderTemplatesRequest{Provider: "github"})
			},
			want:   integWant{method: "GET", path: "/providers/github/templates"},
			direct: "/providers/github/templates",
			check: func(t *testing.T, got proto.Message) {
				data := got.(*gatewayv1.GetProviderTemplatesResponse).GetData()
				types := map[string]bool{}
				for _, f := range data {
					types[f.GetType()] = true
					if f.Id != nil || f.Enabled != nil {
						t.Errorf("template %s carries deployment fields: %v", f.GetName(), f)
					}
				}
				if !types["sync"] || !types["action"] {
					t.Errorf("template types = %v, want a sync and an action", types)
				}
			},
		},
		{
			name: "GetProviderTemplates of a provider without templates is an empty list",
			call: func(ctx context.Context, c gatewayv1.ProvidersServiceClient) (proto.Message, error) {
				return c.GetProviderTemplates(ctx, &gatewayv1.GetProviderTemplatesRequest{Provider: "salesforce"})
			},
			want:   integWant{method: "GET", path: "/providers/salesforce/templates"},
			direct: "/providers/salesforce/templates",
			check: func(t *testing.T, got proto.Message) {
				if data := got.(*gatewayv1.GetProviderTemplatesResponse).GetData(); len(data) != 0 {
					t.Errorf("%d templates, want none", len(data))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{Seed: true})
			got, err := tt.call(context.Background(), gatewayv1.NewProvidersServiceClient(h.conn))
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			integCheckAnswer(t, h, tt.want, got, tt.direct, "")
			tt.check(t, got)
		})
	}
}

func TestProvidersInvalidRequestsNeverReachNango(t *testing.T) {
	tests := []struct {
		name  string
		field string
		call  func(context.Context, gatewayv1.ProvidersServiceClient) error
	}{
		{"ListProviders search with a slash", "search", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String("git/hub")})
			return err
		}},
		{"ListProviders empty search", "search", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String("")})
			return err
		}},
		{"ListProviders search too long", "search", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String(strings.Repeat("a", 256))})
			return err
		}},
		{"GetProvider empty provider", "provider", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.GetProvider(ctx, &gatewayv1.GetProviderRequest{})
			return err
		}},
		{"GetProvider provider with a question mark", "provider", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.GetProvider(ctx, &gatewayv1.GetProviderRequest{Provider: "github?x=1"})
			return err
		}},
		{"GetProviderTemplates provider with a slash", "provider", func(ctx context.Context, c gatewayv1.ProvidersServiceClient) error {
			_, err := c.GetProviderTemplates(ctx, &gatewayv1.GetProviderTemplatesRequest{Provider: "../integrations"})
			return err
		}},
	}
	h, c := seededClient(t, gatewayv1.NewProvidersServiceClient)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sim.ResetRequests()
			wantViolation(t, h, tt.call(context.Background(), c), tt.field)
		})
	}
}

func TestProvidersNangoErrors(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewProvidersServiceClient)
	_, err := c.GetProvider(context.Background(), &gatewayv1.GetProviderRequest{Provider: "no-such-provider"})
	wantUpstreamError(t, err, codes.NotFound, "not_found", http.StatusNotFound)
	// Nango answers an unknown provider's templates with an empty list, not 404.
	tpl, err := c.GetProviderTemplates(context.Background(), &gatewayv1.GetProviderTemplatesRequest{Provider: "no-such-provider"})
	if err != nil || len(tpl.GetData()) != 0 {
		t.Fatalf("templates of an unknown provider = %v, %v; want none", tpl, err)
	}

	wrong := integWrongKeyHarness(t)
	_, err = gatewayv1.NewProvidersServiceClient(wrong.conn).ListProviders(context.Background(), &gatewayv1.ListProvidersRequest{})
	wantUpstreamError(t, err, codes.Unauthenticated, "unknown_account", http.StatusUnauthorized)
}

func TestProvidersUpstreamErrorsAreMapped(t *testing.T) {
	integRunFaults(t, []integRPC{
		{"ListProviders", "GET", "/providers", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewProvidersServiceClient(conn).ListProviders(ctx, &gatewayv1.ListProvidersRequest{Search: proto.String("git")})
			return err
		}},
		{"GetProvider", "GET", "/providers/github", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewProvidersServiceClient(conn).GetProvider(ctx, &gatewayv1.GetProviderRequest{Provider: "github"})
			return err
		}},
		{"GetProviderTemplates", "GET", "/providers/github/templates", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewProvidersServiceClient(conn).GetProviderTemplates(ctx, &gatewayv1.GetProviderTemplatesRequest{Provider: "github"})
			return err
		}},
	})
}
