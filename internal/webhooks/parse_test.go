package webhooks_test

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

func mustStruct(t *testing.T, js string) *structpb.Struct {
	t.Helper()
	s := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(js), s); err != nil {
		t.Fatalf("struct %s: %v", js, err)
	}
	return s
}

func mustValue(t *testing.T, js string) *structpb.Value {
	t.Helper()
	v := &structpb.Value{}
	if err := protojson.Unmarshal([]byte(js), v); err != nil {
		t.Fatalf("value %s: %v", js, err)
	}
	return v
}

func TestParse(t *testing.T) {
	// Bodies as Nango sends them: keys sorted, compact.
	const (
		authSuccess = `{"authMode":"OAUTH2","connectionId":"conn-1","endUser":{"endUserEmail":"a@b.c","endUserId":"u-1","organizationId":"org-1","tags":{"plan":"pro"}},"environment":"prod","from":"nango","operation":"creation","provider":"github","providerConfigKey":"github","success":true,"tags":{"end_user_id":"u-1","seats":3},"type":"auth"}`
		authError   = `{"authMode":"OAUTH2","connectionId":"conn-1","environment":"prod","error":{"description":"refresh failed","payload":{"status":401},"type":"refresh_token_external_error"},"from":"nango","operation":"refresh","provider":"github","providerConfigKey":"github","success":false,"type":"auth"}`
		syncSuccess = `{"checkpoints":{"from":{"page":1},"to":{"page":2}},"connectionId":"conn-1","from":"nango","model":"GithubIssue","modifiedAfter":"2026-05-01T10:00:00.000Z","providerConfigKey":"github","queryTimeStamp":"2026-05-01T10:00:00.000Z","responseResults":{"added":10,"deleted":1,"updated":2},"success":true,"syncName":"issues","syncType":"INCREMENTAL","syncVariant":"base","type":"sync"}`
		syncError   = `{"connectionId":"conn-1","error":{"additional_properties":{"x":1},"description":"boom","type":"script_error"},"failedAt":"2026-05-01T10:01:00.000Z","from":"nango","model":"GithubIssue","providerConfigKey":"github","startedAt":"2026-05-01T10:00:00.000Z","success":false,"syncName":"issues","syncType":"INCREMENTAL","syncVariant":"base","type":"sync"}`
		asyncAction = `{"connectionId":"conn-1","from":"nango","payload":{"id":"act-1","statusUrl":"/action/act-1"},"providerConfigKey":"github","type":"async_action"}`
		forward     = `{"connectionId":"conn-1","from":"hubspot","payload":[{"eventId":1}],"providerConfigKey":"hubspot","type":"forward"}`
		unattrib    = `{"event":"ping","zen":"Keep it logically awesome."}`
		unknown     = `{"connectionId":"conn-1","from":"nango","providerConfigKey":"github","type":"new_kind"}`
		lenient     = `{"connectionId":42,"from":"nango","providerConfigKey":"github","responseResults":{"added":"many","updated":1e12},"success":"yes","tags":null,"type":"sync"}`
	)
	tests := []struct {
		name string
		body string
		want func(t *testing.T) *gatewayv1.WebhookEvent
	}{
		{"auth success with end user and tags", authSuccess, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "auth", From: "nango", Raw: mustStruct(t, authSuccess), Payload: &gatewayv1.WebhookEvent_Auth{Auth: &gatewayv1.AuthWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "github", AuthMode: "OAUTH2", Provider: "github", Environment: "prod",
				Operation: "creation", Success: true, Tags: map[string]string{"end_user_id": "u-1", "seats": "3"},
				EndUser: &gatewayv1.WebhookEndUser{EndUserId: "u-1", EndUserEmail: "a@b.c", OrganizationId: "org-1", Tags: map[string]string{"plan": "pro"}},
			}}}
		}},
		{"auth error", authError, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "auth", From: "nango", Raw: mustStruct(t, authError), Payload: &gatewayv1.WebhookEvent_Auth{Auth: &gatewayv1.AuthWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "github", AuthMode: "OAUTH2", Provider: "github", Environment: "prod", Operation: "refresh",
				Error: &gatewayv1.WebhookError{Type: "refresh_token_external_error", Description: "refresh failed", Payload: mustValue(t, `{"status":401}`)},
			}}}
		}},
		{"sync success", syncSuccess, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "sync", From: "nango", Raw: mustStruct(t, syncSuccess), Payload: &gatewayv1.WebhookEvent_Sync{Sync: &gatewayv1.SyncWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "github", SyncName: "issues", SyncVariant: "base", Model: "GithubIssue",
				SyncType: "INCREMENTAL", Success: true, ModifiedAfter: "2026-05-01T10:00:00.000Z",
				ResponseResults: &gatewayv1.SyncWebhookResults{Added: 10, Updated: 2, Deleted: 1},
				Checkpoints:     mustStruct(t, `{"from":{"page":1},"to":{"page":2}}`),
			}}}
		}},
		{"sync error", syncError, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "sync", From: "nango", Raw: mustStruct(t, syncError), Payload: &gatewayv1.WebhookEvent_Sync{Sync: &gatewayv1.SyncWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "github", SyncName: "issues", SyncVariant: "base", Model: "GithubIssue", SyncType: "INCREMENTAL",
				Error:     &gatewayv1.WebhookError{Type: "script_error", Description: "boom"},
				StartedAt: "2026-05-01T10:00:00.000Z", FailedAt: "2026-05-01T10:01:00.000Z",
			}}}
		}},
		{"async action", asyncAction, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "async_action", From: "nango", Raw: mustStruct(t, asyncAction), Payload: &gatewayv1.WebhookEvent_AsyncAction{AsyncAction: &gatewayv1.AsyncActionWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "github", Id: "act-1", StatusUrl: "/action/act-1",
			}}}
		}},
		{"forward keeps the provider's payload", forward, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "forward", From: "hubspot", Raw: mustStruct(t, forward), Payload: &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{
				ConnectionId: "conn-1", ProviderConfigKey: "hubspot", Payload: mustValue(t, `[{"eventId":1}]`),
			}}}
		}},
		{"a body without type is an unattributed forward", unattrib, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Raw: mustStruct(t, unattrib), Payload: &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{Payload: mustValue(t, unattrib)}}}
		}},
		{"a body that is not an object is an unattributed forward without raw", `[1,"two"]`, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Payload: &gatewayv1.WebhookEvent_Forward{Forward: &gatewayv1.ForwardWebhook{Payload: mustValue(t, `[1,"two"]`)}}}
		}},
		{"an unknown type keeps only type, from and raw", unknown, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "new_kind", From: "nango", Raw: mustStruct(t, unknown)}
		}},
		{"values of unexpected JSON types do not fail the event", lenient, func(t *testing.T) *gatewayv1.WebhookEvent {
			return &gatewayv1.WebhookEvent{Type: "sync", From: "nango", Raw: mustStruct(t, lenient), Payload: &gatewayv1.WebhookEvent_Sync{Sync: &gatewayv1.SyncWebhook{
				ConnectionId: "42", ProviderConfigKey: "github",
				ResponseResults: &gatewayv1.SyncWebhookResults{Updated: 2147483647},
			}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhooks.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want := tt.want(t); !proto.Equal(got, want) {
				t.Fatalf("Parse =\n%s\nwant\n%s", protojson.Format(got), protojson.Format(want))
			}
		})
	}
}

func TestParseRejectsWhatIsNotJSON(t *testing.T) {
	for _, body := range []string{``, `not json`, `{"type":"auth"`, `{"a":1} trailing`} {
		if _, err := webhooks.Parse([]byte(body)); !errors.Is(err, webhooks.ErrNotJSON) {
			t.Errorf("Parse(%q) error = %v, want ErrNotJSON", body, err)
		}
	}
}
