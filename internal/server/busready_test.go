package server

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// While NATS is away the gateway says it is not ready (so traffic and Nango's webhooks go
// to replicas that can take them), answers a webhook 503 at once instead of after its
// publish deadline, and is ready again once NATS is back.
func TestReadinessFollowsTheEventBus(t *testing.T) {
	nats := natstest.Run(t, t.TempDir())
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: testKey}))
	t.Cleanup(upstream.Close)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.ShutdownGrace = 2 * time.Second
	cfg.EventBusURL, cfg.EventBusStream = nats.URL(), "READY_EVENTS"
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	health := healthpb.NewHealthClient(dial(t, srv))
	readyz := func() int {
		resp, err := http.Get("http://" + srv.HTTPAddr() + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	servingStatus := func() healthpb.HealthCheckResponse_ServingStatus {
		res, err := health.Check(t.Context(), &healthpb.HealthCheckRequest{})
		if err != nil {
			return healthpb.HealthCheckResponse_UNKNOWN
		}
		return res.GetStatus()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if readyz() != http.StatusOK || servingStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatal("not ready with NATS up")
	}

	nats.Shutdown()
	waitFor("readiness turns not ready", func() bool {
		return readyz() == http.StatusServiceUnavailable && servingStatus() == healthpb.HealthCheckResponse_NOT_SERVING
	})
	body := `{"from":"nango","type":"auth","connectionId":"c1","providerConfigKey":"github","operation":"creation","success":true}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.HTTPAddr()+webhooks.Path, strings.NewReader(body))
	req.Header.Set(webhooks.HeaderSignature, webhooks.Sign(testSigningKey, []byte(body)))
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || time.Since(began) > 2*time.Second {
		t.Errorf("webhook with NATS away: %d after %v, want 503 at once", resp.StatusCode, time.Since(began))
	}

	nats.Restart(t)
	waitFor("ready again", func() bool {
		return readyz() == http.StatusOK && servingStatus() == healthpb.HealthCheckResponse_SERVING
	})
}
