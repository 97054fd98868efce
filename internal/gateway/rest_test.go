package gateway_test

import "testing"

// sdkJSON is the Content-Type the SDK sends on some calls without a body.
var sdkJSON = map[string]string{"Content-Type": "application/json"}

var conn = func(id, key string) map[string]string {
	return map[string]string{"Connection-Id": id, "Provider-Config-Key": key}
}

// TestRESTFaceIsNangosRESTAPI sends every route of Nango's REST API once through the gateway
// and once straight to an identical Nango: the answers (status, body bytes, every end-to-end
// header) and the requests Nango received (method, path, query, headers it reads, body) must
// be the same. Calls run in
// order on shared state, so writes are checked by the reads that follow them.
func TestRESTFaceIsNangosRESTAPI(t *testing.T) {
	tw := newTwin(t)
	calls := []struct {
		name string
		restCall
	}{
		// Providers.
		{"listProviders", restCall{method: "GET", target: "/providers"}},
		{"listProviders search", restCall{method: "GET", target: "/providers?search=git+hub"}},
		{"getProvider", restCall{method: "GET", target: "/providers/github"}},
		{"getProvider unknown", restCall{method: "GET", target: "/providers/nope"}},
		{"getProviderTemplates", restCall{method: "GET", target: "/providers/github/templates"}},
		// Integrations and their functions.
		{"listIntegrations", restCall{method: "GET", target: "/integrations"}},
		{"getIntegration", restCall{method: "GET", target: "/integrations/github", headers: sdkJSON}},
		{"getIntegration include", restCall{method: "GET", target: "/integrations/github?include=webhook&include=credentials", headers: sdkJSON}},
		{"getIntegration unknown", restCall{method: "GET", target: "/integrations/nope", headers: sdkJSON}},
		{"createIntegration", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"gh-2","display_name":"GH 2","credentials":{"type":"OAUTH2","client_id":"cid","client_secret":"cs","scopes":"repo,user"},"forward_webhooks":true}`}},
		{"createIntegration duplicate", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"gh-2","credentials":{"type":"OAUTH2","client_id":"cid","client_secret":"cs"}}`}},
		{"createQuickstartIntegration", restCall{method: "POST", target: "/integrations/quickstart", body: `{"provider":"slack","unique_key":"slack-qs","display_name":"Slack QS"}`}},
		{"updateIntegration", restCall{method: "PATCH", target: "/integrations/gh-2", body: `{"display_name":"GitHub Two","forward_webhooks":false}`}},
		{"updateIntegration rename", restCall{method: "PATCH", target: "/integrations/gh-2", body: `{"unique_key":"gh-3"}`}},
		{"deleteIntegration", restCall{method: "DELETE", target: "/integrations/gh-3"}},
		{"listFunctions", restCall{method: "GET", target: "/integrations/github/functions", headers: sdkJSON}},
		{"listFunctions filtered", restCall{method: "GET", target: "/integrations/github/functions?type=sync&search=issues&page=0&limit=5", headers: sdkJSON}},
		{"getFunction", restCall{method: "GET", target: "/integrations/github/functions/github-issues?type=sync", headers: sdkJSON}},
		{"getFunctionCode", restCall{method: "GET", target: "/integrations/github/functions/github-issues/code", headers: sdkJSON}},
		{"getFunctionCode ambiguous", restCall{method: "GET", target: "/integrations/github/functions/github-repos/code", headers: sdkJSON}},
		{"deleteFunction", restCall{method: "DELETE", target: "/integrations/github/functions/setup-webhooks?type=action", headers: sdkJSON}},
		// Environment and scripts.
		{"getEnvironmentVariables", restCall{method: "GET", target: "/environment-variables", headers: sdkJSON}},
		{"getScriptsConfig nango", restCall{method: "GET", target: "/scripts/config?format=nango"}},
		{"getScriptsConfig openai", restCall{method: "GET", target: "/scripts/config?format=openai"}},
		// Connections and metadata.
		{"listConnections", restCall{method: "GET", target: "/connections", headers: sdkJSON}},
		{"listConnections legacy form", restCall{method: "GET", target: "/connections?connectionId=conn-github-1&search=conn&endUserId=user-alice&limit=5&page=0", headers: sdkJSON}},
		{"listConnections object form", restCall{method: "GET", target: "/connections?endUserId=user-alice&integrationId=github%2Cslack&tags%5Bend_user_email%5D=alice%40example.com", headers: sdkJSON}},
		{"getConnection", restCall{method: "GET", target: "/connections/conn-github-1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"}},
		{"getConnection oauth1", restCall{method: "GET", target: "/connections/conn-trello-1?provider_config_key=trello&force_refresh=true&refresh_token=true&refresh_github_app_jwt_token=false"}},
		{"getConnection id with a space and a colon", restCall{method: "GET", target: "/connections/team:a%20b?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"}},
		{"getConnection unknown", restCall{method: "GET", target: "/connections/nope?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"}},
		{"setMetadata", restCall{method: "POST", target: "/connections/metadata", body: `{"metadata":{"plan":"pro","seats":3},"connection_id":"conn-github-1","provider_config_key":"github"}`}},
		{"updateMetadata", restCall{method: "PATCH", target: "/connections/metadata", body: `{"metadata":{"seats":4},"connection_id":["conn-github-1"],"provider_config_key":"github"}`}},
		{"setMetadata unknown", restCall{method: "POST", target: "/connections/metadata", body: `{"metadata":{},"connection_id":["conn-github-1","nope"],"provider_config_key":"github"}`}},
		{"getConnection after metadata", restCall{method: "GET", target: "/connections/conn-github-1?provider_config_key=github&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"}},
		{"patchConnection", restCall{method: "PATCH", target: "/connections/conn-slack-1?provider_config_key=slack", body: `{"tags":{"tier":"gold"},"end_user":{"id":"user-alice","email":"alice@example.com"}}`}},
		{"deleteConnection", restCall{method: "DELETE", target: "/connections/conn-public-1?provider_config_key=public-api", headers: sdkJSON}},
		// Records.
		{"listRecords", restCall{method: "GET", target: "/records/?model=GithubIssue&limit=3", headers: conn("conn-github-1", "github")}},
		{"listRecords filters", restCall{method: "GET", target: "/records/?model=GithubIssue&modified_after=2026-10-01T00%3A00%3A00.000Z&limit=2&filter=added%2Cupdated&ids=1&ids=2", headers: conn("conn-github-1", "github")}},
		{"listRecords variant", restCall{method: "GET", target: "/records/?model=HubspotContact&variant=eu&limit=2", headers: conn("conn-hubspot-1", "hubspot")}},
		{"listRecords unknown connection", restCall{method: "GET", target: "/records/?model=GithubIssue", headers: conn("nope", "github")}},
		{"pruneRecords", restCall{method: "PATCH", target: "/records/prune", headers: conn("conn-github-1", "github"), body: `{"model":"GithubRepo","until_cursor":"MjAyNi0xMC0wMVQwMDowMDowMC4wMDAwMDArMDA6MDB8fDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA==","limit":5}`}},
		// Syncs and variants.
		{"triggerSync", restCall{method: "POST", target: "/sync/trigger", body: `{"syncs":["github-issues",{"name":"github-repos","variant":"base"}],"provider_config_key":"github","connection_id":"conn-github-1","opts":{"reset":true,"emptyCache":false}}`}},
		{"triggerSync legacy", restCall{method: "POST", target: "/sync/trigger", body: `{"syncs":[],"provider_config_key":"github","connection_id":"conn-github-1","sync_mode":"full_refresh"}`}},
		{"pauseSync", restCall{method: "POST", target: "/sync/pause", body: `{"syncs":["github-issues"],"provider_config_key":"github","connection_id":"conn-github-1"}`}},
		{"startSync", restCall{method: "POST", target: "/sync/start", body: `{"syncs":["github-issues"],"provider_config_key":"github"}`}},
		{"syncStatus", restCall{method: "GET", target: "/sync/status?syncs=github-issues,github-repos&provider_config_key=github&connection_id=conn-github-1"}},
		{"syncStatus all", restCall{method: "GET", target: "/sync/status?syncs=*&provider_config_key=github"}},
		{"updateSyncConnectionFrequency", restCall{method: "PUT", target: "/sync/update-connection-frequency", body: `{"sync_name":"github-issues","provider_config_key":"github","connection_id":"conn-github-1","frequency":"every 2h"}`}},
		{"updateSyncConnectionFrequency reset", restCall{method: "PUT", target: "/sync/update-connection-frequency", body: `{"sync_name":"github-issues","provider_config_key":"github","connection_id":"conn-github-1","frequency":null}`}},
		{"createSyncVariant", restCall{method: "POST", target: "/sync/github-issues/variant/v2", body: `{"provider_config_key":"github","connection_id":"conn-github-1"}`}},
		{"deleteSyncVariant", restCall{method: "DELETE", target: "/sync/github-issues/variant/v2", body: `{"provider_config_key":"github","connection_id":"conn-github-1"}`}},
		// Actions.
		{"triggerAction", restCall{method: "POST", target: "/action/trigger", headers: conn("conn-github-1", "github"), body: `{"action_name":"echo","input":{"a":[1,2],"b":null}}`}},
		{"triggerAction no input", restCall{method: "POST", target: "/action/trigger", headers: conn("conn-github-1", "github"), body: `{"action_name":"echo"}`}},
		{"triggerAction unknown", restCall{method: "POST", target: "/action/trigger", headers: conn("conn-github-1", "github"), body: `{"action_name":"nope"}`}},
		{"triggerActionAsync", restCall{method: "POST", target: "/action/trigger", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github", "X-Async": "true", "X-Max-Retries": "2"}, body: `{"action_name":"echo","input":{"x":1}}`}},
		{"getAsyncActionResult unknown", restCall{method: "GET", target: "/action/00000000-0000-4000-8000-000000000000"}},
		// Connect sessions.
		{"createConnectSession", restCall{method: "POST", target: "/connect/sessions", body: `{"end_user":{"id":"user-dave","email":"dave@example.com","display_name":"Dave"},"allowed_integrations":["github"],"tags":{"team":"core"}}`}},
		{"createReconnectSession", restCall{method: "POST", target: "/connect/sessions/reconnect", body: `{"connection_id":"conn-github-1","integration_id":"github"}`}},
		// Proxy.
		{"proxy get", restCall{method: "GET", target: "/proxy/repos/a/b?per_page=10&q=a+b", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github", "Base-Url-Override": "", "Nango-Activity-Log-Id": "", "Nango-Proxy-X-Custom": "v", "Retries": "3", "Retry-On": "409,423", "Decompress": "true"}}},
		{"proxy post json", restCall{method: "POST", target: "/proxy/repos/a/b/issues", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github", "Base-Url-Override": "", "Nango-Activity-Log-Id": ""}, body: `{"title":"hi"}`}},
		{"proxy propfind", restCall{method: "PROPFIND", target: "/proxy/dav", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github", "Base-Url-Override": "", "Nango-Activity-Log-Id": "", "Content-Type": "application/xml", "Nango-Proxy-Content-Type": "application/xml"}, body: `<x/>`}},
		{"proxy unknown integration", restCall{method: "GET", target: "/proxy/x", headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "nope", "Base-Url-Override": "", "Nango-Activity-Log-Id": ""}}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			before := len(tw.behind.Requests())
			viaGateway := send(t, tw.gatewayURL, c.restCall, false)
			direct := send(t, tw.directURL, c.restCall, true)
			assertSameAnswer(t, viaGateway, direct)
			got := tw.behind.Requests()
			want := tw.direct.Requests()
			if len(got) != before+1 {
				t.Fatalf("the gateway sent %d upstream requests, want 1", len(got)-before)
			}
			if diff := sameRequest(got[len(got)-1], want[len(want)-1]); diff != "" {
				t.Errorf("Nango received a different request: %s", diff)
			}
		})
	}
}
