package simulator

import (
	"encoding/json"
	"strings"
	"testing"
)

func connIDs(t *testing.T, r resp) string {
	t.Helper()
	expectStatus(t, r, 200)
	return strings.Join(names(t, r.json(t)["connections"].([]any), "connection_id"), ",")
}

func TestListConnectionsFilters(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		query string
		want  string
	}{
		{"?connectionId=conn-slack-1", "conn-slack-1"},
		{"?integrationId=github,slack", "conn-slack-1,conn-github-2,conn-github-1"},
		{"?integrationId=github%2Chubspot", "conn-hubspot-1,conn-github-2,conn-github-1"},
		{"?endUserId=user-bob", "conn-trello-1,conn-github-2"},
		{"?endUserOrganizationId=org-acme", "conn-github-app-oauth-1,conn-slack-1,conn-github-1"},
		{"?search=ALICE", "conn-github-app-oauth-1,conn-slack-1,conn-github-1"},
		{"?search=hubspot", "conn-hubspot-1"},
		{"?tags%5Bend_user_email%5D=bob%40acme.test", "conn-trello-1,conn-github-2"},
		{"?tags[team]=platform&tags[END_USER_ID]=user-alice", "conn-github-1"},
		{"?integrationId=github&limit=1", "conn-github-2"},
		{"?integrationId=github&limit=1&page=1", "conn-github-1"},
		{"?integrationId=github&limit=1&page=2", ""},
		{"?connectionId=nope", ""},
	}
	for _, tt := range tests {
		if got := connIDs(t, get(t, s, "/connections"+tt.query)); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.query, got, tt.want)
		}
	}
	all := get(t, s, "/connections").json(t)["connections"].([]any)
	if len(all) != 22 {
		t.Fatalf("%d connections, want 22", len(all))
	}
	for _, q := range []string{"?limit=0", "?limit=2001", "?page=-1", "?limit=x", "?tags[1bad]=x", "?tags[a]=", "?connectionId=", "?limit=1&limit=2"} {
		expectError(t, get(t, s, "/connections"+q), 400, "invalid_query_params")
	}
}

func TestListedConnectionShape(t *testing.T) {
	s := newSeeded(t)
	r := get(t, s, "/connections?connectionId=conn-github-1")
	list := member(t, r.body, "connections")
	item := list[1 : len(list)-1]
	if got := strings.Join(keysInOrder(t, item), ","); got != "id,connection_id,provider_config_key,provider,errors,end_user,tags,metadata,created" {
		t.Fatalf("keys = %s", got)
	}
	c := r.json(t)["connections"].([]any)[0].(map[string]any)
	if c["id"] != 1.0 || !strings.HasSuffix(c["created"].(string), "+00:00") {
		t.Fatalf("connection = %v", c)
	}
	eu := c["end_user"].(map[string]any)
	if eu["id"] != SeedEndUserAlice || eu["organization"].(map[string]any)["id"] != SeedOrganizationID {
		t.Fatalf("end_user = %v", eu)
	}
	errs := get(t, s, "/connections?connectionId=conn-github-2").json(t)["connections"].([]any)[0].(map[string]any)["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["type"] != "sync" {
		t.Fatalf("errors = %v", errs)
	}
}

func getConn(t *testing.T, s *Simulator, key, id, flags string) resp {
	t.Helper()
	return get(t, s, "/connections/"+id+"?provider_config_key="+key+flags)
}

func TestGetConnectionCredentialsHaveNangosShapeForEveryAuthMode(t *testing.T) {
	s := newSeeded(t)
	noFlags := "&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"
	withRefresh := "&force_refresh=false&refresh_token=true&refresh_github_app_jwt_token=false"
	tests := []struct {
		key, id, flags string
		keys           string // credentials' keys in order
	}{
		{"github", SeedConnectionGitHub, noFlags, "type,access_token,expires_at,raw"},
		{"github", SeedConnectionGitHub, withRefresh, "type,access_token,refresh_token,expires_at,raw"},
		{"salesforce", SeedConnectionSalesforce, withRefresh, "type,access_token,refresh_token,expires_at,raw,config_override"},
		{"trello", SeedConnectionTrello, noFlags, "type,oauth_token,oauth_token_secret,raw"},
		{"paypal", SeedConnectionPayPal, noFlags, "type,token,expires_at,client_id,client_secret,raw"},
		{"paypal", SeedConnectionPayPalMTLS, noFlags, "type,token,expires_at,client_id,client_secret,client_certificate,client_private_key,raw"},
		{"sendgrid", SeedConnectionSendGrid, noFlags, "type,apiKey"},
		{"freshdesk", SeedConnectionFreshdesk, noFlags, "type,username,password"},
		{"github-app", SeedConnectionGitHubApp, noFlags, "type,access_token,expires_at,raw"},
		{"github-app-oauth", SeedConnectionGitHubAppOAuth, noFlags, "type,access_token,expires_at,raw"},
		{"github-app-oauth", SeedConnectionGitHubAppOAuth2, noFlags, "type,app,user,raw"},
		{"github-app-oauth", SeedConnectionGitHubAppOAuth3, noFlags, "type,app,user,raw"},
		{"netsuite-tba", SeedConnectionNetSuiteTBA, noFlags, "type,token_id,token_secret,config_override"},
		{"bill", SeedConnectionBill, noFlags, "type,username,password,organization_id,dev_key,raw,session_id,user_id,expires_at"},
		{"emarsys", SeedConnectionEmarsys, noFlags, "type,username,password,token,expires_at"},
		{"aws-sigv4", SeedConnectionAWSSigV4, noFlags, "type,raw,role_arn,region,service,access_key_id,secret_access_key,session_token,expires_at,external_id"},
		{"apple-app-store", SeedConnectionAppStore, noFlags, "type,issuerId,privateKeyId,privateKey,token,expires_at"},
		{"3cx", SeedConnection3CX, noFlags, "type,clientId,clientSecret,token,expires_at,refresh_token,raw"},
		{"crisp-plugin-install", SeedConnectionCrisp, noFlags, "type,username,password"},
		{"public-api", SeedConnectionPublic, noFlags, ""},
	}
	for _, tt := range tests {
		r := getConn(t, s, tt.key, tt.id, tt.flags)
		expectStatus(t, r, 200)
		if got := strings.Join(keysInOrder(t, member(t, r.body, "credentials")), ","); got != tt.keys {
			t.Errorf("%s%s: credentials keys = %s, want %s", tt.id, tt.flags, got, tt.keys)
		}
	}
}

func TestCombinedGitHubAppCredentialsNestAppAndUserObjects(t *testing.T) {
	s := newSeeded(t)
	noFlags := "&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"
	both := getConn(t, s, "github-app-oauth", SeedConnectionGitHubAppOAuth2, noFlags)
	cr := member(t, both.body, "credentials")
	if got := strings.Join(keysInOrder(t, member(t, cr, "app")), ","); got != "type,access_token,expires_at,raw" {
		t.Fatalf("app keys = %s", got)
	}
	if got := strings.Join(keysInOrder(t, member(t, cr, "user")), ","); got != "type,access_token,expires_at,raw" {
		t.Fatalf("user keys = %s", got)
	}
	appOnly := getConn(t, s, "github-app-oauth", SeedConnectionGitHubAppOAuth3, noFlags)
	if u := string(member(t, member(t, appOnly.body, "credentials"), "user")); u != "null" {
		t.Fatalf("user = %s, want null", u)
	}
	// A forced refresh renews the installation token inside app.
	before := both.json(t)["credentials"].(map[string]any)["app"].(map[string]any)["access_token"]
	forced := getConn(t, s, "github-app-oauth", SeedConnectionGitHubAppOAuth2, "&force_refresh=true&refresh_token=false&refresh_github_app_jwt_token=false")
	after := forced.json(t)["credentials"].(map[string]any)["app"].(map[string]any)["access_token"]
	if before == after {
		t.Fatalf("app token not refreshed: %v", after)
	}
}

func TestGetConnectionWithoutCredentialsAnswersEmptyObject(t *testing.T) {
	s := newSeeded(t)
	noFlags := "&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false"
	none := getConn(t, s, "public-api", SeedConnectionPublic, noFlags)
	if string(member(t, none.body, "credentials")) != "{}" {
		t.Fatalf("NONE credentials = %s", member(t, none.body, "credentials"))
	}
	want := "id,connection_id,provider_config_key,provider,errors,end_user,tags,metadata,connection_config,webhook_url_override,created_at,updated_at,last_fetched_at,credentials"
	if got := strings.Join(keysInOrder(t, none.body), ","); got != want {
		t.Fatalf("keys = %s", got)
	}
	if c := none.json(t); c["metadata"] != nil || c["webhook_url_override"] != nil || !strings.HasSuffix(c["created_at"].(string), "+00:00") || c["last_fetched_at"] == nil {
		t.Fatalf("connection = %v", c)
	}
}

func TestGetConnectionRefreshFlags(t *testing.T) {
	s := newSeeded(t)
	r := getConn(t, s, "github", SeedConnectionGitHub, "&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false")
	cr := r.json(t)["credentials"].(map[string]any)
	if _, ok := cr["refresh_token"]; ok {
		t.Fatal("refresh_token=false hides the refresh token")
	}
	if _, ok := cr["raw"].(map[string]any)["refresh_token"]; ok {
		t.Fatal("refresh_token=false hides it in raw too")
	}
	before := cr["access_token"]

	r = getConn(t, s, "github", SeedConnectionGitHub, "&force_refresh=true&refresh_token=true&refresh_github_app_jwt_token=false")
	cr = r.json(t)["credentials"].(map[string]any)
	if cr["refresh_token"] != "ghr_sim_alice_refresh" || cr["access_token"] == before {
		t.Fatalf("forced refresh = %v", cr)
	}
	if cr["raw"].(map[string]any)["access_token"] != cr["access_token"] {
		t.Fatalf("raw follows the new token: %v", cr["raw"])
	}

	// conn-github-2's token has expired: reading it refreshes it.
	r = getConn(t, s, "github", SeedConnectionGitHub2, "")
	if cr := r.json(t)["credentials"].(map[string]any); cr["access_token"] == "gho_sim_bob_access" {
		t.Fatalf("expired token not refreshed: %v", cr)
	}

	r = getConn(t, s, "github-app", SeedConnectionGitHubApp, "&refresh_github_app_jwt_token=true")
	if cr := r.json(t)["credentials"].(map[string]any); !strings.HasPrefix(cr["jwtToken"].(string), "sim_jwt_") {
		t.Fatalf("jwt = %v", cr)
	}
}

func TestGetConnectionErrors(t *testing.T) {
	s := newSeeded(t)
	expectError(t, get(t, s, "/connections/conn-github-1"), 400, "invalid_query_params")
	expectError(t, get(t, s, "/connections/conn-github-1?provider_config_key=github&force_refresh=yes"), 400, "invalid_query_params")
	expectError(t, get(t, s, "/connections/conn-github-1?provider_config_key=nope"), 400, "unknown_provider_config")
	expectError(t, get(t, s, "/connections/nope?provider_config_key=github"), 404, "not_found")
	expectError(t, get(t, s, "/connections/a%23b?provider_config_key=github"), 400, "invalid_uri_params")
}

func TestPatchConnection(t *testing.T) {
	s := newSeeded(t)
	patch := func(target string, body any) resp {
		return send(t, s, req{method: "PATCH", target: target, body: body})
	}
	r := patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{
		"tags":                 map[string]string{"Region": "eu"},
		"end_user":             map[string]any{"id": "u-9", "email": "u9@x.test", "display_name": "U Nine"},
		"webhook_url_override": "https://hooks.example.com/nango",
	})
	expectStatus(t, r, 200)
	if string(r.body) != `{"success":true}` {
		t.Fatalf("body = %s", r.body)
	}
	c := getConn(t, s, "sendgrid", SeedConnectionSendGrid, "").json(t)
	tags := c["tags"].(map[string]any)
	if tags["region"] != "eu" || tags["end_user_id"] != "u-9" || tags["end_user_email"] != "u9@x.test" {
		t.Fatalf("tags = %v", tags)
	}
	if c["webhook_url_override"] != "https://hooks.example.com/nango" || c["end_user"].(map[string]any)["id"] != "u-9" {
		t.Fatalf("connection = %v", c)
	}
	expectStatus(t, patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{"webhook_url_override": ""}), 200)
	if c := getConn(t, s, "sendgrid", SeedConnectionSendGrid, "").json(t); c["webhook_url_override"] != nil {
		t.Fatalf("empty string clears the override: %v", c["webhook_url_override"])
	}

	expectError(t, patch("/connections/conn-sendgrid-1", map[string]any{}), 400, "invalid_query_params")
	expectError(t, patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{"metadata": map[string]any{}}), 400, "invalid_body")
	expectError(t, patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{"end_user": map[string]any{"email": "x@y.z"}}), 400, "invalid_body")
	expectError(t, patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{"tags": map[string]string{"end_user_email": "not-an-email"}}), 400, "invalid_body")
	expectError(t, patch("/connections/conn-sendgrid-1?provider_config_key=sendgrid", map[string]any{"webhook_url_override": "nope"}), 400, "invalid_body")
	expectError(t, patch("/connections/conn-sendgrid-1?provider_config_key=nope", map[string]any{}), 400, "unknown_provider_config")
	expectError(t, patch("/connections/nope?provider_config_key=sendgrid", map[string]any{}), 404, "not_found")
}

func TestDeleteConnection(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "DELETE", target: "/connections/conn-github-1?provider_config_key=github"})
	expectStatus(t, r, 200)
	if string(r.body) != `{"success":true}` {
		t.Fatalf("body = %s", r.body)
	}
	expectError(t, getConn(t, s, "github", SeedConnectionGitHub, ""), 404, "not_found")
	expectError(t, send(t, s, req{method: "DELETE", target: "/connections/conn-github-1?provider_config_key=github"}), 400, "unknown_connection")
	r = send(t, s, req{method: "GET", target: "/records?model=GithubIssue", header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github"}})
	expectError(t, r, 400, "unknown_connection")
	st := get(t, s, "/sync/status?syncs=*&provider_config_key=github").json(t)["syncs"].([]any)
	for _, x := range st {
		if x.(map[string]any)["connection_id"] == SeedConnectionGitHub {
			t.Fatal("the deleted connection's syncs remain")
		}
	}
}

func TestMetadataSetAndUpdate(t *testing.T) {
	s := newSeeded(t)
	post := func(method string, body any) resp {
		return send(t, s, req{method: method, target: "/connections/metadata", body: body})
	}
	r := post("POST", `{"metadata":{"b":1,"a":{"x":true}},"connection_id":"conn-slack-1","provider_config_key":"slack"}`)
	expectStatus(t, r, 201)
	if string(r.body) != `{"metadata":{"b":1,"a":{"x":true}},"connection_id":"conn-slack-1","provider_config_key":"slack"}` {
		t.Fatalf("POST echoes its body: %s", r.body)
	}
	meta := getConn(t, s, "slack", SeedConnectionSlack, "").json(t)["metadata"].(map[string]any)
	if len(meta) != 2 || meta["b"] != 1.0 {
		t.Fatalf("POST replaces the metadata: %v", meta)
	}
	r = post("PATCH", map[string]any{"metadata": map[string]any{"c": "new", "b": 2}, "connection_id": []string{"conn-slack-1"}, "provider_config_key": "slack"})
	expectStatus(t, r, 200)
	meta = getConn(t, s, "slack", SeedConnectionSlack, "").json(t)["metadata"].(map[string]any)
	if len(meta) != 3 || meta["b"] != 2.0 || meta["c"] != "new" {
		t.Fatalf("PATCH merges shallowly: %v", meta)
	}

	// Several connections: all or nothing.
	r = post("POST", map[string]any{"metadata": map[string]any{"z": 1}, "connection_id": []string{"conn-github-1", "nope"}, "provider_config_key": "github"})
	expectError(t, r, 404, "unknown_connection")
	meta = getConn(t, s, "github", SeedConnectionGitHub, "").json(t)["metadata"].(map[string]any)
	if _, ok := meta["z"]; ok {
		t.Fatal("a failed multi-connection call changed a connection")
	}
	expectStatus(t, post("POST", map[string]any{"metadata": map[string]any{"z": 1}, "connection_id": []string{"conn-github-1", "conn-github-2"}, "provider_config_key": "github"}), 201)
	if m := getConn(t, s, "github", SeedConnectionGitHub2, "").json(t)["metadata"].(map[string]any); m["z"] != 1.0 {
		t.Fatalf("metadata = %v", m)
	}

	expectError(t, post("POST", map[string]any{"metadata": "x", "connection_id": "conn-slack-1", "provider_config_key": "slack"}), 400, "invalid_body")
	expectError(t, post("POST", map[string]any{"metadata": map[string]any{}, "connection_id": "conn-slack-1", "provider_config_key": "slack", "extra": 1}), 400, "invalid_body")
	expectError(t, post("POST", map[string]any{"metadata": map[string]any{}, "provider_config_key": "slack"}), 400, "invalid_body")
	r = send(t, s, req{method: "POST", target: "/connections/metadata?x=1", body: map[string]any{"metadata": map[string]any{}, "connection_id": "c", "provider_config_key": "slack"}})
	expectError(t, r, 400, "invalid_query_params")
}

func TestImportConnectionCreatesAListedConnection(t *testing.T) {
	s := newSeeded(t)
	body := map[string]any{
		"provider_config_key": "sendgrid",
		"connection_id":       "imported-1",
		"credentials":         map[string]any{"type": "API_KEY", "apiKey": "k"},
		"metadata":            map[string]any{"a": 1},
		"end_user":            map[string]any{"id": "u-imp"},
	}
	r := send(t, s, req{method: "POST", target: "/connections", body: body})
	expectStatus(t, r, 201)
	if c := r.json(t); c["connection_id"] != "imported-1" || c["credentials"].(map[string]any)["apiKey"] != "k" {
		t.Fatalf("imported = %v", c)
	}
	if got := connIDs(t, get(t, s, "/connections?endUserId=u-imp")); got != "imported-1" {
		t.Fatalf("listed = %s", got)
	}
	expectStatus(t, send(t, s, req{method: "POST", target: "/connections", body: body}), 200)
	body["credentials"] = map[string]any{"type": "BASIC", "username": "u", "password": "p"}
	expectError(t, send(t, s, req{method: "POST", target: "/connections", body: body}), 400, "invalid_body")
	body["credentials"] = map[string]any{"type": "API_KEY"}
	expectError(t, send(t, s, req{method: "POST", target: "/connections", body: body}), 400, "invalid_body")
}

func TestEndUserWithoutTagsEmailOrNameAnswersNulls(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		key, id, want string
	}{
		// Created without tags: tags is null, not {}.
		{"github", SeedConnectionGitHub, `{"id":"user-alice","display_name":"Alice Martin","email":"alice@acme.test","tags":null,"organization":{"id":"org-acme","display_name":"Acme Inc."}}`},
		// Created with tags: they come back as given.
		{"github", SeedConnectionGitHub2, `{"id":"user-bob","display_name":"Bob Stone","email":"bob@acme.test","tags":{"plan":"free"},"organization":null}`},
		// Only an id: email and display_name are null too.
		{"salesforce", SeedConnectionSalesforce, `{"id":"user-dave","display_name":null,"email":null,"tags":null,"organization":null}`},
	}
	for _, tt := range tests {
		if got := string(member(t, getConn(t, s, tt.key, tt.id, "").body, "end_user")); got != tt.want {
			t.Errorf("%s: end_user = %s, want %s", tt.id, got, tt.want)
		}
	}
	listed := get(t, s, "/connections?connectionId="+SeedConnectionSalesforce).json(t)["connections"].([]any)
	if eu := listed[0].(map[string]any)["end_user"].(map[string]any); eu["tags"] != nil || eu["email"] != nil || eu["display_name"] != nil {
		t.Fatalf("listed end_user = %v", eu)
	}
}

func TestPatchConnectionTagsReplaceAndEmptyObjectClears(t *testing.T) {
	const target = "/connections/conn-github-1?provider_config_key=github"
	tests := []struct {
		name        string
		body        map[string]any
		wantTags    string
		wantEndUser string
	}{
		{
			name:        "tags alone replace every tag, derived ones too",
			body:        map[string]any{"tags": map[string]string{"Region": "eu"}},
			wantTags:    `{"region":"eu"}`,
			wantEndUser: `{"id":"user-alice","display_name":"Alice Martin","email":"alice@acme.test","tags":null,"organization":{"id":"org-acme","display_name":"Acme Inc."}}`,
		},
		{
			name:        "empty tags clear them",
			body:        map[string]any{"tags": map[string]string{}},
			wantTags:    `{}`,
			wantEndUser: `{"id":"user-alice","display_name":"Alice Martin","email":"alice@acme.test","tags":null,"organization":{"id":"org-acme","display_name":"Acme Inc."}}`,
		},
		{
			name:        "end_user replaces the end user and its tags, and derives the connection's",
			body:        map[string]any{"end_user": map[string]any{"id": "user-alice", "tags": map[string]string{"Tier": "gold"}}},
			wantTags:    `{"end_user_id":"user-alice","tier":"gold"}`,
			wantEndUser: `{"id":"user-alice","display_name":null,"email":null,"tags":{"Tier":"gold"},"organization":null}`,
		},
		{
			name:        "given tags win over derived ones",
			body:        map[string]any{"end_user": map[string]any{"id": "u-2", "email": "u2@x.test"}, "tags": map[string]string{"end_user_id": "other"}},
			wantTags:    `{"end_user_email":"u2@x.test","end_user_id":"other"}`,
			wantEndUser: `{"id":"u-2","display_name":null,"email":"u2@x.test","tags":null,"organization":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			r := send(t, s, req{method: "PATCH", target: target, body: tt.body})
			expectStatus(t, r, 200)
			if string(r.body) != `{"success":true}` {
				t.Fatalf("body = %s", r.body)
			}
			c := getConn(t, s, "github", SeedConnectionGitHub, "")
			if got := canonicalJSON(t, member(t, c.body, "tags")); got != tt.wantTags {
				t.Errorf("tags = %s, want %s", got, tt.wantTags)
			}
			if got := string(member(t, c.body, "end_user")); got != tt.wantEndUser {
				t.Errorf("end_user = %s, want %s", got, tt.wantEndUser)
			}
		})
	}
}

// canonicalJSON re-encodes raw with sorted keys, for maps whose order Go picks.
func canonicalJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestImportConnectionFollowsNangosCredentialSchemas(t *testing.T) {
	tests := []struct {
		name, key string
		creds     map[string]any
		status    int
		keys      string // credentials keys of the stored connection
		raw       string // its raw, when it has one
	}{
		{"OAUTH2 keeps what was given as raw", "github", map[string]any{"type": "OAUTH2", "access_token": "at", "refresh_token": "rt", "config_override": map[string]any{"client_id": "ci"}},
			201, "type,access_token,refresh_token,raw,config_override", `{"access_token":"at","config_override":{"client_id":"ci"},"refresh_token":"rt","type":"OAUTH2"}`},
		{"OAUTH2 refuses raw", "github", map[string]any{"type": "OAUTH2", "access_token": "at", "raw": map[string]any{}}, 400, "", ""},
		{"OAUTH2_CC with the mTLS pair", "paypal", map[string]any{"type": "OAUTH2_CC", "token": "t", "client_id": "c", "client_secret": "s", "client_certificate": "cert", "client_private_key": "key"},
			201, "type,token,client_id,client_secret,client_certificate,client_private_key,raw", ""},
		{"TBA with config_override", "netsuite-tba", map[string]any{"type": "TBA", "token_id": "i", "token_secret": "s", "config_override": map[string]any{"client_secret": "cs"}},
			201, "type,token_id,token_secret,config_override", ""},
		{"TBA refuses unknown override keys", "netsuite-tba", map[string]any{"type": "TBA", "token_id": "i", "token_secret": "s", "config_override": map[string]any{"x": "y"}}, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeeded(t)
			r := send(t, s, req{method: "POST", target: "/connections", body: map[string]any{"provider_config_key": tt.key, "connection_id": "imp-1", "credentials": tt.creds}})
			if tt.status == 400 {
				expectError(t, r, 400, "invalid_body")
				return
			}
			expectStatus(t, r, tt.status)
			got := getConn(t, s, tt.key, "imp-1", "&refresh_token=true")
			cr := member(t, got.body, "credentials")
			if k := strings.Join(keysInOrder(t, cr), ","); k != tt.keys {
				t.Fatalf("credentials keys = %s, want %s", k, tt.keys)
			}
			if tt.raw != "" {
				if raw := canonicalJSON(t, member(t, cr, "raw")); raw != tt.raw {
					t.Fatalf("raw = %s, want %s", raw, tt.raw)
				}
			}
		})
	}
}
