package nangohttp

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// 50 callers at once against a limit of 10 per window all succeed, Nango
// answers no 429, and so never sees more than 10 calls in a window. This runs
// over the wire in real time (about 5s): five windows of 900ms, each held
// until the whole second after its rounded-down X-RateLimit-Reset.
func TestGovernorTurnsABurstAboveTheLimitIntoWaiting(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for five real rate-limit windows")
	}
	w := newWire(t, simulator.Options{RateLimit: 10, Window: 900 * time.Millisecond})
	m := &countingMetrics{}
	c := newTestClient(t, w.srv.URL, withMetrics(m))

	const callers = 50
	began := time.Now()
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := c.Do(ctx, &Request{Path: "/providers"})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a caller failed: %v", err)
		}
	}
	t.Logf("%d callers served in %v", callers, time.Since(began).Round(time.Millisecond))
	if got := w.statuses(); got[http.StatusTooManyRequests] != 0 || got[http.StatusOK] != callers {
		t.Errorf("upstream answers = %v, want %d × 200 and no 429", got, callers)
	}
	if n := w.count(); n != callers {
		t.Errorf("upstream calls = %d, want exactly %d", n, callers)
	}
	got := m.snapshot()
	if got.rateLimited != 0 || got.waits < callers-10 || got.refused != 0 {
		t.Errorf("metrics: 429s %d, governor waits %d, refused %d; want 0, at least %d, 0",
			got.rateLimited, got.waits, got.refused, callers-10)
	}
}

// govHarness drives a governor directly on a fake clock. Calls still
// waiting when the test ends are canceled through ctx.
type govHarness struct {
	t        *testing.T
	g        *governor
	clk      *fakeClock
	m        *countingMetrics
	ctx      context.Context
	admitted chan string // names of admitted calls; "name: error" for the others
	wg       sync.WaitGroup
}

func newGovHarness(t *testing.T) *govHarness {
	clk := newFakeClock(time.Now().Truncate(time.Second))
	m := &countingMetrics{}
	h := &govHarness{t: t, clk: clk, m: m, admitted: make(chan string, 100),
		g: newGovernor(clk, func() float64 { return 0 }, m, slog.New(slog.DiscardHandler))}
	var cancel context.CancelFunc
	h.ctx, cancel = context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); h.wg.Wait() })
	return h
}

// answer is a Nango answer with the given window; reset in seconds from now.
func (h *govHarness) answer(limit, remaining int, resetIn int64) *Response {
	return &Response{Status: 200, Header: http.Header{
		"X-Ratelimit-Limit":     {strconv.Itoa(limit)},
		"X-Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"X-Ratelimit-Reset":     {strconv.FormatInt(h.clk.Now().Unix()+resetIn, 10)},
	}}
}

func (h *govHarness) acquireNow(ctx context.Context) ticket {
	h.t.Helper()
	tk, err := h.g.acquire(ctx)
	if err != nil {
		h.t.Fatalf("acquire: %v", err)
	}
	return tk
}

// learn admits a probe and answers it.
func (h *govHarness) learn(limit, remaining int, resetIn int64) {
	h.t.Helper()
	h.g.release(h.acquireNow(context.Background()), h.answer(limit, remaining, resetIn), true)
}

func (h *govHarness) queued() int {
	h.g.mu.Lock()
	defer h.g.mu.Unlock()
	return h.g.queued
}

// enqueue starts an acquire that must wait, and waits until it is in line.
// ctx must derive from h.ctx.
func (h *govHarness) enqueue(ctx context.Context, name string) {
	h.t.Helper()
	before := h.queued()
	h.wg.Go(func() {
		if _, err := h.g.acquire(ctx); err == nil {
			h.admitted <- name
		} else {
			h.admitted <- name + ": " + err.Error()
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for h.queued() != before+1 {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s did not queue", name)
		}
		time.Sleep(time.Millisecond)
	}
}

func expectNone(t *testing.T, ch <-chan string) {
	t.Helper()
	select {
	case got := <-ch:
		t.Fatalf("%q admitted, want it still waiting", got)
	case <-time.After(20 * time.Millisecond):
	}
}

func expect(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("admitted %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%q not admitted", want)
	}
}

func TestGovernorReleasesQueuedCallsInOrderOnceTheWindowHasSurelyEnded(t *testing.T) {
	h := newGovHarness(t)
	h.learn(1, 0, 5) // window spent; Reset is rounded down, so it ends before +6s
	admitted := h.admitted
	for _, name := range []string{"A", "B", "C"} {
		h.enqueue(h.ctx, name)
	}
	h.clk.Advance(6*time.Second - time.Millisecond)
	expectNone(t, admitted)

	h.clk.Advance(time.Millisecond) // the new window has one call: the first in line
	expect(t, admitted, "A")
	expectNone(t, admitted)
	if h.queued() != 2 {
		t.Fatalf("queued = %d, want B and C", h.queued())
	}

	// A's answer tells the new window is spent too; B goes at its end.
	h.g.mu.Lock()
	tkA := ticket{epoch: h.g.epoch, counted: true, spent: true}
	h.g.mu.Unlock()
	h.g.release(tkA, h.answer(1, 0, 2), true)
	h.clk.Advance(2 * time.Second)
	expectNone(t, admitted)
	h.clk.Advance(time.Second)
	expect(t, admitted, "B")
	expectNone(t, admitted)
}

func TestGovernorRefusesAtOnceACallWhoseDeadlineIsBeforeTheReset(t *testing.T) {
	h := newGovHarness(t)

	// One queued behind the probe, with a deadline 2s away...
	probe := h.acquireNow(context.Background())
	admitted := h.admitted
	short, cancel := context.WithDeadline(h.ctx, h.clk.Now().Add(2*time.Second))
	defer cancel()
	h.enqueue(short, "queued")
	// ...leaves as soon as the probe's answer says the window ends in ~10s.
	h.g.release(probe, h.answer(10, 0, 9), true)
	select {
	case got := <-admitted:
		if got == "queued" {
			t.Fatal("the queued call was admitted, want it refused")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the queued call is still waiting")
	}

	// A new call with such a deadline is refused without queueing.
	_, err := h.g.acquire(short)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("acquire = %v, want ResourceExhausted", err)
	}
	if ei, _ := ErrorInfoFrom(err); ei.GetReason() != ReasonRateLimitWait {
		t.Errorf("reason = %q, want %q", ei.GetReason(), ReasonRateLimitWait)
	}
	if d, ok := RetryDelayFromError(err); !ok || d != 10*time.Second {
		t.Errorf("RetryInfo = %v, %v; want 10s", d, ok)
	}
	if h.queued() != 0 {
		t.Errorf("queued = %d, want none", h.queued())
	}
	if got := h.m.snapshot(); got.refused != 2 {
		t.Errorf("refusals counted = %d, want 2", got.refused)
	}
	// A call with time enough waits instead.
	h.enqueue(h.ctx, "patient")
}

func TestGovernorCountsCallsInFlightAsSpent(t *testing.T) {
	h := newGovHarness(t)
	h.learn(10, 9, 30)
	a := h.acquireNow(context.Background())
	h.acquireNow(context.Background())
	// a's answer: 5 left, and one other call is still in flight.
	h.g.release(a, h.answer(10, 5, 30), true)
	for range 4 {
		h.acquireNow(context.Background())
	}
	admitted := h.admitted
	h.enqueue(h.ctx, "fifth")
	expectNone(t, admitted)

	// An answer that arrives late and claims more is not believed.
	h.g.mu.Lock()
	late := ticket{epoch: h.g.epoch, counted: true, spent: true}
	h.g.mu.Unlock()
	h.g.release(late, h.answer(10, 8, 30), true)
	expectNone(t, admitted)
}

func TestGovernorIgnoresAnswersFromAWindowThatIsOver(t *testing.T) {
	h := newGovHarness(t)
	h.learn(2, 0, 1)
	h.g.mu.Lock()
	old := ticket{epoch: h.g.epoch, counted: true, spent: true}
	h.g.mu.Unlock()
	oldAnswer := h.answer(2, 0, 1)
	h.clk.Advance(2 * time.Second) // the window is over: two calls may go
	h.acquireNow(context.Background())
	h.g.release(old, oldAnswer, true) // late news from the old window
	h.acquireNow(context.Background())
	admitted := h.admitted
	h.enqueue(h.ctx, "third")
	expectNone(t, admitted)
}

func TestGovernorMeasuresTheResetOnNangosClockWhenTheClocksDisagree(t *testing.T) {
	h := newGovHarness(t)
	nangoNow := h.clk.Now().Add(-time.Hour)
	resp := &Response{Status: 200, Header: http.Header{
		"Date":                  {nangoNow.UTC().Format(http.TimeFormat)},
		"X-Ratelimit-Limit":     {"10"},
		"X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset":     {strconv.FormatInt(nangoNow.Unix()+5, 10)},
	}}
	h.g.release(h.acquireNow(context.Background()), resp, true)
	h.g.mu.Lock()
	wait, ok := h.g.knownWait(h.clk.Now())
	h.g.mu.Unlock()
	if !ok || wait != 6*time.Second {
		t.Errorf("wait = %v, %v; want 6s measured from Nango's Date, not an hour-old reset", wait, ok)
	}
}

func TestGovernorCanceledWaitLeavesTheLine(t *testing.T) {
	h := newGovHarness(t)
	h.learn(5, 0, 10)
	ctx, cancel := context.WithCancel(h.ctx)
	admitted := h.admitted
	h.enqueue(ctx, "canceled")
	h.enqueue(h.ctx, "next")
	cancel()
	select {
	case got := <-admitted:
		if got == "canceled" {
			t.Fatal("the canceled call was admitted")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the canceled call is still waiting")
	}
	if h.queued() != 1 {
		t.Errorf("queued = %d, want only the next call", h.queued())
	}
	h.clk.Advance(11 * time.Second)
	expect(t, admitted, "next")
}

func TestGovernorProbeThenOpenWithoutRateLimitHeaders(t *testing.T) {
	h := newGovHarness(t)
	probe := h.acquireNow(context.Background())
	admitted := h.admitted
	h.enqueue(h.ctx, "behind the probe")
	expectNone(t, admitted)
	// Nango without rate limiting: no headers, nothing to hold calls for.
	h.g.release(probe, &Response{Status: 200, Header: http.Header{}}, true)
	expect(t, admitted, "behind the probe")
	for range 100 {
		h.acquireNow(context.Background())
	}

	// A slow first call holds the others for govProbeWait at most.
	slow := newGovHarness(t)
	slow.acquireNow(context.Background())
	slow.enqueue(slow.ctx, "after the probe wait")
	slow.clk.Advance(govProbeWait)
	expect(t, slow.admitted, "after the probe wait")
}

func TestGovernorDoesNotLearnFromProxiedAnswers(t *testing.T) {
	w := newWire(t, simulator.Options{})
	c := newTestClient(t, w.srv.URL)
	// GitHub's own limit, passed through Nango's proxy: spent for an hour.
	w.sim.InjectFault(simulator.Fault{PathPrefix: "/proxy/", Status: 200, Body: []byte(`[]`), Header: http.Header{
		"X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Unix()+3600, 10)},
	}})
	if _, err := c.DoRaw(context.Background(), &Request{Path: "/proxy/user/repos"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Do(ctx, &Request{Path: "/providers"}); err != nil {
		t.Errorf("a call after a proxied answer with a spent provider limit: %v", err)
	}
}

func TestGovernorLearnsFromNangosRateLimitAnswer(t *testing.T) {
	w := newWire(t, simulator.Options{RateLimit: 1, Window: time.Minute})
	c := newTestClient(t, w.srv.URL)
	if _, err := c.Do(context.Background(), &Request{Path: "/providers"}); err != nil {
		t.Fatal(err)
	}
	// The window (a minute) is spent; a call with 2s left is not sent.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.Do(ctx, &Request{Path: "/providers"})
	if ei, _ := ErrorInfoFrom(err); status.Code(err) != codes.ResourceExhausted || ei.GetReason() != ReasonRateLimitWait {
		t.Fatalf("Do = %v, want ResourceExhausted with reason %s", err, ReasonRateLimitWait)
	}
	if d, ok := RetryDelayFromError(err); !ok || d < 50*time.Second || d > 62*time.Second {
		t.Errorf("RetryInfo = %v, %v; want about a minute", d, ok)
	}
	if n := w.count(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

func TestDisabledGovernorSendsEverything(t *testing.T) {
	w := newWire(t, simulator.Options{RateLimit: 1, Window: time.Minute})
	c := newTestClient(t, w.srv.URL, noRetries, func(cfg *Config) { cfg.DisableGovernor = true })
	c.Do(context.Background(), &Request{Path: "/providers"})
	_, err := c.Do(context.Background(), &Request{Path: "/providers"})
	if n, _ := HTTPStatusFromError(err); n != 429 {
		t.Errorf("second call = %v, want Nango's 429", err)
	}
}
