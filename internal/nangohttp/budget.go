package nangohttp

import "sync/atomic"

// retryBudget is the token bucket of the AWS SDKs' "standard" retry mode: a
// retry spends tokens, an answer that is not a retryable failure returns one.
// While Nango is healthy the bucket stays full; when most calls fail it
// drains, and calls then fail at their first error instead of multiplying
// the load on an upstream that is already struggling.
type retryBudget struct {
	tokens atomic.Int64
	max    int64
}

func newRetryBudget(n int) *retryBudget {
	b := &retryBudget{max: int64(n)}
	b.tokens.Store(b.max)
	return b
}

// take spends n tokens; false (and nothing spent) when fewer are left. A nil
// budget is unlimited.
func (b *retryBudget) take(n int) (left int, ok bool) {
	if b == nil {
		return 0, true
	}
	for {
		cur := b.tokens.Load()
		if cur < int64(n) {
			return int(cur), false
		}
		if b.tokens.CompareAndSwap(cur, cur-int64(n)) {
			return int(cur) - n, true
		}
	}
}

// give returns n tokens up to the maximum; changed is false when the bucket
// was already full (the common case, which then costs one atomic load).
func (b *retryBudget) give(n int) (level int, changed bool) {
	if b == nil {
		return 0, false
	}
	for {
		cur := b.tokens.Load()
		if cur >= b.max {
			return int(cur), false
		}
		next := min(cur+int64(n), b.max)
		if b.tokens.CompareAndSwap(cur, next) {
			return int(next), true
		}
	}
}
