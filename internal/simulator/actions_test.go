package simulator

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func action(t *testing.T, s *Simulator, key, conn string, body any, extra map[string]string) resp {
	t.Helper()
	h := map[string]string{"Connection-Id": conn, "Provider-Config-Key": key}
	for k, v := range extra {
		h[k] = v
	}
	return send(t, s, req{method: "POST", target: "/action/trigger", body: body, header: h})
}

func TestTriggerActionReturnsTheOutput(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		key, name string
		input     any
		want      string
	}{
		{"github", "echo", map[string]any{"message": "hi", "data": map[string]any{"n": 1}}, `{"data":{"n":1},"message":"hi"}`},
		{"github", "echo", nil, `null`},
		{"slack", "uppercase", map[string]any{"text": "héllo"}, `{"text":"HÉLLO","length":5}`},
		{"slack", "send-message", map[string]any{"channel": "C1", "text": "yo"}, `"channel":"C1"`},
		{"github", "create-issue", map[string]any{"title": "Bug", "labels": []string{"p1"}}, `"title":"Bug","body":"","state":"open"`},
		{"hubspot", "create-contact", map[string]any{"email": "a@b.c"}, `"email":"a@b.c"`},
		{"github", "github-repos", map[string]any{}, `"full_name":"acme/app"`},
		{"github", "sleep", map[string]any{"ms": 1}, `{"slept_ms":1}`},
	}
	for _, tt := range tests {
		body := map[string]any{"action_name": tt.name}
		if tt.input != nil {
			body["input"] = tt.input
		}
		conn := map[string]string{"github": SeedConnectionGitHub, "slack": SeedConnectionSlack, "hubspot": SeedConnectionHubSpot}[tt.key]
		r := action(t, s, tt.key, conn, body, nil)
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s: output %s does not contain %s", tt.name, r.body, tt.want)
		}
	}
}

func TestTriggerActionErrors(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		key    string
		conn   string
		body   any
		extra  map[string]string
		status int
		code   string
	}{
		{"unknown connection", "github", "nope", map[string]any{"action_name": "echo"}, nil, 400, "unknown_connection"},
		{"unknown action", "github", SeedConnectionGitHub, map[string]any{"action_name": "nope"}, nil, 404, "not_found"},
		{"a sync is not an action", "github", SeedConnectionGitHub, map[string]any{"action_name": "github-issues"}, nil, 404, "not_found"},
		{"disabled action", "github", SeedConnectionGitHub, map[string]any{"action_name": SeedActionDisabled}, nil, 404, "disabled_resource"},
		{"script failure", "github", SeedConnectionGitHub, map[string]any{"action_name": "create-issue", "input": map[string]any{}}, nil, 500, "action_script_failure"},
		{"provider http error", "github", SeedConnectionGitHub, map[string]any{"action_name": "fail", "input": map[string]any{"status": 424}}, nil, 424, "script_http_error"},
		{"missing action name", "github", SeedConnectionGitHub, map[string]any{"input": 1}, nil, 400, "invalid_body"},
		{"bad action name", "github", SeedConnectionGitHub, map[string]any{"action_name": "a.b"}, nil, 400, "invalid_body"},
		{"missing headers", "", "", map[string]any{"action_name": "echo"}, map[string]string{"Connection-Id": "\x00", "Provider-Config-Key": "\x00"}, 400, "invalid_headers"},
		{"bad X-Async", "github", SeedConnectionGitHub, map[string]any{"action_name": "echo"}, map[string]string{"X-Async": "maybe"}, 400, "invalid_headers"},
		{"bad X-Max-Retries", "github", SeedConnectionGitHub, map[string]any{"action_name": "echo"}, map[string]string{"X-Max-Retries": "6"}, 400, "invalid_headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectError(t, action(t, s, tt.key, tt.conn, tt.body, tt.extra), tt.status, tt.code)
		})
	}
	r := action(t, s, "github", SeedConnectionGitHub, map[string]any{"action_name": "fail", "input": map[string]any{"status": 424}}, nil)
	up := r.json(t)["error"].(map[string]any)["upstream"].(map[string]any)
	if up["status"] != 502.0 {
		t.Fatalf("upstream = %v", up)
	}
}

func TestSleepActionStopsWithTheRequest(t *testing.T) {
	s := newSeeded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	r := httptest.NewRequest("POST", "/action/trigger", strings.NewReader(`{"action_name":"sleep","input":{"ms":60000}}`)).WithContext(ctx)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	r.Header.Set("Connection-Id", SeedConnectionGitHub)
	r.Header.Set("Provider-Config-Key", "github")
	start := time.Now()
	s.ServeHTTP(httptest.NewRecorder(), r)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("sleep ignored the cancelled request: %v", d)
	}
}

func TestAsyncActionIsPendingThenDone(t *testing.T) {
	s := New(Options{Seed: true, AsyncActionDelay: 80 * time.Millisecond})
	r := action(t, s, "slack", SeedConnectionSlack, map[string]any{"action_name": "uppercase", "input": map[string]any{"text": "abc"}}, map[string]string{"X-Async": "true", "X-Max-Retries": "2"})
	expectStatus(t, r, 202)
	m := r.json(t)
	id := m["id"].(string)
	if !reUUID.MatchString(id) || m["statusUrl"] != "/action/"+id || r.header.Get("Location") != "/action/"+id {
		t.Fatalf("202 = %v, Location %q", m, r.header.Get("Location"))
	}
	expectError(t, get(t, s, "/action/"+id), 404, "not_found")
	deadline := time.Now().Add(5 * time.Second)
	for {
		r = get(t, s, m["statusUrl"].(string))
		if r.status == 200 {
			break
		}
		expectError(t, r, 404, "not_found")
		if time.Now().After(deadline) {
			t.Fatal("the async action never finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if string(r.body) != `{"text":"ABC","length":3}` {
		t.Fatalf("result = %s", r.body)
	}

	f := action(t, s, "github", SeedConnectionGitHub, map[string]any{"action_name": "fail"}, map[string]string{"X-Async": "true"})
	expectStatus(t, f, 202)
	time.Sleep(100 * time.Millisecond)
	expectError(t, get(t, s, "/action/"+f.json(t)["id"].(string)), 500, "action_script_failure")
}

func TestAsyncActionResultIDs(t *testing.T) {
	s := New(Options{Seed: true, AsyncActionDelay: -1})
	expectError(t, get(t, s, "/action/not-a-uuid"), 400, "invalid_uri_params")
	expectError(t, get(t, s, "/action/6f1c0d2e-6a1b-4f3c-9d8e-7b6a5c4d3e2f"), 404, "not_found")
	r := action(t, s, "github", SeedConnectionGitHub, map[string]any{"action_name": "echo", "input": []int{1, 2}}, map[string]string{"X-Async": "true"})
	id := r.json(t)["id"].(string)
	res := get(t, s, "/action/"+strings.ToUpper(id))
	expectStatus(t, res, 200)
	if string(res.body) != "[1,2]" {
		t.Fatalf("result = %s", res.body)
	}
}

// Nango's action body is not strict, and X-Async is a zod stringbool.
func TestTriggerActionAcceptsWhatNangosSchemasAccept(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		body   any
		extra  map[string]string
		status int
	}{
		{"extra body keys are ignored", map[string]any{"action_name": "echo", "async": true}, nil, 200},
		{"X-Async yes runs async", map[string]any{"action_name": "echo"}, map[string]string{"X-Async": "yes"}, 202},
		{"X-Async 1 runs async", map[string]any{"action_name": "echo"}, map[string]string{"X-Async": "1"}, 202},
		{"X-Async off runs now", map[string]any{"action_name": "echo"}, map[string]string{"X-Async": "off"}, 200},
		{"X-Max-Retries 5 is the most", map[string]any{"action_name": "echo"}, map[string]string{"X-Async": "true", "X-Max-Retries": "5"}, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectStatus(t, action(t, s, "github", SeedConnectionGitHub, tt.body, tt.extra), tt.status)
		})
	}
	// Headers are checked before the query.
	r := send(t, s, req{method: "POST", target: "/action/trigger?x=1", body: map[string]any{"action_name": "echo"}})
	expectError(t, r, 400, "invalid_headers")
}
