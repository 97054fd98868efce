package telemetry

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// namespace prefixes the gateway's own series.
const namespace = "nango_gateway"

// Anonymous is the client label of calls made without access control (or before a
// client was authenticated).
const Anonymous = "anonymous"

// clientLabel names the caller for a label: the client name of the clients file, never
// a token.
func clientLabel(ctx context.Context) string {
	if name := access.ClientName(ctx); name != "" {
		return name
	}
	return Anonymous
}

// Metrics are the gateway's own series. Every method is cheap and safe for concurrent use.
type Metrics struct {
	nangohttp.NopMetrics

	upstreamRequests   *prometheus.CounterVec
	attemptDuration    *prometheus.HistogramVec
	retries            *prometheus.CounterVec
	budgetExhausted    prometheus.Counter
	governorWaits      *prometheus.HistogramVec
	rateLimitRemaining prometheus.Gauge
	budgetCalls        *prometheus.CounterVec
	budgetMode         *prometheus.GaugeVec
	budgetLeases       *prometheus.CounterVec
	budgetLeasedPoints prometheus.Counter

	calls           *prometheus.CounterVec
	recordsStreamed *prometheus.CounterVec
	subscribers     *prometheus.GaugeVec
	deliveryLag     prometheus.Histogram

	webhooksReceived  prometheus.Counter
	webhooksRejected  *prometheus.CounterVec
	webhooksPublished *prometheus.CounterVec

	publishDuration *prometheus.HistogramVec
	publishLag      prometheus.Histogram

	reg prometheus.Registerer
}

// latencyBuckets span a fast cached answer to a long synchronous action.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900}

func newMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "upstream_requests_total",
			Help: "HTTP exchanges with Nango (first tries and retries), by route name, method, status (HTTP status, or why none came) and client."},
			[]string{"route", "method", "status", "client"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "upstream_attempt_duration_seconds",
			Help: "Duration of one HTTP exchange with Nango, body read included, by route name, method and client.", Buckets: latencyBuckets},
			[]string{"route", "method", "client"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "upstream_retries_total",
			Help: "Retries of calls to Nango scheduled, by route name, reason and client."},
			[]string{"route", "reason", "client"}),
		budgetExhausted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "upstream_retry_budget_exhausted_total",
			Help: "Retries refused because the retry budget was empty."}),
		governorWaits: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "rate_governor_wait_seconds",
			Help:    "Time calls queued in the rate governor, by outcome (admitted, or refused: the window reset after the deadline or the caller left).",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"outcome", "client"}),
		rateLimitRemaining: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "nango_rate_limit_remaining",
			Help: "Nango's X-RateLimit-Remaining on its last answer that carried one (a provider's, seen through the proxy, never counts)."}),
		budgetCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "rate_budget_calls_total",
			Help: "Attempts to reach Nango through the rate governor (a retry is another), by client and outcome: admitted, or refused (deadline: its turn would come after its deadline; quota: the client's quota of the window is spent; canceled: the caller left)."},
			[]string{"client", "outcome"}),
		budgetMode: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "rate_budget_mode",
			Help: "1 for the rate budget in force: shared (leased from the fleet through NATS) or local (this replica alone, or its share of the limit while NATS is away)."},
			[]string{"mode"}),
		budgetLeases: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "rate_budget_leases_total",
			Help: "Leases of points from the fleet's shared rate window, by result (granted, empty: the window is spent, error: the store was unreachable)."},
			[]string{"result"}),
		budgetLeasedPoints: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "rate_budget_leased_points_total",
			Help: "Points of Nango's rate window leased from the fleet's shared budget."}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "calls_total",
			Help: "Authenticated gRPC calls (REST /v1 calls included) by full method, code and client."},
			[]string{"method", "code", "client"}),
		recordsStreamed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "records_streamed_total",
			Help: "Records sent on record streams (StreamRecords, WatchRecords), by method and client."},
			[]string{"method", "client"}),
		subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "stream_subscribers",
			Help: "Open event-bus subscriptions (webhook event streams), by client."},
			[]string{"client"}),
		deliveryLag: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "eventbus_delivery_lag_seconds",
			Help: "Time from a webhook's receipt to its event being sent to a stream subscriber.", Buckets: latencyBuckets}),
		webhooksReceived: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "webhooks_received_total",
			Help: "Webhooks received on POST /webhooks/nango, whatever became of them."}),
		webhooksRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "webhooks_rejected_total",
			Help: "Webhooks refused, by reason (the error code of the answer: invalid_signature, missing_signature, payload_too_large, invalid_json, event_bus_unavailable…)."},
			[]string{"reason"}),
		webhooksPublished: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "webhooks_published_total",
			Help: "Webhooks accepted and on the event bus, by duplicate (true: Nango delivered it again and the bus already had it)."},
			[]string{"duplicate"}),
		publishDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "eventbus_publish_duration_seconds",
			Help: "Duration of a publish on the event bus, by result (ok, duplicate, error).", Buckets: latencyBuckets},
			[]string{"result"}),
		publishLag: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "eventbus_publish_lag_seconds",
			Help: "Time from a webhook's receipt to its event being stored on the event bus.", Buckets: latencyBuckets}),
	}
	reg.MustRegister(m.budgetCalls, m.budgetMode, m.budgetLeases, m.budgetLeasedPoints)
	reg.MustRegister(m.upstreamRequests, m.attemptDuration, m.retries, m.budgetExhausted, m.governorWaits,
		m.rateLimitRemaining, m.calls, m.recordsStreamed, m.subscribers, m.deliveryLag, m.webhooksReceived,
		m.webhooksRejected, m.webhooksPublished, m.publishDuration, m.publishLag)
	// Label sets known in advance are shown at zero, so a dashboard or alert sees the
	// series before the first event.
	for _, o := range []string{"admitted", "refused"} {
		m.governorWaits.WithLabelValues(o, Anonymous)
	}
	for _, r := range []string{"granted", "empty", "error"} {
		m.budgetLeases.WithLabelValues(r)
	}
	for _, d := range []string{"false", "true"} {
		m.webhooksPublished.WithLabelValues(d)
	}
	for _, r := range []string{"ok", "duplicate", "error"} {
		m.publishDuration.WithLabelValues(r)
	}
	return m
}

// Upstream is what the gauges read of the upstream client.
type Upstream interface {
	RetryBudgetTokens() int
	GovernorQueueLength() int
}

// ObserveUpstream adds the gauges read from the upstream client at scrape time.
func (m *Metrics) ObserveUpstream(u Upstream) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "upstream_retry_budget_tokens",
			Help: "Tokens left in the retry budget (-1: budget disabled); retries stop when it runs dry."},
			func() float64 { return float64(u.RetryBudgetTokens()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "rate_governor_queue_length",
			Help: "Calls waiting in the rate governor for Nango's rate-limit window to reset."},
			func() float64 { return float64(u.GovernorQueueLength()) }),
	)
}

// AttemptDone implements nangohttp.CallMetrics.
func (m *Metrics) AttemptDone(ctx context.Context, a nangohttp.Attempt) {
	status := a.Outcome
	if a.Status != 0 {
		status = strconv.Itoa(a.Status)
	}
	route, client := routeLabel(a.Route), clientLabel(ctx)
	m.upstreamRequests.WithLabelValues(route, a.Method, status, client).Inc()
	m.attemptDuration.WithLabelValues(route, a.Method, client).Observe(a.Duration.Seconds())
	if a.HasRateLimitRemaining {
		m.rateLimitRemaining.Set(float64(a.RateLimitRemaining))
	}
}

// RetryScheduled implements nangohttp.CallMetrics.
func (m *Metrics) RetryScheduled(ctx context.Context, route string, reason nangohttp.RetryReason) {
	m.retries.WithLabelValues(routeLabel(route), string(reason), clientLabel(ctx)).Inc()
}

// GovernorWaitDone implements nangohttp.CallMetrics.
func (m *Metrics) GovernorWaitDone(ctx context.Context, d time.Duration, admitted bool) {
	outcome := "refused"
	if admitted {
		outcome = "admitted"
	}
	m.governorWaits.WithLabelValues(outcome, clientLabel(ctx)).Observe(d.Seconds())
}

// RetryBudgetExhausted implements nangohttp.Metrics.
func (m *Metrics) RetryBudgetExhausted() { m.budgetExhausted.Inc() }

// BudgetDecision implements nangohttp.BudgetMetrics.
func (m *Metrics) BudgetDecision(ctx context.Context, outcome string) {
	m.budgetCalls.WithLabelValues(clientLabel(ctx), outcome).Inc()
}

// BudgetMode implements nangohttp.BudgetMetrics.
func (m *Metrics) BudgetMode(mode string) {
	for _, md := range []string{nangohttp.BudgetShared, nangohttp.BudgetLocal} {
		v := 0.0
		if md == mode {
			v = 1
		}
		m.budgetMode.WithLabelValues(md).Set(v)
	}
}

// BudgetLease implements nangohttp.BudgetMetrics.
func (m *Metrics) BudgetLease(points int, err error) {
	switch {
	case err != nil:
		m.budgetLeases.WithLabelValues("error").Inc()
	case points == 0:
		m.budgetLeases.WithLabelValues("empty").Inc()
	default:
		m.budgetLeases.WithLabelValues("granted").Inc()
		m.budgetLeasedPoints.Add(float64(points))
	}
}

var (
	_ nangohttp.Metrics       = (*Metrics)(nil)
	_ nangohttp.CallMetrics   = (*Metrics)(nil)
	_ nangohttp.BudgetMetrics = (*Metrics)(nil)
)
