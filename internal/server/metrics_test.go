package server

import (
	"net/http"
	"os"
	"strings"
	"testing"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// documentedSeries is the README's list of series (Observability), each with a label
// set it must show after the traffic of TestMetricsShowEveryDocumentedSeries ("" when
// it has no per-call label).
var documentedSeries = []struct{ name, label string }{
	{"grpc_server_started_total", `grpc_method="ListRecords"`},
	{"grpc_server_handled_total", `grpc_code="OK"`},
	{"grpc_server_msg_received_total", ""},
	{"grpc_server_msg_sent_total", `grpc_method="StreamRecords"`},
	{"grpc_server_handling_seconds", ""},
	{"nango_gateway_calls_total", `client="billing"`},
	{"nango_gateway_upstream_requests_total", `client="billing"`},
	{"nango_gateway_upstream_attempt_duration_seconds", `route="nango.gateway.v1.RecordsService/ListRecords"`},
	{"nango_gateway_upstream_attempt_duration_seconds", `route="relay/GET"`},
	{"nango_gateway_upstream_retries_total", `reason="server_error"`},
	{"nango_gateway_upstream_retry_budget_tokens", ""},
	{"nango_gateway_upstream_retry_budget_exhausted_total", ""},
	{"nango_gateway_rate_governor_queue_length", ""},
	{"nango_gateway_rate_governor_wait_seconds", `outcome="admitted"`},
	{"nango_gateway_rate_budget_calls_total", `client="billing",outcome="admitted"`},
	{"nango_gateway_rate_budget_mode", `mode="local"`},
	{"nango_gateway_rate_budget_leases_total", `result="granted"`},
	{"nango_gateway_rate_budget_leased_points_total", ""},
	{"nango_gateway_nango_rate_limit_remaining", ""},
	{"nango_gateway_webhooks_received_total", ""},
	{"nango_gateway_webhooks_rejected_total", `reason="invalid_signature"`},
	{"nango_gateway_webhooks_published_total", `duplicate="false"`},
	{"nango_gateway_eventbus_publish_duration_seconds", `result="ok"`},
	{"nango_gateway_eventbus_publish_lag_seconds", ""},
	{"nango_gateway_eventbus_delivery_lag_seconds", ""},
	{"nango_gateway_stream_subscribers", `client="billing"`},
	{"nango_gateway_records_streamed_total", `client="billing"`},
}

// After traffic through every area (typed calls, a record stream, a retried call, an
// event stream, accepted and forged webhooks, a relayed route), /metrics shows every documented series,
// per-call ones labelled with the client's name, and no series with a raw id.
func TestMetricsShowEveryDocumentedSeries(t *testing.T) {
	o := startObservedGateway(t, testKey)
	billing, ops := withToken(t, billingToken), withToken(t, opsToken)
	records := gatewayv1.NewRecordsServiceClient(o.conn)
	if _, err := records.ListRecords(billing, &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"}); err != nil {
		t.Fatal(err)
	}
	stream, err := records.StreamRecords(billing, &gatewayv1.StreamRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	o.sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: http.StatusServiceUnavailable})
	if _, err := gatewayv1.NewIntegrationsServiceClient(o.conn).ListIntegrations(ops, &gatewayv1.ListIntegrationsRequest{}); err != nil {
		t.Fatal(err)
	}
	events, err := gatewayv1.NewWebhooksServiceClient(o.conn).StreamWebhookEvents(billing, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := o.postWebhook(t, syncWebhook("conn-github-1"), "wrong-key"); got != http.StatusUnauthorized {
		t.Fatalf("forged webhook answered %d", got)
	}
	if got := o.postWebhook(t, syncWebhook("conn-github-1"), testSigningKey); got != http.StatusOK {
		t.Fatalf("signed webhook answered %d", got)
	}
	if _, err := events.Recv(); err != nil {
		t.Fatal(err)
	}

	// A relayed route no RPC corresponds to, with an id in its path.
	o.get(t, "/unmapped/conn-github-1", http.Header{"Authorization": {"Bearer " + opsToken}})

	code, body := o.get(t, "/metrics", nil) // no token: scrapers are exempt
	if os.Getenv("DUMP_METRICS") != "" {
		t.Log(body)
	}
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d", code)
	}
	for _, s := range documentedSeries {
		lines := seriesLines(body, s.name)
		if len(lines) == 0 {
			t.Errorf("%s is missing", s.name)
			continue
		}
		if s.label != "" && !strings.Contains(strings.Join(lines, "\n"), s.label) {
			t.Errorf("%s has no series with %s:\n%s", s.name, s.label, strings.Join(lines, "\n"))
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "nango_gateway_") && (strings.Contains(line, "conn-github-1") || strings.Contains(line, "/integrations")) {
			t.Errorf("a label holds a raw id or path: %s", line)
		}
	}
	if got := seriesLines(body, "nango_gateway_stream_subscribers"); !strings.Contains(strings.Join(got, "\n"), `client="billing"} 1`) {
		t.Errorf("stream_subscribers = %v, want 1 for billing while its stream is open", got)
	}
}

// seriesLines are the sample lines of the metric family name (histograms included).
func seriesLines(exposition, name string) []string {
	var out []string
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(rest, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, " ") {
			out = append(out, line)
		}
	}
	return out
}
