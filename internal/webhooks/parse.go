package webhooks

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
)

// The webhook types Nango sends today; others may appear without notice.
const (
	TypeAuth        = "auth"
	TypeSync        = "sync"
	TypeAsyncAction = "async_action"
	TypeForward     = "forward"
)

// ErrNotJSON reports a body that is not a JSON value.
var ErrNotJSON = errors.New("webhooks: body is not JSON")

// Parse turns a webhook body into an event. Raw holds the body when it is a JSON object.
// The known types (auth, sync, async_action, forward) also fill their typed payload from
// Nango's camelCase keys; a value of an unexpected JSON type is left empty rather than
// failing, since the raw JSON keeps it. A body with no "type" is a provider webhook Nango
// could not attribute to a connection and forwarded as is: it becomes a forward whose
// payload is the whole body, with Type "". Any other type keeps only Type, From and Raw.
func Parse(raw []byte) (*gatewayv1.WebhookEvent, error) {
	// A body nested past this bound decodes here but cannot be encoded for a subscriber
	// (protobuf's nesting limit): refused before anything is stored, it poisons no stream.
	if err := jsonvalue.CheckDocument(raw); errors.Is(err, jsonvalue.ErrTooDeep) {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	var v structpb.Value
	if err := protojson.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	obj := v.GetStructValue()
	if obj == nil {
		return &gatewayv1.WebhookEvent{Payload: &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{Payload: &v}}}, nil
	}
	f := fields(obj.GetFields())
	ev := &gatewayv1.WebhookEvent{Type: f.str("type"), From: f.str("from"), Raw: obj}
	if _, ok := f["type"]; !ok {
		ev.Payload = &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{Payload: &v}}
		return ev, nil
	}
	switch ev.Type {
	case TypeAuth:
		ev.Payload = &gatewayv1.WebhookEvent_Auth{Auth: f.auth()}
	case TypeSync:
		ev.Payload = &gatewayv1.WebhookEvent_Sync{Sync: f.sync()}
	case TypeAsyncAction:
		payload := f.obj("payload")
		ev.Payload = &gatewayv1.WebhookEvent_AsyncAction{AsyncAction: &gatewayv1.AsyncActionWebhook{
			ConnectionId:      f.str("connectionId"),
			ProviderConfigKey: f.str("providerConfigKey"),
			Id:                payload.str("id"),
			StatusUrl:         payload.str("statusUrl"),
		}}
	case TypeForward:
		ev.Payload = &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{
			ConnectionId:      f.str("connectionId"),
			ProviderConfigKey: f.str("providerConfigKey"),
			Payload:           f["payload"],
		}}
	}
	return ev, nil
}

func (f fields) auth() *gatewayv1.AuthWebhook {
	a := &gatewayv1.AuthWebhook{
		ConnectionId:      f.str("connectionId"),
		ProviderConfigKey: f.str("providerConfigKey"),
		AuthMode:          f.str("authMode"),
		Provider:          f.str("provider"),
		Environment:       f.str("environment"),
		Operation:         f.str("operation"),
		Success:           f.bool("success"),
		Tags:              f.tags("tags"),
		Error:             f.webhookError("error"),
	}
	if _, ok := f["endUser"]; ok {
		u := f.obj("endUser")
		a.EndUser = &gatewayv1.WebhookEndUser{
			EndUserId:      u.str("endUserId"),
			EndUserEmail:   u.str("endUserEmail"),
			OrganizationId: u.str("organizationId"),
			Tags:           u.tags("tags"),
		}
	}
	return a
}

func (f fields) sync() *gatewayv1.SyncWebhook {
	s := &gatewayv1.SyncWebhook{
		ConnectionId:      f.str("connectionId"),
		ProviderConfigKey: f.str("providerConfigKey"),
		SyncName:          f.str("syncName"),
		SyncVariant:       f.str("syncVariant"),
		Model:             f.str("model"),
		SyncType:          f.str("syncType"),
		Success:           f.bool("success"),
		ModifiedAfter:     f.str("modifiedAfter"),
		Error:             f.webhookError("error"),
		StartedAt:         f.str("startedAt"),
		FailedAt:          f.str("failedAt"),
	}
	if _, ok := f["responseResults"]; ok {
		r := f.obj("responseResults")
		s.ResponseResults = &gatewayv1.SyncWebhookResults{Added: r.int32("added"), Updated: r.int32("updated"), Deleted: r.int32("deleted")}
	}
	if c := f["checkpoints"].GetStructValue(); c != nil {
		s.Checkpoints = c
	}
	return s
}

// fields reads a JSON object leniently: a missing key or a value of another JSON type
// reads as the zero value.
type fields map[string]*structpb.Value

func (f fields) obj(key string) fields { return fields(f[key].GetStructValue().GetFields()) }

func (f fields) str(key string) string { return jsonvalue.ScalarString(f[key]) }

func (f fields) bool(key string) bool { return f[key].GetBoolValue() }

func (f fields) int32(key string) int32 {
	n, ok := f[key].GetKind().(*structpb.Value_NumberValue)
	if !ok || math.IsNaN(n.NumberValue) {
		return 0
	}
	return int32(max(math.MinInt32, min(math.MaxInt32, n.NumberValue)))
}

// tags reads a flat map; numbers and booleans are written as JSON writes them, nulls
// and nested values are left out.
func (f fields) tags(key string) map[string]string {
	obj := f[key].GetStructValue()
	if obj == nil {
		return nil
	}
	out := make(map[string]string, len(obj.GetFields()))
	for k, v := range obj.GetFields() {
		switch v.GetKind().(type) {
		case *structpb.Value_StringValue, *structpb.Value_NumberValue, *structpb.Value_BoolValue:
			out[k] = jsonvalue.ScalarString(v)
		}
	}
	return out
}

func (f fields) webhookError(key string) *gatewayv1.WebhookError {
	e, ok := f[key]
	if !ok || e.GetStructValue() == nil {
		return nil
	}
	ef := fields(e.GetStructValue().GetFields())
	return &gatewayv1.WebhookError{Type: ef.str("type"), Description: ef.str("description"), Payload: ef["payload"]}
}
