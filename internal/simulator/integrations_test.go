package simulator

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// keysInOrder returns the member names of the JSON object at raw, in order.
func keysInOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	keys, _, ok := decodeObject(raw)
	if !ok {
		t.Fatalf("not an object: %s", raw)
	}
	return keys
}

func member(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	_, m, ok := decodeObject(raw)
	if !ok {
		t.Fatalf("not an object: %s", raw)
	}
	return m[key]
}

func names(t *testing.T, list []any, key string) []string {
	t.Helper()
	var out []string
	for _, e := range list {
		out = append(out, e.(map[string]any)[key].(string))
	}
	return out
}

func TestListProvidersSearchIsACaseInsensitiveRegexOverKeys(t *testing.T) {
	s := newSeeded(t)
	all := get(t, s, "/providers").json(t)["data"].([]any)
	if len(all) < 10 {
		t.Fatalf("catalog has %d providers, want about 10", len(all))
	}
	first := all[0].(map[string]any)
	for _, k := range []string{"name", "display_name", "auth_mode", "docs", "categories", "logo_url"} {
		if _, ok := first[k]; !ok {
			t.Fatalf("ApiProvider lacks %q: %v", k, first)
		}
	}
	tests := []struct {
		search string
		want   string
	}{
		{"GIT", "github,github-app,github-app-oauth"},
		{"^slack$", ""}, // '^' and '$' are not allowed by the key regex
		{"hub", "github,github-app,github-app-oauth,hubspot"},
		{"s.ndgrid", "sendgrid"},
		{"git hub", ""},
	}
	for _, tt := range tests {
		r := get(t, s, "/providers?search="+strings.ReplaceAll(tt.search, " ", "+"))
		if strings.ContainsAny(tt.search, "^$") {
			expectError(t, r, 400, "invalid_query_params")
			continue
		}
		expectStatus(t, r, 200)
		got := strings.Join(names(t, r.json(t)["data"].([]any), "name"), ",")
		if got != tt.want {
			t.Errorf("search %q = %q, want %q", tt.search, got, tt.want)
		}
	}
}

func TestGetProviderAndTemplates(t *testing.T) {
	s := newSeeded(t)
	d := get(t, s, "/providers/slack").json(t)["data"].(map[string]any)
	if d["name"] != "slack" || d["auth_mode"] != "OAUTH2" {
		t.Fatalf("provider = %v", d)
	}
	expectError(t, get(t, s, "/providers/nope"), 404, "not_found")
	expectError(t, get(t, s, "/providers/a.b"), 400, "invalid_uri_params")
	expectError(t, get(t, s, "/providers/slack?x=1"), 400, "invalid_query_params")

	tpl := get(t, s, "/providers/github/templates").json(t)["data"].([]any)
	if got := strings.Join(names(t, tpl, "name"), ","); got != "create-issue,issues" {
		t.Fatalf("templates = %s", got)
	}
	if _, ok := tpl[0].(map[string]any)["id"]; ok {
		t.Fatal("templates carry no deployment metadata")
	}
	if got := get(t, s, "/providers/sendgrid/templates").json(t)["data"].([]any); len(got) != 0 {
		t.Fatalf("sendgrid templates = %v", got)
	}
}

func TestIntegrationShapeAndKeyOrder(t *testing.T) {
	s := newSeeded(t)
	r := get(t, s, "/integrations")
	expectStatus(t, r, 200)
	var env struct{ Data []json.RawMessage }
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatal(err)
	}
	if len(env.Data) != 18 {
		t.Fatalf("%d integrations, want 18", len(env.Data))
	}
	want := "unique_key,provider,display_name,logo,forward_webhooks,created_at,updated_at"
	if got := strings.Join(keysInOrder(t, env.Data[0]), ","); got != want {
		t.Fatalf("keys = %s, want %s", got, want)
	}
	fd := get(t, s, "/integrations/freshdesk").json(t)["data"].(map[string]any)
	if fd["display_name"] != "Freshdesk" {
		t.Fatalf("display_name falls back to the provider's: %v", fd["display_name"])
	}
}

func TestGetIntegrationInclude(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		target  string
		present []string
		absent  []string
	}{
		{"/integrations/github", nil, []string{"webhook_url", "credentials"}},
		{"/integrations/github?include=webhook", []string{"webhook_url"}, []string{"credentials"}},
		{"/integrations/github?include=credentials", []string{"credentials"}, []string{"webhook_url"}},
		{"/integrations/github?include=webhook&include=credentials", []string{"webhook_url", "credentials"}, nil},
	}
	for _, tt := range tests {
		d := get(t, s, tt.target).json(t)["data"].(map[string]any)
		for _, k := range tt.present {
			if _, ok := d[k]; !ok {
				t.Errorf("%s: %s missing", tt.target, k)
			}
		}
		for _, k := range tt.absent {
			if _, ok := d[k]; ok {
				t.Errorf("%s: %s present", tt.target, k)
			}
		}
	}
	d := get(t, s, "/integrations/github?include=webhook&include=credentials").json(t)["data"].(map[string]any)
	if !strings.HasPrefix(d["webhook_url"].(string), "https://api.nango.dev/webhook/") {
		t.Fatalf("webhook_url = %v", d["webhook_url"])
	}
	cr := d["credentials"].(map[string]any)
	if cr["type"] != "OAUTH2" || cr["client_id"] == "" || cr["scopes"] != "repo,user" {
		t.Fatalf("credentials = %v", cr)
	}
	app := get(t, s, "/integrations/github-app?include=credentials").json(t)["data"].(map[string]any)["credentials"].(map[string]any)
	if app["type"] != "APP" || app["app_id"] != "123456" {
		t.Fatalf("APP credentials = %v", app)
	}
	fd := get(t, s, "/integrations/freshdesk?include=webhook&include=credentials").json(t)["data"].(map[string]any)
	if fd["webhook_url"] != nil || fd["credentials"] != nil {
		t.Fatalf("a provider without webhook routing or app credentials gives nulls: %v", fd)
	}
	expectError(t, get(t, s, "/integrations/github?include=secrets"), 400, "invalid_query_params")
	expectError(t, get(t, s, "/integrations/nope"), 404, "not_found")
	expectError(t, get(t, s, "/integrations/a%2Fb"), 400, "invalid_uri_params")
}

func TestCreateIntegration(t *testing.T) {
	s := newSeeded(t)
	oauth := map[string]any{"type": "OAUTH2", "client_id": "cid", "client_secret": "secret", "scopes": "a,b"}
	tests := []struct {
		name   string
		target string
		body   any
		status int
		code   string
	}{
		{"oauth2 with credentials", "/integrations", map[string]any{"provider": "github", "unique_key": "gh-new", "display_name": "GH", "credentials": oauth}, 200, ""},
		{"api key without credentials", "/integrations", map[string]any{"provider": "sendgrid", "unique_key": "sg 2", "forward_webhooks": false}, 200, ""},
		{"duplicate key", "/integrations", map[string]any{"provider": "sendgrid", "unique_key": "sg 2"}, 400, "invalid_body"},
		{"unknown provider", "/integrations", map[string]any{"provider": "nope", "unique_key": "x"}, 400, "invalid_body"},
		{"missing credentials", "/integrations", map[string]any{"provider": "slack", "unique_key": "s2"}, 400, "invalid_body"},
		{"credentials of another auth mode", "/integrations", map[string]any{"provider": "github-app", "unique_key": "s3", "credentials": oauth}, 400, "invalid_body"},
		{"unknown body key", "/integrations", map[string]any{"provider": "sendgrid", "unique_key": "s4", "custom": map[string]string{}}, 400, "invalid_body"},
		{"bad unique key", "/integrations", map[string]any{"provider": "sendgrid", "unique_key": "a/b"}, 400, "invalid_body"},
		{"query not allowed", "/integrations?x=1", map[string]any{"provider": "sendgrid", "unique_key": "s5"}, 400, "invalid_query_params"},
		{"invalid json", "/integrations", `{"provider":`, 400, "invalid_json"},
		{"quickstart oauth", "/integrations/quickstart", map[string]any{"provider": "notion", "unique_key": "notion"}, 200, ""},
		{"quickstart needs a developer app", "/integrations/quickstart", map[string]any{"provider": "sendgrid", "unique_key": "sg-q"}, 400, "invalid_body"},
		{"quickstart is strict", "/integrations/quickstart", map[string]any{"provider": "notion", "unique_key": "n2", "credentials": oauth}, 400, "invalid_body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, req{method: "POST", target: tt.target, body: tt.body})
			if tt.code != "" {
				expectError(t, r, tt.status, tt.code)
				return
			}
			expectStatus(t, r, tt.status)
			key := tt.body.(map[string]any)["unique_key"].(string)
			d := r.json(t)["data"].(map[string]any)
			if d["unique_key"] != key {
				t.Fatalf("data = %v", d)
			}
			escaped := strings.ReplaceAll(key, " ", "%20")
			expectStatus(t, get(t, s, "/integrations/"+escaped), 200)
		})
	}
	sg := get(t, s, "/integrations/sg%202").json(t)["data"].(map[string]any)
	if sg["forward_webhooks"] != false {
		t.Fatalf("forward_webhooks = %v", sg["forward_webhooks"])
	}
	r := send(t, s, req{method: "POST", target: "/integrations", body: map[string]any{"provider": "github", "unique_key": "zz"}})
	errs := r.json(t)["error"].(map[string]any)
	if errs["message"] != "Missing credentials" {
		t.Fatalf("error = %v", errs)
	}
}

func TestUpdateIntegration(t *testing.T) {
	s := newSeeded(t)
	patch := func(key string, body any) resp {
		return send(t, s, req{method: "PATCH", target: "/integrations/" + key, body: body})
	}
	r := patch("paypal", map[string]any{"display_name": "PayPal Prod", "forward_webhooks": false})
	expectStatus(t, r, 200)
	d := r.json(t)["data"].(map[string]any)
	if d["display_name"] != "PayPal Prod" || d["forward_webhooks"] != false || d["updated_at"] == d["created_at"] {
		t.Fatalf("patched = %v", d)
	}
	expectError(t, patch("github", map[string]any{"unique_key": "gh2"}), 400, "invalid_body")
	expectError(t, patch("notion-none", map[string]any{"display_name": "x"}), 404, "not_found")
	expectError(t, patch("paypal", map[string]any{"provider": "x"}), 400, "invalid_body")

	send(t, s, req{method: "POST", target: "/integrations", body: map[string]any{"provider": "sendgrid", "unique_key": "sg-a"}})
	send(t, s, req{method: "POST", target: "/integrations", body: map[string]any{"provider": "sendgrid", "unique_key": "sg-b"}})
	expectError(t, patch("sg-a", map[string]any{"unique_key": "sg-b"}), 400, "invalid_body")
	expectStatus(t, patch("sg-a", map[string]any{"unique_key": "sg-c"}), 200)
	expectError(t, get(t, s, "/integrations/sg-a"), 404, "not_found")
	expectStatus(t, get(t, s, "/integrations/sg-c"), 200)
}

func TestDeleteIntegrationRemovesItsConnections(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "DELETE", target: "/integrations/slack"})
	expectStatus(t, r, 200)
	if string(r.body) != `{"success":true}` {
		t.Fatalf("body = %s", r.body)
	}
	conns := get(t, s, "/connections?integrationId=slack").json(t)["connections"].([]any)
	if len(conns) != 0 {
		t.Fatalf("slack connections left: %d", len(conns))
	}
	expectError(t, send(t, s, req{method: "DELETE", target: "/integrations/slack"}), 404, "not_found")
}

func TestListFunctionsFiltersAndPaginates(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		query string
		names string
		total float64
	}{
		{"", "create-issue,echo,fail,github-issues,github-repos,github-repos,legacy-export,setup-webhooks,sleep", 9},
		{"?type=sync", "github-issues,github-repos", 2},
		{"?type=on-event", "setup-webhooks", 1},
		{"?search=+REPOS+", "github-repos,github-repos", 2},
		{"?limit=4", "create-issue,echo,fail,github-issues", 9},
		{"?limit=4&page=2", "sleep", 9},
		{"?limit=4&page=3", "", 9},
	}
	for _, tt := range tests {
		r := get(t, s, "/integrations/github/functions"+tt.query)
		expectStatus(t, r, 200)
		m := r.json(t)
		got := strings.Join(names(t, m["data"].([]any), "name"), ",")
		if got != tt.names {
			t.Errorf("%q: names = %s, want %s", tt.query, got, tt.names)
		}
		if p := m["pagination"].(map[string]any); p["total"] != tt.total {
			t.Errorf("%q: pagination = %v", tt.query, p)
		}
	}
	p := get(t, s, "/integrations/github/functions?limit=4&page=1").json(t)["pagination"].(map[string]any)
	if p["page"] != 1.0 || p["limit"] != 4.0 {
		t.Fatalf("pagination = %v", p)
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?page=-1", "?type=webhook", "?search=+", "?limit=abc"} {
		expectError(t, get(t, s, "/integrations/github/functions"+q), 400, "invalid_query_params")
	}
	expectError(t, get(t, s, "/integrations/nope/functions"), 404, "not_found")
}

func TestListedFunctionShapesPerType(t *testing.T) {
	s := newSeeded(t)
	want := map[string]string{
		"sync":     "name,type,description,scopes,returns,json_schema,runs,auto_start,track_deletes,id,enabled,last_deployed,source",
		"action":   "name,type,description,scopes,input,returns,json_schema,id,enabled,last_deployed,source",
		"on-event": "name,type,description,event,id,enabled,last_deployed,source",
	}
	for typ, keys := range want {
		name := map[string]string{"sync": "github-issues", "action": "create-issue", "on-event": "setup-webhooks"}[typ]
		r := get(t, s, "/integrations/github/functions/"+name+"?type="+typ)
		expectStatus(t, r, 200)
		if got := strings.Join(keysInOrder(t, member(t, r.body, "data")), ","); got != keys {
			t.Errorf("%s keys = %s, want %s", typ, got, keys)
		}
	}
	expectError(t, get(t, s, "/integrations/github/functions/nope"), 404, "not_found")
	expectError(t, get(t, s, "/integrations/github/functions/github-issues?type=action"), 404, "not_found")
	expectError(t, get(t, s, "/integrations/github/functions/bad.name"), 400, "invalid_uri_params")
}

func TestGetFunctionCodeAmbiguousName(t *testing.T) {
	s := newSeeded(t)
	r := get(t, s, "/integrations/github/functions/github-repos/code")
	expectError(t, r, 409, "ambiguous_function")
	matches := r.json(t)["error"].(map[string]any)["payload"].(map[string]any)["matches"].([]any)
	if len(matches) != 2 || matches[0].(map[string]any)["type"] != "sync" || matches[1].(map[string]any)["type"] != "action" {
		t.Fatalf("matches = %v", matches)
	}
	r = get(t, s, "/integrations/github/functions/github-repos/code?type=action")
	expectStatus(t, r, 200)
	m := r.json(t)
	if m["type"] != "action" || !strings.Contains(m["code"].(string), "createAction") {
		t.Fatalf("code = %v", m)
	}
	expectError(t, get(t, s, "/integrations/github/functions/nope/code"), 404, "not_found")
	expectError(t, get(t, s, "/integrations/nope/functions/x/code"), 404, "not_found")
}

func TestDeleteFunction(t *testing.T) {
	s := newSeeded(t)
	del := func(target string) resp { return send(t, s, req{method: "DELETE", target: target}) }
	expectError(t, del("/integrations/github/functions/echo"), 400, "invalid_query_params")
	expectError(t, del("/integrations/github/functions/echo?type=on-event"), 400, "invalid_query_params")
	expectError(t, del("/integrations/github/functions/github-issues?type=sync"), 400, "function_managed_by_deploy")
	expectError(t, del("/integrations/github/functions/nope?type=action"), 404, "not_found")
	r := del("/integrations/github/functions/echo?type=action")
	expectStatus(t, r, 200)
	if !bytes.Equal(r.body, []byte(`{"data":{"success":true}}`)) {
		t.Fatalf("body = %s", r.body)
	}
	expectError(t, get(t, s, "/integrations/github/functions/echo"), 404, "not_found")

	// Deleting a sync drops its runs and records.
	expectStatus(t, del("/integrations/github/functions/github-repos?type=sync"), 200)
	rec := send(t, s, req{method: "GET", target: "/records?model=GithubRepo", header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github"}})
	if n := len(rec.json(t)["records"].([]any)); n != 0 {
		t.Fatalf("%d GithubRepo records left", n)
	}
	expectStatus(t, get(t, s, "/integrations/github/functions/github-repos/code"), 200)
}

func TestEnvironmentVariablesAreABareArray(t *testing.T) {
	s := newSeeded(t)
	l := get(t, s, "/environment-variables").list(t)
	if len(l) != 3 || l[0].(map[string]any)["name"] != SeedEnvironmentVariableKey {
		t.Fatalf("variables = %v", l)
	}
	empty := New(Options{})
	if r := get(t, empty, "/environment-variables"); string(r.body) != "[]" {
		t.Fatalf("empty environment = %s", r.body)
	}
}

func TestScriptsConfigFormats(t *testing.T) {
	s := newSeeded(t)
	for _, q := range []string{"", "?format=nango"} {
		l := get(t, s, "/scripts/config"+q).list(t)
		if len(l) != 3 {
			t.Fatalf("%d integrations with functions, want 3", len(l))
		}
		gh := l[0].(map[string]any)
		if gh["providerConfigKey"] != "github" || gh["provider"] != "github" {
			t.Fatalf("first = %v", gh)
		}
		syncs := gh["syncs"].([]any)
		first := syncs[0].(map[string]any)
		for _, k := range []string{"name", "type", "runs", "auto_start", "returns", "endpoints", "json_schema", "input", "version", "enabled"} {
			if _, ok := first[k]; !ok {
				t.Fatalf("NangoSyncConfig lacks %s: %v", k, first)
			}
		}
		if ev := gh["on-events"].([]any); len(ev) != 1 || ev[0] != SeedOnEventGithub {
			t.Fatalf("on-events = %v", ev)
		}
	}
	data := get(t, s, "/scripts/config?format=openai").json(t)["data"].([]any)
	var echo map[string]any
	for _, d := range data {
		if d.(map[string]any)["name"] == "send-message" {
			echo = d.(map[string]any)
		}
	}
	params := echo["parameters"].(map[string]any)
	if params["type"] != "object" || len(params["required"].([]any)) != 2 {
		t.Fatalf("openai function = %v", echo)
	}
}

func TestScriptsConfigDoesNotValidateItsQuery(t *testing.T) {
	s := newSeeded(t)
	for _, q := range []string{"?format=yaml", "?foo=bar", "?format=nango&x=y"} {
		r := get(t, s, "/scripts/config"+q)
		expectStatus(t, r, 200)
		if l := r.list(t); len(l) != 3 {
			t.Errorf("%s: %d integrations, want the nango format's 3", q, len(l))
		}
	}
}

func TestScriptsConfigWithNothingDeployedIsAnEmptyArrayWhateverTheFormat(t *testing.T) {
	empty := New(Options{})
	for _, q := range []string{"", "?format=nango", "?format=openai", "?format=bogus"} {
		r := get(t, empty, "/scripts/config"+q)
		expectStatus(t, r, 200)
		if string(r.body) != "[]" {
			t.Errorf("%q: body = %s, want []", q, r.body)
		}
	}
}

func TestScriptsConfigOpenAIListsSyncsAndActions(t *testing.T) {
	s := newSeeded(t)
	seedFunction(t, s, "github", &function{name: "bare-sync", typ: "sync", returns: []string{"GithubRepo"}, runs: "every day"})
	seedFunction(t, s, "github", &function{name: "bare-action", typ: "action", input: "UppercaseInput",
		description: "Shouts.\n- text: what to shout"})
	r := get(t, s, "/scripts/config?format=openai")
	expectStatus(t, r, 200)
	byName := map[string]map[string]any{}
	var order []string
	for _, d := range r.json(t)["data"].([]any) {
		m := d.(map[string]any)
		byName[m["name"].(string)] = m
		order = append(order, m["name"].(string))
	}
	if got := strings.Join(order[:4], ","); got != "github-issues,github-repos,bare-sync,github-repos" {
		t.Fatalf("github's functions: %s, want its syncs first", got)
	}
	if d := byName["bare-sync"]["description"]; d != "Execute the bare-sync sync for github" {
		t.Fatalf("default sync description = %v", d)
	}
	if p := byName["github-issues"]["parameters"].(map[string]any); len(p["properties"].(map[string]any)) != 0 || len(p["required"].([]any)) != 0 {
		t.Fatalf("sync parameters = %v", p)
	}
	text := byName["bare-action"]["parameters"].(map[string]any)["properties"].(map[string]any)["text"].(map[string]any)
	if text["description"] != "what to shout" || text["type"] != "string" {
		t.Fatalf("described parameter = %v", text)
	}
}

func TestProviderTemplatesOfAnUnknownProviderAreEmpty(t *testing.T) {
	s := newSeeded(t)
	r := get(t, s, "/providers/no-such-provider/templates")
	expectStatus(t, r, 200)
	if string(r.body) != `{"data":[]}` {
		t.Fatalf("body = %s", r.body)
	}
	expectError(t, get(t, s, "/providers/a.b/templates"), 400, "invalid_uri_params")
	tpl := get(t, s, "/providers/github/templates")
	list := member(t, tpl.body, "data")
	var items []json.RawMessage
	if err := json.Unmarshal(list, &items); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"name,description,scopes,input,returns,json_schema,type",
		"name,description,scopes,returns,json_schema,type,runs,auto_start,track_deletes",
	}
	for i, it := range items {
		if got := strings.Join(keysInOrder(t, it), ","); got != want[i] {
			t.Errorf("template %d keys = %s, want %s", i, got, want[i])
		}
	}
}

func TestFunctionAnswersHaveNangosShapes(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name, method, target string
		check                func(t *testing.T, r resp)
	}{
		{"a listed function has no version key", "GET", "/integrations/github/functions?type=action", func(t *testing.T, r resp) {
			for _, f := range r.json(t)["data"].([]any) {
				if _, has := f.(map[string]any)["version"]; has {
					t.Fatalf("function has version: %v", f)
				}
			}
		}},
		{"a single function has no version key", "GET", "/integrations/github/functions/github-issues", func(t *testing.T, r resp) {
			if _, has := r.json(t)["data"].(map[string]any)["version"]; has {
				t.Fatalf("function has version: %s", r.body)
			}
		}},
		{"code is type and code at the top level", "GET", "/integrations/github/functions/github-issues/code", func(t *testing.T, r resp) {
			if got := strings.Join(keysInOrder(t, r.body), ","); got != "type,code" {
				t.Fatalf("keys = %s", got)
			}
		}},
		{"delete answers data.success", "DELETE", "/integrations/github/functions/echo?type=action", func(t *testing.T, r resp) {
			if string(r.body) != `{"data":{"success":true}}` {
				t.Fatalf("body = %s", r.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, req{method: tt.method, target: tt.target})
			expectStatus(t, r, 200)
			tt.check(t, r)
		})
	}
}

func TestZodValidationErrorsHaveCodeAndErrorsOnly(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name, method, target string
		body                 any
		code                 string
		first                string // code|path of errors[0]
	}{
		{"missing end_user", "POST", "/connect/sessions", map[string]any{}, "invalid_body", "invalid_type|end_user"},
		{"unknown body key", "POST", "/integrations", map[string]any{"provider": "github", "unique_key": "k", "nope": 1}, "invalid_body", "unrecognized_keys|"},
		{"unknown query key", "GET", "/integrations?page=2", nil, "invalid_query_params", "unrecognized_keys|"},
		{"bad path id", "GET", "/integrations/bad%21key", nil, "invalid_uri_params", "invalid_format|uniqueKey"},
		{"bad enum", "GET", "/integrations/github/functions?type=job", nil, "invalid_query_params", "invalid_value|type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, req{method: tt.method, target: tt.target, body: tt.body})
			expectError(t, r, 400, tt.code)
			if got := strings.Join(keysInOrder(t, member(t, r.body, "error")), ","); got != "code,errors" {
				t.Fatalf("error keys = %s", got)
			}
			first := r.json(t)["error"].(map[string]any)["errors"].([]any)[0].(map[string]any)
			path := ""
			if p := first["path"].([]any); len(p) > 0 {
				path = p[0].(string)
			}
			if got := first["code"].(string) + "|" + path; got != tt.first {
				t.Fatalf("errors[0] = %v, want %s", first, tt.first)
			}
			if m, _ := first["message"].(string); m == "" {
				t.Fatalf("errors[0] has no message: %v", first)
			}
		})
	}
}
