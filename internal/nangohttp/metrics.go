package nangohttp

import "time"

// RetryReason says why an attempt was retried.
type RetryReason string

// Retry reasons.
const (
	RetryConnect     RetryReason = "connect"      // the request never left (dial failed); any class
	RetryNetwork     RetryReason = "network"      // connection failed after sending; idempotent calls only
	RetryTimeout     RetryReason = "timeout"      // the attempt timed out; idempotent calls only
	RetryServerError RetryReason = "server_error" // 500, 502, 503 or 504; idempotent calls only
	RetryRateLimited RetryReason = "rate_limited" // 429
)

// Metrics receives the retry layer's events. Methods are called
// synchronously on the request path, some under the governor's lock: they
// must be cheap and must not call back into the Client. Embed NopMetrics to
// implement only some of them.
type Metrics interface {
	// UpstreamAttempt counts every HTTP exchange started, first tries and
	// retries alike.
	UpstreamAttempt(method string)
	// UpstreamRetry counts a retry that was scheduled.
	UpstreamRetry(reason RetryReason)
	// UpstreamRateLimited counts a 429 answer.
	UpstreamRateLimited()
	// GovernorWaited reports how long a call queued in the rate governor;
	// admitted is false when it left without being sent (deadline before
	// the window's reset, or the context ended).
	GovernorWaited(d time.Duration, admitted bool)
	// RetryBudgetLevel reports the retry budget's tokens after a change.
	RetryBudgetLevel(tokens int)
	// RetryBudgetExhausted counts a retry refused for lack of tokens.
	RetryBudgetExhausted()
}

// NopMetrics discards every event.
type NopMetrics struct{}

func (NopMetrics) UpstreamAttempt(string)             {}
func (NopMetrics) UpstreamRetry(RetryReason)          {}
func (NopMetrics) UpstreamRateLimited()               {}
func (NopMetrics) GovernorWaited(time.Duration, bool) {}
func (NopMetrics) RetryBudgetLevel(int)               {}
func (NopMetrics) RetryBudgetExhausted()              {}
