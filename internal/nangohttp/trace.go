package nangohttp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// tracerName names the tracer of the upstream client's spans.
const tracerName = "github.com/nango-gateway/nango-gateway/internal/nangohttp"

// Outcomes of an attempt (Attempt.Outcome, the error.type of its span).
const (
	OutcomeAnswered     = "answered"
	OutcomeNetworkError = "network_error"
	OutcomeTimeout      = "timeout"
	OutcomeCanceled     = "canceled"
	OutcomeTooLarge     = "too_large"
)

// routeOf names the call for spans and metrics. Without Config.Route, the gRPC method
// the call serves is the name: it is already the allowlist's and the logs' name of it.
func (c *Client) routeOf(ctx context.Context) string {
	if c.route != nil {
		return c.route(ctx)
	}
	method, _ := grpc.Method(ctx)
	return strings.TrimPrefix(method, "/")
}

// startAttempt opens the span of one attempt, a child of the call's span. It covers the
// governor's admission (a wait shows as an event) and the exchange; the span's context
// is what goes to Nango in traceparent.
func (c *Client) startAttempt(ctx context.Context, route, method string, attempt int) (context.Context, trace.Span) {
	name := "nango " + method
	if route != "" {
		name = "nango " + route
	}
	// Attributes are set after the sampler has decided, and only on a span that records:
	// most spans are not recorded (no exporter, or sampled out), and building attributes
	// for them was a measurable part of each call.
	ctx, span := c.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
	if !span.IsRecording() {
		return ctx, span
	}
	span.SetAttributes(
		attribute.String("http.request.method", method),
		attribute.String("server.address", c.base.Hostname()),
		attribute.Int("nango.attempt", attempt),
	)
	if route != "" {
		span.SetAttributes(attribute.String("nango.route", route))
	}
	if attempt > 1 {
		span.SetAttributes(attribute.Int("http.request.resend_count", attempt-1))
	}
	return ctx, span
}

// governorEvent shows a rate-governor wait on the attempt's span.
func governorEvent(ctx context.Context, d time.Duration, admitted bool) {
	trace.SpanFromContext(ctx).AddEvent("nango rate governor wait", trace.WithAttributes(
		attribute.Int64("wait_ms", d.Milliseconds()), attribute.Bool("admitted", admitted)))
}

// attemptOutcome classifies an exchange for metrics and spans. Never the error's text:
// a transport error quotes the URL, query included.
func attemptOutcome(ctx context.Context, resp *Response, err error, timedOut bool) string {
	switch {
	case err == nil:
		return OutcomeAnswered
	case errors.Is(err, errTooLarge):
		return OutcomeTooLarge
	case ctx.Err() != nil:
		return OutcomeCanceled
	case timedOut:
		return OutcomeTimeout
	}
	return OutcomeNetworkError
}

// observeAttempt records one exchange on its span and in the per-call metrics.
// nangoOwn says the answer's X-RateLimit-* are Nango's, not a provider's.
func (c *Client) observeAttempt(ctx context.Context, span trace.Span, route, method string, resp *Response, err error, timedOut, nangoOwn bool, d time.Duration) {
	a := Attempt{Route: route, Method: method, Outcome: attemptOutcome(ctx, resp, err, timedOut), Duration: d}
	if resp != nil {
		a.Status = resp.Status
		span.SetAttributes(attribute.Int("http.response.status_code", resp.Status))
		if nangoOwn {
			a.RateLimitRemaining, a.HasRateLimitRemaining = rateLimitRemaining(resp.Header)
		}
	}
	switch {
	case a.Outcome != OutcomeAnswered && a.Outcome != OutcomeTooLarge:
		span.SetAttributes(attribute.String("error.type", a.Outcome))
		span.SetStatus(otelcodes.Error, a.Outcome)
	case a.Status >= 400:
		span.SetAttributes(attribute.String("error.type", strconv.Itoa(a.Status)))
		span.SetStatus(otelcodes.Error, http.StatusText(a.Status))
	}
	if cm, ok := c.metrics.(CallMetrics); ok {
		cm.AttemptDone(ctx, a)
	}
}

func defaultTracing(tp trace.TracerProvider, prop propagation.TextMapPropagator) (trace.Tracer, propagation.TextMapPropagator) {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if prop == nil {
		// W3C trace context always: even with nothing exported, Nango's logs and
		// traces can be joined with the caller's.
		prop = propagation.TraceContext{}
	}
	return tp.Tracer(tracerName), prop
}
