package nangohttp

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The rate governor turns a burst above Nango's limit into waiting instead
// of 429s. Nango counts requests per account in fixed windows (60s) and tells
// on every answer how many are left (X-RateLimit-Remaining) and when the
// window ends (X-RateLimit-Reset, Unix seconds, rounded down). The governor
// lets at most Remaining calls go in the current window, counting the calls
// still in flight as spent, queues the rest in arrival order, and releases
// them once the window has surely ended. A queued call whose deadline comes
// before that leaves at once with ResourceExhausted and the wait as
// RetryInfo, without reaching Nango.
//
// It is one per Client, hence per process; other replicas share the
// account's limit, which is why the governor trusts Nango's Remaining rather
// than its own count, and why an occasional 429 is still retried.

type govMode uint8

const (
	govUnknown govMode = iota // nothing learned yet: one probe at a time
	govOpen                   // Nango answers without X-RateLimit-*: limiting is off
	govLimited                // a window is known
)

const (
	// govProbeWait is how long queued calls wait for the first answer before
	// going anyway: the first call may be a synchronous action that runs for
	// minutes.
	govProbeWait = time.Second
	// govMaxHold bounds a hold: Nango's window is 60s, so a reset further
	// away is clock trouble or garbage.
	govMaxHold = 61 * time.Second
	// govResetJitter spreads the release of queued calls (and of other
	// replicas' governors) over the start of the new window.
	govResetJitter = 100 * time.Millisecond
)

type governor struct {
	clock   Clock
	rand    func() float64
	metrics Metrics
	log     *slog.Logger

	mu         sync.Mutex
	mode       govMode
	probing    bool      // govUnknown: a probe is in flight
	probeUntil time.Time // govUnknown: queued calls go anyway after this
	limit      int       // X-RateLimit-Limit
	resetT     int64     // X-RateLimit-Reset of the current window
	resetAt    time.Time // when the current window has surely ended
	rolled     bool      // resetAt passed and the new window's Reset is not known yet
	budget     int       // calls that may still go in the current window
	epoch      uint64    // bumped when a window ends
	inflight   int       // calls admitted in this epoch and not yet answered
	queue      []*govWaiter
	changed    chan struct{} // closed when the mode or resetAt changes
}

// ticket is an admission; release or undo gives it back.
type ticket struct {
	epoch   uint64
	counted bool // counted in inflight
	spent   bool // took one from budget
	probe   bool
}

type govWaiter struct {
	deadline    time.Time
	hasDeadline bool
	ready       chan struct{} // closed once done
	done        bool          // admitted (tk) or refused (err); under mu
	tk          ticket
	err         error
}

func newGovernor(clock Clock, rand func() float64, m Metrics, log *slog.Logger) *governor {
	return &governor{clock: clock, rand: rand, metrics: m, log: log, changed: make(chan struct{})}
}

// acquire admits one attempt, waiting in line when the window is spent. A
// nil governor admits everything.
func (g *governor) acquire(ctx context.Context) (ticket, error) {
	if g == nil {
		return ticket{}, nil
	}
	g.mu.Lock()
	start := g.clock.Now()
	g.dispatch(start)
	if len(g.queue) == 0 {
		if tk, ok := g.admit(start); ok {
			g.mu.Unlock()
			return tk, nil
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	if wait, ok := g.knownWait(start); ok && hasDeadline && deadline.Before(g.resetAt) {
		g.mu.Unlock()
		g.waited(ctx, 0, false)
		g.log.DebugContext(ctx, "nango rate limit window resets after the deadline, call not sent", "wait", wait)
		return ticket{}, rateLimitWaitError(wait)
	}
	w := &govWaiter{deadline: deadline, hasDeadline: hasDeadline, ready: make(chan struct{})}
	g.queue = append(g.queue, w)
	g.mu.Unlock()
	return g.wait(ctx, w, start)
}

func (g *governor) wait(ctx context.Context, w *govWaiter, start time.Time) (ticket, error) {
	for {
		g.mu.Lock()
		wake, timed := g.nextWake(g.clock.Now())
		changed := g.changed
		g.mu.Unlock()
		var timer <-chan time.Time
		if timed {
			timer = g.clock.After(wake)
		}
		select {
		case <-w.ready:
			waited := g.clock.Now().Sub(start)
			g.waited(ctx, waited, w.err == nil)
			return w.tk, w.err
		case <-ctx.Done():
			g.mu.Lock()
			if !w.done {
				g.remove(w)
			} else if w.err == nil {
				g.undo(w.tk) // admitted just now, but will not be sent
			}
			g.dispatch(g.clock.Now())
			g.mu.Unlock()
			waited := g.clock.Now().Sub(start)
			g.waited(ctx, waited, false)
			return ticket{}, contextError(ctx.Err())
		case <-timer:
			g.mu.Lock()
			g.dispatch(g.clock.Now())
			g.mu.Unlock()
		case <-changed:
		}
	}
}

// release returns tk after its attempt; learn says resp's X-RateLimit-*
// describe Nango's limit (not a proxied provider's).
func (g *governor) release(tk ticket, resp *Response, learn bool) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	if tk.probe {
		g.probing = false
	}
	if tk.counted && tk.epoch == g.epoch && g.inflight > 0 {
		g.inflight--
	}
	if resp != nil && learn {
		if limit, remaining, reset, ok := parseRateLimit(resp.Header); ok {
			g.learn(now, limit, remaining, reset, resp.Header)
		} else if g.mode == govUnknown {
			g.mode = govOpen
			g.notify()
		}
	}
	g.dispatch(now)
}

// undo gives back an admission that was never used.
func (g *governor) undo(tk ticket) {
	if tk.probe {
		g.probing = false
	}
	if tk.epoch == g.epoch {
		if tk.counted && g.inflight > 0 {
			g.inflight--
		}
		if tk.spent {
			g.budget++
		}
	}
}

// learn takes in one answer's view of the window. Every estimate counts the
// calls still in flight as already spent, since Nango may not have seen them
// yet; within a window the estimate only ever goes down, since answers can
// arrive out of order.
func (g *governor) learn(now time.Time, limit, remaining int, reset int64, h http.Header) {
	est := remaining - g.inflight
	switch {
	case g.mode != govLimited:
		g.budget = est
	case reset > g.resetT:
		if g.rolled {
			g.budget = min(g.budget, est)
		} else {
			g.budget = est // the window turned before we expected it to
		}
	case reset == g.resetT && !g.rolled:
		g.limit = limit
		g.budget = min(g.budget, est)
		return
	default:
		return // an answer from a window that is over
	}
	g.mode = govLimited
	g.limit = limit
	g.resetT = reset
	g.resetAt = g.holdUntil(now, reset, h)
	g.rolled = false
	g.notify()
}

// holdUntil is when the window whose X-RateLimit-Reset is reset has surely
// ended. Nango rounds the reset down, so the end lies within the second
// after it. When the local clock disagrees with the answer's Date by more
// than a second, the time left is measured on Nango's clock instead.
func (g *governor) holdUntil(now time.Time, reset int64, h http.Header) time.Time {
	end := time.Unix(reset+1, 0)
	at := end
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		// Date is rounded down too: Nango's now lies in [date, date+1s).
		if skew := now.Sub(date.Add(500 * time.Millisecond)); skew > time.Second || skew < -time.Second {
			at = now.Add(end.Sub(date))
		}
	}
	at = at.Add(time.Duration(g.rand() * float64(govResetJitter)))
	switch {
	case at.Before(now):
		return now
	case at.After(now.Add(govMaxHold)):
		return now.Add(govMaxHold)
	}
	return at
}

// refresh starts a new window once the current one has surely ended: its
// full limit is available, and calls still in flight from the old window no
// longer count against it. Until an answer tells the new window's reset,
// govMaxHold bounds it.
func (g *governor) refresh(now time.Time) {
	if g.mode != govLimited || now.Before(g.resetAt) {
		return
	}
	g.epoch++
	g.inflight = 0
	g.budget = g.limit
	g.rolled = true
	g.resetAt = now.Add(govMaxHold)
	g.notify()
}

func (g *governor) admit(now time.Time) (ticket, bool) {
	tk := ticket{epoch: g.epoch, counted: true}
	switch g.mode {
	case govUnknown:
		if !g.probing {
			g.probing = true
			g.probeUntil = now.Add(govProbeWait)
			tk.probe = true
		} else if now.Before(g.probeUntil) {
			return ticket{}, false
		}
	case govLimited:
		if g.budget <= 0 {
			return ticket{}, false
		}
		g.budget--
		tk.spent = true
	}
	g.inflight++
	return tk, true
}

// dispatch admits queued calls in order while the window allows, and sends
// away those whose deadline comes before the known reset.
func (g *governor) dispatch(now time.Time) {
	g.refresh(now)
	for len(g.queue) > 0 {
		tk, ok := g.admit(now)
		if !ok {
			break
		}
		w := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		w.tk, w.done = tk, true
		close(w.ready)
	}
	wait, ok := g.knownWait(now)
	if !ok || len(g.queue) == 0 {
		return
	}
	kept := g.queue[:0]
	for _, w := range g.queue {
		if w.hasDeadline && w.deadline.Before(g.resetAt) {
			w.err, w.done = rateLimitWaitError(wait), true
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(g.queue[len(kept):])
	g.queue = kept
}

// knownWait is the time until the current window surely ends, when that is
// what calls wait for.
func (g *governor) knownWait(now time.Time) (time.Duration, bool) {
	if g.mode == govLimited && !g.rolled && g.budget <= 0 && g.resetAt.After(now) {
		return g.resetAt.Sub(now), true
	}
	return 0, false
}

// nextWake is when the state may change by the passing of time alone.
func (g *governor) nextWake(now time.Time) (time.Duration, bool) {
	switch {
	case g.mode == govUnknown && g.probing && now.Before(g.probeUntil):
		return g.probeUntil.Sub(now), true
	case g.mode == govLimited && g.budget <= 0 && g.resetAt.After(now):
		return g.resetAt.Sub(now), true
	}
	return 0, false
}

func (g *governor) remove(w *govWaiter) {
	for i, q := range g.queue {
		if q == w {
			copy(g.queue[i:], g.queue[i+1:])
			g.queue[len(g.queue)-1] = nil
			g.queue = g.queue[:len(g.queue)-1]
			return
		}
	}
}

func (g *governor) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// parseRateLimit reads X-RateLimit-Limit, -Remaining and -Reset; all three
// must be valid. The keys are written in canonical form, which Header.Get
// would otherwise rebuild on every answer.
func parseRateLimit(h http.Header) (limit, remaining int, reset int64, ok bool) {
	l, err1 := strconv.Atoi(strings.TrimSpace(first(h["X-Ratelimit-Limit"])))
	r, err2 := strconv.Atoi(strings.TrimSpace(first(h["X-Ratelimit-Remaining"])))
	t, err3 := strconv.ParseInt(strings.TrimSpace(first(h["X-Ratelimit-Reset"])), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || l <= 0 || r < 0 || t <= 0 {
		return 0, 0, 0, false
	}
	return l, r, t, true
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// waited reports a wait in line to the metrics and on the attempt's span.
func (g *governor) waited(ctx context.Context, d time.Duration, admitted bool) {
	g.metrics.GovernorWaited(d, admitted)
	if cm, ok := g.metrics.(CallMetrics); ok {
		cm.GovernorWaitDone(ctx, d, admitted)
	}
	governorEvent(ctx, d, admitted)
}
