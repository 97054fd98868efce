package simulator

import (
	"testing"
)

// TestSDKWireRequestsAreAccepted replays the requests the official Node SDK
// sends (nango-api.md §2 wire captures, with seeded names) in SDK-call order.
func TestSDKWireRequestsAreAccepted(t *testing.T) {
	s := newSeeded(t)
	json := map[string]string{"Content-Type": "application/json"}
	conn := map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github"}
	with := func(a, b map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	steps := []struct {
		name   string
		rq     req
		status int
	}{
		{"listProviders", req{method: "GET", target: "/providers?search=git+hub"}, 200},
		{"getProvider", req{method: "GET", target: "/providers/github"}, 200},
		{"getProviderTemplates", req{method: "GET", target: "/providers/github/templates"}, 200},
		{"listIntegrations", req{method: "GET", target: "/integrations"}, 200},
		{"getIntegration", req{method: "GET", target: "/integrations/github?include=credentials", header: json}, 200},
		{"createIntegration", req{method: "POST", target: "/integrations", body: `{"provider":"sendgrid","unique_key":"sg-wire","display_name":"SG"}`}, 200},
		{"updateIntegration", req{method: "PATCH", target: "/integrations/sg-wire", body: `{"display_name":"SG 2"}`}, 200},
		{"listFunctions", req{method: "GET", target: "/integrations/github/functions?type=sync&search=issues&page=0&limit=20", header: json}, 200},
		{"getFunction", req{method: "GET", target: "/integrations/github/functions/github-issues?type=sync", header: json}, 200},
		{"getFunctionCode", req{method: "GET", target: "/integrations/github/functions/github-issues/code?type=sync", header: json}, 200},
		{"listConnections positional", req{method: "GET", target: "/connections?connectionId=conn+1&search=sea+rch&endUserId=u1&endUserOrganizationId=o1&limit=5&page=2", header: json}, 200},
		{"listConnections object", req{method: "GET", target: "/connections?connectionId=c1&endUserId=u1&integrationId=a%2Cb&tags%5Bend_user_display_name%5D=My+User&tags%5Bend_user_email%5D=a%40b.co&tags%5Bfoo%5D=Bar&limit=5&page=1"}, 200},
		{"getConnection", req{method: "GET", target: "/connections/conn-github-1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"}, 200},
		{"patchConnection", req{method: "PATCH", target: "/connections/conn-github-1?provider_config_key=github", body: `{"tags":{"team":"core"},"webhook_url_override":""}`}, 200},
		{"setMetadata", req{method: "POST", target: "/connections/metadata", body: `{"metadata":{"a":1},"connection_id":"conn-github-1","provider_config_key":"github"}`}, 201},
		{"updateMetadata", req{method: "PATCH", target: "/connections/metadata", body: `{"metadata":{"b":2},"connection_id":["conn-github-1"],"provider_config_key":"github"}`}, 200},
		{"getScriptsConfig", req{method: "GET", target: "/scripts/config?format=nango"}, 200},
		{"listRecords", req{method: "GET", target: "/records/?model=GithubIssue&variant=base&modified_after=2026-03-01T00%3A00%3A00.000Z&limit=50&filter=added%2Cupdated&ids=1&ids=a+b", header: conn}, 200},
		{"pruneRecords", req{method: "PATCH", target: "/records/prune", header: conn, body: `{"model":"GithubIssue","until_cursor":"MjAyNi0wMi0xOFQxMjowMDowMC4wNTY1NTYrMDA6MDB8fDZhNGIzOGIzLTBhZWMtNGYzOC1iZTU2LWY3NzcwZjE2MDBhYw==","limit":10}`}, 200},
		{"triggerSync", req{method: "POST", target: "/sync/trigger", body: `{"syncs":["github-issues",{"name":"github-issues","variant":"base"}],"provider_config_key":"github","connection_id":"conn-github-1","opts":{"reset":true,"emptyCache":false}}`}, 200},
		{"triggerSync deprecated", req{method: "POST", target: "/sync/trigger", body: `{"syncs":["github-issues"],"provider_config_key":"github","connection_id":"conn-github-1","sync_mode":"full_refresh"}`}, 200},
		{"startSync", req{method: "POST", target: "/sync/start", body: `{"syncs":["github-repos"],"provider_config_key":"github","connection_id":"conn-github-1"}`}, 200},
		{"pauseSync", req{method: "POST", target: "/sync/pause", body: `{"syncs":["github-repos"],"provider_config_key":"github"}`}, 200},
		{"syncStatus", req{method: "GET", target: "/sync/status?syncs=github-issues,github-repos&provider_config_key=github&connection_id=conn-github-1"}, 200},
		{"updateSyncConnectionFrequency", req{method: "PUT", target: "/sync/update-connection-frequency", body: `{"sync_name":"github-issues","provider_config_key":"github","connection_id":"conn-github-1","frequency":"every 2h"}`}, 200},
		{"createSyncVariant", req{method: "POST", target: "/sync/github-issues/variant/v1", body: `{"provider_config_key":"github","connection_id":"conn-github-1"}`}, 200},
		{"deleteSyncVariant", req{method: "DELETE", target: "/sync/github-issues/variant/v1", body: `{"provider_config_key":"github","connection_id":"conn-github-1"}`}, 200},
		{"getEnvironmentVariables", req{method: "GET", target: "/environment-variables", header: json}, 200},
		{"triggerAction", req{method: "POST", target: "/action/trigger", header: conn, body: `{"action_name":"echo","input":{"a":1}}`}, 200},
		{"triggerActionAsync", req{method: "POST", target: "/action/trigger", header: with(conn, map[string]string{"X-Async": "true"}), body: `{"action_name":"echo"}`}, 202},
		{"proxy get", req{method: "GET", target: "/proxy/repos/a/b?per_page=10&q=a+b", header: with(conn, map[string]string{
			"Content-Type": "text/plain", "Base-Url-Override": "https://example.com", "Nango-Activity-Log-Id": "", "Nango-Proxy-X-Custom": "v",
			"Nango-Proxy-Content-Type": "text/plain", "Retries": "3", "Decompress": "true", "Retry-On": "409,423", "Forward-Headers-On-Redirect": "true",
		})}, 200},
		{"proxy propfind", req{method: "PROPFIND", target: "/proxy/dav", header: conn, body: []byte("<x/>")}, 200},
		{"proxy put string", req{method: "PUT", target: "/proxy/x", header: with(conn, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}), body: []byte("raw")}, 200},
		{"createConnectSession", req{method: "POST", target: "/connect/sessions", body: `{"end_user":{"id":"u1","email":"a@b.co","display_name":"U"},"allowed_integrations":["github"]}`}, 201},
		{"createReconnectSession", req{method: "POST", target: "/connect/sessions/reconnect", body: `{"connection_id":"conn-github-1","integration_id":"github"}`}, 201},
		{"deleteFunction", req{method: "DELETE", target: "/integrations/github/functions/echo?type=action", header: json}, 200},
		{"deleteConnection", req{method: "DELETE", target: "/connections/conn-github-2?provider_config_key=github", header: json}, 200},
		{"deleteIntegration", req{method: "DELETE", target: "/integrations/sg-wire"}, 200},
	}
	for _, st := range steps {
		r := send(t, s, st.rq)
		if r.status != st.status {
			t.Errorf("%s: status %d, want %d: %s", st.name, r.status, st.status, r.body)
		}
	}
}
