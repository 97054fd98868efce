package nangohttp

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// callMetrics records the per-call events.
type callMetrics struct {
	NopMetrics
	mu       sync.Mutex
	attempts []Attempt
	retries  []string
}

func (m *callMetrics) AttemptDone(_ context.Context, a Attempt) {
	m.mu.Lock()
	m.attempts = append(m.attempts, a)
	m.mu.Unlock()
}

func (m *callMetrics) GovernorWaitDone(context.Context, time.Duration, bool) {}

func (m *callMetrics) RetryScheduled(_ context.Context, route string, reason RetryReason) {
	m.mu.Lock()
	m.retries = append(m.retries, route+" "+string(reason))
	m.mu.Unlock()
}

// Each attempt is a client span, a child of the call's span, and Nango receives that
// attempt's traceparent in place of one a relayed caller sent; the per-call metrics get
// the route name (never the path) and Nango's remaining rate limit.
func TestEachAttemptIsASpanWhoseContextNangoReceives(t *testing.T) {
	cases := []struct {
		name         string
		faults       int // 503s before the 200
		wantAttempts int
	}{
		{"answered at once", 0, 1},
		{"retried after a 503", 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWire(t, simulator.Options{Seed: true})
			if tc.faults > 0 {
				w.sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: http.StatusServiceUnavailable, Times: tc.faults})
			}
			spans := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			m := &callMetrics{}
			c := newTestClient(t, w.srv.URL, withClock(instantClock()), withMetrics(m), func(cfg *Config) {
				cfg.TracerProvider = tp
				cfg.Route = func(context.Context) string { return "test.Service/ListIntegrations" }
			})
			ctx, parent := tp.Tracer("test").Start(context.Background(), "call")
			stale := "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"
			if _, err := c.Do(ctx, &Request{Path: "/integrations", Header: http.Header{"Traceparent": {stale}}}); err != nil {
				t.Fatal(err)
			}
			parent.End()

			var attempts []tracetest.SpanStub
			for _, s := range spans.GetSpans() {
				if s.SpanKind == trace.SpanKindClient {
					attempts = append(attempts, s)
				}
			}
			reqs := w.sim.Requests()
			if len(attempts) != tc.wantAttempts || len(reqs) != tc.wantAttempts {
				t.Fatalf("%d attempt spans, %d requests; want %d", len(attempts), len(reqs), tc.wantAttempts)
			}
			for i, s := range attempts {
				if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.Name != "nango test.Service/ListIntegrations" {
					t.Errorf("attempt %d: span %q with parent %s, want a child of the call", i+1, s.Name, s.Parent.SpanID())
				}
				want := "00-" + parent.SpanContext().TraceID().String() + "-" + s.SpanContext.SpanID().String() + "-01"
				if got := reqs[i].Header.Get("Traceparent"); got != want {
					t.Errorf("attempt %d: Nango received traceparent %q, want %q", i+1, got, want)
				}
			}
			if got := len(attempts[0].Events); (tc.faults > 0) != (got > 0) {
				t.Errorf("first attempt has %d events; want a retry event only when retried", got)
			}
			if len(m.attempts) != tc.wantAttempts || len(m.retries) != tc.faults {
				t.Fatalf("metrics: %d attempts, retries %v", len(m.attempts), m.retries)
			}
			last := m.attempts[len(m.attempts)-1]
			if last.Route != "test.Service/ListIntegrations" || last.Status != 200 || last.Outcome != OutcomeAnswered || !last.HasRateLimitRemaining {
				t.Errorf("last attempt = %+v", last)
			}
			for _, r := range m.retries {
				if !strings.HasSuffix(r, string(RetryServerError)) {
					t.Errorf("retry %q, want reason server_error", r)
				}
			}
		})
	}
}

// A call held by the rate governor shows the wait on its attempt's span: admitted once
// the window resets, or refused (and the attempt marked failed) when its deadline comes
// first.
func TestGovernorWaitsShowOnTheAttemptSpan(t *testing.T) {
	cases := []struct {
		name     string
		deadline time.Duration
		admitted bool
	}{
		{"admitted after the reset", time.Minute, true},
		{"refused: the deadline is before the reset", 500 * time.Millisecond, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := instantClock()
			// Every answer says the window is spent until 10s from now.
			srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-RateLimit-Limit", "1")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(clk.Now().Unix()+10, 10))
				_, _ = w.Write([]byte(`{}`))
			}))
			spans := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			c := newTestClient(t, srv.URL, withClock(clk), func(cfg *Config) { cfg.TracerProvider = tp })
			if _, err := c.Do(context.Background(), &Request{Path: "/integrations"}); err != nil {
				t.Fatal(err)
			}
			spans.Reset()
			ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(tc.deadline))
			defer cancel()
			_, err := c.Do(ctx, &Request{Path: "/integrations"})
			if (err == nil) != tc.admitted {
				t.Fatalf("err = %v, want admitted %v", err, tc.admitted)
			}
			got := spans.GetSpans()
			if len(got) != 1 || len(got[0].Events) != 1 || got[0].Events[0].Name != "nango rate governor wait" {
				t.Fatalf("spans %+v, want one attempt with one governor event", got)
			}
			for _, a := range got[0].Events[0].Attributes {
				if a.Key == "admitted" && a.Value.AsBool() != tc.admitted {
					t.Errorf("event says admitted=%v", a.Value.AsBool())
				}
			}
			if failed := got[0].Status.Code == otelcodes.Error; failed == tc.admitted {
				t.Errorf("span status %v with admitted %v", got[0].Status, tc.admitted)
			}
		})
	}
}
