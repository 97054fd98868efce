package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/telemetry"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// observed is a gateway with access control, debug logs and every span kept in memory.
type observed struct {
	srv   *Server
	conn  *grpc.ClientConn
	sim   *simulator.Simulator
	spans *tracetest.InMemoryExporter
	logs  *syncBuffer
}

// startObservedGateway runs a gateway in front of a seeded simulator whose API key is
// key; billing may use records and webhook event streams, ops anything.
func startObservedGateway(t *testing.T, key string) *observed {
	t.Helper()
	o := &observed{sim: simulator.New(simulator.Options{APIKey: key, Seed: true}), spans: tracetest.NewInMemoryExporter(), logs: &syncBuffer{}}
	upstream := httptest.NewServer(o.sim)
	t.Cleanup(upstream.Close)
	path := writeBillingAndOpsClients(t)
	cfg := testConfig(t, upstream.URL, key)
	cfg.InsecureNoAuth, cfg.ClientsFile = false, path
	cfg.LogLevel = slog.LevelDebug
	cfg.ShutdownGrace = 2 * time.Second
	logger := slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A synchronous processor: a span is in the exporter as soon as it ends.
	ctx := telemetry.ContextWithSpanProcessors(context.Background(), sdktrace.NewSimpleSpanProcessor(o.spans))
	srv, err := New(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	o.srv = srv
	o.conn = dial(t, srv)
	t.Cleanup(srv.Shutdown)
	return o
}

// get sends a GET to the HTTP listener with the given headers and returns status and body.
func (o *observed) get(t *testing.T, target string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+o.srv.HTTPAddr()+target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// postWebhook posts body signed with key and returns the status.
func (o *observed) postWebhook(t *testing.T, body, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+o.srv.HTTPAddr()+webhooks.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooks.HeaderSignature, webhooks.Sign(key, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// callerTrace is a trace context as a caller would send it, sampled.
func callerTrace(t *testing.T, n byte) (trace.TraceID, string) {
	t.Helper()
	var id trace.TraceID
	for i := range id {
		id[i] = n + byte(i)
	}
	return id, "00-" + id.String() + "-00f067aa0ba902b7-01"
}

func syncWebhook(conn string) string {
	return `{"from":"nango","type":"sync","connectionId":"` + conn + `","providerConfigKey":"github","syncName":"github-issues","syncVariant":"base","model":"GithubIssue","success":true,"responseResults":{"added":1,"updated":0,"deleted":0}}`
}

// The caller's trace continues through the gateway on every face: the gateway's spans
// join it, each upstream attempt is a client span in it, Nango receives a traceparent
// naming that attempt's span, and the call's log lines carry the trace id.
func TestCallersTraceReachesNangoThroughEveryFace(t *testing.T) {
	o := startObservedGateway(t, testKey)
	relayHeaders := func(traceparent string) http.Header {
		return http.Header{"Traceparent": {traceparent}, "Authorization": {"Bearer " + opsToken}}
	}
	cases := []struct {
		name string
		call func(traceparent string)
	}{
		{"gRPC", func(tp string) {
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+opsToken, "traceparent", tp)
			if _, err := gatewayv1.NewConnectionsServiceClient(o.conn).GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"relay at Nango's paths", func(tp string) {
			if code, body := o.get(t, "/integrations", relayHeaders(tp)); code != http.StatusOK {
				t.Fatalf("relay answered %d: %s", code, body)
			}
		}},
		{"/v1 mapping, streamed", func(tp string) {
			h := relayHeaders(tp)
			h.Set("Connection-Id", "conn-github-1")
			h.Set("Provider-Config-Key", "github")
			if code, body := o.get(t, "/v1/records/stream?model=GithubIssue&page_size=1000", h); code != http.StatusOK {
				t.Fatalf("/v1 answered %d: %s", code, body)
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			traceID, traceparent := callerTrace(t, byte(16*i+1))
			o.sim.ResetRequests()
			tc.call(traceparent)

			// A server span ends once the answer is written, so possibly after the
			// caller has it: wait for it a little.
			var attempts map[string]bool // span ids of upstream attempts in the caller's trace
			server := false
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				attempts, server = map[string]bool{}, false
				for _, s := range o.spans.GetSpans() {
					if s.SpanContext.TraceID() != traceID {
						continue
					}
					switch {
					case s.SpanKind == trace.SpanKindClient && strings.HasPrefix(s.Name, "nango "):
						attempts[s.SpanContext.SpanID().String()] = true
					case s.SpanKind == trace.SpanKindServer:
						server = true
					}
				}
				if server && len(attempts) > 0 {
					break
				}
			}
			if !server || len(attempts) == 0 {
				t.Fatalf("spans of the caller's trace: server %v, upstream attempts %d; want both", server, len(attempts))
			}
			reqs := o.sim.Requests()
			if len(reqs) == 0 {
				t.Fatal("Nango received nothing")
			}
			for _, r := range reqs {
				parts := strings.Split(r.Header.Get("Traceparent"), "-")
				if len(parts) != 4 || parts[1] != traceID.String() || !attempts[parts[2]] {
					t.Errorf("Nango received traceparent %q on %s, want trace %s from an attempt span", r.Header.Get("Traceparent"), r.Path, traceID)
				}
			}
			if !strings.Contains(o.logs.String(), `"trace_id":"`+traceID.String()+`"`) {
				t.Errorf("no log line carries trace id %s", traceID)
			}
		})
	}
}

// A call whose first attempt fails shows both attempts as spans of its trace, the retry
// as an event on the first, with the second marked as a resend.
func TestRetriesAreVisibleInTheTrace(t *testing.T) {
	o := startObservedGateway(t, testKey)
	o.sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: http.StatusServiceUnavailable})
	traceID, traceparent := callerTrace(t, 0x70)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+opsToken, "traceparent", traceparent)
	if _, err := gatewayv1.NewIntegrationsServiceClient(o.conn).ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{}); err != nil {
		t.Fatal(err)
	}
	var statuses []int64
	retryEvents := 0
	for _, s := range o.spans.GetSpans() {
		if s.SpanContext.TraceID() != traceID || s.SpanKind != trace.SpanKindClient || !strings.HasPrefix(s.Name, "nango ") {
			continue
		}
		for _, a := range s.Attributes {
			if a.Key == "http.response.status_code" {
				statuses = append(statuses, a.Value.AsInt64())
			}
		}
		for _, e := range s.Events {
			if e.Name == "nango retry scheduled" {
				retryEvents++
			}
		}
	}
	if len(statuses) != 2 || statuses[0] != 503 || statuses[1] != 200 || retryEvents != 1 {
		t.Errorf("attempt statuses %v with %d retry events, want [503 200] and 1", statuses, retryEvents)
	}
}
