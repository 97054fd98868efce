package telemetry

import (
	"context"
	"strings"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// Methods whose sent messages are records, or webhook events.
var (
	recordStreams = map[string]bool{
		"/nango.gateway.v1.RecordsService/StreamRecords": true,
		"/nango.gateway.v1.RecordsService/WatchRecords":  true,
	}
	eventStreams = map[string]bool{
		"/nango.gateway.v1.WebhooksService/StreamWebhookEvents": true,
	}
)

// ServerStatsHandler traces every gRPC call: a server span continuing the caller's
// trace context (grpc-trace metadata "traceparent"). Messages are not recorded as events:
// they carry credentials.
func (t *Telemetry) ServerStatsHandler() stats.Handler {
	return otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(t.tracing.provider), otelgrpc.WithPropagators(t.propagator),
		otelgrpc.WithFilter(func(info *stats.RPCTagInfo) bool {
			return !strings.HasPrefix(info.FullMethodName, "/grpc.health.v1.") && !strings.HasPrefix(info.FullMethodName, "/grpc.reflection.")
		}))
}

// ClientStatsHandler carries the trace context of the REST face's /v1 requests into the
// gateway's own gRPC server.
func (t *Telemetry) ClientStatsHandler() stats.Handler {
	return otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(t.tracing.provider), otelgrpc.WithPropagators(t.propagator))
}

// GRPCMetricsUnary and GRPCMetricsStream are go-grpc-middleware's grpc_server_* metrics
// (started, handled by code, handling time, stream messages), outermost in the chain.
func (t *Telemetry) GRPCMetricsUnary() grpc.UnaryServerInterceptor {
	return t.grpcMetrics.UnaryServerInterceptor()
}

func (t *Telemetry) GRPCMetricsStream() grpc.StreamServerInterceptor {
	return t.grpcMetrics.StreamServerInterceptor()
}

func newGRPCMetrics() *grpcprom.ServerMetrics {
	return grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(
		grpcprom.WithHistogramBuckets(latencyBuckets)))
}

// CallsUnary and CallsStream count calls by client once access control named it, and
// what record and event streams send; they belong after access control in the chain.
func (t *Telemetry) CallsUnary() grpc.UnaryServerInterceptor {
	m := t.Metrics
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		m.calls.WithLabelValues(info.FullMethod, status.Code(err).String(), clientLabel(ctx)).Inc()
		return resp, err
	}
}

func (t *Telemetry) CallsStream() grpc.StreamServerInterceptor {
	m := t.Metrics
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		client := clientLabel(ctx)
		wrapped := ss
		switch {
		case recordStreams[info.FullMethod]:
			records := m.recordsStreamed.WithLabelValues(info.FullMethod, client)
			wrapped = &countingStream{ServerStream: ss, sent: func(msg any) {
				if n := recordsIn(msg); n > 0 {
					records.Add(float64(n))
				}
			}}
		case eventStreams[info.FullMethod]:
			wrapped = &countingStream{ServerStream: ss, sent: func(any) {}, lag: m.deliveryLag.Observe}
		}
		err := handler(srv, wrapped)
		m.calls.WithLabelValues(info.FullMethod, status.Code(err).String(), client).Inc()
		return err
	}
}

// countingStream observes each message sent.
type countingStream struct {
	grpc.ServerStream
	sent func(msg any)
	lag  func(float64)
}

// recordsIn is how many records a record stream's message carries: each record of a batch
// counts, and a watch's caught_up and heartbeat messages carry none.
func recordsIn(msg any) int {
	switch m := msg.(type) {
	case *gatewayv1.StreamRecordsResponse:
		return max(len(m.GetRecords()), 1)
	case *gatewayv1.WatchRecordsResponse:
		return len(m.GetRecords().GetRecords())
	}
	return 1
}

// receivedAt is what event messages have: when the webhook arrived.
type receivedAt interface{ GetReceivedAt() *timestamppb.Timestamp }

func (s *countingStream) SendMsg(msg any) error {
	if err := s.ServerStream.SendMsg(msg); err != nil {
		return err
	}
	s.sent(msg)
	if s.lag != nil {
		if ev, ok := msg.(receivedAt); ok && ev.GetReceivedAt() != nil {
			s.lag(time.Since(ev.GetReceivedAt().AsTime()).Seconds())
		}
	}
	return nil
}
