package service_test

import (
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

func TestPatchConnectionClearTagsSendsAnEmptyObjectAndRemovesEveryTag(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	_, err := client.PatchConnection(rpcCtx(t), &gatewayv1.PatchConnectionRequest{
		ConnectionId: "conn-github-1", ProviderConfigKey: "github", Patch: &gatewayv1.ConnectionPatch{ClearTags: true},
	})
	if err != nil {
		t.Fatalf("PatchConnection: %v", err)
	}
	connCheckRequest(t, h.lastRequest(t), http.MethodPatch, "/connections/conn-github-1", "provider_config_key=github", `{"tags":{}}`)
	conn, err := client.GetConnection(rpcCtx(t), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	if err != nil {
		t.Fatalf("GetConnection: %v", err)
	}
	if tags := conn.GetConnection().GetTags(); len(tags) != 0 {
		t.Errorf("tags after clearing = %v, want none", tags)
	}
}

func TestPatchConnectionRefusesClearTagsWithTags(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	_, err := client.PatchConnection(rpcCtx(t), &gatewayv1.PatchConnectionRequest{
		ConnectionId: "conn-github-1", ProviderConfigKey: "github",
		Patch: &gatewayv1.ConnectionPatch{ClearTags: true, Tags: map[string]string{"team": "x"}},
	})
	wantInvalid(t, h, err, "clear_tags")
}

func TestImportConnectionSendsNangosImportBodyAndReturnsTheConnection(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	got, err := client.ImportConnection(rpcCtx(t), &gatewayv1.ImportConnectionRequest{
		ProviderConfigKey: "sendgrid",
		ConnectionId:      proto.String("imported-1"),
		Metadata:          mustStruct(t, map[string]any{"a": 1}),
		Credentials:       &gatewayv1.ImportCredentials{Type: "API_KEY", ApiKey: proto.String("fake-key")},
		EndUser:           &gatewayv1.EndUserInput{Id: "u-imp"},
	})
	if err != nil {
		t.Fatalf("ImportConnection: %v", err)
	}
	connCheckRequest(t, h.lastRequest(t), http.MethodPost, "/connections", "",
		`{"provider_config_key":"sendgrid","connection_id":"imported-1","metadata":{"a":1},"credentials":{"type":"API_KEY","apiKey":"fake-key"},"end_user":{"id":"u-imp"}}`)
	c := got.GetConnection()
	if c.GetConnectionId() != "imported-1" || c.GetCredentials().GetApiKey() != "fake-key" || c.GetEndUser().GetId() != "u-imp" {
		t.Errorf("imported connection = %s / %q / end user %q", c.GetConnectionId(), c.GetCredentials().GetType(), c.GetEndUser().GetId())
	}
}

func TestImportConnectionInvalidRequestsNeverReachNango(t *testing.T) {
	h, client := seededClient(t, gatewayv1.NewConnectionsServiceClient)
	t.Run("no credentials", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.ImportConnection(rpcCtx(t), &gatewayv1.ImportConnectionRequest{ProviderConfigKey: "sendgrid"})
		wantViolation(t, h, err, "credentials")
	})
	t.Run("unknown credentials type", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.ImportConnection(rpcCtx(t), &gatewayv1.ImportConnectionRequest{
			ProviderConfigKey: "sendgrid", Credentials: &gatewayv1.ImportCredentials{Type: "JWT"},
		})
		wantViolation(t, h, err, "credentials.type")
	})
	t.Run("end user without id", func(t *testing.T) {
		h.sim.ResetRequests()
		_, err := client.ImportConnection(rpcCtx(t), &gatewayv1.ImportConnectionRequest{
			ProviderConfigKey: "sendgrid", Credentials: &gatewayv1.ImportCredentials{Type: "NONE"}, EndUser: &gatewayv1.EndUserInput{},
		})
		wantInvalid(t, h, err, "end_user.id")
	})
}
