package service_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

func metaStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGetMetadataReadsTheConnectionWithoutRefreshing(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewMetadataServiceClient)
	const query = "provider_config_key=my+key:1&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"

	t.Run("null metadata stays null", func(t *testing.T) {
		h.sim.ResetRequests()
		connFixture(h.sim, http.MethodGet, "/connections/", http.StatusOK, connFullFixture)
		got, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "my key:1", ConnectionId: "c 1"})
		if err != nil {
			t.Fatalf("GetMetadata: %v", err)
		}
		connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/c%201", query, "")
		connDiff(t, got, &gatewayv1.GetMetadataResponse{})
	})

	t.Run("nested metadata", func(t *testing.T) {
		h.sim.ResetRequests()
		connFixture(h.sim, http.MethodGet, "/connections/", http.StatusOK,
			`{"id":1,"connection_id":"c 1","provider_config_key":"my key:1","provider":"p","metadata":{"plan":"pro","limits":{"seats":3,"tags":["a",null,true]}},"credentials":{}}`)
		got, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "my key:1", ConnectionId: "c 1"})
		if err != nil {
			t.Fatalf("GetMetadata: %v", err)
		}
		connCheckRequest(t, h.lastRequest(t), http.MethodGet, "/connections/c%201", query, "")
		connDiff(t, got, &gatewayv1.GetMetadataResponse{Metadata: metaStruct(t, map[string]any{
			"plan": "pro", "limits": map[string]any{"seats": 3, "tags": []any{"a", nil, true}},
		})})
	})

	t.Run("seeded connection", func(t *testing.T) {
		conn, err := gatewayv1.NewConnectionsServiceClient(h.conn).GetConnection(rpcCtx(t),
			&gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		if err != nil {
			t.Fatalf("GetConnection: %v", err)
		}
		got, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		if err != nil {
			t.Fatalf("GetMetadata: %v", err)
		}
		if got.GetMetadata() == nil {
			t.Error("the seeded connection conn-github-1 should have metadata")
		}
		connDiff(t, got.GetMetadata(), conn.GetConnection().GetMetadata())
	})

	t.Run("unknown connection", func(t *testing.T) {
		_, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github", ConnectionId: "missing"})
		if status.Code(err) != codes.NotFound {
			t.Errorf("code = %v (%v), want NotFound", status.Code(err), err)
		}
	})

	wantUpstreamErrors(t, h, http.MethodGet, "/connections/", func(ctx context.Context) error {
		_, err := client.GetMetadata(ctx, &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
		return err
	})
}

func TestSetAndUpdateMetadataSendTheSDKBodyAndReturnTheEcho(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewMetadataServiceClient)
	connImport(t, h.sim, `{"connection_id":"second","provider_config_key":"github","credentials":{"type":"OAUTH2","access_token":"x"}}`)

	steps := []struct {
		name   string
		update bool
		meta   map[string]any
		ids    any
		body   string
		// The metadata of conn-github-1 and second afterwards.
		want map[string]any
	}{
		{
			"set one connection", false,
			map[string]any{"plan": "pro", "url": "https://x.example/?a=1&b=<2>", "nested": map[string]any{"list": []any{1, "two", true, nil}}},
			"conn-github-1",
			`{"metadata":{"nested":{"list":[1,"two",true,null]},"plan":"pro","url":"https://x.example/?a=1&b=<2>"},"connection_id":"conn-github-1","provider_config_key":"github"}`,
			map[string]any{"plan": "pro", "url": "https://x.example/?a=1&b=<2>", "nested": map[string]any{"list": []any{1, "two", true, nil}}},
		},
		{
			"set replaces wholesale, several connections", false,
			map[string]any{"plan": "free"},
			[]any{"conn-github-1", "second"},
			`{"metadata":{"plan":"free"},"connection_id":["conn-github-1","second"],"provider_config_key":"github"}`,
			map[string]any{"plan": "free"},
		},
		{
			"update merges", true,
			map[string]any{"seats": 4},
			[]any{"conn-github-1", "second"},
			`{"metadata":{"seats":4},"connection_id":["conn-github-1","second"],"provider_config_key":"github"}`,
			map[string]any{"plan": "free", "seats": 4},
		},
		{
			"update one connection", true,
			map[string]any{"plan": "team"},
			"second",
			`{"metadata":{"plan":"team"},"connection_id":"second","provider_config_key":"github"}`,
			nil,
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.sim.ResetRequests()
			meta, ids := metaStruct(t, st.meta), structValue(t, st.ids)
			if st.update {
				got, err := client.UpdateMetadata(rpcCtx(t), &gatewayv1.UpdateMetadataRequest{Metadata: meta, ConnectionId: ids, ProviderConfigKey: "github"})
				if err != nil {
					t.Fatalf("UpdateMetadata: %v", err)
				}
				connCheckRequest(t, h.lastRequest(t), http.MethodPatch, "/connections/metadata", "", st.body)
				connDiff(t, got, &gatewayv1.UpdateMetadataResponse{Metadata: meta, ConnectionId: ids, ProviderConfigKey: "github"})
			} else {
				got, err := client.SetMetadata(rpcCtx(t), &gatewayv1.SetMetadataRequest{Metadata: meta, ConnectionId: ids, ProviderConfigKey: "github"})
				if err != nil {
					t.Fatalf("SetMetadata: %v", err)
				}
				connCheckRequest(t, h.lastRequest(t), http.MethodPost, "/connections/metadata", "", st.body)
				connDiff(t, got, &gatewayv1.SetMetadataResponse{Metadata: meta, ConnectionId: ids, ProviderConfigKey: "github"})
			}
			if st.want == nil {
				return
			}
			for _, id := range []string{"conn-github-1", "second"} {
				if s, ok := st.ids.(string); ok && s != id {
					continue
				}
				got, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github", ConnectionId: id})
				if err != nil {
					t.Fatalf("GetMetadata: %v", err)
				}
				connDiff(t, got.GetMetadata(), metaStruct(t, st.want))
			}
		})
	}

	t.Run("an unknown id changes nothing", func(t *testing.T) {
		_, err := client.SetMetadata(rpcCtx(t), &gatewayv1.SetMetadataRequest{
			Metadata: metaStruct(t, map[string]any{"plan": "x"}), ConnectionId: structValue(t, []any{"second", "missing"}), ProviderConfigKey: "github",
		})
		if info, _ := nangohttp.ErrorInfoFrom(err); status.Code(err) != codes.NotFound || info.GetReason() != "unknown_connection" {
			t.Fatalf("SetMetadata = %v, want NotFound unknown_connection", err)
		}
		got, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github", ConnectionId: "second"})
		if err != nil {
			t.Fatalf("GetMetadata: %v", err)
		}
		connDiff(t, got.GetMetadata(), metaStruct(t, map[string]any{"plan": "team", "seats": 4}))
	})

	set := &gatewayv1.SetMetadataRequest{Metadata: metaStruct(t, map[string]any{"a": 1}), ConnectionId: structValue(t, "conn-github-1"), ProviderConfigKey: "github"}
	t.Run("set errors", func(t *testing.T) {
		wantUpstreamErrors(t, h, http.MethodPost, "/connections/metadata", func(ctx context.Context) error {
			_, err := client.SetMetadata(ctx, set)
			return err
		})
	})
	t.Run("update errors", func(t *testing.T) {
		wantUpstreamErrors(t, h, http.MethodPatch, "/connections/metadata", func(ctx context.Context) error {
			_, err := client.UpdateMetadata(ctx, &gatewayv1.UpdateMetadataRequest{Metadata: set.GetMetadata(), ConnectionId: set.GetConnectionId(), ProviderConfigKey: "github"})
			return err
		})
	})
}

func TestMetadataValidationFailsBeforeCallingNango(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewMetadataServiceClient)
	meta := metaStruct(t, map[string]any{"a": 1})
	tests := []struct {
		name  string
		ids   *structpb.Value
		meta  *structpb.Struct
		key   string
		field string
	}{
		{"empty id", structValue(t, ""), meta, "github", "connection_id"},
		{"empty list", structValue(t, []any{}), meta, "github", "connection_id"},
		{"empty id in the list", structValue(t, []any{"a", ""}), meta, "github", "connection_id[1]"},
		{"number in the list", structValue(t, []any{"a", 3}), meta, "github", "connection_id[1]"},
		{"number", structValue(t, 3), meta, "github", "connection_id"},
		{"id with a character Nango refuses", structValue(t, "a#b"), meta, "github", "connection_id"},
		{"id over 255 characters in the list", structValue(t, []any{"a", strings.Repeat("x", 256)}), meta, "github", "connection_id[1]"},
		{"null", structpb.NewNullValue(), meta, "github", "connection_id"},
		{"object", structValue(t, map[string]any{"id": "a"}), meta, "github", "connection_id"},
		{"no id", nil, meta, "github", "connection_id"},
		{"no metadata", structValue(t, "a"), nil, "github", "metadata"},
		{"bad integration", structValue(t, "a"), meta, "a/b", "provider_config_key"},
	}
	for _, tc := range tests {
		t.Run("set "+tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			_, err := client.SetMetadata(rpcCtx(t), &gatewayv1.SetMetadataRequest{Metadata: tc.meta, ConnectionId: tc.ids, ProviderConfigKey: tc.key})
			wantInvalid(t, h, err, tc.field)
		})
		t.Run("update "+tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			_, err := client.UpdateMetadata(rpcCtx(t), &gatewayv1.UpdateMetadataRequest{Metadata: tc.meta, ConnectionId: tc.ids, ProviderConfigKey: tc.key})
			wantInvalid(t, h, err, tc.field)
		})
	}
	t.Run("get without connection", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.GetMetadata(rpcCtx(t), &gatewayv1.GetMetadataRequest{ProviderConfigKey: "github"})
		wantInvalid(t, h, err, "connection_id")
	})
}
