package service_test

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// Seeded simulator data the syncs, actions, records and proxy tests use; the
// "sarp" prefix (syncs, actions, records, proxy) marks what those tests share.
const (
	sarpIntegration = simulator.SeedIntegrationGitHub
	sarpConnection  = simulator.SeedConnectionGitHub
	sarpSync        = simulator.SeedSyncGithubIssues
)

// sarpHeader checks one header of a recorded request; present reports whether
// it must be there at all (an empty want with present=true means an empty value).
func sarpHeader(t *testing.T, got simulator.RecordedRequest, name, want string, present bool) {
	t.Helper()
	values, ok := got.Header[http.CanonicalHeaderKey(name)]
	if !present {
		if ok {
			t.Fatalf("header %s = %q, want it absent", name, values)
		}
		return
	}
	if !ok || len(values) != 1 || values[0] != want {
		t.Fatalf("header %s = %q (present %v), want exactly %q", name, values, ok, want)
	}
}

func syncsStr(s string) *structpb.Value { return structpb.NewStringValue(s) }

func TestSyncCommandsSendTheSDKRequestAndMapTheAnswer(t *testing.T) {
	conn := sarpConnection
	yes, no := true, false
	mode := "full_refresh"
	tests := []struct {
		name     string
		call     func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error)
		method   string
		path     string
		wantBody string
		want     proto.Message
	}{
		{
			name: "TriggerSync with no syncs sends an empty syncs list",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{ProviderConfigKey: sarpIntegration})
			},
			method: "POST", path: "/sync/trigger",
			wantBody: `{"syncs":[],"provider_config_key":"github"}`,
			want:     &gatewayv1.TriggerSyncResponse{Success: true},
		},
		{
			name: "TriggerSync sends names, variant objects, connection and opts",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
					Syncs:             []*structpb.Value{syncsStr(sarpSync), structValue(t, map[string]any{"name": sarpSync, "variant": "base"})},
					ProviderConfigKey: sarpIntegration,
					ConnectionId:      &conn,
					Opts:              &gatewayv1.SyncOptions{Reset_: &yes, EmptyCache: &no},
				})
			},
			method: "POST", path: "/sync/trigger",
			wantBody: `{"syncs":["github-issues",{"name":"github-issues","variant":"base"}],"provider_config_key":"github","connection_id":"conn-github-1","opts":{"reset":true,"emptyCache":false}}`,
			want:     &gatewayv1.TriggerSyncResponse{Success: true},
		},
		{
			name: "TriggerSync sends the deprecated sync_mode and full_resync",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
					Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration,
					ConnectionId: &conn, SyncMode: &mode,
				})
			},
			method: "POST", path: "/sync/trigger",
			wantBody: `{"syncs":["github-issues"],"provider_config_key":"github","connection_id":"conn-github-1","sync_mode":"full_refresh"}`,
			want:     &gatewayv1.TriggerSyncResponse{Success: true},
		},
		{
			name: "PauseSync",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.PauseSync(ctx, &gatewayv1.PauseSyncRequest{
					Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration, ConnectionId: &conn,
				})
			},
			method: "POST", path: "/sync/pause",
			wantBody: `{"syncs":["github-issues"],"provider_config_key":"github","connection_id":"conn-github-1"}`,
			want:     &gatewayv1.PauseSyncResponse{Success: true},
		},
		{
			name: "StartSync without a connection",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.StartSync(ctx, &gatewayv1.StartSyncRequest{
					Syncs: []*structpb.Value{structValue(t, map[string]any{"name": sarpSync, "variant": "base"})}, ProviderConfigKey: sarpIntegration,
				})
			},
			method: "POST", path: "/sync/start",
			wantBody: `{"syncs":[{"name":"github-issues","variant":"base"}],"provider_config_key":"github"}`,
			want:     &gatewayv1.StartSyncResponse{Success: true},
		},
		{
			name: "UpdateSyncConnectionFrequency sends the frequency",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				return c.UpdateSyncConnectionFrequency(ctx, &gatewayv1.UpdateSyncConnectionFrequencyRequest{
					SyncName: sarpSync, ProviderConfigKey: sarpIntegration, ConnectionId: conn,
					Frequency: wrapperspb.String("every 2h"),
				})
			},
			method: "PUT", path: "/sync/update-connection-frequency",
			wantBody: `{"sync_name":"github-issues","provider_config_key":"github","connection_id":"conn-github-1","frequency":"every 2h"}`,
			want:     &gatewayv1.UpdateSyncConnectionFrequencyResponse{Frequency: "2h"}, // Nango answers the interval it normalised
		},
		{
			name: "UpdateSyncConnectionFrequency sends null to revert to the default",
			call: func(ctx context.Context, c gatewayv1.SyncsServiceClient) (proto.Message, error) {
				variant := "base"
				return c.UpdateSyncConnectionFrequency(ctx, &gatewayv1.UpdateSyncConnectionFrequencyRequest{
					SyncName: sarpSync, SyncVariant: &variant, ProviderConfigKey: sarpIntegration, ConnectionId: conn,
				})
			},
			method: "PUT", path: "/sync/update-connection-frequency",
			wantBody: `{"sync_name":"github-issues","sync_variant":"base","provider_config_key":"github","connection_id":"conn-github-1","frequency":null}`,
			want:     &gatewayv1.UpdateSyncConnectionFrequencyResponse{Frequency: "every hour"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
			got, err := tt.call(rpcCtx(t), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			rec := h.lastRequest(t)
			wantRoute(t, rec, tt.method, tt.path, "")
			sarpHeader(t, rec, "Content-Type", "application/json", true)
			wantJSON(t, rec.Body, tt.wantBody)
			if !proto.Equal(got, tt.want) {
				t.Fatalf("answer = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSyncStatusSendsTheAxiosQueryAndDecodesStatuses(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	conn := sarpConnection
	got, err := c.SyncStatus(rpcCtx(t), &gatewayv1.SyncStatusRequest{
		Syncs: sarpSync + ",github-issues::base", ProviderConfigKey: sarpIntegration, ConnectionId: &conn,
	})
	if err != nil {
		t.Fatalf("SyncStatus: %v", err)
	}
	rec := h.lastRequest(t)
	wantRoute(t, rec, "GET", "/sync/status", "syncs=github-issues,github-issues::base&provider_config_key=github&connection_id=conn-github-1")
	if len(got.GetSyncs()) == 0 {
		t.Fatal("no sync status in the answer")
	}
	s := got.GetSyncs()[0]
	if s.GetName() != sarpSync || s.GetConnectionId() != sarpConnection || s.GetStatus() == "" || s.GetId() == "" {
		t.Fatalf("status = %v", s)
	}
}

func TestSyncStatusEncodesSpacesAndKeepsStarAsAxiosDoes(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/sync/status", Status: 200, Body: []byte(`{"syncs":[]}`)})
	_, err := c.SyncStatus(rpcCtx(t), &gatewayv1.SyncStatusRequest{Syncs: "s1,s2::v 1", ProviderConfigKey: "my key"})
	if err != nil {
		t.Fatalf("SyncStatus: %v", err)
	}
	wantRoute(t, h.lastRequest(t), "GET", "/sync/status", "syncs=s1,s2::v+1&provider_config_key=my+key")

	if _, err := c.SyncStatus(rpcCtx(t), &gatewayv1.SyncStatusRequest{Syncs: "*", ProviderConfigKey: sarpIntegration}); err != nil {
		t.Fatalf("SyncStatus *: %v", err)
	}
	wantRoute(t, h.lastRequest(t), "GET", "/sync/status", "syncs=*&provider_config_key=github")
}

func TestSyncStatusDecodesEveryNangoKey(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/sync/status", Status: 200, Body: []byte(`{"syncs":[{
		"id":"5d1d4f0e","connection_id":"c1","name":"issues","variant":"base","status":"SUCCESS","type":"INCREMENTAL",
		"finishedAt":"2026-01-02T03:04:05.000Z","nextScheduledSyncAt":null,"frequency":"every hour",
		"latestResult":{"GithubIssue":{"added":3,"updated":2,"deleted":1}},"latestExecutionStatus":"SUCCESS",
		"recordCount":{"GithubIssue":2500},"checkpoint":{"page":3},"futureKey":1}]}`)})
	got, err := c.SyncStatus(rpcCtx(t), &gatewayv1.SyncStatusRequest{Syncs: "*", ProviderConfigKey: sarpIntegration})
	if err != nil {
		t.Fatalf("SyncStatus: %v", err)
	}
	checkpoint, _ := structpb.NewStruct(map[string]any{"page": 3})
	latest, _ := structpb.NewStruct(map[string]any{"GithubIssue": map[string]any{"added": 3, "updated": 2, "deleted": 1}})
	extra, _ := structpb.NewStruct(map[string]any{"futureKey": 1})
	want := &gatewayv1.SyncStatusResponse{Syncs: []*gatewayv1.SyncStatus{{
		Id: "5d1d4f0e", ConnectionId: "c1", Name: "issues", Variant: "base", Status: "SUCCESS", Type: "INCREMENTAL",
		FinishedAt: proto.String("2026-01-02T03:04:05.000Z"), Frequency: wrapperspb.String("every hour"),
		LatestResult:          latest,
		LatestExecutionStatus: proto.String("SUCCESS"), RecordCount: map[string]int32{"GithubIssue": 2500}, Checkpoint: checkpoint,
		Extra: extra,
	}}}
	if !proto.Equal(got, want) {
		t.Fatalf("answer = %v\nwant %v", got, want)
	}
}

func TestSyncVariantsAreCreatedAndDeletedWithAJSONBody(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	created, err := c.CreateSyncVariant(rpcCtx(t), &gatewayv1.CreateSyncVariantRequest{
		Name: sarpSync, Variant: "eu-1", ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection,
	})
	if err != nil {
		t.Fatalf("CreateSyncVariant: %v", err)
	}
	rec := h.lastRequest(t)
	wantRoute(t, rec, "POST", "/sync/github-issues/variant/eu-1", "")
	wantJSON(t, rec.Body, `{"provider_config_key":"github","connection_id":"conn-github-1"}`)
	if created.GetId() == "" || created.GetName() != sarpSync || created.GetVariant() != "eu-1" {
		t.Fatalf("created = %v", created)
	}

	deleted, err := c.DeleteSyncVariant(rpcCtx(t), &gatewayv1.DeleteSyncVariantRequest{
		Name: sarpSync, Variant: "eu-1", ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection,
	})
	if err != nil {
		t.Fatalf("DeleteSyncVariant: %v", err)
	}
	rec = h.lastRequest(t)
	wantRoute(t, rec, "DELETE", "/sync/github-issues/variant/eu-1", "")
	sarpHeader(t, rec, "Content-Type", "application/json", true)
	wantJSON(t, rec.Body, `{"provider_config_key":"github","connection_id":"conn-github-1"}`)
	if !deleted.GetSuccess() {
		t.Fatalf("deleted = %v", deleted)
	}

	// Deleting it again is Nango's 404 not_found.
	_, err = c.DeleteSyncVariant(rpcCtx(t), &gatewayv1.DeleteSyncVariantRequest{
		Name: sarpSync, Variant: "eu-1", ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection,
	})
	wantCode(t, err, codes.NotFound, "not_found")
}

func TestSyncRPCsRejectInvalidRequestsWithoutCallingNango(t *testing.T) {
	conn := sarpConnection
	yes := true
	mode := "incremental"
	wantInvalidCallsOf(t, gatewayv1.NewSyncsServiceClient, []invalidCallOf[gatewayv1.SyncsServiceClient]{
		{"a number in syncs", "syncs[1]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
				Syncs: []*structpb.Value{syncsStr("a"), structpb.NewNumberValue(3)}, ProviderConfigKey: sarpIntegration,
			})
			return err
		}},
		{"an empty sync name", "syncs[0]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.StartSync(ctx, &gatewayv1.StartSyncRequest{Syncs: []*structpb.Value{syncsStr("")}, ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"an object without variant", "syncs[0]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.PauseSync(ctx, &gatewayv1.PauseSyncRequest{
				Syncs: []*structpb.Value{structValue(t, map[string]any{"name": sarpSync})}, ProviderConfigKey: sarpIntegration,
			})
			return err
		}},
		{"an object with an extra key", "syncs[0]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.StartSync(ctx, &gatewayv1.StartSyncRequest{
				Syncs:             []*structpb.Value{structValue(t, map[string]any{"name": sarpSync, "variant": "v", "x": "y"})},
				ProviderConfigKey: sarpIntegration,
			})
			return err
		}},
		{"a non-string variant", "syncs[0]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
				Syncs: []*structpb.Value{structValue(t, map[string]any{"name": sarpSync, "variant": 2})}, ProviderConfigKey: sarpIntegration,
			})
			return err
		}},
		{"opts with sync_mode", "opts", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
				ProviderConfigKey: sarpIntegration, Opts: &gatewayv1.SyncOptions{Reset_: &yes}, SyncMode: &mode,
			})
			return err
		}},
		{"opts with full_resync", "opts", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{
				ProviderConfigKey: sarpIntegration, Opts: &gatewayv1.SyncOptions{}, FullResync: &yes,
			})
			return err
		}},
		{"an unknown sync_mode", "sync_mode", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			bad := "sometimes"
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{ProviderConfigKey: sarpIntegration, SyncMode: &bad})
			return err
		}},
		{"StartSync with a sync that is neither a name nor a {name, variant}", "syncs[0]", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.StartSync(ctx, &gatewayv1.StartSyncRequest{ProviderConfigKey: sarpIntegration, Syncs: []*structpb.Value{structpb.NewNumberValue(1)}})
			return err
		}},
		{"a missing provider_config_key", "provider_config_key", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.SyncStatus(ctx, &gatewayv1.SyncStatusRequest{Syncs: "*"})
			return err
		}},
		{"an invalid sync_name", "sync_name", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.UpdateSyncConnectionFrequency(ctx, &gatewayv1.UpdateSyncConnectionFrequencyRequest{
				SyncName: "a b", ProviderConfigKey: sarpIntegration, ConnectionId: conn,
			})
			return err
		}},
		{"an invalid variant", "variant", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.CreateSyncVariant(ctx, &gatewayv1.CreateSyncVariantRequest{
				Name: sarpSync, Variant: "v 2", ProviderConfigKey: sarpIntegration, ConnectionId: conn,
			})
			return err
		}},
		{"a missing connection_id", "connection_id", func(ctx context.Context, c gatewayv1.SyncsServiceClient) error {
			_, err := c.DeleteSyncVariant(ctx, &gatewayv1.DeleteSyncVariantRequest{
				Name: sarpSync, Variant: "v1", ProviderConfigKey: sarpIntegration,
			})
			return err
		}},
	})
}

func TestSyncsInvalidEntryCarriesAFieldViolation(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	_, err := c.TriggerSync(rpcCtx(t), &gatewayv1.TriggerSyncRequest{
		Syncs: []*structpb.Value{structpb.NewBoolValue(true)}, ProviderConfigKey: sarpIntegration,
	})
	st := wantCode(t, err, codes.InvalidArgument, "")
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 && br.GetFieldViolations()[0].GetField() == "syncs[0]" {
			return
		}
	}
	t.Fatalf("no BadRequest violation for syncs[0] in %v", st.Details())
}

func TestSyncRPCsMapNangoErrors(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	conn := sarpConnection
	calls := []upstreamCall{
		{"TriggerSync", "POST", "/sync/trigger", func(ctx context.Context) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"StartSync", "POST", "/sync/start", func(ctx context.Context) error {
			_, err := c.StartSync(ctx, &gatewayv1.StartSyncRequest{Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"PauseSync", "POST", "/sync/pause", func(ctx context.Context) error {
			_, err := c.PauseSync(ctx, &gatewayv1.PauseSyncRequest{Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"SyncStatus", "GET", "/sync/status", func(ctx context.Context) error {
			_, err := c.SyncStatus(ctx, &gatewayv1.SyncStatusRequest{Syncs: "*", ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"UpdateSyncConnectionFrequency", "PUT", "/sync/update-connection-frequency", func(ctx context.Context) error {
			_, err := c.UpdateSyncConnectionFrequency(ctx, &gatewayv1.UpdateSyncConnectionFrequencyRequest{
				SyncName: sarpSync, ProviderConfigKey: sarpIntegration, ConnectionId: conn,
			})
			return err
		}},
		{"CreateSyncVariant", "POST", "/sync/github-issues/variant", func(ctx context.Context) error {
			_, err := c.CreateSyncVariant(ctx, &gatewayv1.CreateSyncVariantRequest{
				Name: sarpSync, Variant: "v1", ProviderConfigKey: sarpIntegration, ConnectionId: conn,
			})
			return err
		}},
		{"DeleteSyncVariant", "DELETE", "/sync/github-issues/variant", func(ctx context.Context) error {
			_, err := c.DeleteSyncVariant(ctx, &gatewayv1.DeleteSyncVariantRequest{
				Name: sarpSync, Variant: "v1", ProviderConfigKey: sarpIntegration, ConnectionId: conn,
			})
			return err
		}},
	}
	wantUpstreamErrorsOf(t, h, calls)
}

func TestSyncRPCsReturnNangoErrorsFromRealRoutes(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	conn := sarpConnection
	_, err := c.TriggerSync(rpcCtx(t), &gatewayv1.TriggerSyncRequest{
		Syncs: []*structpb.Value{syncsStr("no-such-sync")}, ProviderConfigKey: sarpIntegration, ConnectionId: &conn,
	})
	// Nango's sync manager refuses a sync the connection lacks as no_syncs_found.
	wantCode(t, err, codes.InvalidArgument, "no_syncs_found")

	_, err = c.UpdateSyncConnectionFrequency(rpcCtx(t), &gatewayv1.UpdateSyncConnectionFrequencyRequest{
		SyncName: sarpSync, ProviderConfigKey: sarpIntegration, ConnectionId: "no-such-connection",
		Frequency: wrapperspb.String("every 2h"),
	})
	wantCode(t, err, codes.InvalidArgument, "unknown_connection")
}

// Start, pause, frequency updates and metadata writes are idempotent, so a 503 is retried;
// a sync trigger is not, so Nango receives it exactly once.
func TestIdempotentWritesAreRetriedAndTriggersAreSentOnce(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewSyncsServiceClient)
	meta := gatewayv1.NewMetadataServiceClient(h.conn)
	conn := sarpConnection
	tests := []struct {
		name, method, path string
		wantSent           int
		wantErr            bool
		call               func(ctx context.Context) error
	}{
		{"StartSync", "POST", "/sync/start", 2, false, func(ctx context.Context) error {
			_, err := c.StartSync(ctx, &gatewayv1.StartSyncRequest{Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration, ConnectionId: &conn})
			return err
		}},
		{"PauseSync", "POST", "/sync/pause", 2, false, func(ctx context.Context) error {
			_, err := c.PauseSync(ctx, &gatewayv1.PauseSyncRequest{Syncs: []*structpb.Value{syncsStr(sarpSync)}, ProviderConfigKey: sarpIntegration, ConnectionId: &conn})
			return err
		}},
		{"UpdateSyncConnectionFrequency", "PUT", "/sync/update-connection-frequency", 2, false, func(ctx context.Context) error {
			_, err := c.UpdateSyncConnectionFrequency(ctx, &gatewayv1.UpdateSyncConnectionFrequencyRequest{SyncName: sarpSync, ProviderConfigKey: sarpIntegration, ConnectionId: conn, Frequency: wrapperspb.String("every 2h")})
			return err
		}},
		{"SetMetadata", "POST", "/connections/metadata", 2, false, func(ctx context.Context) error {
			_, err := meta.SetMetadata(ctx, &gatewayv1.SetMetadataRequest{Metadata: &structpb.Struct{}, ConnectionId: structpb.NewStringValue(conn), ProviderConfigKey: sarpIntegration})
			return err
		}},
		{"TriggerSync", "POST", "/sync/trigger", 1, true, func(ctx context.Context) error {
			_, err := c.TriggerSync(ctx, &gatewayv1.TriggerSyncRequest{ProviderConfigKey: sarpIntegration, ConnectionId: &conn})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sim.ClearFaults()
			h.sim.ResetRequests()
			h.sim.InjectFault(simulator.Fault{Method: tt.method, PathPrefix: tt.path, Status: http.StatusServiceUnavailable, Code: "service_unavailable"})
			err := tt.call(rpcCtx(t))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			sent := 0
			for _, r := range h.sim.Requests() {
				if r.Method == tt.method && r.Path == tt.path {
					sent++
				}
			}
			if sent != tt.wantSent {
				t.Errorf("Nango received %d requests, want %d", sent, tt.wantSent)
			}
		})
	}
}
