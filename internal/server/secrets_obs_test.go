package server

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// TestNoSecretReachesLogsSpansOrMetrics runs traffic through every area (connections
// with their credentials, an integration with a client secret, records and their
// stream, the proxy, webhooks signed and forged, an event stream, refused tokens, a
// retried call) over gRPC, the relay and /v1 at debug level, then searches the logs,
// every span (name, attributes, events, status) and /metrics for each known secret.
func TestNoSecretReachesLogsSpansOrMetrics(t *testing.T) {
	const gatewayKey = "sk-gateway-secret-obs-0123456789"
	const clientSecret = "client-secret-obs-do-not-leak"
	const unknownToken = "tok-unknown-obs-do-not-leak"
	o := startObservedGateway(t, gatewayKey)
	ops, billing := withToken(t, opsToken), withToken(t, billingToken)

	connections := gatewayv1.NewConnectionsServiceClient(o.conn)
	full, err := connections.GetConnection(ops, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	if err != nil {
		t.Fatal(err)
	}
	creds := full.GetConnection().GetCredentials()
	if creds.GetAccessToken() == "" {
		t.Fatal("the seeded connection has no access token to look for")
	}
	secrets := map[string]string{
		"Nango secret key":    gatewayKey,
		"webhook signing key": testSigningKey,
		"billing token":       billingToken,
		"ops token":           opsToken,
		"unknown token":       unknownToken,
		"access token":        creds.GetAccessToken(),
		"refresh token":       creds.GetRefreshToken(),
		"integration secret":  clientSecret,
	}

	_, _ = connections.GetToken(ops, &gatewayv1.GetTokenRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	_, _ = connections.GetConnection(ops, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "nope"})
	_, _ = connections.GetConnection(billing, &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	_, _ = connections.GetConnection(withToken(t, unknownToken), &gatewayv1.GetConnectionRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1"})
	integrations := gatewayv1.NewIntegrationsServiceClient(o.conn)
	for _, key := range []string{"gh-obs-secret", "bad key!"} {
		_, _ = integrations.CreateIntegration(ops, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: key,
			Credentials: &gatewayv1.IntegrationCredentials{Type: "OAUTH2", ClientId: ptr("cid"), ClientSecret: ptr(clientSecret)}})
	}
	o.sim.InjectFault(simulator.Fault{PathPrefix: "/integrations", Status: http.StatusServiceUnavailable})
	_, _ = integrations.ListIntegrations(ops, &gatewayv1.ListIntegrationsRequest{})
	_, _ = gatewayv1.NewRecordsServiceClient(o.conn).ListRecords(billing, &gatewayv1.ListRecordsRequest{ProviderConfigKey: "github", ConnectionId: "conn-github-1", Model: "GithubIssue"})
	events, err := gatewayv1.NewWebhooksServiceClient(o.conn).StreamWebhookEvents(billing, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}})
	if err != nil {
		t.Fatal(err)
	}
	o.postWebhook(t, syncWebhook("conn-github-1"), "wrong-key")
	o.postWebhook(t, syncWebhook("conn-github-1"), testSigningKey)
	if _, err := events.Recv(); err != nil {
		t.Fatal(err)
	}

	// The REST faces, with the caller's own bearer token in Authorization.
	auth := func(token string, extra ...string) http.Header {
		h := http.Header{"Authorization": {"Bearer " + token}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	for _, r := range []struct {
		target string
		header http.Header
	}{
		{"/connections/conn-github-1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false", auth(opsToken)},
		{"/connections/conn-github-1?provider_config_key=github", auth(unknownToken)},
		{"/integrations/nope", auth(opsToken)},
		{"/proxy/user", auth(opsToken, "Connection-Id", "conn-github-1", "Provider-Config-Key", "github")},
		{"/v1/connections/conn-github-1/token?provider_config_key=github", auth(opsToken)},
		{"/v1/records/stream?model=GithubIssue", auth(billingToken, "Connection-Id", "conn-github-1", "Provider-Config-Key", "github")},
	} {
		o.get(t, r.target, r.header)
	}
	_, metrics := o.get(t, "/metrics", nil)

	if os.Getenv("DUMP_SPANS") != "" {
		t.Log(spanText(settledSpans(o.spans)))
	}
	places := map[string]string{"logs": o.logs.String(), "/metrics": metrics, "spans": spanText(settledSpans(o.spans))}
	if !strings.Contains(places["spans"], "nango ") || !strings.Contains(places["logs"], "GetConnection") {
		t.Fatal("the traffic left no spans or logs to search")
	}
	for where, text := range places {
		for what, secret := range secrets {
			if secret != "" && strings.Contains(text, secret) {
				t.Errorf("%s contain the %s", where, what)
			}
		}
	}
}

// spanText is everything a trace backend would show of the spans.
func spanText(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Name + "\n" + s.Status.Description + "\n")
		for _, a := range s.Attributes {
			b.WriteString(string(a.Key) + "=" + a.Value.Emit() + "\n")
		}
		for _, e := range s.Events {
			b.WriteString(e.Name + "\n")
			for _, a := range e.Attributes {
				b.WriteString(string(a.Key) + "=" + a.Value.Emit() + "\n")
			}
		}
		for _, l := range s.Links {
			for _, a := range l.Attributes {
				b.WriteString(string(a.Key) + "=" + a.Value.Emit() + "\n")
			}
		}
		if s.Resource != nil {
			for _, a := range s.Resource.Attributes() {
				b.WriteString(string(a.Key) + "=" + a.Value.Emit() + "\n")
			}
		}
	}
	return b.String()
}

// settledSpans waits until no more spans arrive (server spans end after their answer is
// written, so after the caller has it) and returns them.
func settledSpans(exp *tracetest.InMemoryExporter) tracetest.SpanStubs {
	n := -1
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		spans := exp.GetSpans()
		if len(spans) == n {
			return spans
		}
		n = len(spans)
	}
	return exp.GetSpans()
}
