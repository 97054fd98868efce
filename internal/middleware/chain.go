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
	"google.golang.org/grpc/status"
)

// Extra lets later layers (metrics, auth) join the chain without reordering it.
type Extra struct {
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
}

// ServerOptions returns the interceptor chain as server options. Order matters and is the
// same for both kinds of call:
//  1. recovery: outermost, so a panic anywhere below becomes Internal and is logged;
//  2. logging: sees the final status of every call, including validation failures;
//  3. extra interceptors, in the order given;
//  4. validation: innermost, so nothing reaches a service (or Nango) unvalidated.
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

	unary := []grpc.UnaryServerInterceptor{
		recovery.UnaryServerInterceptor(recoveryOpt),
		logging.UnaryServerInterceptor(loggerAdapter, logOpts...),
	}
	unary = append(unary, extra.Unary...)
	unary = append(unary, grpcprotovalidate.UnaryServerInterceptor(validator))

	stream := []grpc.StreamServerInterceptor{
		recovery.StreamServerInterceptor(recoveryOpt),
		logging.StreamServerInterceptor(loggerAdapter, logOpts...),
	}
	stream = append(stream, extra.Stream...)
	stream = append(stream, grpcprotovalidate.StreamServerInterceptor(validator))

	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}, nil
}

// slogAdapter feeds go-grpc-middleware's logging into slog.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
