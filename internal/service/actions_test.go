package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const actionsUnknownID = "00000000-0000-4000-8000-000000000000"

func actionsValue(t *testing.T, js string) *structpb.Value {
	t.Helper()
	v := &structpb.Value{}
	if err := protojson.Unmarshal([]byte(js), v); err != nil {
		t.Fatalf("value %s: %v", js, err)
	}
	return v
}

func actionsJSON(t *testing.T, v *structpb.Value) string {
	t.Helper()
	b, err := protojson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var compact any
	_ = json.Unmarshal(b, &compact)
	out, _ := json.Marshal(compact)
	return string(out)
}

func TestTriggerActionSendsTheSDKRequestAndReturnsAnyJSON(t *testing.T) {
	tests := []struct {
		name     string
		input    *structpb.Value
		reply    string
		wantBody string
	}{
		{"object input, object output", nil, `{"ok":true,"items":[1,"a",null]}`, `{"action_name":"create-issue"}`},
		{"array output", nil, `[1,2,3]`, `{"action_name":"create-issue"}`},
		{"string output", nil, `"done"`, `{"action_name":"create-issue"}`},
		{"number output", nil, `42.5`, `{"action_name":"create-issue"}`},
		{"null output", nil, `null`, `{"action_name":"create-issue"}`},
		{"with an object input", structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
			"title": structpb.NewStringValue("Bug"),
		}}), `{"id":"1"}`, `{"action_name":"create-issue","input":{"title":"Bug"}}`},
		{"with a scalar input", structpb.NewStringValue("x"), `{}`, `{"action_name":"create-issue","input":"x"}`},
		{"with a null input", structpb.NewNullValue(), `{}`, `{"action_name":"create-issue","input":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
			h.sim.InjectFault(simulator.Fault{Method: "POST", PathPrefix: "/action/trigger", Status: 200, Body: []byte(tt.reply)})
			got, err := c.TriggerAction(rpcCtx(t), &gatewayv1.TriggerActionRequest{
				ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue", Input: tt.input,
			})
			if err != nil {
				t.Fatalf("TriggerAction: %v", err)
			}
			rec := h.lastRequest(t)
			wantRoute(t, rec, "POST", "/action/trigger", "")
			sarpHeader(t, rec, "Connection-Id", sarpConnection, true)
			sarpHeader(t, rec, "Provider-Config-Key", sarpIntegration, true)
			sarpHeader(t, rec, "Content-Type", "application/json", true)
			sarpHeader(t, rec, "X-Async", "", false)
			wantJSON(t, rec.Body, tt.wantBody)
			wantJSON(t, []byte(actionsJSON(t, got.GetOutput())), tt.reply)
		})
	}
}

func TestTriggerActionRunsASeededAction(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	got, err := c.TriggerAction(rpcCtx(t), &gatewayv1.TriggerActionRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue",
		Input: actionsValue(t, `{"title":"Gateway bug","labels":["bug"]}`),
	})
	if err != nil {
		t.Fatalf("TriggerAction: %v", err)
	}
	wantJSON(t, h.lastRequest(t).Body, `{"action_name":"create-issue","input":{"title":"Gateway bug","labels":["bug"]}}`)
	if got.GetOutput().GetStructValue() == nil {
		t.Fatalf("output = %v, want an object", got.GetOutput())
	}
}

func TestTriggerActionAsyncThenResultIsPendingThenDone(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true, AsyncActionDelay: 400 * time.Millisecond})
	c := gatewayv1.NewActionsServiceClient(h.conn)
	retries := int32(2)
	queued, err := c.TriggerActionAsync(rpcCtx(t), &gatewayv1.TriggerActionAsyncRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue",
		Input: actionsValue(t, `{"title":"Async"}`), MaxRetries: &retries,
	})
	if err != nil {
		t.Fatalf("TriggerActionAsync: %v", err)
	}
	rec := h.lastRequest(t)
	wantRoute(t, rec, "POST", "/action/trigger", "")
	sarpHeader(t, rec, "X-Async", "true", true)
	sarpHeader(t, rec, "X-Max-Retries", "2", true)
	sarpHeader(t, rec, "Connection-Id", sarpConnection, true)
	sarpHeader(t, rec, "Provider-Config-Key", sarpIntegration, true)
	wantJSON(t, rec.Body, `{"action_name":"create-issue","input":{"title":"Async"}}`)
	if queued.GetId() == "" || queued.GetStatusUrl() != "/action/"+queued.GetId() {
		t.Fatalf("queued = %v", queued)
	}

	// At once, Nango's answer is 404: pending and unknown look the same.
	_, err = c.GetAsyncActionResult(rpcCtx(t), &gatewayv1.GetAsyncActionResultRequest{StatusUrl: queued.GetStatusUrl()})
	st := wantCode(t, err, codes.NotFound, "not_found")
	for _, phrase := range []string{"404", "still queued or running", "unknown id"} {
		if !strings.Contains(st.Message(), phrase) {
			t.Fatalf("message %q does not say %q", st.Message(), phrase)
		}
	}
	ei, _ := nangohttp.ErrorInfoFrom(err)
	if ei.GetMetadata()[service.MetadataAmbiguous] != "pending_or_unknown" || ei.GetMetadata()[nangohttp.MetadataHTTPStatus] != "404" {
		t.Fatalf("metadata = %v", ei.GetMetadata())
	}
	wantRoute(t, h.lastRequest(t), "GET", queued.GetStatusUrl(), "")

	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.GetAsyncActionResult(rpcCtx(t), &gatewayv1.GetAsyncActionResultRequest{Id: queued.GetId()})
		if err == nil {
			wantRoute(t, h.lastRequest(t), "GET", "/action/"+queued.GetId(), "")
			if got.GetOutput().GetKind() == nil {
				t.Fatal("done result has no output")
			}
			return
		}
		wantCode(t, err, codes.NotFound, "not_found")
		if time.Now().After(deadline) {
			t.Fatal("the async action never finished")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestGetAsyncActionResultGetsTheStatusURLVerbatimAndDecodesTheOutput(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/action/", Status: 200, Body: []byte(`{"n":[1,2]}`)})
	got, err := c.GetAsyncActionResult(rpcCtx(t), &gatewayv1.GetAsyncActionResultRequest{
		StatusUrl: "/action/11111111-2222-4333-8444-555555555555",
	})
	if err != nil {
		t.Fatalf("GetAsyncActionResult: %v", err)
	}
	wantRoute(t, h.lastRequest(t), "GET", "/action/11111111-2222-4333-8444-555555555555", "")
	wantJSON(t, []byte(actionsJSON(t, got.GetOutput())), `{"n":[1,2]}`)
}

func TestGetAsyncActionResultOfAnUnknownIDIsAmbiguousNotFound(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	_, err := c.GetAsyncActionResult(rpcCtx(t), &gatewayv1.GetAsyncActionResultRequest{Id: actionsUnknownID})
	st := wantCode(t, err, codes.NotFound, "not_found")
	if !strings.Contains(st.Message(), "unknown id") {
		t.Fatalf("message = %q", st.Message())
	}
	wantRoute(t, h.lastRequest(t), "GET", "/action/"+actionsUnknownID, "")
}

func TestActionRPCsRejectInvalidRequestsWithoutCallingNango(t *testing.T) {
	wantInvalidCallsOf(t, gatewayv1.NewActionsServiceClient, []invalidCallOf[gatewayv1.ActionsServiceClient]{
		{"an invalid action name", "action_name", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerAction(ctx, &gatewayv1.TriggerActionRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "a/b"})
			return err
		}},
		{"a missing connection id", "connection_id", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerAction(ctx, &gatewayv1.TriggerActionRequest{ProviderConfigKey: sarpIntegration, ActionName: "x"})
			return err
		}},
		{"too many retries", "max_retries", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			n := int32(6)
			_, err := c.TriggerActionAsync(ctx, &gatewayv1.TriggerActionAsyncRequest{
				ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "x", MaxRetries: &n,
			})
			return err
		}},
		{"a poll interval under 100ms", "poll_interval", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{
				ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "x", PollInterval: durationpb.New(50 * time.Millisecond),
			})
			return err
		}},
		{"a poll interval over 5 minutes", "poll_interval", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{
				ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "x", PollInterval: durationpb.New(6 * time.Minute),
			})
			return err
		}},
		{"an invalid action name to wait for", "action_name", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "a b"})
			return err
		}},
		{"a missing integration to wait on", "provider_config_key", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{ConnectionId: sarpConnection, ActionName: "x"})
			return err
		}},
		{"too many retries of an awaited action", "max_retries", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			n := int32(6)
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{
				ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "x", MaxRetries: &n,
			})
			return err
		}},
		{"an id that is not a UUID", "id", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.GetAsyncActionResult(ctx, &gatewayv1.GetAsyncActionResultRequest{Id: "not-a-uuid"})
			return err
		}},
		{"a status URL outside /action", "status_url", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.GetAsyncActionResult(ctx, &gatewayv1.GetAsyncActionResultRequest{StatusUrl: "/connections/" + actionsUnknownID})
			return err
		}},
		{"both id and status URL", "status_url", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.GetAsyncActionResult(ctx, &gatewayv1.GetAsyncActionResultRequest{Id: actionsUnknownID, StatusUrl: "/action/" + actionsUnknownID})
			return err
		}},
		{"neither id nor status URL", "id", func(ctx context.Context, c gatewayv1.ActionsServiceClient) error {
			_, err := c.GetAsyncActionResult(ctx, &gatewayv1.GetAsyncActionResultRequest{})
			return err
		}},
	})
}

func TestActionRPCsMapNangoErrors(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	calls := []upstreamCall{
		{"TriggerAction", "POST", "/action/trigger", func(ctx context.Context) error {
			_, err := c.TriggerAction(ctx, &gatewayv1.TriggerActionRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
			return err
		}},
		{"TriggerActionAsync", "POST", "/action/trigger", func(ctx context.Context) error {
			_, err := c.TriggerActionAsync(ctx, &gatewayv1.TriggerActionAsyncRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
			return err
		}},
		{"TriggerActionAndWait", "POST", "/action/trigger", func(ctx context.Context) error {
			_, err := c.TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
			return err
		}},
		{"GetAsyncActionResult", "GET", "/action/", func(ctx context.Context) error {
			_, err := c.GetAsyncActionResult(ctx, &gatewayv1.GetAsyncActionResultRequest{Id: actionsUnknownID})
			return err
		}},
	}
	wantUpstreamErrorsOf(t, h, calls)
}

func TestActionScriptFailuresKeepNangosCode(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	h.sim.InjectFault(simulator.Fault{
		Method: "POST", PathPrefix: "/action/trigger", Status: http.StatusFailedDependency,
		Body: []byte(`{"error":{"code":"script_http_error","message":"upstream said no","upstream":{"status":403}}}`),
	})
	_, err := c.TriggerAction(rpcCtx(t), &gatewayv1.TriggerActionRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
	st := wantCode(t, err, codes.FailedPrecondition, "script_http_error")
	if st.Message() != "upstream said no" {
		t.Fatalf("message = %q", st.Message())
	}
	ei, _ := nangohttp.ErrorInfoFrom(err)
	wantJSON(t, []byte(ei.GetMetadata()[nangohttp.MetadataUpstreamError]), `{"code":"script_http_error","message":"upstream said no","upstream":{"status":403}}`)
}

func TestTriggerActionReportsAMalformedReply(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "POST", PathPrefix: "/action/trigger", Malformed: true})
	_, err := c.TriggerAction(rpcCtx(t), &gatewayv1.TriggerActionRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
	wantCode(t, err, codes.Internal, nangohttp.ReasonMalformedResponse)
}

func TestTriggerActionAsyncDecodesTheAcceptedReply(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewActionsServiceClient)
	h.sim.InjectFault(simulator.Fault{
		Method: "POST", PathPrefix: "/action/trigger", Status: http.StatusAccepted,
		Body:   []byte(`{"id":"` + actionsUnknownID + `","statusUrl":"/action/` + actionsUnknownID + `"}`),
		Header: http.Header{"Location": {"/action/" + actionsUnknownID}},
	})
	got, err := c.TriggerActionAsync(rpcCtx(t), &gatewayv1.TriggerActionAsyncRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: "create-issue"})
	if err != nil {
		t.Fatalf("TriggerActionAsync: %v", err)
	}
	want := &gatewayv1.TriggerActionAsyncResponse{Id: actionsUnknownID, StatusUrl: "/action/" + actionsUnknownID}
	if !proto.Equal(got, want) {
		t.Fatalf("answer = %v, want %v", got, want)
	}
	rec := h.lastRequest(t)
	sarpHeader(t, rec, "X-Max-Retries", "", false)
	wantJSON(t, rec.Body, `{"action_name":"create-issue"}`)
}
