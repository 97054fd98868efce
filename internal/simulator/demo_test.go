package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRunDemoSyncsPostsSignedSyncWebhooks(t *testing.T) {
	got := make(chan []byte, 10)
	signatures := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		signatures <- r.Header.Get("X-Nango-Hmac-Sha256")
	}))
	defer receiver.Close()
	sim := New(Options{Seed: true, WebhookURL: receiver.URL})
	sim.RunDemoSyncs(10 * time.Millisecond)
	var body []byte
	select {
	case body = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook within 5 s")
	}
	sim.Close()
	if sig := <-signatures; sig != SignWebhook(DefaultWebhookSigningKey, body) {
		t.Errorf("signature %q does not sign the body", sig)
	}
	var hook struct {
		Type              string `json:"type"`
		ProviderConfigKey string `json:"providerConfigKey"`
		ConnectionID      string `json:"connectionId"`
		Model             string `json:"model"`
		ResponseResults   struct {
			Added int `json:"added"`
		} `json:"responseResults"`
	}
	if err := json.Unmarshal(body, &hook); err != nil || hook.Type != "sync" || hook.ResponseResults.Added == 0 {
		t.Fatalf("webhook %s is not a sync webhook reporting added records", body)
	}
	if n := sim.RecordCount(hook.ProviderConfigKey, hook.ConnectionID, hook.Model); n == 0 {
		t.Errorf("no %s records on %s after the demo sync", hook.Model, hook.ConnectionID)
	}
}
