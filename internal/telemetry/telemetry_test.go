package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/propagation"

	"github.com/nango-gateway/nango-gateway/internal/telemetry"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// The standard OTEL_* variables decide what is exported; whatever they say, a caller's
// trace context passes through to what the gateway sends on.
func TestTracingFollowsTheStandardVariables(t *testing.T) {
	cases := []struct {
		name      string
		getenv    func(string) string
		exporter  string // in the start-up log line; "" when New must fail
		recording bool
	}{
		{"nothing set: spans carry ids, not recorded", env(), "none", false},
		{"nothing exported but a sampler asked for", env("OTEL_TRACES_SAMPLER", "always_on"), "none", true},
		{"SDK disabled: no spans, context still passes", env("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), "none", false},
		{"endpoint set: OTLP over HTTP by default", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), "otlp/http/protobuf", true},
		{"traces endpoint and grpc protocol", env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), "otlp/grpc", true},
		{"exporter none wins over an endpoint", env("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), "none", false},
		{"an exporter the gateway lacks is refused", env("OTEL_TRACES_EXPORTER", "zipkin"), "", false},
		{"an unknown protocol is refused", env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), "", false},
	}
	// Nothing listens at the endpoints: the exporters, which read the process
	// environment, must give up on the last export quickly.
	t.Setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "100")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: tc.getenv, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if tc.exporter == "" {
				if err == nil {
					_ = tel.Shutdown(context.Background())
					t.Fatal("New accepted the setting")
				}
				if !strings.Contains(err.Error(), "OTEL_") {
					t.Errorf("error %q does not name the variable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			if !strings.Contains(logs.String(), "traces_exported_with="+tc.exporter) {
				t.Errorf("start-up log %q, want exporter %s", logs.String(), tc.exporter)
			}

			const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
			ctx := tel.Propagator().Extract(context.Background(), propagation.HeaderCarrier{"Traceparent": {traceparent}})
			ctx, span := tel.TracerProvider().Tracer("test").Start(ctx, "call")
			defer span.End()
			if span.IsRecording() != tc.recording {
				t.Errorf("span recording = %v, want %v", span.IsRecording(), tc.recording)
			}
			out := http.Header{}
			tel.Propagator().Inject(ctx, propagation.HeaderCarrier(out))
			if !strings.HasPrefix(out.Get("Traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
				t.Errorf("traceparent sent on = %q, want the caller's trace", out.Get("Traceparent"))
			}
		})
	}
}

// A record logged inside a span carries its trace and span ids; one outside carries none.
func TestLogsCarryTheTraceAndSpanIDs(t *testing.T) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: env()})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	logger := tel.Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx, span := tel.TracerProvider().Tracer("test").Start(context.Background(), "call")
	logger.InfoContext(ctx, "inside")
	span.End()
	logger.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var inside, outside map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &inside)
	_ = json.Unmarshal([]byte(lines[1]), &outside)
	if inside["trace_id"] != span.SpanContext().TraceID().String() || inside["span_id"] != span.SpanContext().SpanID().String() {
		t.Errorf("inside a span: %s", lines[0])
	}
	if _, ok := outside["trace_id"]; ok {
		t.Errorf("outside a span: %s", lines[1])
	}
}

// The webhook wrapper learns what happened from the receiver's answer alone.
func TestWebhookAnswersAreCountedByOutcome(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		rejected string // reason label, "" when published
		dup      string
	}{
		{"published", 200, `{"ok":true,"sequence":"1","duplicate":false}`, "", "false"},
		{"delivered again", 200, `{"ok":true,"sequence":"1","duplicate":true}`, "", "true"},
		{"forged", 401, `{"error":{"code":"invalid_signature","message":"…"}}`, "invalid_signature", ""},
		{"too large", 413, `{"error":{"code":"payload_too_large","message":"…"}}`, "payload_too_large", ""},
		{"no envelope", 503, `oops`, "http_503", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: env("OTEL_SDK_DISABLED", "true")})
			if err != nil {
				t.Fatal(err)
			}
			h := tel.Webhooks(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/nango", nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("the answer changed: %d %q", rec.Code, rec.Body.String())
			}
			want := []string{"nango_gateway_webhooks_received_total 1"}
			if tc.rejected != "" {
				want = append(want, `nango_gateway_webhooks_rejected_total{reason="`+tc.rejected+`"} 1`)
			} else {
				want = append(want, `nango_gateway_webhooks_published_total{duplicate="`+tc.dup+`"} 1`)
			}
			got := scrape(t, tel)
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s", w)
				}
			}
			if n, err := testutil.GatherAndCount(tel.Registry(), "nango_gateway_webhooks_rejected_total"); err != nil || (tc.rejected == "") != (n == 0) {
				t.Errorf("rejected series: %d (%v)", n, err)
			}
		})
	}
}

// Route names become labels: RPC names stay, a relayed path is cut to its method.
func TestRouteNamesNeverCarryAPath(t *testing.T) {
	cases := []struct{ route, want string }{
		{"nango.gateway.v1.ConnectionsService/GetConnection", "nango.gateway.v1.ConnectionsService/GetConnection"},
		{"relay/GET /connections/conn-1/metadata", "relay/GET"},
		{"relay/POST", "relay/POST"},
	}
	for _, tc := range cases {
		if got := telemetry.RouteLabelForTest(tc.route); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.route, got, tc.want)
		}
	}
}

func scrape(t *testing.T, tel *telemetry.Telemetry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}
