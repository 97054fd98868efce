package simulator

import (
	"encoding/json"
	"net/http"
	"time"
)

// readConnectionCreds reads the credentials union of POST /connections with
// Nango's strict schemas. OAuth credentials keep the object given as raw, as
// Nango stores them.
func readConnectionCreds(o *objReader) *credentials {
	c := o.object("credentials", true)
	if c == nil {
		return nil
	}
	typ, ok := c.str("type", true, strRule{enum: []string{"OAUTH2", "OAUTH2_CC", "OAUTH1", "API_KEY", "BASIC", "NONE", "TBA", "APP", "CUSTOM"}})
	if !ok {
		return nil
	}
	cr := &credentials{typ: typ}
	expires := func() {
		if v, ok := c.str("expires_at", false, strRule{}); ok {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				c.add(newIssue("invalid_type", "Invalid input: expected date, received Date", pathWith(c.path, "expires_at")))
				return
			}
			cr.expiresAt = &t
		}
	}
	// override reads the optional strict config_override {client_id?, client_secret?}.
	override := func() obj {
		oc := c.object("config_override", false)
		if oc == nil {
			return nil
		}
		oc.strict("client_id", "client_secret")
		out := obj{}
		if v, ok := oc.str("client_id", false, strRule{min: 1, max: 255}); ok {
			out = append(out, kv{"client_id", v})
		}
		if v, ok := oc.str("client_secret", false, strRule{min: 1, max: 2048}); ok {
			out = append(out, kv{"client_secret", v})
		}
		return out
	}
	given := func() json.RawMessage {
		b, _ := marshal(rawObjectKeepingOrder(c))
		return b
	}
	switch typ {
	case "OAUTH2":
		c.strict("type", "access_token", "refresh_token", "expires_at", "config_override")
		cr.accessToken, _ = c.str("access_token", true, strRule{min: 1})
		cr.refreshToken, _ = c.str("refresh_token", false, strRule{min: 1})
		expires()
		cr.configOverride = override()
		cr.raw = given()
	case "OAUTH2_CC":
		c.strict("type", "token", "client_id", "client_secret", "client_certificate", "client_private_key", "expires_at")
		cr.token, _ = c.str("token", true, strRule{min: 1, max: 4096})
		cr.clientID, _ = c.str("client_id", true, strRule{min: 1, max: 255})
		cr.clientSecret, _ = c.str("client_secret", true, strRule{min: 1, max: 2048})
		cr.clientCertificate, _ = c.str("client_certificate", false, strRule{min: 1, max: 10000})
		cr.clientPrivateKey, _ = c.str("client_private_key", false, strRule{min: 1, max: 10000})
		expires()
		cr.raw = given()
	case "OAUTH1":
		c.strict("type", "oauth_token", "oauth_token_secret")
		cr.oauthToken, _ = c.str("oauth_token", true, strRule{min: 1, max: 2048})
		cr.oauthTokenSecret, _ = c.str("oauth_token_secret", true, strRule{min: 1, max: 2048})
		cr.raw = given()
	case "API_KEY":
		c.strict("type", "apiKey")
		cr.apiKey, _ = c.str("apiKey", true, strRule{min: 1, max: 1024})
	case "BASIC":
		c.strict("type", "username", "password")
		cr.username, _ = c.str("username", true, strRule{max: 1024})
		cr.password, _ = c.str("password", true, strRule{max: 1024})
	case "TBA":
		c.strict("type", "token_id", "token_secret", "config_override")
		id, _ := c.str("token_id", true, strRule{min: 1})
		secret, _ := c.str("token_secret", true, strRule{min: 1})
		cr.fields = obj{{"token_id", id}, {"token_secret", secret}}
		if ov := override(); ov != nil {
			cr.fields = append(cr.fields, kv{"config_override", ov})
		}
	case "APP", "CUSTOM":
		c.strict("type", "app_id", "installation_id")
		appID, _ := c.str("app_id", true, strRule{min: 1, max: 255})
		inst, _ := c.str("installation_id", true, strRule{min: 1, max: 255})
		cr.raw, _ = marshal(obj{{"app_id", appID}, {"installation_id", inst}})
	case "NONE":
		c.strict("type")
	}
	return cr
}

// rawObjectKeepingOrder is the object a reader read, members in their order.
func rawObjectKeepingOrder(o *objReader) obj {
	out := obj{}
	for _, k := range o.keys {
		out = append(out, kv{k, compactJSON(o.m[k])})
	}
	return out
}

// importConnection is POST /connections: upsert a connection whose
// credentials the caller already has. The SDK does not call it; tests use it
// to create connections.
func (c *call) importConnection() {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return
	}
	var (
		connID, key, hook string
		hasConnID         bool
		meta, cfg         json.RawMessage
		eu                *endUserInput
		tags              map[string]string
		cr                *credentials
	)
	if o != nil {
		o.strict("connection_id", "provider_config_key", "metadata", "connection_config", "webhook_url_override", "end_user", "tags", "credentials")
		connID, hasConnID = o.str("connection_id", false, ruleConnectionID)
		key, _ = o.str("provider_config_key", true, ruleProviderConfigKey)
		meta, _ = o.rawObject("metadata", false)
		cfg, _ = o.rawObject("connection_config", false)
		hook, _ = o.str("webhook_url_override", false, strRule{url: true})
		eu, _ = readEndUser(o, "end_user", false)
		tags, _ = readTags(o, "tags")
		cr = readConnectionCreds(o)
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	s := c.s
	s.mu.Lock()
	i := s.st.integration(key)
	if i == nil {
		s.mu.Unlock()
		c.fail(unknownConnectionIntegration())
		return
	}
	if p := findProvider(i.provider); p != nil && p.authMode != cr.typ {
		s.mu.Unlock()
		c.fail(errf(http.StatusBadRequest, "invalid_body", "Credentials of type "+cr.typ+" do not match the "+p.authMode+" auth mode of integration "+key))
		return
	}
	if !hasConnID {
		connID = s.st.ids.uuid()
	}
	now := s.tick()
	conn := s.st.connection(key, connID)
	status := http.StatusOK
	if conn == nil {
		conn = &connection{id: s.st.nextConnID, connectionID: connID, integrationKey: key, provider: i.provider, createdAt: now}
		s.st.nextConnID++
		s.st.connections = append(s.st.connections, conn)
		s.st.ensureSyncRuns(i, conn, now)
		status = http.StatusCreated
	}
	conn.updatedAt = now
	conn.creds = cr
	if meta != nil {
		conn.metadata = rawObjectMap(meta)
	}
	if cfg != nil {
		conn.config = rawObjectMap(cfg)
	}
	conn.webhookURLOverride = hook
	replaceTags(conn, eu, tags, tags != nil)
	if conn.tags == nil {
		conn.tags = map[string]string{}
	}
	authHook := s.authWebhook(conn, status == http.StatusCreated)
	full := conn.full(true)
	s.mu.Unlock()
	if authHook != nil {
		s.sendWebhookAsync(authHook)
	}
	c.json(status, full)
}

// authWebhook is the auth webhook of a stored connection (creation or override).
func (s *Simulator) authWebhook(conn *connection, created bool) obj {
	if s.opts.WebhookURL == "" {
		return nil
	}
	op := "override"
	if created {
		op = "creation"
	}
	mode := "NONE"
	if conn.creds != nil {
		mode = conn.creds.typ
	}
	o := obj{
		{"from", "nango"},
		{"type", "auth"},
		{"connectionId", conn.connectionID},
		{"providerConfigKey", conn.integrationKey},
		{"authMode", mode},
		{"provider", conn.provider},
		{"environment", "dev"},
		{"operation", op},
		{"success", true},
		{"tags", tagsOut(conn.tags)},
	}
	if eu := conn.endUser; eu != nil {
		end := obj{{"endUserId", eu.id}}
		if eu.email != "" {
			end = append(end, kv{"endUserEmail", eu.email})
		}
		if eu.orgID != "" {
			end = append(end, kv{"organizationId", eu.orgID})
		}
		o = append(o, kv{"endUser", append(end, kv{"tags", tagsOut(eu.tags)})})
	}
	return o
}
