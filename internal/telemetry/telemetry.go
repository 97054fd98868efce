package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configure New.
type Options struct {
	// Logger receives one line saying how traces are exported.
	Logger *slog.Logger
	// Getenv reads the OTEL_* variables; nil means os.Getenv. (The OTLP exporters read
	// their own settings from the process environment.)
	Getenv func(string) string
	// SpanProcessors receive every span besides the exporter (an in-memory exporter in
	// tests, a program's own processor when it embeds the gateway).
	SpanProcessors []sdktrace.SpanProcessor
}

// Telemetry is one gateway's tracer provider and metrics registry. Nothing is global:
// several gateways in one process (tests) keep their spans and series apart.
type Telemetry struct {
	tracing     *tracing
	propagator  propagation.TextMapPropagator
	registry    *prometheus.Registry
	grpcMetrics *grpcprom.ServerMetrics
	// Metrics are the nango_gateway_* series; the upstream client's Config.Metrics.
	Metrics *Metrics
}

type processorsKey struct{}

// ContextWithSpanProcessors returns a context that makes New add ps to the tracer
// provider it builds, for code that builds the gateway from a context only (tests).
func ContextWithSpanProcessors(ctx context.Context, ps ...sdktrace.SpanProcessor) context.Context {
	return context.WithValue(ctx, processorsKey{}, ps)
}

// New builds the tracer provider from the OTEL_* variables (see newTracing) and a
// registry holding the Go runtime and process collectors, grpc_server_* and the
// gateway's own series.
func New(ctx context.Context, opts Options) (*Telemetry, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	processors := opts.SpanProcessors
	if ps, ok := ctx.Value(processorsKey{}).([]sdktrace.SpanProcessor); ok {
		processors = append(append([]sdktrace.SpanProcessor{}, processors...), ps...)
	}
	tr, err := newTracing(ctx, opts.Getenv, processors)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	t := &Telemetry{tracing: tr, propagator: propagator(), registry: reg, grpcMetrics: newGRPCMetrics(), Metrics: newMetrics(reg)}
	reg.MustRegister(t.grpcMetrics)
	opts.Logger.Info("telemetry", "traces_exported_with", tr.exporter)
	return t, nil
}

// TracerProvider makes the gateway's spans.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracing.provider }

// Propagator reads and writes W3C trace context and baggage.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

// UpstreamPropagator writes only W3C trace context (traceparent, tracestate) into
// requests to Nango: a caller's baggage is for the company's own services, not a third
// party.
func (t *Telemetry) UpstreamPropagator() propagation.TextMapPropagator {
	return propagation.TraceContext{}
}

// Registry holds every series /metrics shows.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// MetricsHandler serves the registry in the Prometheus text (or OpenMetrics) format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// Logger returns l with trace_id and span_id added to records logged in a span.
func (t *Telemetry) Logger(l *slog.Logger) *slog.Logger { return slog.New(LogHandler(l.Handler())) }

// Shutdown exports the spans still buffered; ctx bounds the wait.
func (t *Telemetry) Shutdown(ctx context.Context) error { return t.tracing.shutdown(ctx) }
