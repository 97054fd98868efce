package simulator

import (
	"testing"
)

// The routes below share one lookup each; every route must answer its
// failure with the same envelope, byte for byte.
func TestSharedLookupsAnswerTheSameEnvelopeOnEveryRoute(t *testing.T) {
	const (
		unknownConn       = `{"error":{"code":"unknown_connection","message":"Provided ConnectionId and ProviderConfigKey does not match a valid connection"}}`
		unknownProvider   = `{"error":{"code":"unknown_provider_config","message":"Provider does not exists"}}`
		connNotFound      = `{"error":{"code":"not_found","message":"Failed to find connection"}}`
		integNotFound     = `{"error":{"code":"not_found","message":"Integration does not exist"}}`
		integKeyNotFound  = `{"error":{"code":"not_found","message":"Integration \"nope\" does not exist"}}`
		funcNotFound      = `{"error":{"code":"not_found","message":"Function does not exist"}}`
		unknownSyncKey    = `{"error":{"message":"There is no Provider Configuration matching this key. Please make sure this value exists in the Nango dashboard {}","code":"unknown_provider_config","payload":{}}}`
		noSyncsFound      = `{"error":{"message":"No syncs found given the inputs.","code":"no_syncs_found","payload":{}}}`
		bareUnknownConn   = `{"error":{"code":"unknown_connection"}}`
		badFunctionType   = `{"error":{"code":"invalid_query_params","errors":[{"code":"invalid_value","message":"Invalid option: expected one of \"sync\"|\"action\"|\"on-event\"","path":["type"]}]}}`
		badFunctionName   = `{"error":{"code":"invalid_uri_params","errors":[{"code":"invalid_format","message":"Invalid string: must match pattern /^[a-zA-Z0-9_-]+$/","path":["name"]}]}}`
		missingDeleteType = `{"error":{"code":"invalid_query_params","errors":[{"code":"invalid_type","message":"Invalid input: expected string, received undefined","path":["type"]}]}}`
	)
	ghNope := map[string]string{"Connection-Id": "nope", "Provider-Config-Key": "github"}
	variantBody := func(key, conn string) map[string]any {
		return map[string]any{"provider_config_key": key, "connection_id": conn}
	}
	tests := []struct {
		name   string
		rq     req
		status int
		body   string
	}{
		{"records: unknown connection", req{method: "GET", target: "/records?model=GithubIssue", header: ghNope}, 400, unknownConn},
		{"prune: unknown connection", req{method: "PATCH", target: "/records/prune", header: ghNope, body: map[string]any{"model": "GithubIssue", "until_cursor": "x"}}, 400, unknownConn},
		{"frequency: unknown connection", req{method: "PUT", target: "/sync/update-connection-frequency", body: map[string]any{"sync_name": "github-issues", "provider_config_key": "github", "connection_id": "nope", "frequency": nil}}, 400, `{"error":{"code":"unknown_connection"}}`},
		{"delete variant: unknown connection", req{method: "DELETE", target: "/sync/hubspot-contacts/variant/eu", body: variantBody("hubspot", "nope")}, 400, bareUnknownConn},
		{"create variant: unknown connection", req{method: "POST", target: "/sync/hubspot-contacts/variant/v2", body: variantBody("hubspot", "nope")}, 400, bareUnknownConn},
		{"delete connection: unknown connection", req{method: "DELETE", target: "/connections/nope?provider_config_key=github"}, 400, bareUnknownConn},

		{"get connection: unknown integration", req{method: "GET", target: "/connections/conn-github-1?provider_config_key=nope"}, 400, unknownProvider},
		{"patch connection: unknown integration", req{method: "PATCH", target: "/connections/conn-github-1?provider_config_key=nope", body: map[string]any{}}, 400, unknownProvider},
		{"import connection: unknown integration", req{method: "POST", target: "/connections", body: map[string]any{"provider_config_key": "nope", "credentials": map[string]any{"type": "NONE"}}}, 400, unknownProvider},
		{"get connection: unknown connection", req{method: "GET", target: "/connections/nope?provider_config_key=github"}, 404, connNotFound},
		{"patch connection: unknown connection", req{method: "PATCH", target: "/connections/nope?provider_config_key=github", body: map[string]any{}}, 404, connNotFound},

		{"get integration: unknown integration", req{method: "GET", target: "/integrations/nope"}, 404, integKeyNotFound},
		{"delete integration: unknown integration", req{method: "DELETE", target: "/integrations/nope"}, 404, integNotFound},
		{"update integration: unknown integration", req{method: "PATCH", target: "/integrations/nope", body: map[string]any{}}, 404, integNotFound},
		{"list functions: unknown integration", req{method: "GET", target: "/integrations/nope/functions"}, 404, integNotFound},
		{"get function: unknown integration", req{method: "GET", target: "/integrations/nope/functions/echo"}, 404, integNotFound},
		{"delete function: unknown integration", req{method: "DELETE", target: "/integrations/nope/functions/echo?type=action"}, 404, integNotFound},
		{"get function: unknown function", req{method: "GET", target: "/integrations/github/functions/nope"}, 404, funcNotFound},
		{"delete function: unknown function", req{method: "DELETE", target: "/integrations/github/functions/nope?type=action"}, 404, funcNotFound},

		{"get function: bad type", req{method: "GET", target: "/integrations/github/functions/echo?type=bad"}, 400, badFunctionType},
		{"function code: bad type", req{method: "GET", target: "/integrations/github/functions/echo/code?type=bad"}, 400, badFunctionType},
		{"delete function: type is required", req{method: "DELETE", target: "/integrations/github/functions/echo"}, 400, missingDeleteType},
		{"get function: the query is checked before the path", req{method: "GET", target: "/integrations/github/functions/a%21?type=bad"}, 400, badFunctionType},
		{"function code: the path is checked before the query", req{method: "GET", target: "/integrations/github/functions/a%21/code?type=bad"}, 400, badFunctionName},

		{"sync status: unknown integration", req{method: "GET", target: "/sync/status?syncs=*&provider_config_key=nope"}, 200, `{"syncs":[]}`},
		{"sync start: unknown integration", req{method: "POST", target: "/sync/start", body: map[string]any{"syncs": []any{"x"}, "provider_config_key": "nope"}}, 400, unknownSyncKey},
		{"sync trigger: unknown integration", req{method: "POST", target: "/sync/trigger", body: map[string]any{"syncs": []any{"x"}, "provider_config_key": "nope"}}, 400, unknownSyncKey},
		{"create variant: unknown integration is an unknown connection", req{method: "POST", target: "/sync/hubspot-contacts/variant/v2", body: variantBody("nope", "conn-hubspot-1")}, 400, bareUnknownConn},
		{"sync start: unknown sync", req{method: "POST", target: "/sync/start", body: map[string]any{"syncs": []any{"nope"}, "provider_config_key": "hubspot"}}, 400, noSyncsFound},
		{"sync pause: unknown connection", req{method: "POST", target: "/sync/pause", body: map[string]any{"syncs": []any{"hubspot-contacts"}, "provider_config_key": "hubspot", "connection_id": "nope"}}, 404,
			`{"error":{"message":"No connection matching the provided params of 'connection_id' and 'provider_config_key'. Please make sure these values exist in the Nango dashboard {\n  \"connectionId\": \"nope\",\n  \"providerConfigKey\": \"hubspot\"\n}","code":"unknown_connection","payload":{"connectionId":"nope","providerConfigKey":"hubspot"}}}`},
		{"create variant: unknown sync", req{method: "POST", target: "/sync/nope/variant/v2", body: variantBody("hubspot", "conn-hubspot-1")}, 400, `{"error":{"code":"unknown_sync"}}`},
		{"create variant: base is protected", req{method: "POST", target: "/sync/hubspot-contacts/variant/BASE", body: variantBody("hubspot", "conn-hubspot-1")}, 400, `{"error":{"code":"invalid_variant","message":"Variant name \"BASE\" is protected."}}`},
		{"delete variant: base is protected", req{method: "DELETE", target: "/sync/hubspot-contacts/variant/base", body: variantBody("hubspot", "conn-hubspot-1")}, 400, `{"error":{"code":"invalid_variant","message":"Cannot delete protected variant \"base\"."}}`},
		{"delete variant: unknown variant", req{method: "DELETE", target: "/sync/hubspot-contacts/variant/zz", body: variantBody("hubspot", "conn-hubspot-1")}, 404, `{"error":{"code":"not_found"}}`},
		{"create variant: existing variant", req{method: "POST", target: "/sync/hubspot-contacts/variant/eu", body: variantBody("hubspot", "conn-hubspot-1")}, 400, `{"error":{"code":"sync_variant_already_exists"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, newSeeded(t), tt.rq)
			expectStatus(t, r, tt.status)
			if string(r.body) != tt.body {
				t.Fatalf("body = %s\nwant   %s", r.body, tt.body)
			}
		})
	}
}

func TestMarshalWritesSlicesAsArraysAndANilStringSliceAsNull(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"empty objects", []obj{}, `[]`},
		{"nil objects", []obj(nil), `[]`},
		{"objects", []obj{{{"a", 1}}, {}}, `[{"a":1},{}]`},
		{"empty strings", []string{}, `[]`},
		{"nil strings", []string(nil), `null`},
		{"strings", []string{"a", `"b"`}, `["a","\"b\""]`},
		{"nested", obj{{"l", []obj{{{"s", []string{"x"}}}}}}, `{"l":[{"s":["x"]}]}`},
	}
	for _, tt := range tests {
		b, err := marshal(tt.v)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(b) != tt.want {
			t.Errorf("%s: marshal = %s, want %s", tt.name, b, tt.want)
		}
	}
}

func TestObjReaderReportsAMissingRequiredMemberOfEachKind(t *testing.T) {
	read := map[string]func(o *objReader, required bool){
		"string":  func(o *objReader, r bool) { o.str("k", r, strRule{}) },
		"boolean": func(o *objReader, r bool) { o.boolean("k", r) },
		"number":  func(o *objReader, r bool) { o.integer("k", r, 0, 0) },
		"object":  func(o *objReader, r bool) { o.object("k", r) },
		"raw":     func(o *objReader, r bool) { o.rawObject("k", r) },
	}
	want := map[string]string{"string": "string", "boolean": "boolean", "number": "number", "object": "object", "raw": "object"}
	for name, f := range read {
		for _, required := range []bool{true, false} {
			var iss []issue
			o := newObjReader([]byte(`{"n":{}}`), nil, &iss)
			nested := o.object("n", true)
			f(nested, required)
			if !required {
				if len(iss) != 0 {
					t.Errorf("%s optional: issues %v", name, iss)
				}
				continue
			}
			if len(iss) != 1 {
				t.Fatalf("%s required: issues %v", name, iss)
			}
			got := iss[0]
			if got.Code != "invalid_type" || got.Message != "Invalid input: expected "+want[name]+", received undefined" ||
				len(got.Path) != 2 || got.Path[0] != "n" || got.Path[1] != "k" {
				t.Errorf("%s required: issue %+v", name, got)
			}
		}
	}
}
