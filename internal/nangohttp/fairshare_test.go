package nangohttp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type callerKey struct{}

func asCaller(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, callerKey{}, name)
}

// withClients names each call's client from its context and gives the clients
// the weights and quotas in shares.
func (h *govHarness) withClients(shares map[string][2]int) {
	h.g.callerOf = func(ctx context.Context) string { s, _ := ctx.Value(callerKey{}).(string); return s }
	h.g.shareOf = func(name string) (int, int) {
		if s, ok := shares[name]; ok {
			return s[0], s[1]
		}
		return 1, 0
	}
}

// collect reads n admissions and counts them by client (the part of the name
// before "-").
func collect(t *testing.T, ch <-chan string, n int) (names []string, byClient map[string]int) {
	t.Helper()
	byClient = map[string]int{}
	for range n {
		select {
		case got := <-ch:
			names = append(names, got)
			byClient[strings.SplitN(got, "-", 2)[0]]++
		case <-time.After(5 * time.Second):
			t.Fatalf("only %v admitted, want %d calls", names, n)
		}
	}
	return names, byClient
}

// A noisy client that queued first does not hold back a quiet one: when the window
// frees points they go by turns, two for the client of weight 2, and each client's
// own calls in the order they came.
func TestGovernorServesWaitingClientsByWeightNotByArrival(t *testing.T) {
	h := newGovHarness(t)
	h.withClients(map[string][2]int{"quiet": {2, 0}})
	h.learn(6, 0, 5)
	for _, n := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		h.enqueue(asCaller(h.ctx, "noisy"), "noisy-"+n)
	}
	for _, n := range []string{"1", "2", "3", "4", "5"} {
		h.enqueue(asCaller(h.ctx, "quiet"), "quiet-"+n)
	}
	h.clk.Advance(6 * time.Second) // a new window of 6 points
	names, byClient := collect(t, h.admitted, 6)
	expectNone(t, h.admitted)
	if byClient["noisy"] != 2 || byClient["quiet"] != 4 {
		t.Fatalf("admitted %v, want 2 noisy and 4 quiet calls (weights 1 and 2)", names)
	}
	for _, want := range []string{"noisy-1", "noisy-2", "quiet-1", "quiet-4"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("admitted %v, want %s among them (each client's calls in order)", names, want)
		}
	}
}

// A client with a quota gets no more than its quota of a window, the others keep
// going, and its call that cannot wait for the next window is refused at once.
func TestGovernorHoldsAClientToItsQuota(t *testing.T) {
	h := newGovHarness(t)
	h.withClients(map[string][2]int{"batch": {1, 2}})
	h.learn(100, 100, 9)
	batch := asCaller(context.Background(), "batch")
	h.acquireNow(batch)
	h.acquireNow(batch)
	short, cancel := context.WithDeadline(batch, h.clk.Now().Add(2*time.Second))
	defer cancel()
	_, err := h.g.acquire(short)
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third batch call: %v, want ResourceExhausted", err)
	}
	if d, ok := RetryDelayFromError(err); !ok || d != 10*time.Second {
		t.Errorf("RetryInfo = %v, %v; want the 10s until the window ends", d, ok)
	}
	h.acquireNow(asCaller(context.Background(), "web"))

	// One with time to wait gets in with the next window.
	h.enqueue(asCaller(h.ctx, "batch"), "batch-3")
	expectNone(t, h.admitted)
	h.clk.Advance(10 * time.Second)
	expect(t, h.admitted, "batch-3")
}

// Without a window from Nango (its limiter is off) a quota holds nobody back: there
// is no window to count it in.
func TestGovernorQuotaCountsOnlyWhileNangoLimits(t *testing.T) {
	h := newGovHarness(t)
	h.withClients(map[string][2]int{"batch": {1, 1}})
	batch := asCaller(context.Background(), "batch")
	h.g.release(h.acquireNow(batch), &Response{Status: 200, Header: http.Header{}}, true)
	for range 3 {
		h.acquireNow(batch)
	}
}

// fakeBudget is a SharedBudget with a fixed number of points in the fleet's window.
type fakeBudget struct {
	mu     sync.Mutex
	points int // left in the window
	block  int
	window Window
	err    error
	views  []Window
	wants  []int
}

func (f *fakeBudget) Lease(_ context.Context, w Window, want int) (Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.views, f.wants = append(f.views, w), append(f.wants, want)
	if f.err != nil {
		return Lease{}, f.err
	}
	n := 0
	if want > 0 {
		n = min(f.points, f.block)
	}
	f.points -= n
	return Lease{Points: n, Window: f.window}, nil
}

// acquireAll runs n acquires at once with a deadline 2s away on the fake clock
// (before the window's end) and counts admissions and ResourceExhausted refusals.
func (h *govHarness) acquireAll(n int) (admitted, refused int) {
	h.t.Helper()
	deadline := h.clk.Now().Add(2 * time.Second)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Hour))
			defer cancel()
			// The governor compares deadlines with the fake clock; the context
			// must not end in real time before the test does.
			ctx = &fixedDeadline{Context: ctx, d: deadline}
			_, err := h.g.acquire(ctx)
			mu.Lock()
			defer mu.Unlock()
			switch status.Code(err) {
			case codes.OK:
				admitted++
			case codes.ResourceExhausted:
				refused++
			default:
				h.t.Errorf("acquire: %v", err)
			}
		})
	}
	wg.Wait()
	return admitted, refused
}

// fixedDeadline reports deadline d on the fake clock while ending with its
// parent in real time.
type fixedDeadline struct {
	context.Context
	d time.Time
}

func (c *fixedDeadline) Deadline() (time.Time, bool) { return c.d, true }

// With a shared budget a replica sends only the points the fleet leased it, in
// blocks, even when Nango's own count would allow more; the calls that cannot
// have a point before the window ends are refused at once.
func TestGovernorSpendsOnlyPointsLeasedFromTheFleet(t *testing.T) {
	h := newGovHarness(t)
	h.learn(100, 90, 9)
	fb := &fakeBudget{points: 5, block: 2}
	h.g.mu.Lock()
	h.g.shared = fb
	h.g.mu.Unlock()
	admitted, refused := h.acquireAll(8)
	if admitted != 5 || refused != 3 {
		t.Errorf("admitted %d and refused %d, want the 5 leased points spent and 3 refused", admitted, refused)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.views) < 3 {
		t.Fatalf("%d leases, want at least 3 blocks of 2", len(fb.views))
	}
	if v := fb.views[0]; v.Limit != 100 || v.Reset != h.clk.Now().Unix()+9 || v.Remaining != 90 {
		t.Errorf("the fleet was told %+v, want the window learnt from Nango", v)
	}
}

// A replica that knows nothing yet learns the window from the fleet and sends no
// probe of its own.
func TestGovernorLearnsTheWindowFromTheFleet(t *testing.T) {
	h := newGovHarness(t)
	reset := h.clk.Now().Unix() + 20
	fb := &fakeBudget{points: 10, block: 3, window: Window{Limit: 50, Reset: reset, Remaining: 40}}
	h.g.shared = fb
	tk := h.acquireNow(context.Background())
	if tk.probe {
		t.Error("the first call went as a probe, want it admitted on the fleet's window")
	}
	h.g.mu.Lock()
	defer h.g.mu.Unlock()
	if h.g.mode != govLimited || h.g.limit != 50 || h.g.resetT != reset || h.g.leased != 2 {
		t.Errorf("governor mode %d limit %d reset %d leased %d; want the fleet's window with 2 points left",
			h.g.mode, h.g.limit, h.g.resetT, h.g.leased)
	}
}

type modeMetrics struct {
	NopMetrics
	mu    sync.Mutex
	modes []string
}

func (m *modeMetrics) BudgetDecision(context.Context, string) {}
func (m *modeMetrics) BudgetLease(int, error)                 {}
func (m *modeMetrics) BudgetMode(mode string) {
	m.mu.Lock()
	m.modes = append(m.modes, mode)
	m.mu.Unlock()
}

// While the shared budget is unreachable a replica takes its share of the limit
// (limit / replicas) per window, and says so in a log line and a metric.
func TestGovernorFallsBackToItsShareOfTheLimitWhenTheFleetIsUnreachable(t *testing.T) {
	h := newGovHarness(t)
	var logs bytes.Buffer
	mm := &modeMetrics{}
	h.g.log = slog.New(slog.NewTextHandler(&logs, nil))
	h.g.metrics = mm
	h.learn(30, 30, 9)
	h.g.mu.Lock()
	h.g.shared = &fakeBudget{err: errors.New("nats: connection closed")}
	h.g.replicas = 3
	h.g.mu.Unlock()
	admitted, refused := h.acquireAll(15)
	if admitted != 10 || refused != 5 {
		t.Errorf("admitted %d and refused %d, want 10 (30 / 3 replicas) and 5", admitted, refused)
	}
	if !strings.Contains(logs.String(), "shared rate budget unreachable") || !strings.Contains(logs.String(), "replicas=3") {
		t.Errorf("log = %q, want the fallback announced with the replica count", logs.String())
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if len(mm.modes) != 1 || mm.modes[0] != BudgetLocal {
		t.Errorf("modes reported %v, want [local]", mm.modes)
	}
}
