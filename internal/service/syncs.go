package service

import (
	"context"
	"fmt"
	"net/http"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// syncsService implements gatewayv1.SyncsServiceServer.
type syncsService struct {
	gatewayv1.UnimplementedSyncsServiceServer
	deps Deps
}

// NewSyncsService returns the SyncsService.
func NewSyncsService(d Deps) *syncsService { return &syncsService{deps: d} }

// syncRef is the object form of a `syncs` entry. Nango's schema for start and
// pause is strict, so exactly these two keys are sent.
type syncRef struct {
	Name    string `json:"name"`
	Variant string `json:"variant"`
}

// syncOptions is triggerSync's opts; keys are Nango's (emptyCache is camelCase).
type syncOptions struct {
	Reset      *bool `json:"reset,omitempty"`
	EmptyCache *bool `json:"emptyCache,omitempty"`
}

// triggerSyncBody is POST /sync/trigger's body, keys in the SDK's order.
// syncs is always present: the SDK sends [] to mean every sync.
type triggerSyncBody struct {
	Syncs             []any        `json:"syncs"`
	ProviderConfigKey string       `json:"provider_config_key"`
	ConnectionID      *string      `json:"connection_id,omitempty"`
	Opts              *syncOptions `json:"opts,omitempty"`
	SyncMode          *string      `json:"sync_mode,omitempty"`
	FullResync        *bool        `json:"full_resync,omitempty"`
}

// syncCommandBody is the body of POST /sync/start and /sync/pause.
type syncCommandBody struct {
	Syncs             []any   `json:"syncs"`
	ProviderConfigKey string  `json:"provider_config_key"`
	ConnectionID      *string `json:"connection_id,omitempty"`
}

// updateFrequencyBody is PUT /sync/update-connection-frequency's strict body.
// frequency is always sent: null reverts to the sync's default.
type updateFrequencyBody struct {
	SyncName          string  `json:"sync_name"`
	SyncVariant       *string `json:"sync_variant,omitempty"`
	ProviderConfigKey string  `json:"provider_config_key"`
	ConnectionID      string  `json:"connection_id"`
	Frequency         *string `json:"frequency"`
}

// syncVariantBody is the body of POST and DELETE /sync/{name}/variant/{variant}.
type syncVariantBody struct {
	ProviderConfigKey string `json:"provider_config_key"`
	ConnectionID      string `json:"connection_id"`
}

// TriggerSync is POST /sync/trigger.
func (s *syncsService) TriggerSync(ctx context.Context, req *gatewayv1.TriggerSyncRequest) (*gatewayv1.TriggerSyncResponse, error) {
	syncs, err := syncEntries(req.GetSyncs())
	if err != nil {
		return nil, err
	}
	if req.Opts != nil && (req.SyncMode != nil || req.FullResync != nil) {
		// Nango answers 400 to the mix; saying so here names the field.
		return nil, invalidArgField("opts", "opts cannot be combined with sync_mode or full_resync")
	}
	body := triggerSyncBody{
		Syncs:             syncs,
		ProviderConfigKey: req.GetProviderConfigKey(),
		ConnectionID:      req.ConnectionId,
		SyncMode:          req.SyncMode,
		FullResync:        req.FullResync,
	}
	if req.Opts != nil {
		body.Opts = &syncOptions{Reset: req.Opts.Reset_, EmptyCache: req.Opts.EmptyCache}
	}
	out := &gatewayv1.TriggerSyncResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   "/sync/trigger",
		JSON:   body,
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// StartSync is POST /sync/start.
func (s *syncsService) StartSync(ctx context.Context, req *gatewayv1.StartSyncRequest) (*gatewayv1.StartSyncResponse, error) {
	out := &gatewayv1.StartSyncResponse{}
	if err := s.syncCommand(ctx, "/sync/start", req.GetSyncs(), req.GetProviderConfigKey(), req.ConnectionId, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PauseSync is POST /sync/pause.
func (s *syncsService) PauseSync(ctx context.Context, req *gatewayv1.PauseSyncRequest) (*gatewayv1.PauseSyncResponse, error) {
	out := &gatewayv1.PauseSyncResponse{}
	if err := s.syncCommand(ctx, "/sync/pause", req.GetSyncs(), req.GetProviderConfigKey(), req.ConnectionId, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *syncsService) syncCommand(ctx context.Context, path string, entries []*structpb.Value, pck string, connID *string, out proto.Message) error {
	syncs, err := syncEntries(entries)
	if err != nil {
		return err
	}
	_, err = doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   path,
		JSON:   syncCommandBody{Syncs: syncs, ProviderConfigKey: pck, ConnectionID: connID},
		// Starting a started sync or pausing a paused one changes nothing: safe to retry.
		Class: nangohttp.ClassIdempotentWrite,
	}, out)
	return err
}

// SyncStatus is GET /sync/status. The query is encoded as axios encodes the
// SDK's params, in the SDK's order.
func (s *syncsService) SyncStatus(ctx context.Context, req *gatewayv1.SyncStatusRequest) (*gatewayv1.SyncStatusResponse, error) {
	q := formQuery{axios: true}
	q.add("syncs", req.GetSyncs())
	q.add("provider_config_key", req.GetProviderConfigKey())
	if req.ConnectionId != nil {
		q.add("connection_id", req.GetConnectionId())
	}
	out := &gatewayv1.SyncStatusResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method:   http.MethodGet,
		Path:     "/sync/status",
		RawQuery: q.encode(),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateSyncConnectionFrequency is PUT /sync/update-connection-frequency.
func (s *syncsService) UpdateSyncConnectionFrequency(ctx context.Context, req *gatewayv1.UpdateSyncConnectionFrequencyRequest) (*gatewayv1.UpdateSyncConnectionFrequencyResponse, error) {
	body := updateFrequencyBody{
		SyncName:          req.GetSyncName(),
		SyncVariant:       req.SyncVariant,
		ProviderConfigKey: req.GetProviderConfigKey(),
		ConnectionID:      req.GetConnectionId(),
	}
	if req.Frequency != nil {
		f := req.Frequency.GetValue()
		body.Frequency = &f
	}
	out := &gatewayv1.UpdateSyncConnectionFrequencyResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPut,
		Path:   "/sync/update-connection-frequency",
		JSON:   body,
		Class:  nangohttp.ClassIdempotentWrite,
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateSyncVariant is POST /sync/{name}/variant/{variant}.
func (s *syncsService) CreateSyncVariant(ctx context.Context, req *gatewayv1.CreateSyncVariantRequest) (*gatewayv1.CreateSyncVariantResponse, error) {
	out := &gatewayv1.CreateSyncVariantResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodPost,
		Path:   nangohttp.PathOf("sync", req.GetName(), "variant", req.GetVariant()),
		JSON:   syncVariantBody{ProviderConfigKey: req.GetProviderConfigKey(), ConnectionID: req.GetConnectionId()},
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteSyncVariant is DELETE /sync/{name}/variant/{variant}, which Nango
// reads a JSON body on.
func (s *syncsService) DeleteSyncVariant(ctx context.Context, req *gatewayv1.DeleteSyncVariantRequest) (*gatewayv1.DeleteSyncVariantResponse, error) {
	out := &gatewayv1.DeleteSyncVariantResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: http.MethodDelete,
		Path:   nangohttp.PathOf("sync", req.GetName(), "variant", req.GetVariant()),
		JSON:   syncVariantBody{ProviderConfigKey: req.GetProviderConfigKey(), ConnectionID: req.GetConnectionId()},
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// maxSyncRefLen is Nango's limit on sync and variant names.
const maxSyncRefLen = 255

// syncEntries checks each `syncs` entry (a Value, because Nango takes a name or
// a {name, variant} object) and returns them ready for JSON. An empty list
// stays [] rather than null: the SDK always sends the key.
func syncEntries(entries []*structpb.Value) ([]any, error) {
	out := make([]any, 0, len(entries))
	for i, v := range entries {
		field := fmt.Sprintf("syncs[%d]", i)
		switch k := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			if k.StringValue == "" || len(k.StringValue) > maxSyncRefLen {
				return nil, invalidArgField(field, "a sync name must be 1 to %d characters", maxSyncRefLen)
			}
			out = append(out, k.StringValue)
		case *structpb.Value_StructValue:
			fields := k.StructValue.GetFields()
			name, nameOK := syncRefString(fields["name"])
			variant, variantOK := syncRefString(fields["variant"])
			if len(fields) != 2 || !nameOK || !variantOK {
				return nil, invalidArgField(field, `must be a sync name or an object {"name", "variant"} of two non-empty strings of at most %d characters, and nothing else`, maxSyncRefLen)
			}
			out = append(out, syncRef{Name: name, Variant: variant})
		default:
			return nil, invalidArgField(field, `must be a sync name (string) or an object {"name", "variant"}`)
		}
	}
	return out, nil
}

func syncRefString(v *structpb.Value) (string, bool) {
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok || s.StringValue == "" || len(s.StringValue) > maxSyncRefLen {
		return "", false
	}
	return s.StringValue, true
}

// invalidArgField is an InvalidArgument naming field, with a
// google.rpc.BadRequest field violation as the validation interceptor gives.
func invalidArgField(field, format string, args ...any) error {
	desc := fmt.Sprintf(format, args...)
	st := status.New(codes.InvalidArgument, field+": "+desc)
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: field, Description: desc},
	}}); err == nil {
		st = d
	}
	return st.Err()
}
