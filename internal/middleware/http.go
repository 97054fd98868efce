package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/nango-gateway/nango-gateway/internal/access"
)

type routeKey struct{}

// RouteName is the name HTTP gave the request: the full RPC name of the call it is, or a
// relay name for a route no RPC corresponds to. Empty outside HTTP.
func RouteName(ctx context.Context) string {
	name, _ := ctx.Value(routeKey{}).(string)
	return name
}

// RouteTemplate is a route name fit for a metric label or a span name: a relayed route no
// RPC corresponds to is named with its path, which holds ids, so only its method is kept.
func RouteTemplate(name string) string {
	if rest, ok := strings.CutPrefix(name, access.RelayPrefix); ok {
		method, _, _ := strings.Cut(rest, " ")
		return access.RelayPrefix + method
	}
	return name
}

// Tracing is the outermost layer of the HTTP listener: each request gets a server span,
// a child of the caller's traceparent, before the relay's policy or the /v1 mapping
// runs, so the logs of both carry its trace id and the /v1 mapping's gRPC call (through
// a client connection with OpenTelemetry's client handler) continues the same trace.
// Probes and /metrics are not traced: they would drown the rest.
func Tracing(tp trace.TracerProvider, prop propagation.TextMapPropagator, next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(prop),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}),
		// Never the path: it holds ids (HTTP renames the span once the route is known).
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// HTTP applies to requests that reach Nango without passing through gRPC (the relay at
// Nango's paths) the policy ServerOptions applies to gRPC calls, in the same order:
//  0. tracing (Tracing, around the whole listener): the span is named here after the route;
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
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			template := RouteTemplate(route)
			span.SetName(r.Method + " " + template)
			span.SetAttributes(attribute.String("http.route", template))
		}
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
