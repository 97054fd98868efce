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
// It is one per Client, hence per process. Alone it trusts Nango's
// Remaining rather than its own count, since other replicas share the
// account's limit; with a SharedBudget every admission also spends a point
// leased from the fleet's window (see SharedBudget), so that replicas
// together stay within the limit instead of racing for it.
//
// Calls waiting for points queue per client and are served by weight
// (weighted round robin), so a noisy client cannot starve a quiet one; a
// client may also have a quota of points per window.

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
	// govLeaseTimeout bounds one lease from the shared budget: past it the
	// store is taken to be away and the local share used instead.
	govLeaseTimeout = 2 * time.Second
	// govLeasePoll is how soon a replica asks the fleet again when its
	// window is spent and its end not known yet: another replica's answer
	// will teach it shortly, and with it when to give up on waiters.
	govLeasePoll = 200 * time.Millisecond
)

type governor struct {
	clock   Clock
	rand    func() float64
	metrics Metrics
	log     *slog.Logger

	shared   SharedBudget                          // nil: this process alone
	replicas int                                   // the fleet's size, for the local fallback share
	callerOf func(context.Context) string          // names the client of a call
	shareOf  func(name string) (weight, quota int) // a client's weight and quota

	mu         sync.Mutex
	mode       govMode
	probing    bool          // govUnknown: a probe is in flight
	probeUntil time.Time     // govUnknown: queued calls go anyway after this
	limit      int           // X-RateLimit-Limit
	resetT     int64         // X-RateLimit-Reset of the current window
	resetAt    time.Time     // when the current window has surely ended
	rolled     bool          // resetAt passed and the new window's Reset is not known yet
	prevReset  int64         // rolled: the Reset of the window that ended
	budget     int           // calls that may still go in the current window
	remaining  int           // lowest Remaining seen in the current window, -1 none
	epoch      uint64        // bumped when a window ends
	window     uint64        // bumped when a new window starts, by its end or by an answer: quotas count per window
	inflight   int           // calls admitted in this epoch and not yet answered
	changed    chan struct{} // closed when the mode, resetAt or the lease state changes

	clients map[string]*clientQueue
	ring    []*clientQueue // clients with calls waiting, in serving order
	next    int            // ring index of the client served next
	queued  int            // calls waiting, all clients

	leased     int       // shared: points held for this epoch
	leasing    bool      // shared: a lease is out
	spentOut   bool      // shared: the fleet granted nothing more in this window
	pollAt     time.Time // spentOut while rolled: when to ask the fleet again
	tell       bool      // shared: a newly learnt window is not told to the fleet yet
	fallback   bool      // shared: the store failed in this epoch; the local share applies
	storeDown  bool      // the last lease failed (for logging transitions only)
	localTaken int       // fallback: points taken from the local share in this epoch
}

// clientQueue is one client's line, and what it spent in the current epoch.
type clientQueue struct {
	name    string
	weight  int
	quota   int // points per window; 0 none
	waiters []*govWaiter
	credit  int // calls it may still have in its current round-robin turn
	window  uint64
	spent   int // admitted in window
}

// ticket is an admission; release or undo gives it back.
type ticket struct {
	epoch   uint64
	counted bool // counted in inflight
	spent   bool // took one from budget
	leased  bool // took one leased point
	probe   bool
	client  *clientQueue
	window  uint64
}

type govWaiter struct {
	cq          *clientQueue // the line it waits in
	deadline    time.Time
	hasDeadline bool
	ready       chan struct{} // closed once done
	done        bool          // admitted (tk) or refused (err); under mu
	tk          ticket
	err         error
	outcome     string // refused: why
}

func newGovernor(clock Clock, rand func() float64, m Metrics, log *slog.Logger) *governor {
	return &governor{clock: clock, rand: rand, metrics: m, log: log, changed: make(chan struct{}),
		remaining: -1, replicas: 1, clients: map[string]*clientQueue{}}
}

// acquire admits one attempt, waiting in line when the window is spent. A
// nil governor admits everything.
func (g *governor) acquire(ctx context.Context) (ticket, error) {
	if g == nil {
		return ticket{}, nil
	}
	name := ""
	if g.callerOf != nil {
		name = g.callerOf(ctx)
	}
	g.mu.Lock()
	start := g.clock.Now()
	g.dispatch(start)
	cq := g.client(name)
	if g.queued == 0 && !g.overQuota(cq) {
		if tk, ok := g.admit(start, cq); ok {
			g.mu.Unlock()
			g.decided(ctx, BudgetAdmitted)
			return tk, nil
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	if wait, outcome, ok := g.hopeless(start, cq, deadline, hasDeadline); ok {
		g.mu.Unlock()
		g.waited(ctx, 0, false)
		g.decided(ctx, outcome)
		g.log.DebugContext(ctx, "nango rate limit window resets after the deadline, call not sent", "wait", wait, "reason", outcome)
		return ticket{}, rateLimitWaitError(wait)
	}
	w := &govWaiter{cq: cq, deadline: deadline, hasDeadline: hasDeadline, ready: make(chan struct{})}
	g.enqueue(cq, w)
	g.dispatch(start)
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
			if w.err == nil {
				g.decided(ctx, BudgetAdmitted)
			} else {
				g.decided(ctx, w.outcome)
			}
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
			g.decided(ctx, BudgetCanceled)
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
		if tk.leased && tk.window == g.window {
			g.leased++
		}
	}
	if c := tk.client; c != nil && c.window == tk.window && c.spent > 0 {
		c.spent--
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
			g.newWindow()
		}
	case reset == g.resetT && !g.rolled:
		g.limit = limit
		g.budget = min(g.budget, est)
		g.seen(remaining)
		return
	default:
		return // an answer from a window that is over
	}
	g.mode = govLimited
	g.limit = limit
	g.resetT = reset
	g.resetAt = g.holdUntil(now, reset, h)
	g.rolled = false
	g.seen(remaining)
	g.tell = g.shared != nil
	g.notify()
}

func (g *governor) seen(remaining int) {
	if g.remaining < 0 || remaining < g.remaining {
		g.remaining = remaining
	}
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
	if !g.rolled {
		g.prevReset = g.resetT
	}
	g.rolled = true
	g.resetAt = now.Add(govMaxHold)
	g.newWindow()
	g.notify()
}

// newWindow forgets what the fleet granted for the window that ended:
// leases lapse with it.
func (g *governor) newWindow() {
	g.window++
	g.remaining = -1
	g.leased = 0
	g.spentOut = false
	g.fallback = false
	g.localTaken = 0
}

// needsPoints reports that an admission must spend a leased point.
func (g *governor) needsPoints() bool {
	return g.shared != nil && (g.mode == govLimited || g.mode == govUnknown && !g.fallback)
}

// admit admits one call of cq if the window allows.
func (g *governor) admit(now time.Time, cq *clientQueue) (ticket, bool) {
	tk := ticket{epoch: g.epoch, counted: true, client: cq, window: g.window}
	probe := false
	switch g.mode {
	case govUnknown:
		if !g.probing {
			probe = true
		} else if now.Before(g.probeUntil) {
			return ticket{}, false
		}
	case govLimited:
		if g.budget <= 0 {
			return ticket{}, false
		}
	}
	points := g.needsPoints()
	if points && g.leased <= 0 {
		return ticket{}, false
	}
	if probe {
		g.probing = true
		g.probeUntil = now.Add(govProbeWait)
		tk.probe = true
	}
	if g.mode == govLimited {
		g.budget--
		tk.spent = true
	}
	if points {
		g.leased--
		tk.leased = true
	}
	if cq.window != g.window {
		cq.window, cq.spent = g.window, 0
	}
	cq.spent++
	g.inflight++
	return tk, true
}

// dispatch admits queued calls while the window allows, taking the clients
// in weighted turns, asks the fleet for points when it needs some, and sends
// away the calls that cannot have their turn before their deadline.
func (g *governor) dispatch(now time.Time) {
	g.refresh(now)
	g.serve(now)
	for g.maybeLease(now) {
		g.serve(now) // the local share came at once
	}
	g.sweep(now)
}

// serve admits queued calls, client by client, while the window allows.
func (g *governor) serve(now time.Time) {
	for g.queued > 0 {
		cq := g.pick()
		if cq == nil {
			return
		}
		tk, ok := g.admit(now, cq)
		if !ok {
			return
		}
		cq.credit--
		w := cq.waiters[0]
		cq.waiters[0] = nil
		cq.waiters = cq.waiters[1:]
		g.queued--
		if len(cq.waiters) == 0 {
			g.leaveRing(cq)
		} else if cq.credit <= 0 {
			g.next++
		}
		w.tk, w.done = tk, true
		close(w.ready)
	}
}

// sweep refuses the queued calls whose deadline comes before their turn can.
// Only a spent window, or a client's spent quota, makes a call hopeless: with
// neither, there is nothing to look at.
func (g *governor) sweep(now time.Time) {
	if g.queued == 0 {
		return
	}
	_, spent := g.knownWait(now)
	// Backwards, so that leaveRing shifts only clients already looked at.
	for i := len(g.ring) - 1; i >= 0; i-- {
		cq := g.ring[i]
		if !spent && !g.overQuota(cq) {
			continue
		}
		kept := cq.waiters[:0]
		for _, w := range cq.waiters {
			if wait, outcome, ok := g.hopeless(now, cq, w.deadline, w.hasDeadline); ok {
				w.err, w.outcome, w.done = rateLimitWaitError(wait), outcome, true
				close(w.ready)
				g.queued--
				continue
			}
			kept = append(kept, w)
		}
		clear(cq.waiters[len(kept):])
		cq.waiters = kept
		if len(kept) == 0 {
			g.leaveRing(cq)
		}
	}
}

// pick is the client whose turn it is: the next in the ring under its quota,
// given a fresh turn of weight calls when its last one is used up.
func (g *governor) pick() *clientQueue {
	for range len(g.ring) {
		if g.next >= len(g.ring) {
			g.next = 0
		}
		cq := g.ring[g.next]
		if g.overQuota(cq) {
			cq.credit = 0
			g.next++
			continue
		}
		if cq.credit <= 0 {
			cq.credit = cq.weight
		}
		return cq
	}
	return nil
}

// hopeless tells whether a call of cq with this deadline cannot be admitted
// before it: the window (or cq's quota of it) is spent and ends after the
// deadline. wait is the time until that end.
func (g *governor) hopeless(now time.Time, cq *clientQueue, deadline time.Time, hasDeadline bool) (wait time.Duration, outcome string, ok bool) {
	if !hasDeadline || !deadline.Before(g.resetAt) {
		return 0, "", false
	}
	if wait, ok := g.knownWait(now); ok {
		return wait, BudgetDeadline, true
	}
	if g.overQuota(cq) && !g.rolled && g.resetAt.After(now) {
		return g.resetAt.Sub(now), BudgetQuota, true
	}
	return 0, "", false
}

// knownWait is the time until the current window surely ends, when that is
// what calls wait for: Nango's count or the fleet's says it is spent.
func (g *governor) knownWait(now time.Time) (time.Duration, bool) {
	spent := g.budget <= 0 || g.spentOut && g.leased <= 0
	if g.mode == govLimited && !g.rolled && spent && g.resetAt.After(now) {
		return g.resetAt.Sub(now), true
	}
	return 0, false
}

// nextWake is when the state may change by the passing of time alone.
func (g *governor) nextWake(now time.Time) (time.Duration, bool) {
	switch {
	case g.mode == govUnknown && g.probing && now.Before(g.probeUntil):
		return g.probeUntil.Sub(now), true
	case g.mode == govLimited && (g.budget <= 0 || g.spentOut && g.leased <= 0) && g.resetAt.After(now):
		wake := g.resetAt.Sub(now)
		if g.spentOut && g.rolled && g.pollAt.After(now) {
			wake = min(wake, g.pollAt.Sub(now))
		}
		return wake, true
	case g.mode == govLimited && g.queued > 0 && g.resetAt.After(now):
		// Quotas spent: they come back with the window.
		return g.resetAt.Sub(now), true
	}
	return 0, false
}

// client is name's queue, its weight and quota read afresh when it starts
// waiting (the clients file may have changed).
func (g *governor) client(name string) *clientQueue {
	cq := g.clients[name]
	if cq == nil {
		cq = &clientQueue{name: name, weight: 1}
		g.clients[name] = cq
		g.readShare(cq)
	}
	return cq
}

func (g *governor) readShare(cq *clientQueue) {
	cq.weight, cq.quota = 1, 0
	if g.shareOf != nil {
		w, q := g.shareOf(cq.name)
		cq.weight, cq.quota = max(w, 1), max(q, 0)
	}
}

// overQuota reports that cq spent its quota of the current window. Quotas
// count only while Nango limits: without a window there is nothing to share.
func (g *governor) overQuota(cq *clientQueue) bool {
	return g.mode == govLimited && cq.quota > 0 && cq.window == g.window && cq.spent >= cq.quota
}

func (g *governor) enqueue(cq *clientQueue, w *govWaiter) {
	if len(cq.waiters) == 0 {
		g.readShare(cq)
		cq.credit = 0
		g.ring = append(g.ring, cq)
	}
	cq.waiters = append(cq.waiters, w)
	g.queued++
}

// leaveRing takes cq, whose line is empty, out of the serving order.
func (g *governor) leaveRing(cq *clientQueue) {
	for i, c := range g.ring {
		if c != cq {
			continue
		}
		copy(g.ring[i:], g.ring[i+1:])
		g.ring[len(g.ring)-1] = nil
		g.ring = g.ring[:len(g.ring)-1]
		if i < g.next {
			g.next--
		}
		cq.credit = 0
		break
	}
	if g.next >= len(g.ring) {
		g.next = 0
	}
}

func (g *governor) remove(w *govWaiter) {
	cq := w.cq
	for i, q := range cq.waiters {
		if q != w {
			continue
		}
		copy(cq.waiters[i:], cq.waiters[i+1:])
		cq.waiters[len(cq.waiters)-1] = nil
		cq.waiters = cq.waiters[:len(cq.waiters)-1]
		g.queued--
		if len(cq.waiters) == 0 {
			g.leaveRing(cq)
		}
		return
	}
}

func (g *governor) notify() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// view is what this replica knows of the window, for the fleet.
func (g *governor) view() Window {
	w := Window{Limit: g.limit, Remaining: g.remaining}
	if g.mode == govLimited {
		if g.rolled {
			w.After = g.prevReset
		} else {
			w.Reset = g.resetT
		}
	}
	return w
}

// maybeLease asks the fleet for points when calls wait and none are held,
// or tells it a window just learnt. One lease is out at a time; it runs
// outside the lock. local reports that points of the local share were
// granted instead, at once.
func (g *governor) maybeLease(now time.Time) (local bool) {
	if g.shared == nil || g.leasing || g.mode == govOpen {
		return false
	}
	need := g.queued > 0 && g.leased <= 0 && g.needsPoints()
	if !need && !g.tell {
		return false
	}
	if need && g.spentOut && (!g.rolled || now.Before(g.pollAt)) {
		need = false // the window's end frees points, not the fleet
		if !g.tell {
			return false
		}
	}
	if g.fallback {
		g.tell = false
		return need && g.takeLocal()
	}
	want := 0
	if need {
		want = max(g.queued, 1)
	}
	g.tell = false
	g.leasing = true
	go g.lease(g.view(), want, g.epoch, g.window)
	return false
}

// takeLocal grants what is left of this epoch's local share of the limit,
// the fallback while the store is away: the limit divided by the fleet's
// configured size. granted is false when the share is spent.
func (g *governor) takeLocal() (granted bool) {
	if g.mode != govLimited {
		return false
	}
	share := max(g.limit/max(g.replicas, 1), 1)
	if n := share - g.localTaken; n > 0 {
		g.localTaken += n
		g.leased += n
		g.notify()
		return true
	}
	if !g.spentOut {
		g.spentOut = true
		g.notify()
	}
	return false
}

// lease performs one lease and takes in its answer. Points belong to the
// window they were asked in: if this replica's window turned meanwhile (a new
// epoch, or a new window learnt from Nango's headers), they lapse unused.
func (g *governor) lease(view Window, want int, epoch, window uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), govLeaseTimeout)
	l, err := g.shared.Lease(ctx, view, want)
	cancel()
	if bm, ok := g.metrics.(BudgetMetrics); ok && (want > 0 || err != nil) {
		bm.BudgetLease(l.Points, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.leasing = false
	now := g.clock.Now()
	if err != nil {
		if !g.storeDown {
			g.storeDown = true
			g.log.Warn("shared rate budget unreachable; using this replica's share of Nango's limit until it is back",
				"replicas", g.replicas, "error", err)
			if bm, ok := g.metrics.(BudgetMetrics); ok {
				bm.BudgetMode(BudgetLocal)
			}
		}
		if epoch == g.epoch {
			g.fallback = true
		}
		g.notify()
		g.dispatch(now)
		return
	}
	if g.storeDown {
		g.storeDown = false
		g.log.Info("shared rate budget reachable again")
		if bm, ok := g.metrics.(BudgetMetrics); ok {
			bm.BudgetMode(BudgetShared)
		}
	}
	if epoch == g.epoch && window == g.window {
		g.adopt(now, l.Window)
		g.leased += l.Points
		if want > 0 && l.Points == 0 {
			g.spentOut = true
			g.pollAt = now.Add(govLeasePoll)
		}
	}
	// Points granted for a window that ended meanwhile lapse unused.
	g.notify()
	g.dispatch(now)
}

// adopt learns the window from the fleet when this replica does not know it
// yet: at start, or after its window rolled and another replica saw the new
// one's Reset first.
func (g *governor) adopt(now time.Time, w Window) {
	if w.Limit <= 0 || w.Reset <= 0 {
		return
	}
	switch {
	case g.mode == govUnknown:
		g.budget = w.Limit
	case g.mode == govLimited && g.rolled && w.Reset > g.prevReset+1:
	default:
		return
	}
	g.mode = govLimited
	g.limit = w.Limit
	g.resetT = w.Reset
	g.resetAt = g.holdUntil(now, w.Reset, nil)
	g.rolled = false
	g.probing = false
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

// rateLimitRemaining reads X-RateLimit-Remaining alone, without allocating
// when it is absent (a proxied provider's answer, an upstream without limits).
func rateLimitRemaining(h http.Header) (int, bool) {
	v := first(h["X-Ratelimit-Remaining"])
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, err == nil
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

// decided reports how a call left the governor, per client.
func (g *governor) decided(ctx context.Context, outcome string) {
	if bm, ok := g.metrics.(BudgetMetrics); ok {
		bm.BudgetDecision(ctx, outcome)
	}
}
