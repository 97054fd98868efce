package gateway

import (
	"net/http"
	"strings"

	"github.com/nango-gateway/nango-gateway/internal/access"
)

// A route of Nango's REST API and the RPC that does the same thing. The relay names every
// request it forwards after that RPC, so one allowlist, one log field and one metric label
// cover a call whichever face it came through.
type nangoRoute struct {
	method  string
	pattern []string // path segments; "*" matches one segment, "**" the rest of the path
	rpc     string   // full method name without the leading "/"
}

const rpcPrefix = "nango.gateway.v1."

// nangoRoutes lists Nango's public routes. Where two patterns could match, the more literal
// one comes first: the first match wins. Nango still serves the old singular paths
// (/connection…), so they are named too.
var nangoRoutes = buildRoutes([]struct{ method, path, rpc string }{
	{"GET", "/providers", "ProvidersService/ListProviders"},
	{"GET", "/providers/*/templates", "ProvidersService/GetProviderTemplates"},
	{"GET", "/providers/*", "ProvidersService/GetProvider"},

	{"GET", "/integrations", "IntegrationsService/ListIntegrations"},
	{"POST", "/integrations", "IntegrationsService/CreateIntegration"},
	{"POST", "/integrations/quickstart", "IntegrationsService/CreateQuickstartIntegration"},
	{"GET", "/integrations/*", "IntegrationsService/GetIntegration"},
	{"PATCH", "/integrations/*", "IntegrationsService/UpdateIntegration"},
	{"DELETE", "/integrations/*", "IntegrationsService/DeleteIntegration"},
	{"GET", "/integrations/*/functions", "IntegrationsService/ListFunctions"},
	{"GET", "/integrations/*/functions/*/code", "IntegrationsService/GetFunctionCode"},
	{"GET", "/integrations/*/functions/*", "IntegrationsService/GetFunction"},
	{"DELETE", "/integrations/*/functions/*", "IntegrationsService/DeleteFunction"},

	{"GET", "/connections", "ConnectionsService/ListConnections"},
	{"POST", "/connections", "ConnectionsService/ImportConnection"},
	{"POST", "/connections/metadata", "MetadataService/SetMetadata"},
	{"PATCH", "/connections/metadata", "MetadataService/UpdateMetadata"},
	{"GET", "/connections/*", "ConnectionsService/GetConnection"},
	{"PATCH", "/connections/*", "ConnectionsService/PatchConnection"},
	{"DELETE", "/connections/*", "ConnectionsService/DeleteConnection"},
	{"GET", "/connection", "ConnectionsService/ListConnections"},
	{"POST", "/connection", "ConnectionsService/ImportConnection"},
	{"POST", "/connection/metadata", "MetadataService/SetMetadata"},
	{"PATCH", "/connection/metadata", "MetadataService/UpdateMetadata"},
	{"GET", "/connection/*", "ConnectionsService/GetConnection"},
	{"DELETE", "/connection/*", "ConnectionsService/DeleteConnection"},

	{"GET", "/scripts/config", "ScriptsService/GetScriptsConfig"},

	{"GET", "/records", "RecordsService/ListRecords"},
	{"PATCH", "/records/prune", "RecordsService/PruneRecords"},

	{"POST", "/sync/trigger", "SyncsService/TriggerSync"},
	{"POST", "/sync/start", "SyncsService/StartSync"},
	{"POST", "/sync/pause", "SyncsService/PauseSync"},
	{"GET", "/sync/status", "SyncsService/SyncStatus"},
	{"PUT", "/sync/update-connection-frequency", "SyncsService/UpdateSyncConnectionFrequency"},
	{"POST", "/sync/*/variant/*", "SyncsService/CreateSyncVariant"},
	{"DELETE", "/sync/*/variant/*", "SyncsService/DeleteSyncVariant"},

	{"GET", "/environment-variables", "EnvironmentService/GetEnvironmentVariables"},

	// POST /action/trigger with X-Async: true is TriggerActionAsync (see routeName).
	{"POST", "/action/trigger", "ActionsService/TriggerAction"},
	{"GET", "/action/*", "ActionsService/GetAsyncActionResult"},

	{"POST", "/connect/sessions", "ConnectSessionsService/CreateConnectSession"},
	{"POST", "/connect/sessions/reconnect", "ConnectSessionsService/CreateReconnectSession"},

	// Any method: the SDK's get/post/put/patch/delete and whatever the provider takes.
	{"*", "/proxy", "ProxyService/Proxy"},
	{"*", "/proxy/**", "ProxyService/Proxy"},
})

func buildRoutes(rows []struct{ method, path, rpc string }) []nangoRoute {
	routes := make([]nangoRoute, len(rows))
	for i, r := range rows {
		routes[i] = nangoRoute{method: r.method, pattern: strings.Split(strings.TrimPrefix(r.path, "/"), "/"), rpc: rpcPrefix + r.rpc}
	}
	return routes
}

// routeName names a request to Nango's REST API: the full name of the RPC that does the
// same thing ("nango.gateway.v1.ConnectionsService/GetConnection"), or access.RelayPrefix
// followed by the method and path for a route no RPC corresponds to. A trailing slash is
// ignored (the SDK calls GET /records/).
func routeName(method, path string, header http.Header) string {
	trimmed := strings.TrimPrefix(path, "/")
	if len(trimmed) > 0 {
		trimmed = strings.TrimSuffix(trimmed, "/")
	}
	segments := strings.Split(trimmed, "/")
	for _, r := range nangoRoutes {
		if (r.method == "*" || r.method == method) && matchSegments(r.pattern, segments) {
			if r.rpc == rpcPrefix+"ActionsService/TriggerAction" && strings.EqualFold(header.Get("X-Async"), "true") {
				return rpcPrefix + "ActionsService/TriggerActionAsync"
			}
			return r.rpc
		}
	}
	return access.RelayPrefix + method + " " + path
}

func matchSegments(pattern, segments []string) bool {
	for i, p := range pattern {
		if p == "**" {
			return true
		}
		if i >= len(segments) || (p != "*" && p != segments[i]) || (p == "*" && segments[i] == "") {
			return false
		}
	}
	return len(pattern) == len(segments)
}
