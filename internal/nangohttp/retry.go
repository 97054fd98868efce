package nangohttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// RetryConfig is the retry policy. Zero fields take the defaults in
// brackets.
type RetryConfig struct {
	// MaxAttempts counts the first try [3]; 1 disables retries.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the full-jitter exponential backoff
	// after a network error or a 5xx: the n-th retry waits a uniform time in
	// [0, min(MaxBackoff, BaseBackoff·2^(n-1))) [100ms, 2s].
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// MaxRateLimitWait bounds the wait after a 429 [30s]: a wait derived from
	// X-RateLimit-Reset is clamped to it, and a Retry-After beyond it is not
	// waited for (the call fails at once with a RetryInfo of that delay).
	MaxRateLimitWait time.Duration
	// BudgetTokens is the size of the process-wide retry budget [500];
	// negative disables the budget (retries are then unbounded by it).
	BudgetTokens int
	// RetryCost is what a retry takes from the budget [5]; TimeoutRetryCost
	// what it takes after an attempt that timed out [10]. Each answer that is
	// not a retryable failure gives one token back.
	RetryCost        int
	TimeoutRetryCost int
}

// Defaults of RetryConfig.
const (
	DefaultMaxAttempts      = 3
	DefaultBaseBackoff      = 100 * time.Millisecond
	DefaultMaxBackoff       = 2 * time.Second
	DefaultMaxRateLimitWait = 30 * time.Second
	DefaultBudgetTokens     = 500
	DefaultRetryCost        = 5
	DefaultTimeoutRetryCost = 10
)

// Bounds of the wait after a 429 (Retry-After 0 gives a uniform wait in
// [minRateLimitWait, maxZeroRetryAfterWait)).
const (
	minRateLimitWait      = 100 * time.Millisecond
	maxZeroRetryAfterWait = 500 * time.Millisecond
)

func (r RetryConfig) withDefaults() (RetryConfig, error) {
	for _, f := range []struct {
		name string
		neg  bool
	}{
		{"MaxAttempts", r.MaxAttempts < 0}, {"BaseBackoff", r.BaseBackoff < 0},
		{"MaxBackoff", r.MaxBackoff < 0}, {"MaxRateLimitWait", r.MaxRateLimitWait < 0},
		{"RetryCost", r.RetryCost < 0}, {"TimeoutRetryCost", r.TimeoutRetryCost < 0},
	} {
		if f.neg {
			return r, fmt.Errorf("nangohttp: Config.Retry.%s is negative", f.name)
		}
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultMaxAttempts
	}
	r.BaseBackoff = orDefault(r.BaseBackoff, DefaultBaseBackoff)
	r.MaxBackoff = orDefault(r.MaxBackoff, DefaultMaxBackoff)
	r.MaxRateLimitWait = orDefault(r.MaxRateLimitWait, DefaultMaxRateLimitWait)
	if r.BudgetTokens == 0 {
		r.BudgetTokens = DefaultBudgetTokens
	}
	if r.RetryCost == 0 {
		r.RetryCost = DefaultRetryCost
	}
	if r.TimeoutRetryCost == 0 {
		r.TimeoutRetryCost = DefaultTimeoutRetryCost
	}
	return r, nil
}

// Class is what the retry layer needs to know of a call: whether sending it
// twice is harmless, and how long it may take.
type Class uint8

const (
	// ClassAuto derives the class from the request; see Request.Class.
	ClassAuto Class = iota
	// ClassRead is a read (GET, HEAD, OPTIONS): retried on network errors,
	// timeouts, 500/502/503/504 and 429.
	ClassRead
	// ClassIdempotentWrite is a write whose repetition leaves the same state
	// (set or update metadata, start or pause syncs, update a sync
	// frequency): retried as a read.
	ClassIdempotentWrite
	// ClassNonIdempotent is a write that may act twice if sent twice
	// (trigger a sync or an async action, create a connect session or an
	// integration, a proxied POST, PUT, PATCH or DELETE): retried only on
	// Nango's own 429, which refuses the call before doing anything, or
	// when the request provably never left (the dial failed).
	ClassNonIdempotent
	// ClassSyncAction is a synchronous action trigger: retried as
	// ClassNonIdempotent, with Config.ActionTimeout as default deadline.
	ClassSyncAction
)

func (k Class) String() string {
	switch k {
	case ClassAuto:
		return "auto"
	case ClassRead:
		return "read"
	case ClassIdempotentWrite:
		return "idempotent_write"
	case ClassNonIdempotent:
		return "non_idempotent"
	case ClassSyncAction:
		return "sync_action"
	}
	return "Class(" + strconv.Itoa(int(k)) + ")"
}

// callPolicy is the retry policy of one call, computed once.
type callPolicy struct {
	idempotent   bool
	proxy        bool // a /proxy call: its status and headers may be the provider's
	nangoRetries bool
	timeout      time.Duration
}

func (c *Client) policy(req *Request, method string) (callPolicy, error) {
	class := req.Class
	if class == ClassAuto {
		switch {
		case method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions:
			class = ClassRead
		case method == http.MethodPost && req.Path == "/action/trigger" &&
			!strings.EqualFold(strings.TrimSpace(req.Header.Get("X-Async")), "true"):
			class = ClassSyncAction
		default:
			class = ClassNonIdempotent
		}
	}
	p := callPolicy{
		proxy:        req.Path == "/proxy" || strings.HasPrefix(req.Path, "/proxy/"),
		nangoRetries: req.NangoRetries,
		timeout:      c.defaultTimeout,
	}
	switch class {
	case ClassRead, ClassIdempotentWrite:
		p.idempotent = true
	case ClassNonIdempotent:
	case ClassSyncAction:
		p.timeout = c.actionTimeout
	default:
		return p, invalidRequest("unknown request class %d", class)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(req.Header.Get("Retries"))); err == nil && n > 0 {
		p.nangoRetries = true
	}
	return p, nil
}

// roundTrip is the one retry layer. It prepares req once, then loops: the
// governor admits the attempt, send performs it, the governor learns from
// the answer, and the raw outcome decides whether to retry, after how long,
// and whether the deadline and the budget allow it. raw reports whether any
// status is an acceptable answer (DoRaw); it only changes what a 429 that
// cannot be waited for returns.
func (c *Client) roundTrip(ctx context.Context, req *Request, raw bool) (*Response, error) {
	out, err := c.prepare(req)
	if err != nil {
		return nil, err
	}
	pol, err := c.policy(req, out.method)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, pol.timeout)
		defer cancel()
	}
	route := c.routeOf(ctx)
	for attempt := 1; ; attempt++ {
		actx, span := c.startAttempt(ctx, route, out.method, attempt)
		tk, err := c.gov.acquire(actx)
		if err != nil {
			span.SetStatus(otelcodes.Error, "not admitted by the rate governor")
			span.End()
			return nil, err
		}
		began := c.clock.Now()
		resp, sendErr, timedOut := c.attempt(actx, out)
		nangoLimited := resp != nil && resp.Status == http.StatusTooManyRequests && (!pol.proxy || isNangoRateLimit(resp.Body))
		// A proxied answer's X-RateLimit-* may be the provider's (GitHub
		// sends them too); only Nango's own refusal teaches the governor.
		nangoOwn := !pol.proxy || nangoLimited
		c.gov.release(tk, resp, sendErr == nil && nangoOwn)
		c.observeAttempt(actx, span, route, out.method, resp, sendErr, timedOut, nangoOwn, c.clock.Now().Sub(began))

		reason, failure := c.retryReason(ctx, &pol, resp, sendErr, timedOut, nangoLimited)
		if !failure {
			if level, changed := c.budget.give(1); changed {
				c.metrics.RetryBudgetLevel(level)
			}
		}
		if reason == "" || attempt >= c.retry.MaxAttempts {
			span.End()
			return c.finish(ctx, resp, sendErr, raw)
		}

		now := c.clock.Now()
		var wait time.Duration
		if reason == RetryRateLimited {
			var tooLong bool
			wait, tooLong = c.rateLimitWait(resp.Header, now, attempt)
			if tooLong || pastDeadline(ctx, now, wait) {
				c.log.DebugContext(ctx, "nango rate limit: wait would pass the deadline, not retrying",
					"method", out.method, "path", req.Path, "attempt", attempt, "wait", wait)
				span.End()
				if raw {
					return resp, nil
				}
				return resp, c.upstreamErrorAfter(resp, wait)
			}
		} else {
			wait = c.backoff(attempt)
			if pastDeadline(ctx, now, wait) {
				span.End()
				return c.finish(ctx, resp, sendErr, raw)
			}
		}
		cost := c.retry.RetryCost
		if reason == RetryTimeout {
			cost = c.retry.TimeoutRetryCost
		}
		left, ok := c.budget.take(cost)
		if !ok {
			c.metrics.RetryBudgetExhausted()
			c.log.WarnContext(ctx, "nango retry budget exhausted, not retrying",
				"method", out.method, "path", req.Path, "reason", string(reason), "tokens", left)
			span.AddEvent("nango retry refused: retry budget exhausted", trace.WithAttributes(attribute.String("reason", string(reason))))
			span.End()
			return c.finish(ctx, resp, sendErr, raw)
		}
		if c.budget != nil {
			c.metrics.RetryBudgetLevel(left)
		}
		c.metrics.UpstreamRetry(reason)
		if cm, ok := c.metrics.(CallMetrics); ok {
			cm.RetryScheduled(ctx, route, reason)
		}
		c.log.DebugContext(ctx, "retrying nango call",
			"method", out.method, "path", req.Path, "attempt", attempt, "reason", string(reason), "wait", wait)
		span.AddEvent("nango retry scheduled", trace.WithAttributes(
			attribute.String("reason", string(reason)), attribute.Int64("wait_ms", wait.Milliseconds())))
		span.End()
		select {
		case <-c.clock.After(wait):
		case <-ctx.Done():
			return nil, contextError(ctx.Err())
		}
	}
}

// attempt performs one exchange within AttemptTimeout. timedOut reports that
// the attempt, not the call, ran out of time.
func (c *Client) attempt(ctx context.Context, out *outgoing) (resp *Response, err error, timedOut bool) {
	c.metrics.UpstreamAttempt(out.method)
	actx := ctx
	if c.attemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.attemptTimeout)
		defer cancel()
	}
	resp, err = c.send(actx, out)
	if err != nil && ctx.Err() == nil {
		var ne net.Error
		timedOut = errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	}
	return resp, err, timedOut
}

// finish turns the last outcome into roundTrip's result.
func (c *Client) finish(ctx context.Context, resp *Response, sendErr error, raw bool) (*Response, error) {
	if sendErr == nil {
		return resp, nil
	}
	if errors.Is(sendErr, errTooLarge) && resp != nil && !raw && !is2xx(resp.Status) {
		// The status is the news; an error body that big carries nothing
		// worth reading.
		return resp, nil
	}
	return nil, c.transportError(ctx, sendErr)
}

// retryReason classifies one attempt's outcome: failure says it counts
// against Nango's health (no budget token back), reason says why it may be
// retried under pol ("" when it may not).
func (c *Client) retryReason(ctx context.Context, pol *callPolicy, resp *Response, err error, timedOut, nangoLimited bool) (reason RetryReason, failure bool) {
	if err != nil {
		switch {
		case ctx.Err() != nil, errors.Is(err, errTooLarge):
			// The caller gave up, or the answer arrived and is just too big.
			return "", false
		case neverLeft(err):
			return RetryConnect, true
		case !pol.idempotent:
			return "", true
		case timedOut:
			return RetryTimeout, true
		}
		return RetryNetwork, true
	}
	switch resp.Status {
	case http.StatusTooManyRequests:
		c.metrics.UpstreamRateLimited()
		// Nango's limiter refuses before the call does anything, so even a
		// non-idempotent call may be sent again. A provider's 429 through
		// the proxy is retried only for idempotent calls, and not when
		// Nango's proxy already retried it.
		if nangoLimited || pol.idempotent && !pol.nangoRetries {
			return RetryRateLimited, true
		}
		return "", true
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		if pol.idempotent && !pol.nangoRetries {
			return RetryServerError, true
		}
		return "", true
	}
	return "", false
}

// neverLeft reports a transport error that proves no byte of the request
// reached Nango: the connection was never established.
func neverLeft(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// isNangoRateLimit recognises the body of Nango's own limiter:
// {"error":{"code":"too_many_request",…}}.
func isNangoRateLimit(body []byte) bool {
	code, _, _, _ := parseEnvelope(body)
	return code == "too_many_request"
}

// backoff is the full-jitter exponential backoff before retry number
// attempt (1 for the first retry).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.retry.MaxBackoff
	if shift := attempt - 1; shift < 32 {
		if d := c.retry.BaseBackoff << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	return time.Duration(c.rand() * float64(ceiling))
}

// rateLimitWait is the wait after a 429: Retry-After (0, or a date already
// passed, gives a jittered 100–500ms; beyond MaxRateLimitWait, tooLong),
// else X-RateLimit-Reset − now clamped to [100ms, MaxRateLimitWait], else
// the backoff with a 100ms floor.
func (c *Client) rateLimitWait(h http.Header, now time.Time, attempt int) (wait time.Duration, tooLong bool) {
	if d, ok := retryAfter(h, now); ok {
		if d <= 0 {
			return minRateLimitWait + time.Duration(c.rand()*float64(maxZeroRetryAfterWait-minRateLimitWait)), false
		}
		return d, d > c.retry.MaxRateLimitWait
	}
	if d, ok := rateLimitReset(h, now); ok {
		return min(max(d, minRateLimitWait), c.retry.MaxRateLimitWait), false
	}
	return max(c.backoff(attempt), minRateLimitWait), false
}

// pastDeadline reports that waiting d would reach the call's deadline.
func pastDeadline(ctx context.Context, now time.Time, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return ok && !now.Add(d).Before(deadline)
}
