package telemetry

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ServiceName is the service.name of the gateway's spans unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES name another.
const ServiceName = "nango-gateway"

// tracing holds the tracer provider and how to flush it.
type tracing struct {
	provider trace.TracerProvider
	exporter string // "otlp/grpc", "otlp/http/protobuf" or "none"
	shutdown func(context.Context) error
}

// newTracing builds the tracer provider the standard variables describe:
//   - OTEL_SDK_DISABLED=true: no spans at all; trace context still passes through;
//   - OTEL_TRACES_EXPORTER=none, or no OTLP endpoint set: spans carry ids (logs and Nango
//     get trace ids) but are not recorded, unless OTEL_TRACES_SAMPLER asks for it;
//   - OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set (or
//     OTEL_TRACES_EXPORTER=otlp): exported over OTLP, protocol from
//     OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL (http/protobuf by default, or grpc); the
//     exporters read their other OTEL_EXPORTER_OTLP_* variables themselves.
//
// Sampling follows OTEL_TRACES_SAMPLER, read by the SDK.
func newTracing(ctx context.Context, getenv func(string) string, extra []sdktrace.SpanProcessor) (*tracing, error) {
	if disabled, _ := strconv.ParseBool(strings.TrimSpace(getenv("OTEL_SDK_DISABLED"))); disabled {
		return &tracing{provider: noop.NewTracerProvider(), exporter: "none", shutdown: func(context.Context) error { return nil }}, nil
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, p := range extra {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	t := &tracing{exporter: "none"}
	exporter, err := otlpExporter(ctx, getenv)
	if err != nil {
		return nil, err
	}
	if exporter != nil {
		opts = append(opts, sdktrace.WithBatcher(exporter.SpanExporter))
		t.exporter = exporter.name
	} else if len(extra) == 0 && getenv("OTEL_TRACES_SAMPLER") == "" {
		// Nothing would read a recorded span: make them non-recording. They still carry
		// trace and span ids, so logs and Nango get them, at a fraction of the cost.
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.provider, t.shutdown = tp, tp.Shutdown
	return t, nil
}

type namedExporter struct {
	sdktrace.SpanExporter
	name string
}

func otlpExporter(ctx context.Context, getenv func(string) string) (*namedExporter, error) {
	kind := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	switch kind {
	case "none":
		return nil, nil
	case "":
		if !endpoint {
			return nil, nil
		}
	case "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER %q: the gateway exports traces with otlp or none", kind)
	}
	protocol := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if protocol == "" {
		protocol = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	switch protocol {
	case "grpc":
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter (grpc): %w", err)
		}
		return &namedExporter{exp, "otlp/grpc"}, nil
	case "", "http/protobuf":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("OTLP trace exporter (http/protobuf): %w", err)
		}
		return &namedExporter{exp, "otlp/http/protobuf"}, nil
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: use grpc or http/protobuf", protocol)
}

// propagator reads and writes W3C trace context and baggage.
func propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
