package simulator

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

type hookSink struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	legacy []string
	fail   int // answer 503 to this many deliveries first
	got    chan struct{}
}

func newHookSink() (*hookSink, *httptest.Server) {
	h := &hookSink{got: make(chan struct{}, 100)}
	return h, httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		if h.fail > 0 {
			h.fail--
			h.mu.Unlock()
			w.WriteHeader(503)
			return
		}
		h.bodies = append(h.bodies, b)
		h.sigs = append(h.sigs, r.Header.Get("X-Nango-Hmac-Sha256"))
		h.legacy = append(h.legacy, r.Header.Get("X-Nango-Signature"))
		h.mu.Unlock()
		h.got <- struct{}{}
	}))
}

func (h *hookSink) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-h.got:
		case <-time.After(5 * time.Second):
			t.Fatalf("webhook %d never arrived", i+1)
		}
	}
}

func TestWebhookBodyIsSortedAndSigned(t *testing.T) {
	body, err := WebhookBody(obj{{"type", "sync"}, {"b", obj{{"z", 1}, {"a", 2.5}}}, {"a", "<x>"}})
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"a":"<x>","b":{"a":2.5,"z":1},"type":"sync"}` {
		t.Fatalf("body = %s", body)
	}
	m := hmac.New(sha256.New, []byte("k"))
	m.Write(body)
	if SignWebhook("k", body) != hex.EncodeToString(m.Sum(nil)) {
		t.Fatal("SignWebhook is not hex HMAC-SHA256")
	}
	sum := sha256.Sum256(append([]byte("k"), body...))
	if LegacyWebhookSignature("k", body) != hex.EncodeToString(sum[:]) {
		t.Fatal("LegacyWebhookSignature is not hex SHA-256 of key+body")
	}
}

func TestSyncAndAsyncActionWebhooksAreDelivered(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	s := New(Options{Seed: true, WebhookURL: srv.URL, AsyncActionDelay: 10 * time.Millisecond})
	defer s.Close()

	expectStatus(t, send(t, s, req{method: "POST", target: "/sync/trigger", body: map[string]any{"syncs": []string{"github-issues"}, "provider_config_key": "github", "connection_id": SeedConnectionGitHub}}), 200)
	r := send(t, s, req{method: "POST", target: "/action/trigger", body: map[string]any{"action_name": "echo", "input": map[string]any{}},
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github", "X-Async": "true"}})
	expectStatus(t, r, 202)
	sink.wait(t, 2)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	types := map[string]map[string]any{}
	for i, b := range sink.bodies {
		if sink.sigs[i] != SignWebhook(DefaultWebhookSigningKey, b) || sink.legacy[i] != LegacyWebhookSignature(DefaultWebhookSigningKey, b) {
			t.Fatalf("bad signature on %s", b)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		types[m["type"].(string)] = m
	}
	sync := types["sync"]
	if sync["syncName"] != "github-issues" || sync["model"] != "GithubIssue" || sync["success"] != true ||
		sync["responseResults"].(map[string]any)["added"] != 2.0 {
		t.Fatalf("sync webhook = %v", sync)
	}
	aa := types["async_action"]
	if aa["payload"].(map[string]any)["id"] != r.json(t)["id"] || aa["connectionId"] != SeedConnectionGitHub {
		t.Fatalf("async_action webhook = %v", aa)
	}
}

// An async sleep stays pending while it sleeps; its webhook comes once the result is there.
func TestAsyncSleepIsPendingUntilItsWebhookAndDoneAfter(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	s := New(Options{Seed: true, WebhookURL: srv.URL, AsyncActionDelay: -1})
	defer s.Close()
	start := time.Now()
	r := send(t, s, req{method: "POST", target: "/action/trigger", body: map[string]any{"action_name": "sleep", "input": map[string]any{"ms": 300}},
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github", "X-Async": "true"}})
	expectStatus(t, r, 202)
	id := r.json(t)["id"].(string)
	expectError(t, get(t, s, "/action/"+id), 404, "not_found")
	sink.wait(t, 1)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("webhook after %s, before the sleep ended", d)
	}
	res := get(t, s, "/action/"+id)
	expectStatus(t, res, 200)
	if string(res.body) != `{"slept_ms":300}` {
		t.Fatalf("result = %s", res.body)
	}
}

// With on_async_action_completion off, Nango sends no async_action webhook; other
// webhooks still go out.
func TestAsyncActionWebhooksCanBeSwitchedOff(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	s := New(Options{Seed: true, WebhookURL: srv.URL, AsyncActionDelay: -1, AsyncActionWebhooksOff: true})
	defer s.Close()
	r := send(t, s, req{method: "POST", target: "/action/trigger", body: map[string]any{"action_name": "echo", "input": map[string]any{}},
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github", "X-Async": "true"}})
	expectStatus(t, r, 202)
	expectStatus(t, send(t, s, req{method: "POST", target: "/sync/trigger", body: map[string]any{"syncs": []string{"github-issues"}, "provider_config_key": "github", "connection_id": SeedConnectionGitHub}}), 200)
	sink.wait(t, 1)
	s.Close() // every delivery has been made
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.bodies) != 1 || !strings.Contains(string(sink.bodies[0]), `"type":"sync"`) {
		t.Fatalf("webhooks sent: %q, want only the sync one", sink.bodies)
	}
}

func TestSendWebhookRetriesServerErrors(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	sink.fail = 2
	s := New(Options{WebhookURL: srv.URL, WebhookSigningKey: "custom"})
	defer s.Close()
	if err := s.SendWebhook(context.Background(), map[string]any{"type": "auth", "from": "nango"}); err != nil {
		t.Fatal(err)
	}
	sink.wait(t, 1)
	if sink.sigs[0] != SignWebhook("custom", sink.bodies[0]) {
		t.Fatal("custom signing key not used")
	}
	sink.fail = 3
	if err := s.SendWebhook(context.Background(), map[string]any{"type": "auth"}); err == nil {
		t.Fatal("three failed attempts must fail")
	}
	if err := New(Options{}).SendWebhook(context.Background(), obj{}); err == nil {
		t.Fatal("no WebhookURL must fail")
	}
}

func TestCloseStopsPendingWebhooks(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	s := New(Options{Seed: true, WebhookURL: srv.URL, AsyncActionDelay: time.Hour})
	r := send(t, s, req{method: "POST", target: "/action/trigger", body: map[string]any{"action_name": "echo"},
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github", "X-Async": "true"}})
	expectStatus(t, r, 202)
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an hour-long delay")
	}
	if len(sink.bodies) != 0 {
		t.Fatal("a cancelled webhook was delivered")
	}
	// The simulator still answers after Close, without delivering webhooks.
	expectStatus(t, send(t, s, req{method: "POST", target: "/sync/trigger", body: map[string]any{"syncs": []string{}, "provider_config_key": "slack"}}), 200)
}

func TestImportedConnectionSendsAnAuthWebhook(t *testing.T) {
	sink, srv := newHookSink()
	defer srv.Close()
	s := New(Options{Seed: true, WebhookURL: srv.URL})
	defer s.Close()
	r := send(t, s, req{method: "POST", target: "/connections", body: map[string]any{
		"provider_config_key": "sendgrid", "connection_id": "new-1",
		"credentials": map[string]any{"type": "API_KEY", "apiKey": "k"}, "end_user": map[string]any{"id": "u-1", "email": "u@x.test"},
	}})
	expectStatus(t, r, 201)
	sink.wait(t, 1)
	var m map[string]any
	if err := json.Unmarshal(sink.bodies[0], &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != "auth" || m["operation"] != "creation" || m["authMode"] != "API_KEY" || m["endUser"].(map[string]any)["endUserId"] != "u-1" {
		t.Fatalf("auth webhook = %v", m)
	}
}
