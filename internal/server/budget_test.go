package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// fleet is gateways sharing one rate budget through one NATS.
type fleet struct {
	nats      *natstest.Server
	conns     []*grpc.ClientConn
	httpAddrs []string
}

// startSharedBudgetFleet runs n gateways on one NATS with RATE_BUDGET=shared, in front of
// sim; edit adjusts each one's configuration.
func startSharedBudgetFleet(t *testing.T, sim *simulator.Simulator, n int, edit func(cfg *config.Config)) *fleet {
	t.Helper()
	f := &fleet{nats: natstest.Run(t, t.TempDir())}
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	for range n {
		srv := startConfiguredGateway(t, upstream.URL, func(cfg *config.Config) {
			cfg.EventBusURL, cfg.EventBusStream = f.nats.URL(), "TEST_EVENTS"
			cfg.RateBudget, cfg.RateBudgetBucket, cfg.RateBudgetReplicas = "shared", "TEST_BUDGET", n
			if edit != nil {
				edit(cfg)
			}
		})
		f.conns = append(f.conns, dial(t, srv))
		f.httpAddrs = append(f.httpAddrs, srv.HTTPAddr())
	}
	return f
}

// outcome is how one call of a burst ended.
type outcome struct {
	err     error
	elapsed time.Duration
}

// Three replicas sharing one rate budget through NATS take a burst of three times
// Nango's limit, a third of it through the relay at Nango's paths, without a single
// 429 from Nango: every gRPC call either succeeds within its deadline or fails fast
// with ResourceExhausted and a RetryInfo saying when to come back, and every relayed
// request is answered 200 or, at once, the gateway's own 429 with Retry-After.
func TestThreeReplicasBurstOfThreeTimesTheLimitMeetsNo429(t *testing.T) {
	const limit, replicas, perReplica = 30, 3, 30
	const deadline = 6 * time.Second
	// A 3s window (Nango's is 60s) makes two windows and the refusal of the rest
	// fit in one test; the limiter is otherwise Nango's.
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true, RateLimit: limit, Window: 3 * time.Second})
	f := startSharedBudgetFleet(t, sim, replicas, func(cfg *config.Config) {
		cfg.UpstreamTimeout = deadline // a relayed request carries no deadline of its own
	})
	conns, httpAddrs := f.conns, f.httpAddrs

	type result struct {
		relayed bool
		outcome
		status     int    // relayed: the HTTP status
		retryAfter string // relayed: Retry-After
	}
	results := make([]result, replicas*perReplica)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		replica, relayed := i%replicas, (i/replicas)%3 == 0
		client := gatewayv1.NewIntegrationsServiceClient(conns[replica])
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), deadline+5*time.Second)
			defer cancel()
			began := time.Now()
			r := result{relayed: relayed}
			if relayed {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddrs[replica]+"/integrations", nil)
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status, r.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				r.err = err
			} else {
				ctx, cancel := context.WithTimeout(ctx, deadline)
				defer cancel()
				_, r.err = client.ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
			}
			r.elapsed = time.Since(began)
			results[i] = r
		})
	}
	close(start)
	wg.Wait()

	if got := sim.RateLimited(); got != 0 {
		t.Errorf("the simulator answered %d requests with 429, want none", got)
	}
	succeeded, refused, relayedRefused := 0, 0, 0
	for i, r := range results {
		if r.relayed && r.err == nil && r.status != http.StatusOK {
			relayedRefused++
		}
		switch {
		case r.relayed && r.err != nil:
			t.Errorf("relayed request %d: %v", i, r.err)
		case r.relayed && r.status == http.StatusOK, !r.relayed && r.err == nil:
			succeeded++
			if r.elapsed >= deadline {
				t.Errorf("call %d succeeded after %v, past its %v deadline", i, r.elapsed, deadline)
			}
		case r.relayed:
			refused++
			if r.status != http.StatusTooManyRequests || r.retryAfter == "" || r.retryAfter == "0" {
				t.Errorf("relayed request %d answered %d with Retry-After %q, want 200 or 429 with a Retry-After", i, r.status, r.retryAfter)
			}
			if r.elapsed >= deadline-500*time.Millisecond {
				t.Errorf("relayed request %d was refused after %v, want it refused before its %v deadline", i, r.elapsed, deadline)
			}
		default:
			refused++
			st := status.Convert(r.err)
			var retry *errdetails.RetryInfo
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok {
					retry = ri
				}
			}
			switch {
			case st.Code() != codes.ResourceExhausted:
				t.Errorf("call %d failed with %v after %v, want success or ResourceExhausted", i, r.err, r.elapsed)
			case retry == nil || retry.GetRetryDelay().AsDuration() <= 0:
				t.Errorf("call %d: ResourceExhausted without a RetryInfo delay: %v", i, r.err)
			case r.elapsed >= deadline-500*time.Millisecond:
				t.Errorf("call %d was refused after %v, want it refused before its %v deadline", i, r.elapsed, deadline)
			}
		}
	}
	// At least one whole window was spent; no more calls succeeded than reached Nango.
	sent := len(sim.Requests())
	if succeeded < limit-5 || succeeded > sent {
		t.Errorf("%d calls succeeded with %d requests sent, want at least a window's worth (%d) and no more than were sent", succeeded, sent, limit-5)
	}
	t.Logf("%d calls: %d succeeded, %d refused at once (%d of them relayed); %d requests reached Nango, 0 answered 429",
		len(results), succeeded, refused, relayedRefused, sent)
}

// A noisy client that floods the gateway does not starve a quiet one: once the window
// is spent, the calls waiting for the next are served client by client, so the quiet
// client's few calls all go in the next window while the noisy client's backlog waits
// (or is refused at once); /metrics counts both per client.
func TestQuietClientGetsItsShareWhileANoisyOneFloods(t *testing.T) {
	const limit = 20
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true, RateLimit: limit, Window: 3 * time.Second})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	hash := func(tok string) string { s := sha256.Sum256([]byte(tok)); return hex.EncodeToString(s[:]) }
	path := filepath.Join(t.TempDir(), "clients.yaml")
	clients := "clients:\n" +
		"  - name: noisy\n    token_sha256: " + hash("tok-noisy") + "\n    allow: [\"*\"]\n" +
		"  - name: quiet\n    token_sha256: " + hash("tok-quiet") + "\n    allow: [\"*\"]\n"
	if err := os.WriteFile(path, []byte(clients), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.InsecureNoAuth, cfg.ClientsFile = false, path
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	integrations := gatewayv1.NewIntegrationsServiceClient(dial(t, srv))
	call := func(token string) error {
		ctx, cancel := context.WithTimeout(withToken(t, token), 6*time.Second)
		defer cancel()
		_, err := integrations.ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
		return err
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	noisyOK, noisyRefused := 0, 0
	for range 3 * limit {
		wg.Go(func() {
			err := call("tok-noisy")
			mu.Lock()
			defer mu.Unlock()
			switch status.Code(err) {
			case codes.OK:
				noisyOK++
			case codes.ResourceExhausted:
				noisyRefused++
			default:
				t.Errorf("noisy call: %v", err)
			}
		})
	}
	// The quiet client comes once the noisy one has spent the window and queues behind.
	for deadline := time.Now().Add(10 * time.Second); len(sim.Requests()) < limit-1; {
		if time.Now().After(deadline) {
			t.Fatalf("the noisy burst sent %d requests, want the window spent", len(sim.Requests()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	quiet := make(chan error, 5)
	for range cap(quiet) {
		wg.Go(func() { quiet <- call("tok-quiet") })
	}
	wg.Wait()
	close(quiet)
	for err := range quiet {
		if err != nil {
			t.Errorf("a quiet call failed: %v", err)
		}
	}
	if noisyRefused == 0 {
		t.Errorf("all %d noisy calls went through, want the flood to meet the limit", noisyOK)
	}
	if got := sim.RateLimited(); got != 0 {
		t.Errorf("the simulator answered %d requests with 429, want none", got)
	}

	resp, err := http.Get("http://" + srv.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Join(seriesLines(string(body), "nango_gateway_rate_budget_calls_total"), "\n")
	for _, want := range []string{
		`client="quiet",outcome="admitted"} 5`,
		`client="noisy",outcome="admitted"} ` + strconv.Itoa(noisyOK),
		`client="noisy",outcome="deadline"} ` + strconv.Itoa(noisyRefused),
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("rate_budget_calls_total lacks %s:\n%s", want, lines)
		}
	}
}

// When NATS goes away the replica keeps serving on its share of the limit (Nango's limit
// over RATE_BUDGET_REPLICAS per window), still without 429s, and /metrics says so.
func TestReplicaFallsBackToItsShareWhenNATSIsAway(t *testing.T) {
	const limit = 30
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true, RateLimit: limit, Window: 3 * time.Second})
	f := startSharedBudgetFleet(t, sim, 1, func(cfg *config.Config) { cfg.RateBudgetReplicas = 3 })
	integrations := gatewayv1.NewIntegrationsServiceClient(f.conns[0])
	call := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := integrations.ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
		return err
	}
	if err := call(); err != nil {
		t.Fatal(err)
	}
	f.nats.Shutdown()
	for i := range limit / 2 {
		if err := call(); err != nil {
			t.Fatalf("call %d with NATS away: %v", i, err)
		}
	}
	if got := sim.RateLimited(); got != 0 {
		t.Errorf("the simulator answered %d requests with 429, want none", got)
	}
	resp, err := http.Get("http://" + f.httpAddrs[0] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	mode := strings.Join(seriesLines(string(body), "nango_gateway_rate_budget_mode"), "\n")
	if !strings.Contains(mode, `mode="local"} 1`) || !strings.Contains(mode, `mode="shared"} 0`) {
		t.Errorf("rate_budget_mode = %s, want local", mode)
	}
	if leases := strings.Join(seriesLines(string(body), "nango_gateway_rate_budget_leases_total"), "\n"); strings.Contains(leases, `result="error"} 0`) {
		t.Errorf("rate_budget_leases_total = %s, want the failed leases counted", leases)
	}
}
