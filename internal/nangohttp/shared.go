package nangohttp

import "context"

// Window is what one replica knows of Nango's current rate-limit window, as
// told to a SharedBudget.
type Window struct {
	// Limit is X-RateLimit-Limit; 0 while unknown.
	Limit int
	// Reset is X-RateLimit-Reset (Unix seconds); 0 while unknown.
	Reset int64
	// After is the Reset of the window that surely ended, when Reset is not
	// known yet: the window meant is the first one after it.
	After int64
	// Remaining is the lowest X-RateLimit-Remaining seen in the window, -1
	// when none was: it tells the fleet about points spent that no lease
	// counted (another program on the same account, a call still in flight
	// when the previous window ended).
	Remaining int
}

// Lease is points of the fleet's window granted to one replica. The points
// are spent locally and never given back: they lapse with the window.
type Lease struct {
	Points int
	// Window is the window as the fleet knows it; a replica that has not
	// learnt it yet (a new one, or one whose window just rolled) learns its
	// Limit and Reset from here.
	Window Window
}

// SharedBudget shares Nango's window among the replicas of a fleet, so that
// together they never send more than Nango allows. want is how many points
// the replica would like (0 only tells the fleet what the replica knows); the
// budget grants what it sees fit, possibly none when the window is spent. An
// error (the store is unreachable) makes the governor fall back to a local
// share of the limit until a later lease succeeds.
type SharedBudget interface {
	Lease(ctx context.Context, w Window, want int) (Lease, error)
}

// Rate budget modes reported to BudgetMetrics.
const (
	BudgetShared = "shared" // points leased from the fleet's shared window
	BudgetLocal  = "local"  // the store failed: this replica's share of the limit
)

// Outcomes of a governed call reported to BudgetMetrics.
const (
	BudgetAdmitted = "admitted"
	// BudgetDeadline: the call could not have its turn before its deadline.
	BudgetDeadline = "deadline"
	// BudgetQuota: the client's quota of the window is spent, and the window
	// resets after the deadline.
	BudgetQuota = "quota"
	// BudgetCanceled: the caller left while waiting.
	BudgetCanceled = "canceled"
)

// BudgetMetrics is implemented by a Metrics that follows the rate budget per
// client. Methods may be called under the governor's lock: they must be cheap.
type BudgetMetrics interface {
	// BudgetDecision reports how one call left the governor: BudgetAdmitted,
	// or refused (BudgetDeadline, BudgetQuota, BudgetCanceled). ctx names the
	// client.
	BudgetDecision(ctx context.Context, outcome string)
	// BudgetMode reports the mode in force after a change (BudgetShared or
	// BudgetLocal).
	BudgetMode(mode string)
	// BudgetLease reports one lease from the shared budget: the points
	// granted, or the error.
	BudgetLease(points int, err error)
}
