package simulator

import (
	"regexp"
	"testing"
	"time"
)

var reSessionToken = regexp.MustCompile(`^nango_connect_session_[a-f0-9]{64}$`)

func TestCreateConnectSession(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "POST", target: "/connect/sessions", body: map[string]any{
		"end_user":                     map[string]any{"id": "u-1", "email": "u1@x.test", "display_name": "U1"},
		"organization":                 map[string]any{"id": "o-1"},
		"allowed_integrations":         []string{"github", "slack"},
		"integrations_config_defaults": map[string]any{"slack": map[string]any{"user_scopes": "chat:write"}},
		"webhook_url_override":         "https://hooks.example.com/x",
	}})
	expectStatus(t, r, 201)
	d := r.json(t)["data"].(map[string]any)
	token := d["token"].(string)
	if !reSessionToken.MatchString(token) || d["connect_link"] != "https://connect.nango.dev?session_token="+token {
		t.Fatalf("session = %v", d)
	}
	exp, err := time.Parse(time.RFC3339, d["expires_at"].(string))
	if err != nil || exp.Sub(fixedNow) != 30*time.Minute {
		t.Fatalf("expires_at = %v (%v)", d["expires_at"], err)
	}
	expectStatus(t, send(t, s, req{method: "POST", target: "/connect/sessions", body: map[string]any{"tags": map[string]string{"end_user_id": "u-2"}}}), 201)

	tests := []struct {
		name string
		body any
	}{
		{"neither end_user nor tags", map[string]any{"allowed_integrations": []string{"github"}}},
		{"unknown integration", map[string]any{"end_user": map[string]any{"id": "u"}, "allowed_integrations": []string{"github", "nope"}}},
		{"unknown config default", map[string]any{"end_user": map[string]any{"id": "u"}, "integrations_config_defaults": map[string]any{"nope": map[string]any{}}}},
		{"strict end_user", map[string]any{"end_user": map[string]any{"id": "u", "phone": "1"}}},
		{"bad email", map[string]any{"end_user": map[string]any{"id": "u", "email": "nope"}}},
		{"unknown key", map[string]any{"end_user": map[string]any{"id": "u"}, "connection_id": "x"}},
		{"webhook on nango.dev", map[string]any{"end_user": map[string]any{"id": "u"}, "webhook_url_override": "https://api.nango.dev/x"}},
		{"too many tags", map[string]any{"tags": map[string]string{"a": "1", "b": "1", "c": "1", "d": "1", "e": "1", "f": "1", "g": "1", "h": "1", "i": "1", "j": "1", "k": "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectError(t, send(t, s, req{method: "POST", target: "/connect/sessions", body: tt.body}), 400, "invalid_body")
		})
	}
	expectError(t, send(t, s, req{method: "POST", target: "/connect/sessions?x=1", body: map[string]any{"end_user": map[string]any{"id": "u"}}}), 400, "invalid_query_params")
}

func TestCreateReconnectSession(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "POST", target: "/connect/sessions/reconnect", body: map[string]any{"connection_id": SeedConnectionGitHub, "integration_id": "github"}})
	expectStatus(t, r, 201)
	if tok := r.json(t)["data"].(map[string]any)["token"].(string); !reSessionToken.MatchString(tok) {
		t.Fatalf("token = %s", tok)
	}
	expectError(t, send(t, s, req{method: "POST", target: "/connect/sessions/reconnect", body: map[string]any{"connection_id": "nope", "integration_id": "github"}}), 400, "invalid_body")
	expectError(t, send(t, s, req{method: "POST", target: "/connect/sessions/reconnect", body: map[string]any{"connection_id": SeedConnectionGitHub}}), 400, "invalid_body")
	expectError(t, send(t, s, req{method: "POST", target: "/connect/sessions/reconnect", body: map[string]any{"connection_id": SeedConnectionGitHub, "integration_id": "github", "allowed_integrations": []string{}}}), 400, "invalid_body")
}

func TestReconnectSessionForAnUnknownConnectionIsAMessageNotAnErrorList(t *testing.T) {
	s := newSeeded(t)
	for _, body := range []map[string]any{
		{"connection_id": "nope", "integration_id": "github"},
		{"connection_id": SeedConnectionGitHub, "integration_id": "slack"},
	} {
		r := send(t, s, req{method: "POST", target: "/connect/sessions/reconnect", body: body})
		if r.status != 400 || string(r.body) != `{"error":{"code":"invalid_body","message":"ConnectionID or IntegrationId does not exists"}}` {
			t.Fatalf("%v: %d %s", body, r.status, r.body)
		}
	}
}
