package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type routeKey struct{}

// RouteName is the name HTTP gave the request: the full RPC name of the call it is, or a
// relay name for a route no RPC corresponds to. Empty outside HTTP.
func RouteName(ctx context.Context) string {
	name, _ := ctx.Value(routeKey{}).(string)
	return name
}

// HTTP applies to requests that reach Nango without passing through gRPC (the relay at
// Nango's paths) the policy ServerOptions applies to gRPC calls, in the same order:
//  1. recovery: a panic becomes a 500 in Nango's envelope and is logged;
//  2. logging: one line per request with the route name, status and duration;
//  3. extra handlers, in the order given (outermost first);
//  4. the handler.
//
// name gives each request the name of the RPC it corresponds to, so one rule (an
// allowlist entry, a log query, a metric label) covers a call on either face.
func HTTP(logger *slog.Logger, name func(*http.Request) string, next http.Handler, extra ...func(http.Handler) http.Handler) http.Handler {
	for i := len(extra) - 1; i >= 0; i-- {
		next = extra[i](next)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := name(r)
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, route))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "panic in handler", "route", route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !rec.wroteHeader {
					rec.Header().Set("Content-Type", "application/json; charset=utf-8")
					rec.WriteHeader(http.StatusInternalServerError)
					_, _ = rec.Write([]byte(`{"error":{"code":"server_error","message":"internal error"}}`))
				}
			}
			// Never the query, headers or body: they may carry tokens and credentials.
			logger.InfoContext(r.Context(), "finished call", "protocol", "http", "http.method", r.Method,
				"route", route, "http.status", rec.status(), "time_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) status() int {
	if !s.wroteHeader {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines of the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
