package jsonvalue_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
)

// sameJSON reports whether a and b hold the same JSON value, object key order ignored.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestDecodeThenEncodeGivesNangosAnswerBack(t *testing.T) {
	tests := []struct {
		name string
		msg  func() proto.Message
		body string
	}{
		{"unknown keys at the top and nested", func() proto.Message { return &gatewayv1.ConnectionFull{} },
			`{"id":1,"connection_id":"c","provider_config_key":"k","provider":"p","errors":[{"type":"auth","log_id":"l","new":1}],
			  "end_user":{"id":"u","display_name":null,"email":null,"tags":null,"organization":null,"added":{"a":[1,null]}},
			  "tags":{},"metadata":null,"connection_config":{},"webhook_url_override":null,"created_at":"t","updated_at":"t",
			  "last_fetched_at":null,"credentials":{},"future":{"x":true}}`},
		{"end user tags {} stays apart from null", func() proto.Message { return &gatewayv1.EndUser{} },
			`{"id":"u","display_name":"D","email":"e@x.co","tags":{},"organization":{"id":"o","display_name":null}}`},
		{"a never-run sync has no finishedAt, latestResult or latestExecutionStatus", func() proto.Message { return &gatewayv1.SyncStatus{} },
			`{"id":"s","connection_id":"c","name":"n","variant":"base","status":"PAUSED","type":"INITIAL","nextScheduledSyncAt":null,
			  "frequency":null,"recordCount":{},"checkpoint":null}`},
		{"a sync that ran", func() proto.Message { return &gatewayv1.SyncStatus{} },
			`{"id":"s","connection_id":"c","name":"n","variant":"base","status":"SUCCESS","type":"INCREMENTAL","finishedAt":"t",
			  "nextScheduledSyncAt":"t","frequency":"every hour","latestResult":{"M":{"added":1,"updated":0,"deleted":2}},
			  "latestExecutionStatus":"SUCCESS","recordCount":{"M":3},"checkpoint":{"page":2}}`},
		{"CUSTOM credentials with a null user", func() proto.Message { return &gatewayv1.ConnectionCredentials{} },
			`{"type":"CUSTOM","app":{"type":"APP","access_token":"a","expires_at":"t","raw":{}},"user":null,"raw":{}}`},
		{"JWT credentials keep their open keys", func() proto.Message { return &gatewayv1.ConnectionCredentials{} },
			`{"type":"JWT","token":"t","expires_at":"x","privateKey":{"id":"k","secret":"s"},"issuerId":"i"}`},
		{"a key named extra and a camelCase spelling of a snake_case field are Nango's own keys",
			func() proto.Message { return &gatewayv1.ConnectionError{} },
			`{"type":"auth","log_id":"l","extra":{"x":1},"logId":"other"}`},
		{"a null a map or a list cannot hold", func() proto.Message { return &gatewayv1.Connection{} },
			`{"id":1,"connection_id":"c","provider_config_key":"k","provider":"p","errors":null,"end_user":null,"tags":null,"metadata":{},"created":"t"}`},
		{"a null an optional string cannot hold", func() proto.Message { return &gatewayv1.ConnectionCredentials{} },
			`{"type":"OAUTH2","access_token":"a","refresh_token":null,"raw":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg()
			if err := jsonvalue.Decode([]byte(tt.body), m); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			got, err := jsonvalue.Encode(m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !sameJSON(t, got, []byte(tt.body)) {
				t.Fatalf("round trip lost something\n got: %s\nwant: %s", got, tt.body)
			}
		})
	}
}

func TestDecodeFillsTypedFieldsAndKeepsOnlyUnknownKeysInExtra(t *testing.T) {
	var c gatewayv1.ConnectionCredentials
	err := jsonvalue.Decode([]byte(`{"type":"AWS_SIGV4","role_arn":"r","region":"eu","service":"s3","access_key_id":"a",
		"secret_access_key":"s","session_token":"t","expires_at":"x","external_id":"e","new":1}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetRoleArn() != "r" || c.GetService() != "s3" || c.GetSessionToken() != "t" || c.GetExternalId() != "e" {
		t.Errorf("typed fields not filled: %v", &c)
	}
	if keys := c.GetExtra().GetFields(); len(keys) != 1 || keys["new"] == nil {
		t.Errorf("extra = %v, want only the unknown key", c.GetExtra())
	}
}

func TestDecodeRefusesAnAnswerOfAnotherShapeNamingWhatWasExpected(t *testing.T) {
	tests := []struct {
		name, body, path, want string
	}{
		{"array where the object belongs", `[]`, "$", "an object (nango.gateway.v1.ConnectionFull)"},
		{"array where credentials belong", `{"credentials":[1]}`, "$.credentials", "an object (nango.gateway.v1.ConnectionCredentials)"},
		{"string where a number belongs", `{"id":"seven"}`, "$.id", "an integer"},
		{"object where a list belongs", `{"errors":{}}`, "$.errors", "an array"},
		{"number where a map value string belongs", `{"tags":{"a":1}}`, "$.tags.a", "a string"},
		{"array where a Struct belongs", `{"metadata":[]}`, "$.metadata", "an object"},
		{"not JSON", `{`, "$", "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jsonvalue.Decode([]byte(tt.body), &gatewayv1.ConnectionFull{})
			var se *jsonvalue.ShapeError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a ShapeError", err)
			}
			if se.Path != tt.path || se.Want != tt.want {
				t.Errorf("error at %s wanting %s, want at %s wanting %s", se.Path, se.Want, tt.path, tt.want)
			}
		})
	}
}

func TestShapeErrorsNeverHoldTheValue(t *testing.T) {
	err := jsonvalue.Decode([]byte(`{"credentials":{"access_token":12345678}}`), &gatewayv1.ConnectionFull{})
	if err == nil || strings.Contains(err.Error(), "12345678") {
		t.Fatalf("error = %v, want one without the value", err)
	}
}

func TestKeyIsTheProtoNameAsNangoSpellsIt(t *testing.T) {
	fields := (&gatewayv1.SyncStatus{}).ProtoReflect().Descriptor().Fields()
	for name, want := range map[string]string{"connection_id": "connection_id", "finishedAt": "finishedAt"} {
		if got := jsonvalue.Key(fields.ByName(protoName(name))); got != want {
			t.Errorf("Key(%s) = %q, want %q", name, got, want)
		}
	}
}

func protoName(s string) protoreflect.Name { return protoreflect.Name(s) }
