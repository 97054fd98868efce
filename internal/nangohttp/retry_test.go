package nangohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func withClock(clk Clock) func(*Config) { return func(cfg *Config) { cfg.Clock = clk } }

func withRand(v float64) func(*Config) {
	return func(cfg *Config) { cfg.Rand = func() float64 { return v } }
}

func withMetrics(m Metrics) func(*Config) { return func(cfg *Config) { cfg.Metrics = m } }

// instantClock is a fake clock on which every wait is over at once.
func instantClock() *fakeClock {
	f := newFakeClock(time.Now())
	f.auto = true
	return f
}

var okFault = simulator.Fault{Status: http.StatusOK, Body: []byte(`{"ok":true}`)}

// A 429's wait follows Retry-After, then X-RateLimit-Reset, within bounds;
// the retry is not sent one moment before the wait is over.
func TestRateLimitedCallWaitsAsNangoSays(t *testing.T) {
	start := time.Now().Truncate(time.Second) // whole seconds: header times are exact
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"Retry-After 1", http.Header{"Retry-After": {"1"}}, time.Second},
		{"Retry-After 0 gives a jittered 100-500ms", http.Header{"Retry-After": {"0"}}, 300 * time.Millisecond},
		{"Retry-After as HTTP-date", http.Header{"Retry-After": {start.Add(3 * time.Second).UTC().Format(http.TimeFormat)}}, 3 * time.Second},
		{"Retry-After date already passed", http.Header{"Retry-After": {start.Add(-time.Minute).UTC().Format(http.TimeFormat)}}, 300 * time.Millisecond},
		{"Retry-After wins over X-RateLimit-Reset", http.Header{"Retry-After": {"2"}, "X-RateLimit-Reset": {strconv.FormatInt(start.Unix()+9, 10)}}, 2 * time.Second},
		{"X-RateLimit-Reset without Retry-After", http.Header{"X-RateLimit-Reset": {strconv.FormatInt(start.Unix()+4, 10)}}, 4 * time.Second},
		{"X-RateLimit-Reset passed clamps to 100ms", http.Header{"X-RateLimit-Reset": {strconv.FormatInt(start.Unix()-4, 10)}}, 100 * time.Millisecond},
		{"X-RateLimit-Reset far away clamps to 30s", http.Header{"X-RateLimit-Reset": {strconv.FormatInt(start.Unix()+50, 10)}}, 30 * time.Second},
		{"no hint: backoff with a 100ms floor", nil, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWire(t, simulator.Options{})
			clk := newFakeClock(start)
			c := newTestClient(t, w.srv.URL, withClock(clk), withRand(0.5))
			w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 429, Code: "too_many_request", Header: tt.header})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := c.Do(ctx, &Request{Path: "/providers"})
				done <- err
			}()
			if got := clk.awaitTimers(t, 1); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("waits = %v, want [%v]", got, tt.want)
			}
			clk.Advance(tt.want - time.Millisecond)
			if n := w.count(); n != 1 || len(clk.pending()) != 1 {
				t.Fatalf("%d requests and %d waits 1ms before the wait is over, want 1 and 1", n, len(clk.pending()))
			}
			clk.Advance(time.Millisecond)
			if err := <-done; err != nil {
				t.Fatalf("Do after the wait: %v", err)
			}
			if n := w.count(); n != 2 {
				t.Errorf("requests = %d, want 2", n)
			}
		})
	}
}

// The one test that waits in real time: proof over the wire that a 429 with
// Retry-After: 1 is sent again no earlier than a second later (~1s).
func TestRetryAfterOneSecondOverTheWire(t *testing.T) {
	w := newWire(t, simulator.Options{})
	c := newTestClient(t, w.srv.URL)
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 429, Code: "too_many_request", Header: http.Header{"Retry-After": {"1"}}})
	if _, err := c.Do(context.Background(), &Request{Path: "/providers"}); err != nil {
		t.Fatalf("Do: %v", err)
	}
	times := w.times()
	if len(times) != 2 {
		t.Fatalf("requests = %d, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("retry sent %v after the 429, want at least 1s", gap)
	}
}

func TestRateLimitWaitPastTheDeadlineFailsAtOnce(t *testing.T) {
	tests := []struct {
		name      string
		retry     string
		timeout   time.Duration // 0 = the default
		wantDelay time.Duration
	}{
		{"deadline shorter than Retry-After", "1", 500 * time.Millisecond, time.Second},
		{"Retry-After beyond MaxRateLimitWait", "45", 0, 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWire(t, simulator.Options{})
			c := newTestClient(t, w.srv.URL)
			w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Times: 10, Status: 429, Code: "too_many_request",
				Header: http.Header{"Retry-After": {tt.retry}}})
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			began := time.Now()
			resp, err := c.Do(ctx, &Request{Path: "/providers"})
			if took := time.Since(began); took > 300*time.Millisecond {
				t.Errorf("Do took %v, want an answer at once", took)
			}
			if status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("code = %v (%v), want ResourceExhausted", status.Code(err), err)
			}
			if d, ok := RetryDelayFromError(err); !ok || d != tt.wantDelay {
				t.Errorf("RetryInfo = %v, %v; want %v", d, ok, tt.wantDelay)
			}
			if ei, _ := ErrorInfoFrom(err); ei.GetReason() != "too_many_request" || ei.GetMetadata()[MetadataHTTPStatus] != "429" {
				t.Errorf("ErrorInfo = %v, want Nango's too_many_request with http_status 429", ei)
			}
			if resp == nil || resp.Status != 429 {
				t.Errorf("response = %+v, want the 429 alongside the error", resp)
			}
			if want := strconv.FormatInt(tt.wantDelay.Milliseconds(), 10); PushbackTrailer(err).Get(PushbackTrailerKey)[0] != want {
				t.Errorf("pushback trailer = %v, want %s", PushbackTrailer(err), want)
			}
			if n := w.count(); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}

			// DoRaw hands the 429 back as an answer, also at once.
			raw, err := c.DoRaw(ctx, &Request{Path: "/providers"})
			if err != nil || raw.Status != 429 || raw.Header.Get("Retry-After") != tt.retry {
				t.Errorf("DoRaw = %+v, %v; want the 429 with its Retry-After", raw, err)
			}
		})
	}
}

func TestRetriedOutcomesByClass(t *testing.T) {
	nango429 := simulator.Fault{Status: 429, Code: "too_many_request", Header: http.Header{"Retry-After": {"0"}}}
	provider429 := simulator.Fault{Status: 429, Body: []byte(`{"message":"slow down"}`)}
	status := func(s int) simulator.Fault { return simulator.Fault{Status: s} }
	reset := simulator.Fault{Reset: true}
	tests := []struct {
		name       string
		req        Request
		fault      simulator.Fault
		wantSent   int
		wantReason RetryReason // "" = not retried
	}{
		{"GET 500", Request{Path: "/providers"}, status(500), 2, RetryServerError},
		{"GET 502", Request{Path: "/providers"}, status(502), 2, RetryServerError},
		{"GET 503", Request{Path: "/providers"}, status(503), 2, RetryServerError},
		{"GET 504", Request{Path: "/providers"}, status(504), 2, RetryServerError},
		{"GET connection reset", Request{Path: "/providers"}, reset, 2, RetryNetwork},
		{"GET 429", Request{Path: "/providers"}, nango429, 2, RetryRateLimited},
		{"GET 501 is final", Request{Path: "/providers"}, status(501), 1, ""},
		{"GET 400 is final", Request{Path: "/providers"}, status(400), 1, ""},
		{"GET 401 is final", Request{Path: "/providers"}, status(401), 1, ""},
		{"GET 404 is final", Request{Path: "/providers"}, status(404), 1, ""},
		{"GET 409 is final", Request{Path: "/providers"}, status(409), 1, ""},
		{"idempotent write 503", Request{Method: "PATCH", Path: "/connections/metadata", Class: ClassIdempotentWrite, JSON: json.RawMessage(`{}`)}, status(503), 2, RetryServerError},
		{"idempotent write reset", Request{Method: "POST", Path: "/sync/pause", Class: ClassIdempotentWrite, JSON: json.RawMessage(`{}`)}, reset, 2, RetryNetwork},
		{"action trigger 503", Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)}, status(503), 1, ""},
		{"action trigger 500", Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)}, status(500), 1, ""},
		{"action trigger 504", Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)}, status(504), 1, ""},
		{"action trigger reset after sending", Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)}, reset, 1, ""},
		{"async action trigger reset", Request{Method: "POST", Path: "/action/trigger", Header: http.Header{"X-Async": {"true"}}, JSON: json.RawMessage(`{}`)}, reset, 1, ""},
		{"action trigger refused by Nango's limit", Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)}, nango429, 2, RetryRateLimited},
		{"sync trigger 502", Request{Method: "POST", Path: "/sync/trigger", JSON: json.RawMessage(`{}`)}, status(502), 1, ""},
		{"connect session 503", Request{Method: "POST", Path: "/connect/sessions", JSON: json.RawMessage(`{}`)}, status(503), 1, ""},
		{"connect session refused by Nango's limit", Request{Method: "POST", Path: "/connect/sessions", JSON: json.RawMessage(`{}`)}, nango429, 2, RetryRateLimited},
		{"integration create reset", Request{Method: "POST", Path: "/integrations", JSON: json.RawMessage(`{}`)}, reset, 1, ""},
		{"DELETE connection 503", Request{Method: "DELETE", Path: "/connections/c1"}, status(503), 1, ""},
		{"proxy GET 503", Request{Path: "/proxy/repos"}, status(503), 2, RetryServerError},
		{"proxy GET provider 429", Request{Path: "/proxy/repos"}, provider429, 2, RetryRateLimited},
		{"proxy GET 503 after Nango retried", Request{Path: "/proxy/repos", Header: http.Header{"Retries": {"3"}}}, status(503), 1, ""},
		{"proxy GET 500 after Nango retried (field)", Request{Path: "/proxy/repos", NangoRetries: true}, status(500), 1, ""},
		{"proxy GET provider 429 after Nango retried", Request{Path: "/proxy/repos", NangoRetries: true}, provider429, 1, ""},
		{"proxy GET Nango's 429 after Nango retried", Request{Path: "/proxy/repos", NangoRetries: true}, nango429, 2, RetryRateLimited},
		{"proxy POST 503", Request{Method: "POST", Path: "/proxy/issues", Body: []byte("x")}, status(503), 1, ""},
		{"proxy PUT reset", Request{Method: "PUT", Path: "/proxy/issues/1", Body: []byte("x")}, reset, 1, ""},
		{"proxy PATCH provider 429", Request{Method: "PATCH", Path: "/proxy/issues/1", Body: []byte("x")}, provider429, 1, ""},
		{"proxy DELETE Nango's 429", Request{Method: "DELETE", Path: "/proxy/issues/1"}, nango429, 2, RetryRateLimited},
		{"proxy GET with Retries 0 still retried", Request{Path: "/proxy/repos", Header: http.Header{"Retries": {"0"}}}, status(502), 2, RetryServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWire(t, simulator.Options{})
			m := &countingMetrics{}
			c := newTestClient(t, w.srv.URL, withClock(instantClock()), withMetrics(m))
			f := tt.fault
			f.PathPrefix = tt.req.Path
			w.sim.InjectFault(f)
			w.sim.InjectFault(simulator.Fault{PathPrefix: tt.req.Path, Status: okFault.Status, Body: okFault.Body})
			resp, err := c.DoRaw(context.Background(), &tt.req)
			if n := w.count(); n != tt.wantSent {
				t.Fatalf("sent %d times, want %d (DoRaw = %+v, %v)", n, tt.wantSent, resp, err)
			}
			got := m.snapshot()
			if tt.wantReason == "" {
				if len(got.retries) != 0 {
					t.Errorf("retries = %v, want none", got.retries)
				}
				return
			}
			if err != nil || resp.Status != 200 {
				t.Errorf("DoRaw = %+v, %v; want the 200 of the retry", resp, err)
			}
			if got.retries[tt.wantReason] != 1 || len(got.retries) != 1 {
				t.Errorf("retries = %v, want one %q", got.retries, tt.wantReason)
			}
		})
	}
}

func TestPostHitBy503OrResetIsSentExactlyOnceAndFails(t *testing.T) {
	for name, f := range map[string]simulator.Fault{
		"503":                 {Status: 503},
		"reset after sending": {Reset: true},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWire(t, simulator.Options{})
			c := newTestClient(t, w.srv.URL, withClock(instantClock()))
			f.PathPrefix = "/action/trigger"
			f.Times = 10
			w.sim.InjectFault(f)
			_, err := c.Do(context.Background(), &Request{Method: "POST", Path: "/action/trigger",
				Header: http.Header{"Connection-Id": {"c1"}, "Provider-Config-Key": {"github"}},
				JSON:   json.RawMessage(`{"action_name":"create-issue","input":{"title":"t"}}`)})
			if status.Code(err) != codes.Unavailable {
				t.Errorf("code = %v (%v), want Unavailable", status.Code(err), err)
			}
			if n := w.count(); n != 1 {
				t.Errorf("POST /action/trigger sent %d times, want exactly once", n)
			}
		})
	}
}

func TestRequestThatNeverLeftIsRetriedWhateverItsClass(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	m := &countingMetrics{}
	c := newTestClient(t, refused, withClock(instantClock()), withMetrics(m))
	_, err = c.Do(context.Background(), &Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("code = %v (%v), want Unavailable", status.Code(err), err)
	}
	got := m.snapshot()
	if got.attempts != DefaultMaxAttempts || got.retries[RetryConnect] != DefaultMaxAttempts-1 {
		t.Errorf("attempts = %d, retries = %v; want %d attempts and %d connect retries",
			got.attempts, got.retries, DefaultMaxAttempts, DefaultMaxAttempts-1)
	}
}

func TestRetriesStopAfterMaxAttempts(t *testing.T) {
	w := newWire(t, simulator.Options{})
	c := newTestClient(t, w.srv.URL, withClock(instantClock()), func(cfg *Config) { cfg.Retry.MaxAttempts = 4 })
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 503, Times: 100})
	resp, err := c.Do(context.Background(), &Request{Path: "/providers"})
	if status.Code(err) != codes.Unavailable || resp == nil || resp.Status != 503 {
		t.Errorf("Do = %+v, %v; want the last 503 as Unavailable", resp, err)
	}
	if n := w.count(); n != 4 {
		t.Errorf("sent %d times, want 4", n)
	}
}

func TestBackoffIsFullJitterExponentialAndCapped(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", withRand(0.999999),
		func(cfg *Config) { cfg.Retry.BaseBackoff = 100 * time.Millisecond; cfg.Retry.MaxBackoff = time.Second })
	for attempt, ceiling := range map[int]time.Duration{
		1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 40: time.Second,
	} {
		if got := c.backoff(attempt); got >= ceiling || got < ceiling*99/100 {
			t.Errorf("backoff(%d) with rand≈1 = %v, want just under %v", attempt, got, ceiling)
		}
	}
	zero := newTestClient(t, "http://127.0.0.1:1", withRand(0))
	if got := zero.backoff(3); got != 0 {
		t.Errorf("backoff with rand 0 = %v, want 0 (full jitter)", got)
	}
}

func TestRetryBudget(t *testing.T) {
	w := newWire(t, simulator.Options{})
	m := &countingMetrics{}
	c := newTestClient(t, w.srv.URL, withClock(instantClock()), withMetrics(m),
		func(cfg *Config) { cfg.Retry.BudgetTokens = 10 }) // two retries at 5
	call := func(faults int) (sent int, err error) {
		t.Helper()
		w.sim.ResetRequests()
		if faults > 0 {
			w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 503, Times: faults})
		}
		_, err = c.Do(context.Background(), &Request{Path: "/providers"})
		w.sim.ClearFaults()
		return w.count(), err
	}

	if n, _ := call(3); n != 3 {
		t.Fatalf("first call sent %d times, want 3 (two retries spend the 10 tokens)", n)
	}
	if n, err := call(1); n != 1 || status.Code(err) != codes.Unavailable {
		t.Fatalf("with an empty budget: sent %d times, %v; want once, Unavailable", n, err)
	}
	if got := m.snapshot(); got.exhausted != 1 || got.levels[len(got.levels)-1] != 0 {
		t.Errorf("exhausted %d, levels %v; want 1 and a last level of 0", got.exhausted, got.levels)
	}
	// Each healthy answer gives one token back; five pay for a retry.
	for i := range 5 {
		if _, err := call(0); err != nil {
			t.Fatalf("healthy call %d: %v", i, err)
		}
	}
	if got := m.snapshot(); got.levels[len(got.levels)-1] != 5 {
		t.Errorf("levels %v, want 5 after five healthy answers", got.levels)
	}
	if n, err := call(1); n != 2 || err != nil {
		t.Errorf("after the refill: sent %d times, %v; want the retry to succeed", n, err)
	}
}

func TestRetryBudgetTokenAccounting(t *testing.T) {
	b := newRetryBudget(20)
	if left, ok := b.take(DefaultTimeoutRetryCost); !ok || left != 10 {
		t.Fatalf("take(10) = %d, %v; want 10 left", left, ok)
	}
	if left, ok := b.take(DefaultRetryCost); !ok || left != 5 {
		t.Fatalf("take(5) = %d, %v; want 5 left", left, ok)
	}
	if _, ok := b.take(6); ok {
		t.Fatal("take(6) with 5 left succeeded")
	}
	for range 20 {
		b.give(1)
	}
	if lv, changed := b.give(1); changed || lv != 20 {
		t.Errorf("give on a full bucket = %d, %v; want 20, unchanged", lv, changed)
	}
	var none *retryBudget
	if _, ok := none.take(1000); !ok {
		t.Error("a disabled budget refused a retry")
	}
}

func TestTimedOutAttemptCostsMore(t *testing.T) {
	w := newWire(t, simulator.Options{})
	m := &countingMetrics{}
	c := newTestClient(t, w.srv.URL, withMetrics(m), withRand(0), func(cfg *Config) {
		cfg.AttemptTimeout = 100 * time.Millisecond
		cfg.Retry.BudgetTokens = 100
	})
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Latency: time.Second})
	if _, err := c.Do(context.Background(), &Request{Path: "/providers"}); err != nil {
		t.Fatalf("Do: %v, want the retry after the attempt timeout to succeed", err)
	}
	got := m.snapshot()
	if got.retries[RetryTimeout] != 1 {
		t.Errorf("retries = %v, want one timeout", got.retries)
	}
	if len(got.levels) == 0 || got.levels[0] != 90 {
		t.Errorf("budget levels = %v, want 90 after a timeout retry", got.levels)
	}
}

func TestDefaultDeadlineByClass(t *testing.T) {
	srv := blockingServer(t)
	c := newTestClient(t, srv.URL, func(cfg *Config) {
		cfg.DefaultTimeout = 50 * time.Millisecond
		cfg.ActionTimeout = 500 * time.Millisecond
		cfg.Retry.MaxAttempts = 1
	})
	tests := []struct {
		name     string
		req      Request
		min, max time.Duration
	}{
		{"read", Request{Path: "/providers"}, 50 * time.Millisecond, 450 * time.Millisecond},
		{"async action", Request{Method: "POST", Path: "/action/trigger", Header: http.Header{"X-Async": {"true"}}}, 50 * time.Millisecond, 450 * time.Millisecond},
		{"sync action", Request{Method: "POST", Path: "/action/trigger"}, 500 * time.Millisecond, 3 * time.Second},
		{"explicit sync action class", Request{Method: "POST", Path: "/custom", Class: ClassSyncAction}, 500 * time.Millisecond, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			began := time.Now()
			_, err := c.Do(context.Background(), &tt.req)
			took := time.Since(began)
			if status.Code(err) != codes.DeadlineExceeded {
				t.Fatalf("code = %v (%v), want DeadlineExceeded", status.Code(err), err)
			}
			if took < tt.min || took > tt.max {
				t.Errorf("took %v, want between %v and %v", took, tt.min, tt.max)
			}
		})
	}
	// The caller's deadline wins over the default. The clock starts before the deadline
	// is set, so the measured time cannot fall short of it.
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	c.Do(ctx, &Request{Path: "/providers"})
	if took := time.Since(began); took < 150*time.Millisecond {
		t.Errorf("with a 150ms caller deadline the call ended after %v", took)
	}
}

func TestCallerDeadlineCoversEveryAttempt(t *testing.T) {
	w := newWire(t, simulator.Options{})
	c := newTestClient(t, w.srv.URL, withRand(0.999), func(cfg *Config) {
		cfg.Retry.MaxAttempts = 10
		cfg.Retry.BaseBackoff = 60 * time.Millisecond
		cfg.Retry.MaxBackoff = 60 * time.Millisecond
	})
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 503, Times: 100})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.Do(ctx, &Request{Path: "/providers"})
	if took := time.Since(began); took >= 100*time.Millisecond {
		t.Errorf("took %v, not within the 100ms deadline", took)
	}
	// One 60ms wait fits in 100ms, a second would not: the call stops at the
	// second 503 instead of sleeping into its deadline.
	if status.Code(err) != codes.Unavailable {
		t.Errorf("code = %v (%v), want the last 503's Unavailable", status.Code(err), err)
	}
	if n := w.count(); n != 2 {
		t.Errorf("sent %d times, want 2", n)
	}
}

func TestRequestPolicy(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", func(cfg *Config) {
		cfg.DefaultTimeout = time.Minute
		cfg.ActionTimeout = time.Hour
	})
	tests := []struct {
		name string
		req  Request
		want callPolicy
	}{
		{"GET", Request{Method: "GET", Path: "/connections"}, callPolicy{idempotent: true, timeout: time.Minute}},
		{"default method", Request{Path: "/connections"}, callPolicy{idempotent: true, timeout: time.Minute}},
		{"HEAD", Request{Method: "HEAD", Path: "/proxy/x"}, callPolicy{idempotent: true, proxy: true, timeout: time.Minute}},
		{"POST", Request{Method: "POST", Path: "/sync/trigger"}, callPolicy{timeout: time.Minute}},
		{"PUT unmarked", Request{Method: "PUT", Path: "/sync/update-connection-frequency"}, callPolicy{timeout: time.Minute}},
		{"PUT marked idempotent", Request{Method: "PUT", Path: "/sync/update-connection-frequency", Class: ClassIdempotentWrite}, callPolicy{idempotent: true, timeout: time.Minute}},
		{"GET marked non-idempotent", Request{Path: "/x", Class: ClassNonIdempotent}, callPolicy{timeout: time.Minute}},
		{"sync action", Request{Method: "POST", Path: "/action/trigger"}, callPolicy{timeout: time.Hour}},
		{"async action", Request{Method: "POST", Path: "/action/trigger", Header: http.Header{"X-Async": {"TRUE"}}}, callPolicy{timeout: time.Minute}},
		{"X-Async false", Request{Method: "POST", Path: "/action/trigger", Header: http.Header{"X-Async": {"false"}}}, callPolicy{timeout: time.Hour}},
		{"proxy root", Request{Method: "POST", Path: "/proxy"}, callPolicy{proxy: true, timeout: time.Minute}},
		{"not the proxy", Request{Path: "/proxyish"}, callPolicy{idempotent: true, timeout: time.Minute}},
		{"Retries header", Request{Path: "/proxy/a", Header: http.Header{"Retries": {"2"}}}, callPolicy{idempotent: true, proxy: true, nangoRetries: true, timeout: time.Minute}},
		{"Retries header not a number", Request{Path: "/proxy/a", Header: http.Header{"Retries": {"x"}}}, callPolicy{idempotent: true, proxy: true, timeout: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.req.Method
			if m == "" {
				m = "GET"
			}
			got, err := c.policy(&tt.req, m)
			if err != nil || got != tt.want {
				t.Errorf("policy = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if _, err := c.Do(context.Background(), &Request{Path: "/x", Class: Class(99)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("unknown class: %v, want InvalidArgument", err)
	}
}

func TestNewValidatesRetrySettingsNamingTheField(t *testing.T) {
	base := Config{BaseURL: "https://api.nango.dev", SecretKey: "k"}
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"max attempts", func(c *Config) { c.Retry.MaxAttempts = -1 }, "Config.Retry.MaxAttempts"},
		{"base backoff", func(c *Config) { c.Retry.BaseBackoff = -1 }, "Config.Retry.BaseBackoff"},
		{"max backoff", func(c *Config) { c.Retry.MaxBackoff = -1 }, "Config.Retry.MaxBackoff"},
		{"max rate-limit wait", func(c *Config) { c.Retry.MaxRateLimitWait = -1 }, "Config.Retry.MaxRateLimitWait"},
		{"retry cost", func(c *Config) { c.Retry.RetryCost = -1 }, "Config.Retry.RetryCost"},
		{"timeout retry cost", func(c *Config) { c.Retry.TimeoutRetryCost = -1 }, "Config.Retry.TimeoutRetryCost"},
		{"default timeout", func(c *Config) { c.DefaultTimeout = -1 }, "Config.DefaultTimeout"},
		{"action timeout", func(c *Config) { c.ActionTimeout = -1 }, "Config.ActionTimeout"},
		{"attempt timeout", func(c *Config) { c.AttemptTimeout = -1 }, "Config.AttemptTimeout"},
		{"dial timeout", func(c *Config) { c.DialTimeout = -1 }, "Config.DialTimeout"},
		{"TLS handshake timeout", func(c *Config) { c.TLSHandshakeTimeout = -1 }, "Config.TLSHandshakeTimeout"},
		{"idle connections", func(c *Config) { c.MaxIdleConnsPerHost = -1 }, "Config.MaxIdleConnsPerHost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.edit(&cfg)
			if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error naming %s", err, tt.want)
			}
		})
	}

	c, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	want := RetryConfig{MaxAttempts: 3, BaseBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
		MaxRateLimitWait: 30 * time.Second, BudgetTokens: 500, RetryCost: 5, TimeoutRetryCost: 10}
	if c.retry != want || c.defaultTimeout != 30*time.Second || c.actionTimeout != 15*time.Minute ||
		c.attemptTimeout != 0 || c.gov == nil || c.budget == nil {
		t.Errorf("defaults = %+v, timeouts %v/%v/%v, governor %v, budget %v", c.retry,
			c.defaultTimeout, c.actionTimeout, c.attemptTimeout, c.gov != nil, c.budget != nil)
	}
	off, err := New(Config{BaseURL: base.BaseURL, SecretKey: "k", DisableGovernor: true, Retry: RetryConfig{BudgetTokens: -1}})
	if err != nil || off.gov != nil || off.budget != nil {
		t.Errorf("DisableGovernor and BudgetTokens -1: governor %v, budget %v, err %v", off.gov != nil, off.budget != nil, err)
	}
}

func TestTransportSettings(t *testing.T) {
	c := newTestClient(t, "https://api.nango.dev", func(cfg *Config) {
		cfg.MaxIdleConnsPerHost = 200
		cfg.DialTimeout = time.Second
		cfg.TLSHandshakeTimeout = 3 * time.Second
	})
	tr := c.hc.Transport.(*http.Transport)
	if tr.MaxIdleConnsPerHost != 200 || tr.MaxIdleConns != 400 || tr.TLSHandshakeTimeout != 3*time.Second ||
		!tr.ForceAttemptHTTP2 || tr.DialContext == nil {
		t.Errorf("transport = idle %d/%d, handshake %v, h2 %v; want 200/400, 3s, true",
			tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.TLSHandshakeTimeout, tr.ForceAttemptHTTP2)
	}
}

func TestRetryLogsNeitherSecretsNorQueriesNorBodies(t *testing.T) {
	w := newWire(t, simulator.Options{})
	var buf bytes.Buffer
	c := newTestClient(t, w.srv.URL, withClock(instantClock()), func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Retry.BudgetTokens = 5
	})
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/connections/metadata", Status: 503, Times: 10,
		Body: []byte(`{"error":{"code":"x","message":"body-marker"}}`)})
	c.Do(context.Background(), &Request{Method: "PATCH", Path: "/connections/metadata", Class: ClassIdempotentWrite,
		RawQuery: "q=query-marker", JSON: json.RawMessage(`{"metadata":{"k":"request-marker"}}`)})
	c.Do(context.Background(), &Request{Method: "PATCH", Path: "/connections/metadata", Class: ClassIdempotentWrite,
		RawQuery: "q=query-marker", JSON: json.RawMessage(`{"metadata":{"k":"request-marker"}}`)})
	logs := buf.String()
	for _, want := range []string{"retrying nango call", "retry budget exhausted", "path=/connections/metadata"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{testKey, "query-marker", "request-marker", "body-marker"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestCancelDuringRetryWaitEndsTheCall(t *testing.T) {
	w := newWire(t, simulator.Options{})
	clk := newFakeClock(time.Now())
	c := newTestClient(t, w.srv.URL, withClock(clk))
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Status: 429, Code: "too_many_request", Header: http.Header{"Retry-After": {"5"}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, &Request{Path: "/providers"})
		done <- err
	}()
	clk.awaitTimers(t, 1)
	cancel()
	if err := <-done; status.Code(err) != codes.Canceled {
		t.Errorf("code = %v (%v), want Canceled", status.Code(err), err)
	}
	if n := w.count(); n != 1 {
		t.Errorf("sent %d times, want 1", n)
	}
}

// Only a connection never made proves that a request never left.
func TestNeverLeftRecognisesDialErrorsOnly(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{&net.DNSError{Err: "no such host", Name: "nango.invalid"}, true},
		{&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, false},
		{errors.New("EOF"), false},
	}
	for _, tt := range tests {
		if got := neverLeft(tt.err); got != tt.want {
			t.Errorf("neverLeft(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// Go's transport resends a bodiless GET by itself when a kept-alive connection is reset
// before the answer; counted against nothing, that made 6 requests of 3 attempts. Every
// request that reaches Nango is one of the attempts configured, whatever the connection.
func TestResetOnAKeptAliveConnectionCostsOneRequestPerAttempt(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			w := newWire(t, simulator.Options{RateLimit: -1})
			c := newTestClient(t, w.srv.URL, func(cfg *Config) {
				cfg.Retry = RetryConfig{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}
			})
			// A first call leaves a connection in the pool, so the next attempts reuse one.
			if _, err := c.Do(t.Context(), &Request{Method: method, Path: "/providers"}); err != nil {
				t.Fatal(err)
			}
			if r := w.sim.Requests()[0]; r.Header.Get("Transfer-Encoding") != "" || r.Header.Get("Content-Length") != "" || len(r.Body) != 0 {
				t.Fatalf("a bodiless %s went out with a body: %v %q", method, r.Header, r.Body)
			}
			w.sim.ResetRequests()
			w.sim.InjectFault(simulator.Fault{PathPrefix: "/providers", Reset: true, Times: 100})
			if _, err := c.DoRaw(t.Context(), &Request{Method: method, Path: "/providers"}); err == nil {
				t.Fatal("a call reset every time succeeded")
			}
			if n := w.count(); n != 3 {
				t.Fatalf("Nango received %d requests for 3 attempts", n)
			}
		})
	}
}
