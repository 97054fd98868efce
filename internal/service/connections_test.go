package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// connImport creates (or replaces) a connection in the simulator with POST /connections.
func connImport(t *testing.T, sim *simulator.Simulator, body string) *gatewayv1.ConnectionFull {
	t.Helper()
	code, resp := simDo(t, sim, http.MethodPost, "/connections", body)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("import connection: HTTP %d %s", code, resp)
	}
	out := &gatewayv1.ConnectionFull{}
	if err := nangohttp.Decode(resp, out); err != nil {
		t.Fatalf("import connection: %v", err)
	}
	return out
}

// connRequests are the requests the simulator received with this method and path.
func connRequests(sim *simulator.Simulator, method, path string) []simulator.RecordedRequest {
	var out []simulator.RecordedRequest
	for _, r := range sim.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// connCheckRequest compares what the simulator received with what the SDK sends.
func connCheckRequest(t *testing.T, got simulator.RecordedRequest, method, path, rawQuery, body string) {
	t.Helper()
	wantRoute(t, got, method, path, rawQuery)
	wantGatewayKey(t, got)
	if string(got.Body) != body {
		t.Errorf("upstream body = %s, want %s", got.Body, body)
	}
	if body != "" && got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("upstream Content-Type = %q, want application/json", got.Header.Get("Content-Type"))
	}
}

// connFixture makes the simulator answer the next matching request with body, so a test
// controls Nango's reply exactly.
func connFixture(sim *simulator.Simulator, method, pathPrefix string, httpStatus int, body string) {
	sim.InjectFault(simulator.Fault{Method: method, PathPrefix: pathPrefix, Status: httpStatus, Body: []byte(body)})
}

func connDiff(t *testing.T, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("answer mismatch:\n got %v\nwant %v", got, want)
	}
}

func TestListConnectionsSendsTheSDKQueryAndReturnsNangosList(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	tests := []struct {
		name     string
		req      *gatewayv1.ListConnectionsRequest
		rawQuery string
	}{
		{"no filter sends no query", &gatewayv1.ListConnectionsRequest{}, ""},
		{
			"legacy form, in the SDK's order",
			&gatewayv1.ListConnectionsRequest{
				ConnectionId: proto.String("conn 1"), Search: proto.String("sea rch"),
				EndUserId: proto.String("u1"), EndUserOrganizationId: proto.String("o1"),
				Limit: proto.Int32(5), Page: proto.Int32(2),
			},
			"connectionId=conn+1&search=sea+rch&endUserId=u1&endUserOrganizationId=o1&limit=5&page=2",
		},
		{
			"integration ids comma-joined into one value, tags lower-cased",
			&gatewayv1.ListConnectionsRequest{
				ConnectionId:  proto.String("c1"),
				EndUserId:     proto.String("u1"),
				IntegrationId: []string{"a,b", "c", ",d,"},
				Tags:          map[string]string{"end_user_email": "a@b.co", "Foo": "Bar", "end_user_display_name": "My User"},
				Limit:         proto.Int32(5),
				Page:          proto.Int32(1),
			},
			"connectionId=c1&endUserId=u1&integrationId=a%2Cb%2Cc%2Cd&tags%5Bfoo%5D=Bar&tags%5Bend_user_display_name%5D=My+User&tags%5Bend_user_email%5D=a%40b.co&limit=5&page=1",
		},
		{"empty search is not sent, page 0 is", &gatewayv1.ListConnectionsRequest{Search: proto.String(""), Page: proto.Int32(0)}, "page=0"},
		{"one integration", &gatewayv1.ListConnectionsRequest{IntegrationId: []string{"github"}}, "integrationId=github"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			got, err := client.ListConnections(rpcCtx(t), tc.req)
			if err != nil {
				t.Fatalf("ListConnections: %v", err)
			}
			sent := h.lastRequest(t)
			connCheckRequest(t, sent, http.MethodGet, "/connections", tc.rawQuery, "")
			if sent.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q, want the SDK's application/json", sent.Header.Get("Content-Type"))
			}
			// The answer is Nango's body for the same query, decoded without loss.
			code, body := simDo(t, h.sim, http.MethodGet, "/connections?"+tc.rawQuery, "")
			if code != http.StatusOK {
				t.Fatalf("direct list: HTTP %d %s", code, body)
			}
			want := &gatewayv1.ListConnectionsResponse{}
			if err := nangohttp.Decode(body, want); err != nil {
				t.Fatal(err)
			}
			connDiff(t, got, want)
		})
	}
}

func TestListConnectionsFiltersSeededConnections(t *testing.T) {
	_, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	all, err := client.ListConnections(rpcCtx(t), &gatewayv1.ListConnectionsRequest{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(all.GetConnections()) < 2 {
		t.Fatalf("seed has %d connections, want several", len(all.GetConnections()))
	}
	got, err := client.ListConnections(rpcCtx(t), &gatewayv1.ListConnectionsRequest{
		ConnectionId: proto.String("conn-github-1"), IntegrationId: []string{"github"},
	})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(got.GetConnections()) != 1 || got.GetConnections()[0].GetConnectionId() != "conn-github-1" ||
		got.GetConnections()[0].GetProviderConfigKey() != "github" {
		t.Fatalf("filtered list = %v, want only conn-github-1 of github", got.GetConnections())
	}
	if got.GetConnections()[0].GetCreated() == "" || got.GetConnections()[0].GetProvider() == "" {
		t.Errorf("list item lost fields: %v", got.GetConnections()[0])
	}
}

func TestListConnectionsDecodesPresenceExactly(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true})
	connFixture(h.sim, http.MethodGet, "/connections", http.StatusOK, `{"connections":[
		{"id":3,"connection_id":"c1","provider_config_key":"gh","provider":"github","errors":[{"type":"auth","log_id":"l1"}],
		 "end_user":{"id":"u1","display_name":null,"email":"a@b.co","tags":{"k":"v"},"organization":{"id":"o1","display_name":null}},
		 "tags":{"end_user_id":"u1"},"metadata":{"n":1},"created":"2026-01-02T03:04:05.678+00:00","new_field":true},
		{"id":4,"connection_id":"c2","provider_config_key":"gh","provider":"github","errors":[],"end_user":null,"tags":{},"metadata":null,"created":"2026-01-02T03:04:05.678+00:00"}]}`)
	got, err := gatewayv1.NewConnectionsServiceClient(h.conn).ListConnections(rpcCtx(t), &gatewayv1.ListConnectionsRequest{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	meta, _ := structpb.NewStruct(map[string]any{"n": 1})
	want := &gatewayv1.ListConnectionsResponse{Connections: []*gatewayv1.Connection{
		{
			Id: 3, ConnectionId: "c1", ProviderConfigKey: "gh", Provider: "github",
			Errors: []*gatewayv1.ConnectionError{{Type: "auth", LogId: "l1"}},
			EndUser: &gatewayv1.EndUser{
				Id: "u1", Email: wrapperspb.String("a@b.co"), Tags: mustStruct(t, map[string]any{"k": "v"}),
				Organization: &gatewayv1.Organization{Id: "o1"},
			},
			Tags: map[string]string{"end_user_id": "u1"}, Metadata: meta, Created: "2026-01-02T03:04:05.678+00:00",
			Extra: mustStruct(t, map[string]any{"new_field": true}),
		},
		{Id: 4, ConnectionId: "c2", ProviderConfigKey: "gh", Provider: "github", Created: "2026-01-02T03:04:05.678+00:00"},
	}}
	connDiff(t, got, want)
}

// connFullFixture is an ApiPublicConnectionFull as Nango writes it (nulls, +00:00 times,
// a key this gateway does not know).
const connFullFixture = `{"id":7,"connection_id":"c 1","provider_config_key":"my key:1","provider":"github",
	"errors":[{"type":"auth","log_id":"log-1"}],
	"end_user":{"id":"u1","display_name":null,"email":"a@b.co","tags":{},"organization":null},
	"tags":{"end_user_id":"u1"},"metadata":null,"connection_config":{},"webhook_url_override":null,
	"created_at":"2026-01-02T03:04:05.678+00:00","updated_at":"2026-01-02T03:04:06.000+00:00","last_fetched_at":null,
	"credentials":{"type":"OAUTH2","access_token":"at-1","expires_at":"2026-01-02T04:04:05.678Z","raw":{"access_token":"at-1","scope":"repo"}},
	"added_later":true}`

func connFullFixtureWant() *gatewayv1.ConnectionFull {
	raw, _ := structpb.NewStruct(map[string]any{"access_token": "at-1", "scope": "repo"})
	return &gatewayv1.ConnectionFull{
		Id: 7, ConnectionId: "c 1", ProviderConfigKey: "my key:1", Provider: "github",
		Errors:           []*gatewayv1.ConnectionError{{Type: "auth", LogId: "log-1"}},
		EndUser:          &gatewayv1.EndUser{Id: "u1", Email: wrapperspb.String("a@b.co"), Tags: &structpb.Struct{}},
		Tags:             map[string]string{"end_user_id": "u1"},
		ConnectionConfig: &structpb.Struct{},
		Extra:            &structpb.Struct{Fields: map[string]*structpb.Value{"added_later": structpb.NewBoolValue(true)}},
		CreatedAt:        "2026-01-02T03:04:05.678+00:00",
		UpdatedAt:        "2026-01-02T03:04:06.000+00:00",
		Credentials: &gatewayv1.ConnectionCredentials{
			Type: proto.String("OAUTH2"), AccessToken: proto.String("at-1"),
			ExpiresAt: proto.String("2026-01-02T04:04:05.678Z"), Raw: raw,
		},
	}
}

func TestGetConnectionSendsAllFourFlagsAndDecodesTheConnection(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)

	t.Run("exact reply", func(t *testing.T) {
		h.sim.ResetRequests()
		connFixture(h.sim, http.MethodGet, "/connections/", http.StatusOK, connFullFixture)
		got, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{
			ProviderConfigKey: "my key:1", ConnectionId: "c 1", ForceRefresh: true, RefreshGithubAppJwtToken: true,
		})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/c%201",
			"provider_config_key=my+key:1&force_refresh=true&refresh_token=false&refresh_github_app_jwt_token=true", "")
		connDiff(t, got.GetConnection(), connFullFixtureWant())
	})

	t.Run("seeded connection with refresh token", func(t *testing.T) {
		h.sim.ResetRequests()
		got, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{
			ProviderConfigKey: "github", ConnectionId: "conn-github-1", RefreshToken: true,
		})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/conn-github-1",
			"provider_config_key=github&force_refresh=false&refresh_token=true&refresh_github_app_jwt_token=false", "")
		c := got.GetConnection()
		if c.GetConnectionId() != "conn-github-1" || c.GetProviderConfigKey() != "github" || c.GetCredentials().GetType() != "OAUTH2" {
			t.Fatalf("connection = %s/%s type %q", c.GetProviderConfigKey(), c.GetConnectionId(), c.GetCredentials().GetType())
		}
		if c.GetCredentials().GetAccessToken() == "" || c.GetConnectionConfig() == nil || c.GetLastFetchedAt() == nil {
			t.Errorf("connection lost fields: token set %v, config %v, last_fetched_at %v",
				c.GetCredentials().GetAccessToken() != "", c.GetConnectionConfig(), c.GetLastFetchedAt())
		}
	})

	t.Run("ids are escaped as one path segment", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "a b/c"})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("code = %v (%v), want NotFound", status.Code(err), err)
		}
		if info, _ := nangohttp.ErrorInfoFrom(err); info.GetReason() != "not_found" {
			t.Errorf("reason = %q, want not_found", info.GetReason())
		}
		if p := h.lastRequest(t).Path; p != "/connections/a%20b%2Fc" {
			t.Errorf("path = %s, want /connections/a%%20b%%2Fc", p)
		}
	})

	t.Run("unknown integration", func(t *testing.T) {
		_, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "nope", ConnectionId: "conn-github-1"})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("code = %v (%v), want InvalidArgument", status.Code(err), err)
		}
		if info, _ := nangohttp.ErrorInfoFrom(err); info.GetReason() != "unknown_provider_config" {
			t.Errorf("reason = %q, want unknown_provider_config", info.GetReason())
		}
	})

	wantUpstreamErrors(t, h, http.MethodGet, "/connections/", func(ctx context.Context) error {
		_, err := client.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		return err
	})
}

// connSeeded returns every seeded connection, fetched in full (refresh_token=false, as
// GetToken asks).
func connSeeded(t *testing.T, client gatewayv1.ConnectionsServiceClient) []*gatewayv1.ConnectionFull {
	t.Helper()
	list, err := client.ListConnections(rpcCtx(t), &gatewayv1.ListConnectionsRequest{})
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	var out []*gatewayv1.ConnectionFull
	for _, c := range list.GetConnections() {
		got, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{
			ProviderConfigKey: c.GetProviderConfigKey(), ConnectionId: c.GetConnectionId(),
		})
		if err != nil {
			t.Fatalf("GetConnection %s/%s: %v", c.GetProviderConfigKey(), c.GetConnectionId(), err)
		}
		out = append(out, got.GetConnection())
	}
	return out
}

func TestGetTokenReturnsWhatTheSDKReturnsForEachSeededAuthMode(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)

	seen := map[string]bool{}
	for _, conn := range connSeeded(t, client) {
		mode := conn.GetCredentials().GetType()
		if seen[mode] {
			continue
		}
		seen[mode] = true
		name := mode
		if name == "" {
			name = "no credentials (NONE)"
		}
		t.Run(name, func(t *testing.T) {
			h.sim.ResetRequests()
			got, err := client.GetToken(rpcCtx(t), &gatewayv1.GetTokenRequest{
				ProviderConfigKey: conn.GetProviderConfigKey(), ConnectionId: conn.GetConnectionId(),
			})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			connCheckRequest(t, h.lastRequest(t), http.MethodGet, nangohttp.PathOf("connections", conn.GetConnectionId()),
				"provider_config_key="+conn.GetProviderConfigKey()+"&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false", "")
			creds := conn.GetCredentials()
			var want *gatewayv1.GetTokenResponse
			switch mode {
			case "OAUTH2":
				if creds.GetAccessToken() == "" {
					t.Fatal("seeded OAUTH2 connection has no access token")
				}
				want = &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_AccessToken{AccessToken: creds.GetAccessToken()}}
			case "OAUTH1":
				if creds.GetOauthToken() == "" || creds.GetOauthTokenSecret() == "" {
					t.Fatal("seeded OAUTH1 connection has no token pair")
				}
				want = &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Oauth1{Oauth1: &gatewayv1.OAuth1Token{
					OAuthToken: creds.GetOauthToken(), OAuthTokenSecret: creds.GetOauthTokenSecret(),
				}}}
			default:
				want = &gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Credentials{Credentials: creds}}
			}
			// Compared without printing: these are credentials.
			if !proto.Equal(got, want) {
				t.Errorf("GetToken answer for %s differs from the connection's credentials", mode)
			}
		})
	}
	for _, mode := range []string{"OAUTH2", "OAUTH1", "API_KEY", "BASIC", "APP", "OAUTH2_CC"} {
		if !seen[mode] {
			t.Errorf("the seed has no %s connection", mode)
		}
	}
}

func TestGetTokenMapsEachCredentialShape(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	raw := `"raw":{"k":"v"}`
	rawStruct, _ := structpb.NewStruct(map[string]any{"k": "v"})
	tests := []struct {
		name  string
		creds string
		want  *gatewayv1.GetTokenResponse
	}{
		{"OAUTH2 gives the access token", `{"type":"OAUTH2","access_token":"at","expires_at":"2026-01-01T00:00:00.000Z",` + raw + `}`,
			&gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_AccessToken{AccessToken: "at"}}},
		{"OAUTH1 gives the token pair", `{"type":"OAUTH1","oauth_token":"ot","oauth_token_secret":"os",` + raw + `}`,
			&gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Oauth1{Oauth1: &gatewayv1.OAuth1Token{OAuthToken: "ot", OAuthTokenSecret: "os"}}}},
		{"API_KEY gives the credentials", `{"type":"API_KEY","apiKey":"k"}`,
			&gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Credentials{Credentials: &gatewayv1.ConnectionCredentials{
				Type: proto.String("API_KEY"), ApiKey: proto.String("k")}}}},
		{"APP gives the credentials", `{"type":"APP","access_token":"ghs","jwtToken":"jwt",` + raw + `}`,
			&gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Credentials{Credentials: &gatewayv1.ConnectionCredentials{
				Type: proto.String("APP"), AccessToken: proto.String("ghs"), JwtToken: proto.String("jwt"), Raw: rawStruct}}}},
		{"credentials hidden without read_credentials", `{}`,
			&gatewayv1.GetTokenResponse{Token: &gatewayv1.GetTokenResponse_Credentials{Credentials: &gatewayv1.ConnectionCredentials{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			connFixture(h.sim, http.MethodGet, "/connections/", http.StatusOK,
				`{"id":1,"connection_id":"c1","provider_config_key":"k","provider":"p","errors":[],"end_user":null,"tags":{},"metadata":null,"connection_config":{},"webhook_url_override":null,"created_at":"x","updated_at":"x","last_fetched_at":null,"credentials":`+tc.creds+`}`)
			got, err := client.GetToken(rpcCtx(t), &gatewayv1.GetTokenRequest{
				ProviderConfigKey: "k", ConnectionId: "c1", ForceRefresh: true, RefreshGithubAppJwtToken: true,
			})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/c1",
				"provider_config_key=k&force_refresh=true&refresh_token=false&refresh_github_app_jwt_token=true", "")
			connDiff(t, got, tc.want)
		})
	}
	wantUpstreamErrors(t, h, http.MethodGet, "/connections/", func(ctx context.Context) error {
		_, err := client.GetToken(ctx, &gatewayv1.GetTokenRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		return err
	})
}

func TestGetRawTokenResponseReturnsCredentialsRaw(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)

	t.Run("exact reply", func(t *testing.T) {
		h.sim.ResetRequests()
		connFixture(h.sim, http.MethodGet, "/connections/", http.StatusOK, connFullFixture)
		got, err := client.GetRawTokenResponse(rpcCtx(t), &gatewayv1.GetRawTokenResponseRequest{
			ProviderConfigKey: "my key:1", ConnectionId: "c 1", ForceRefresh: true,
		})
		if err != nil {
			t.Fatalf("GetRawTokenResponse: %v", err)
		}
		connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/c%201",
			"provider_config_key=my+key:1&force_refresh=true&refresh_token=false&refresh_github_app_jwt_token=false", "")
		connDiff(t, got, &gatewayv1.GetRawTokenResponseResponse{Raw: connFullFixtureWant().GetCredentials().GetRaw()})
	})

	t.Run("seeded connection", func(t *testing.T) {
		conn, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		got, err := client.GetRawTokenResponse(rpcCtx(t), &gatewayv1.GetRawTokenResponseRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		if err != nil {
			t.Fatalf("GetRawTokenResponse: %v", err)
		}
		if got.GetRaw() == nil || !proto.Equal(got.GetRaw(), conn.GetConnection().GetCredentials().GetRaw()) {
			t.Errorf("raw token response differs from the connection's credentials.raw")
		}
	})

	wantUpstreamErrors(t, h, http.MethodGet, "/connections/", func(ctx context.Context) error {
		_, err := client.GetRawTokenResponse(ctx, &gatewayv1.GetRawTokenResponseRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		return err
	})
}

func TestPatchConnectionSendsOnlyTheKeysSet(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	tests := []struct {
		name  string
		patch *gatewayv1.ConnectionPatch
		body  string
	}{
		{
			"every key, HTML characters unescaped",
			&gatewayv1.ConnectionPatch{
				EndUser: &gatewayv1.EndUserInput{Id: "u-9", Email: proto.String("a@b.co"), DisplayName: proto.String("A & <B>"), Tags: map[string]string{"plan": "pro"}},
				Tags:    map[string]string{"team": "x", "env": "prod"},
				// An override with a query string: & must stay as is.
				WebhookUrlOverride: proto.String("https://hooks.example.com/n?a=1&b=2"),
			},
			`{"end_user":{"id":"u-9","email":"a@b.co","display_name":"A & <B>","tags":{"plan":"pro"}},"tags":{"env":"prod","team":"x"},"webhook_url_override":"https://hooks.example.com/n?a=1&b=2"}`,
		},
		{"an empty override clears it", &gatewayv1.ConnectionPatch{WebhookUrlOverride: proto.String("")}, `{"webhook_url_override":""}`},
		{"end user id only", &gatewayv1.ConnectionPatch{EndUser: &gatewayv1.EndUserInput{Id: "u-10"}}, `{"end_user":{"id":"u-10"}}`},
		{"nothing", &gatewayv1.ConnectionPatch{}, `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			got, err := client.PatchConnection(rpcCtx(t), &gatewayv1.PatchConnectionRequest{
				ConnectionId: "conn-github-1", ProviderConfigKey: "github", Patch: tc.patch,
			})
			if err != nil {
				t.Fatalf("PatchConnection: %v", err)
			}
			connCheckRequest(t, h.lastRequest(t), http.MethodPatch, "/connections/conn-github-1", "provider_config_key=github", tc.body)
			connDiff(t, got, &gatewayv1.PatchConnectionResponse{Success: true})
		})
	}

	t.Run("the change is visible", func(t *testing.T) {
		conn, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		c := conn.GetConnection()
		// An end_user patch replaces the tags with the ones derived from it, as Nango does.
		if c.GetEndUser().GetId() != "u-10" || c.GetTags()["end_user_id"] != "u-10" || c.GetTags()["team"] != "" || c.GetWebhookUrlOverride() != nil {
			t.Errorf("after the patches: end user %q, tags %v, override %v", c.GetEndUser().GetId(), c.GetTags(), c.GetWebhookUrlOverride())
		}
	})

	t.Run("the key goes raw into the query, a space as %20", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.PatchConnection(rpcCtx(t), &gatewayv1.PatchConnectionRequest{
			ConnectionId: "conn-github-1", ProviderConfigKey: "my key:1.x@y", Patch: &gatewayv1.ConnectionPatch{},
		})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("code = %v (%v), want InvalidArgument (unknown_provider_config)", status.Code(err), err)
		}
		if q := h.lastRequest(t).RawQuery; q != "provider_config_key=my%20key:1.x@y" {
			t.Errorf("query = %s, want provider_config_key=my%%20key:1.x@y", q)
		}
	})

	wantUpstreamErrors(t, h, http.MethodPatch, "/connections/", func(ctx context.Context) error {
		_, err := client.PatchConnection(ctx, &gatewayv1.PatchConnectionRequest{
			ConnectionId: "conn-github-1", ProviderConfigKey: "github", Patch: &gatewayv1.ConnectionPatch{},
		})
		return err
	})
}

func TestDeleteConnectionDeletesAndReportsUnknownConnections(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	connImport(t, h.sim, `{"connection_id":"to delete","provider_config_key":"github","credentials":{"type":"OAUTH2","access_token":"x"}}`)
	h.sim.ResetRequests()

	got, err := client.DeleteConnection(rpcCtx(t), &gatewayv1.DeleteConnectionRequest{ConnectionId: "to delete", ProviderConfigKey: "github"})
	if err != nil {
		t.Fatalf("DeleteConnection: %v", err)
	}
	sent := h.lastRequest(t)
	connCheckRequest(t, sent, http.MethodDelete, "/connections/to%20delete", "provider_config_key=github", "")
	if sent.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q, want the SDK's application/json", sent.Header.Get("Content-Type"))
	}
	connDiff(t, got, &gatewayv1.DeleteConnectionResponse{Success: true})

	_, err = client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "to delete"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("after delete GetConnection code = %v, want NotFound", status.Code(err))
	}
	_, err = client.DeleteConnection(rpcCtx(t), &gatewayv1.DeleteConnectionRequest{ConnectionId: "to delete", ProviderConfigKey: "github"})
	wantCode(t, err, codes.InvalidArgument, "unknown_connection")

	wantUpstreamErrors(t, h, http.MethodDelete, "/connections/", func(ctx context.Context) error {
		_, err := client.DeleteConnection(ctx, &gatewayv1.DeleteConnectionRequest{ConnectionId: "conn-github-1", ProviderConfigKey: "github"})
		return err
	})
}

func TestConnectionsValidationFailsBeforeCallingNango(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	long := strings.Repeat("x", 256)
	wantInvalidCases(t, h, []invalidCase{
		{"list limit 0", "limit", func(ctx context.Context) error {
			_, err := client.ListConnections(ctx, &gatewayv1.ListConnectionsRequest{Limit: proto.Int32(0)})
			return err
		}},
		{"list limit over 2000", "limit", func(ctx context.Context) error {
			_, err := client.ListConnections(ctx, &gatewayv1.ListConnectionsRequest{Limit: proto.Int32(2001)})
			return err
		}},
		{"list negative page", "page", func(ctx context.Context) error {
			_, err := client.ListConnections(ctx, &gatewayv1.ListConnectionsRequest{Page: proto.Int32(-1)})
			return err
		}},
		{"list bad tag key", "tags", func(ctx context.Context) error {
			_, err := client.ListConnections(ctx, &gatewayv1.ListConnectionsRequest{Tags: map[string]string{"1bad": "v"}})
			return err
		}},
		{"get without integration", "provider_config_key", func(ctx context.Context) error {
			_, err := client.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ConnectionId: "c1"})
			return err
		}},
		{"get with a too long id", "connection_id", func(ctx context.Context) error {
			_, err := client.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: long})
			return err
		}},
		{"token with a bad integration", "provider_config_key", func(ctx context.Context) error {
			_, err := client.GetToken(ctx, &gatewayv1.GetTokenRequest{ProviderConfigKey: "a/b", ConnectionId: "c1"})
			return err
		}},
		{"raw token without connection", "connection_id", func(ctx context.Context) error {
			_, err := client.GetRawTokenResponse(ctx, &gatewayv1.GetRawTokenResponseRequest{ProviderConfigKey: "github"})
			return err
		}},
		{"patch without patch", "patch", func(ctx context.Context) error {
			_, err := client.PatchConnection(ctx, &gatewayv1.PatchConnectionRequest{ConnectionId: "c1", ProviderConfigKey: "github"})
			return err
		}},
		{"patch end user without id", "patch.end_user.id", func(ctx context.Context) error {
			_, err := client.PatchConnection(ctx, &gatewayv1.PatchConnectionRequest{ConnectionId: "c1", ProviderConfigKey: "github",
				Patch: &gatewayv1.ConnectionPatch{EndUser: &gatewayv1.EndUserInput{Email: proto.String("a@b.co")}}})
			return err
		}},
		{"patch end user with a too long display name", "patch.end_user.display_name", func(ctx context.Context) error {
			_, err := client.PatchConnection(ctx, &gatewayv1.PatchConnectionRequest{ConnectionId: "c1", ProviderConfigKey: "github",
				Patch: &gatewayv1.ConnectionPatch{EndUser: &gatewayv1.EndUserInput{Id: "u", DisplayName: proto.String(long)}}})
			return err
		}},
		{"delete without integration", "provider_config_key", func(ctx context.Context) error {
			_, err := client.DeleteConnection(ctx, &gatewayv1.DeleteConnectionRequest{ConnectionId: "c1"})
			return err
		}},
		{"wait without user", "user_id", func(ctx context.Context) error {
			_, err := client.WaitForConnection(ctx, &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github"})
			return err
		}},
		{"wait without integration", "integration_key", func(ctx context.Context) error {
			_, err := client.WaitForConnection(ctx, &gatewayv1.WaitForConnectionRequest{UserId: "u1"})
			return err
		}},
	})
}

func TestListConnectionsUpstreamErrors(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	wantUpstreamErrors(t, h, http.MethodGet, "/connections", func(ctx context.Context) error {
		_, err := client.ListConnections(ctx, &gatewayv1.ListConnectionsRequest{})
		return err
	})
}

// connWaitSetup is a harness whose WaitForConnection polls every interval, plus the same
// service for direct calls (to read the server's own error, not the client's).
func connWaitSetup(t *testing.T, interval time.Duration) (*harness, gatewayv1.ConnectionsServiceServer) {
	t.Helper()
	sim := simulator.New(simulator.Options{Seed: true, APIKey: testAPIKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: testAPIKey})
	if err != nil {
		t.Fatalf("upstream client: %v", err)
	}
	t.Cleanup(up.CloseIdleConnections)
	deps := service.Deps{Upstream: up, WaitPollInterval: interval}
	return newHarnessWithDeps(t, sim, deps), service.NewConnectionsService(deps)
}

// connWaitPolls counts the polls of WaitForConnection the simulator received.
func connWaitPolls(sim *simulator.Simulator) int {
	return len(connRequests(sim, http.MethodGet, "/connections"))
}

// connAwait waits until cond holds, failing the test after a while.
func connAwait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWaitForConnectionReturnsTheConnectionOnceItAppears(t *testing.T) {
	h, _ := connWaitSetup(t, 20*time.Millisecond)
	client := gatewayv1.NewConnectionsServiceClient(h.conn)
	// The same end user on another integration must not end the wait.
	connImport(t, h.sim, `{"connection_id":"other","provider_config_key":"slack","end_user":{"id":"wait user"},"credentials":{"type":"OAUTH2","access_token":"x"}}`)
	h.sim.ResetRequests()

	type result struct {
		resp *gatewayv1.WaitForConnectionResponse
		err  error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() {
		resp, err := client.WaitForConnection(ctx, &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: "wait user"})
		done <- result{resp, err}
	}()
	connAwait(t, "three polls", func() bool { return connWaitPolls(h.sim) >= 3 })
	select {
	case r := <-done:
		t.Fatalf("the wait ended before the connection existed: %v %v", r.resp, r.err)
	default:
	}
	created := connImport(t, h.sim, `{"connection_id":"waited","provider_config_key":"github","end_user":{"id":"wait user","email":"w@example.com"},"credentials":{"type":"OAUTH2","access_token":"x"}}`)

	r := <-done
	if r.err != nil {
		t.Fatalf("WaitForConnection: %v", r.err)
	}
	got := r.resp.GetConnection()
	if got.GetConnectionId() != "waited" || got.GetProviderConfigKey() != "github" || got.GetId() != created.GetId() ||
		got.GetEndUser().GetEmail().GetValue() != "w@example.com" {
		t.Errorf("connection = %v, want the new github connection", got)
	}
	polls := connRequests(h.sim, http.MethodGet, "/connections")
	if len(polls) < 4 {
		t.Errorf("polls = %d, want at least 4", len(polls))
	}
	for _, p := range polls {
		connCheckRequest(t, p, http.MethodGet, "/connections", "endUserId=wait+user", "")
	}
}

func TestWaitForConnectionPollsAtOnceThenEveryInterval(t *testing.T) {
	h, _ := connWaitSetup(t, time.Hour)
	client := gatewayv1.NewConnectionsServiceClient(h.conn)
	h.sim.ResetRequests()
	start := time.Now()
	// conn-github-1 exists; whoever its end user is, the first poll finds it.
	list, err := client.ListConnections(rpcCtx(t), &gatewayv1.ListConnectionsRequest{ConnectionId: proto.String("conn-github-1")})
	if err != nil || len(list.GetConnections()) != 1 || list.GetConnections()[0].GetEndUser() == nil {
		t.Fatalf("seeded conn-github-1 with an end user: %v %v", list, err)
	}
	user := list.GetConnections()[0].GetEndUser().GetId()
	h.sim.ResetRequests()
	got, err := client.WaitForConnection(rpcCtx(t), &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: user})
	if err != nil {
		t.Fatalf("WaitForConnection: %v", err)
	}
	if got.GetConnection().GetProviderConfigKey() != "github" || time.Since(start) > 5*time.Second {
		t.Errorf("connection %v after %v, want a github connection at once", got.GetConnection(), time.Since(start))
	}
	if n := connWaitPolls(h.sim); n != 1 {
		t.Errorf("polls = %d, want 1", n)
	}
}

func TestWaitForConnectionEndsAtTheCallersDeadline(t *testing.T) {
	h, direct := connWaitSetup(t, 20*time.Millisecond)
	client := gatewayv1.NewConnectionsServiceClient(h.conn)
	req := &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: "nobody"}

	t.Run("over gRPC", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := client.WaitForConnection(ctx, req)
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("code = %v (%v), want DeadlineExceeded", status.Code(err), err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the wait took %v past a 200ms deadline", d)
		}
	})

	t.Run("the server's message", func(t *testing.T) {
		h.sim.ResetRequests()
		ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
		defer cancel()
		_, err := direct.WaitForConnection(ctx, req)
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("code = %v (%v), want DeadlineExceeded", status.Code(err), err)
		}
		msg := status.Convert(err).Message()
		if !strings.Contains(msg, "deadline exceeded") || !strings.Contains(msg, `"github"`) || !strings.Contains(msg, `"nobody"`) {
			t.Errorf("message %q does not say what was awaited and why it ended", msg)
		}
		if info, _ := nangohttp.ErrorInfoFrom(err); info.GetReason() != nangohttp.ReasonDeadlineExceeded {
			t.Errorf("reason = %q, want %s", info.GetReason(), nangohttp.ReasonDeadlineExceeded)
		}
		if n := connWaitPolls(h.sim); n < 2 {
			t.Errorf("polls = %d within 150ms at a 20ms interval, want several", n)
		}
	})
}

func TestWaitForConnectionStopsPollingWhenCanceled(t *testing.T) {
	h, direct := connWaitSetup(t, 20*time.Millisecond)
	client := gatewayv1.NewConnectionsServiceClient(h.conn)
	req := &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: "nobody"}

	for _, tc := range []struct {
		name string
		call func(context.Context) error
	}{
		{"over gRPC", func(ctx context.Context) error { _, err := client.WaitForConnection(ctx, req); return err }},
		{"in the server", func(ctx context.Context) error { _, err := direct.WaitForConnection(ctx, req); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- tc.call(ctx) }()
			connAwait(t, "two polls", func() bool { return connWaitPolls(h.sim) >= 2 })
			stopped := time.Now()
			cancel()
			err := <-errc
			if d := time.Since(stopped); d > time.Second {
				t.Errorf("the wait returned %v after cancellation", d)
			}
			if status.Code(err) != codes.Canceled {
				t.Fatalf("code = %v (%v), want Canceled", status.Code(err), err)
			}
			if tc.name == "in the server" && !strings.Contains(status.Convert(err).Message(), "canceled") {
				t.Errorf("message %q does not say the wait was canceled", status.Convert(err).Message())
			}
			// Let the server notice; then no poll may follow.
			time.Sleep(50 * time.Millisecond)
			after := connWaitPolls(h.sim)
			time.Sleep(150 * time.Millisecond)
			if n := connWaitPolls(h.sim); n != after {
				t.Errorf("%d poll(s) after cancellation", n-after)
			}
		})
	}
}

func TestWaitForConnectionRidesOutTransientErrorsOnly(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		code      string
		want      codes.Code // OK: the wait goes on and finds the connection
		wantPolls int
	}{
		{"503 is retried", http.StatusServiceUnavailable, "service_unavailable", codes.OK, 3},
		{"429 is retried", http.StatusTooManyRequests, "too_many_request", codes.OK, 3},
		{"401 ends the wait", http.StatusUnauthorized, "unknown_account", codes.Unauthenticated, 1},
		{"403 ends the wait", http.StatusForbidden, "forbidden", codes.PermissionDenied, 1},
		{"400 ends the wait", http.StatusBadRequest, "invalid_query_params", codes.InvalidArgument, 1},
		// One poll, made of the upstream client's three attempts at a 500.
		{"500 ends the wait", http.StatusInternalServerError, "server_error", codes.Internal, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := connWaitSetup(t, 10*time.Millisecond)
			client := gatewayv1.NewConnectionsServiceClient(h.conn)
			connImport(t, h.sim, `{"connection_id":"ready","provider_config_key":"github","end_user":{"id":"u-ready"},"credentials":{"type":"OAUTH2","access_token":"x"}}`)
			h.sim.ResetRequests()
			// Enough faults that a final error outlasts the upstream client's own retries.
			times := 2
			if tc.want != codes.OK {
				times = 10
			}
			h.sim.InjectFault(simulator.Fault{Method: http.MethodGet, PathPrefix: "/connections", Status: tc.status, Code: tc.code, Times: times,
				Header: http.Header{"Retry-After": {"0"}}})
			got, err := client.WaitForConnection(rpcCtx(t), &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: "u-ready"})
			if status.Code(err) != tc.want {
				t.Fatalf("code = %v (%v), want %v", status.Code(err), err, tc.want)
			}
			if tc.want == codes.OK && got.GetConnection().GetConnectionId() != "ready" {
				t.Errorf("connection = %v, want ready", got.GetConnection())
			}
			if tc.want != codes.OK {
				if info, _ := nangohttp.ErrorInfoFrom(err); info.GetReason() != tc.code {
					t.Errorf("reason = %q, want Nango's %s", info.GetReason(), tc.code)
				}
			}
			if n := connWaitPolls(h.sim); n < tc.wantPolls || (tc.want != codes.OK && n != tc.wantPolls) {
				t.Errorf("polls = %d, want %d", n, tc.wantPolls)
			}
		})
	}
}

func TestWaitForConnectionReportsTheLastTransientErrorAtTheDeadline(t *testing.T) {
	h, direct := connWaitSetup(t, 10*time.Millisecond)
	h.sim.InjectFault(simulator.Fault{Method: http.MethodGet, PathPrefix: "/connections", Status: http.StatusServiceUnavailable, Times: 1000})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := direct.WaitForConnection(ctx, &gatewayv1.WaitForConnectionRequest{IntegrationKey: "github", UserId: "nobody"})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("code = %v (%v), want DeadlineExceeded", status.Code(err), err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "last poll failed") {
		t.Errorf("message %q does not mention the failing polls", msg)
	}
	if ctx.Err() == nil {
		t.Errorf("the wait returned before the deadline")
	}
}
