package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/config"
)

// --demo serves the simulator's seed through the gateway with no Nango account, and the
// simulator's signed sync webhooks reach the event stream.
func TestDemoModeServesSeedDataAndLiveWebhookEvents(t *testing.T) {
	demoSyncInterval = 50 * time.Millisecond
	defer func() { demoSyncInterval = 5 * time.Second }()
	cfg, err := config.Load([]string{"--demo", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Shutdown()
	base := "http://" + srv.HTTPAddr()

	resp, err := http.Get(base + "/integrations")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"unique_key":"github"`) {
		t.Fatalf("GET /integrations = %d %s", resp.StatusCode, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/webhooks/events?types=sync&from_oldest=true", nil)
	events, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no webhook event within 10 s: %v", err)
	}
	defer events.Body.Close()
	line, err := bufio.NewReader(events.Body).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var event struct {
		Result struct {
			Event struct {
				Type string `json:"type"`
			} `json:"event"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &event); err != nil || event.Result.Event.Type != "sync" {
		t.Errorf("event line %s, want a sync event", line)
	}
}
