// Package telemetry is what operators see of the gateway: OpenTelemetry traces (a tracer
// provider configured from the standard OTEL_* variables, W3C trace context always
// propagated), a Prometheus registry with go-grpc-middleware's grpc_server_* series and
// the gateway's own nango_gateway_* series, logs that carry the trace id, and decorators
// that observe the webhook receiver and the event bus from outside. Labels are route
// names and client names, never ids, tokens or paths: cardinality stays bounded and no
// secret reaches a scrape.
package telemetry
