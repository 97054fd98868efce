package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// postTriggerAndWait calls POST /v1/action/trigger-and-wait; timeout, when set, is
// grpc-gateway's Grpc-Timeout header (the HTTP caller's deadline).
func postTriggerAndWait(t *testing.T, srv *Server, body, timeout string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+srv.HTTPAddr()+"/v1/action/trigger-and-wait", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if timeout != "" {
		req.Header.Set("Grpc-Timeout", timeout)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

const v1WaitBody = `{"provider_config_key":"` + simulator.SeedIntegrationGitHub + `","connection_id":"` + simulator.SeedConnectionGitHub +
	`","action_name":"create-issue","input":{"title":"Over HTTP"},"poll_interval":"0.1s"}`

func TestV1TriggerActionAndWaitAnswersTheOutputAndTheIDHeader(t *testing.T) {
	srv, _ := startGateway(t, simulator.New(simulator.Options{APIKey: testKey, Seed: true, AsyncActionDelay: 200 * time.Millisecond}), time.Second)
	t.Cleanup(srv.Shutdown)

	resp, body := postTriggerAndWait(t, srv, v1WaitBody, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		ID     string `json:"id"`
		Output struct {
			Title string `json:"title"`
		} `json:"output"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if got.ID == "" || got.Output.Title != "Over HTTP" {
		t.Fatalf("body = %s", body)
	}
	if h := resp.Header.Get("Grpc-Metadata-Nango-Action-Id"); h != got.ID {
		t.Errorf("Grpc-Metadata-Nango-Action-Id = %q, want %q", h, got.ID)
	}
}

func TestV1TriggerActionAndWaitPastItsDeadlineStillGivesTheIDHeader(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true, AsyncActionDelay: time.Minute})
	srv, _ := startGateway(t, sim, time.Second)
	t.Cleanup(srv.Shutdown)

	resp, body := postTriggerAndWait(t, srv, v1WaitBody, "2S")
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), `"code":"timeout"`) {
		t.Fatalf("status %d, body %s; want 504 timeout", resp.StatusCode, body)
	}
	id := resp.Header.Get("Grpc-Metadata-Nango-Action-Id")
	reqs := sim.Requests()
	if id == "" || len(reqs) == 0 || reqs[0].Method != http.MethodPost {
		t.Fatalf("Grpc-Metadata-Nango-Action-Id = %q after requests %v", id, reqs)
	}
	if !strings.Contains(string(body), id) {
		t.Errorf("the error message does not name the action: %s", body)
	}
}

// A webhook posted to one replica ends the wait of a TriggerActionAndWait served by the
// other: the two share events through JetStream.
func TestTriggerActionAndWaitHearsTheWebhookThroughAnotherReplica(t *testing.T) {
	nats := natstest.Run(t, t.TempDir())
	// Nango's webhook URL reaches replica b, whichever it is once started.
	var hookTarget atomic.Pointer[url.URL]
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httputil.NewSingleHostReverseProxy(hookTarget.Load()).ServeHTTP(w, r)
	}))
	defer hooks.Close()
	sim := simulator.New(simulator.Options{
		APIKey: testKey, Seed: true, AsyncActionDelay: 200 * time.Millisecond,
		WebhookURL: hooks.URL + webhooks.Path, WebhookSigningKey: testSigningKey,
	})
	defer sim.Close()
	upstream := httptest.NewServer(sim)
	defer upstream.Close()
	start := func() *Server {
		return startConfiguredGateway(t, upstream.URL, func(cfg *config.Config) {
			cfg.EventBusURL, cfg.EventBusStream = nats.URL(), "TEST_ACTION_WAIT"
		})
	}
	a, b := start(), start()
	hookTarget.Store(&url.URL{Scheme: "http", Host: b.HTTPAddr()})

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var header metadata.MD
	got, err := gatewayv1.NewActionsServiceClient(dial(t, a)).TriggerActionAndWait(ctx, &gatewayv1.TriggerActionAndWaitRequest{
		ProviderConfigKey: simulator.SeedIntegrationGitHub, ConnectionId: simulator.SeedConnectionGitHub, ActionName: "echo",
		PollInterval: durationpb.New(5 * time.Minute), // only the webhook can end this wait in time
	}, grpc.Header(&header))
	if err != nil {
		t.Fatalf("TriggerActionAndWait on replica a: %v", err)
	}
	if ids := header.Get(service.MetadataActionID); len(ids) != 1 || ids[0] != got.GetId() {
		t.Errorf("header %v, want the id %s", ids, got.GetId())
	}
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[0].Method != http.MethodPost || reqs[1].Method != http.MethodGet || reqs[1].Path != "/action/"+got.GetId() {
		t.Fatalf("Nango got %d requests; want the trigger, then one GET /action/%s", len(reqs), got.GetId())
	}
}
