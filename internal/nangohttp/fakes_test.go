package nangohttp

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// fakeClock is a Clock that moves only when told. With auto set, every wait
// is over at once (time jumps ahead by it), for tests that count retries
// rather than time them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	timers []*fakeTimer
	waits  []time.Duration // every wait asked for, in order
}

type fakeTimer struct {
	at time.Time
	d  time.Duration
	ch chan time.Time
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	ch := make(chan time.Time, 1)
	if f.auto && d > 0 {
		f.now = f.now.Add(d)
	}
	if d <= 0 || f.auto {
		ch <- f.now
		return ch
	}
	f.timers = append(f.timers, &fakeTimer{at: f.now.Add(d), d: d, ch: ch})
	return ch
}

// Advance moves time on and fires the timers that are due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.at.After(f.now) {
			t.ch <- f.now
			continue
		}
		kept = append(kept, t)
	}
	f.timers = kept
}

// pending returns the durations of the timers not yet fired.
func (f *fakeClock) pending() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for _, t := range f.timers {
		out = append(out, t.d)
	}
	return out
}

// Waits returns every wait asked for so far.
func (f *fakeClock) Waits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

// awaitTimers blocks until n timers are pending (real time, bounded).
func (f *fakeClock) awaitTimers(t *testing.T, n int) []time.Duration {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if p := f.pending(); len(p) >= n {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d timers pending after 5s, want %d", len(f.pending()), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// countingMetrics records Metrics events.
type countingMetrics struct {
	mu sync.Mutex
	metricCounts
}

type metricCounts struct {
	attempts    int
	retries     map[RetryReason]int
	rateLimited int
	waits       int
	refused     int
	exhausted   int
	levels      []int
}

func (m *countingMetrics) UpstreamAttempt(string) {
	m.mu.Lock()
	m.attempts++
	m.mu.Unlock()
}

func (m *countingMetrics) UpstreamRetry(r RetryReason) {
	m.mu.Lock()
	if m.retries == nil {
		m.retries = map[RetryReason]int{}
	}
	m.retries[r]++
	m.mu.Unlock()
}

func (m *countingMetrics) UpstreamRateLimited() {
	m.mu.Lock()
	m.rateLimited++
	m.mu.Unlock()
}

func (m *countingMetrics) GovernorWaited(_ time.Duration, admitted bool) {
	m.mu.Lock()
	m.waits++
	if !admitted {
		m.refused++
	}
	m.mu.Unlock()
}

func (m *countingMetrics) RetryBudgetLevel(n int) {
	m.mu.Lock()
	m.levels = append(m.levels, n)
	m.mu.Unlock()
}

func (m *countingMetrics) RetryBudgetExhausted() {
	m.mu.Lock()
	m.exhausted++
	m.mu.Unlock()
}

func (m *countingMetrics) snapshot() metricCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := metricCounts{attempts: m.attempts, rateLimited: m.rateLimited, waits: m.waits,
		refused: m.refused, exhausted: m.exhausted, levels: append([]int(nil), m.levels...),
		retries: map[RetryReason]int{}}
	for k, v := range m.retries {
		c.retries[k] = v
	}
	return c
}

// wire is the simulator as upstream, with the time and status of each answer
// seen on the wire.
type wire struct {
	sim *simulator.Simulator
	srv *httptest.Server

	mu      sync.Mutex
	answers []answer
}

type answer struct {
	at     time.Time
	path   string
	status int
}

func newWire(t *testing.T, opts simulator.Options) *wire {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	w := &wire{sim: simulator.New(opts)}
	t.Cleanup(w.sim.Close)
	w.srv = startServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		at := time.Now()
		record := func(status int) {
			w.mu.Lock()
			w.answers = append(w.answers, answer{at: at, path: r.URL.Path, status: status})
			w.mu.Unlock()
		}
		// Recorded when the status is written, before the client can see the answer:
		// a test that checks right after its calls returned sees every one.
		sw := &statusWriter{ResponseWriter: rw, onStatus: record}
		w.sim.ServeHTTP(sw, r)
		if sw.status == 0 {
			record(0) // hijacked: a reset
		}
	}))
	return w
}

func (w *wire) count() int { return len(w.sim.Requests()) }

func (w *wire) statuses() map[int]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[int]int{}
	for _, a := range w.answers {
		out[a.status]++
	}
	return out
}

func (w *wire) times() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]time.Time, len(w.answers))
	for i, a := range w.answers {
		out[i] = a.at
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// statusWriter notes the status; a hijacked connection (a reset) stays 0.
type statusWriter struct {
	http.ResponseWriter
	status   int
	onStatus func(int)
}

func (s *statusWriter) note(code int) {
	if s.status == 0 {
		s.status = code
		if s.onStatus != nil {
			s.onStatus(code)
		}
	}
}

func (s *statusWriter) WriteHeader(code int) {
	s.note(code)
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.note(http.StatusOK)
	return s.ResponseWriter.Write(b)
}

// Hijack lets the simulator's Reset fault close the connection.
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.ResponseWriter.(http.Hijacker).Hijack()
}
