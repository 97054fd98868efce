package nangohttp

import (
	"context"
	"time"
)

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

// CallMetrics is implemented by a Metrics that labels series per call: it
// receives the call's context (which names the client) and the call's route
// name, never its path or query, so labels stay few and hold no id. The Client
// calls these in addition to the methods of Metrics.
type CallMetrics interface {
	// AttemptDone reports one finished HTTP exchange with Nango.
	AttemptDone(ctx context.Context, a Attempt)
	// RetryScheduled reports a retry about to be waited for.
	RetryScheduled(ctx context.Context, route string, reason RetryReason)
	// GovernorWaitDone is GovernorWaited with the call's context. It may be
	// called under the governor's lock.
	GovernorWaitDone(ctx context.Context, d time.Duration, admitted bool)
}

// Attempt is the outcome of one HTTP exchange with Nango.
type Attempt struct {
	// Route names the call (see Config.Route), "" when unknown.
	Route  string
	Method string
	// Status is the HTTP status, 0 when no answer came (Outcome then says why).
	Status int
	// Outcome is "answered", "network_error", "timeout", "canceled" or
	// "too_large".
	Outcome  string
	Duration time.Duration
	// RateLimitRemaining is Nango's X-RateLimit-Remaining, when its own
	// answer carried one (never a provider's, seen through the proxy).
	RateLimitRemaining    int
	HasRateLimitRemaining bool
}

// RetryBudgetTokens is the retry budget's current level, or -1 when the
// budget is disabled: a gauge can read it at any time, including before the
// first change RetryBudgetLevel would report.
func (c *Client) RetryBudgetTokens() int {
	if c.budget == nil {
		return -1
	}
	return int(c.budget.tokens.Load())
}

// GovernorQueueLength is how many calls wait in the rate governor now.
func (c *Client) GovernorQueueLength() int {
	if c.gov == nil {
		return 0
	}
	c.gov.mu.Lock()
	defer c.gov.mu.Unlock()
	return c.gov.queued
}
