package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// Two gateways configured with the same EVENT_BUS_URL share webhook events: one posted to
// the first reaches a subscriber of the second, and a redelivery to the second is dropped.
func TestReplicasShareWebhookEventsThroughJetStream(t *testing.T) {
	nats := natstest.Run(t, t.TempDir())
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: testKey}))
	defer upstream.Close()
	start := func() *Server {
		return startConfiguredGateway(t, upstream.URL, func(cfg *config.Config) {
			cfg.EventBusURL, cfg.EventBusStream = nats.URL(), "TEST_EVENTS"
		})
	}
	a, b := start(), start()

	body := `{"from":"nango","type":"async_action","connectionId":"c1","providerConfigKey":"github","payload":{"id":"00000000-0000-4000-8000-000000000001","statusUrl":"/action/00000000-0000-4000-8000-000000000001"}}`
	for _, srv := range []*Server{a, b} { // Nango retrying on the other replica
		req, _ := http.NewRequest(http.MethodPost, "http://"+srv.HTTPAddr()+webhooks.Path, strings.NewReader(body))
		req.Header.Set("X-Nango-Hmac-Sha256", webhooks.Sign(testSigningKey, []byte(body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("webhook answered %d", resp.StatusCode)
		}
	}

	connB := dial(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := gatewayv1.NewWebhooksServiceClient(connB).StreamWebhookEvents(ctx, &gatewayv1.StreamWebhookEventsRequest{
		Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if first.GetSequence() != 1 || first.GetEvent().GetAsyncAction().GetStatusUrl() != "/action/00000000-0000-4000-8000-000000000001" {
		t.Fatalf("first event = %v", first)
	}
	// The redelivery was not published again: the next event is a new one.
	next := `{"from":"nango","type":"sync","connectionId":"c1","providerConfigKey":"github","syncName":"s","model":"M","success":true}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+webhooks.Path, strings.NewReader(next))
	req.Header.Set("X-Nango-Hmac-Sha256", webhooks.Sign(testSigningKey, []byte(next)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	second, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if second.GetSequence() != 2 || second.GetEvent().GetType() != "sync" {
		t.Errorf("second event = %v, want the sync webhook at sequence 2", second)
	}
}
