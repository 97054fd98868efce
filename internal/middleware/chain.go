package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	grpcprotovalidate "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// Extra lets later layers (tracing, metrics, auth) join the chain without reordering it.
type Extra struct {
	// StatsHandlers see every call before any interceptor (OpenTelemetry's: the call's
	// span, continuing the caller's trace, so every log line below carries its id).
	StatsHandlers []stats.Handler
	// OuterUnary and OuterStream run before recovery, so what they count (the
	// grpc_server_* metrics) includes panics turned into Internal and refused calls.
	OuterUnary  []grpc.UnaryServerInterceptor
	OuterStream []grpc.StreamServerInterceptor
	// Unary and Stream run after logging, in the order given (access control, then
	// what needs the client's name).
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
}

// ServerOptions returns the interceptor chain as server options. Order matters and is the
// same for both kinds of call:
//  0. stats handlers (tracing): the call's span exists before anything logs;
//  1. outer interceptors (grpc_server_* metrics): they see the final code of every call;
//  2. recovery: a panic anywhere below becomes Internal and is logged;
//  3. logging: sees the final status of every call, including validation failures;
//  4. extra interceptors, in the order given;
//  5. validation: innermost, so nothing reaches a service (or Nango) unvalidated.
func ServerOptions(logger *slog.Logger, extra Extra) ([]grpc.ServerOption, error) {
	validator, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("build request validator: %w", err)
	}
	recoveryOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		method, _ := grpc.Method(ctx)
		logger.ErrorContext(ctx, "panic in handler", "grpc.method", method, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return status.Error(codes.Internal, "internal error")
	})
	logOpts := []logging.Option{
		// Start and finish only: payloads hold tokens and credentials.
		logging.WithLogOnEvents(logging.FinishCall),
	}
	loggerAdapter := slogAdapter(logger)

	unary := append([]grpc.UnaryServerInterceptor{}, extra.OuterUnary...)
	unary = append(unary,
		recovery.UnaryServerInterceptor(recoveryOpt),
		logging.UnaryServerInterceptor(loggerAdapter, logOpts...),
	)
	unary = append(unary, extra.Unary...)
	unary = append(unary, decodedUnary, grpcprotovalidate.UnaryServerInterceptor(validator))

	stream := append([]grpc.StreamServerInterceptor{}, extra.OuterStream...)
	stream = append(stream,
		recovery.StreamServerInterceptor(recoveryOpt),
		logging.StreamServerInterceptor(loggerAdapter, logOpts...),
	)
	stream = append(stream, extra.Stream...)
	stream = append(stream, decodedStream, grpcprotovalidate.StreamServerInterceptor(validator))

	opts := make([]grpc.ServerOption, 0, len(extra.StatsHandlers)+3)
	for _, h := range extra.StatsHandlers {
		opts = append(opts, grpc.StatsHandler(h))
	}
	return append(opts,
		// With decodedUnary and decodedStream: an undecodable request is InvalidArgument.
		grpc.ForceServerCodecV2(RequestCodec()),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	), nil
}

// slogAdapter feeds go-grpc-middleware's logging into slog.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
