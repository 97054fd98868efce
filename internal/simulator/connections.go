package simulator

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// jsonbObject renders a stored JSON object in Postgres jsonb key order
// (shorter keys first, then bytewise), as Nango's metadata comes back.
func jsonbObject(m map[string]json.RawMessage) obj {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	o := make(obj, 0, len(keys))
	for _, k := range keys {
		o = append(o, kv{k, m[k]})
	}
	return o
}

// rawObjectMap decodes a JSON object into its members.
func rawObjectMap(raw json.RawMessage) map[string]json.RawMessage {
	_, m, ok := decodeObject(raw)
	if !ok {
		return map[string]json.RawMessage{}
	}
	for k, v := range m {
		m[k] = compactJSON(v)
	}
	return m
}

// rawWithout removes key from a JSON object, keeping the order of the rest.
func rawWithout(raw json.RawMessage, key string) json.RawMessage {
	keys, m, ok := decodeObject(raw)
	if !ok {
		return raw
	}
	o := obj{}
	for _, k := range keys {
		if k != key {
			o = append(o, kv{k, compactJSON(m[k])})
		}
	}
	b, _ := marshal(o)
	return b
}

func tagsOut(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}

// nullIfNoTags is an end user's tags: Nango stores null when none were given.
func nullIfNoTags(t map[string]string) any {
	if t == nil {
		return nil
	}
	return t
}

func (eu *endUser) public() any {
	if eu == nil {
		return nil
	}
	var org any
	if eu.orgID != "" {
		org = obj{{"id", eu.orgID}, {"display_name", nullIfEmpty(eu.orgDisplayName)}}
	}
	return obj{
		{"id", eu.id},
		{"display_name", nullIfEmpty(eu.displayName)},
		{"email", nullIfEmpty(eu.email)},
		{"tags", nullIfNoTags(eu.tags)},
		{"organization", org},
	}
}

func (c *connection) errorsOut() []obj {
	out := []obj{}
	for _, e := range c.errors {
		out = append(out, obj{{"type", e.typ}, {"log_id", e.logID}})
	}
	return out
}

func (c *connection) metadataOut() any {
	if c.metadata == nil {
		return nil
	}
	return jsonbObject(c.metadata)
}

// commonFields are the leading members ApiPublicConnection and
// ApiPublicConnectionFull share, in their order.
func (c *connection) commonFields() obj {
	return obj{
		{"id", c.id},
		{"connection_id", c.connectionID},
		{"provider_config_key", c.integrationKey},
		{"provider", c.provider},
		{"errors", c.errorsOut()},
		{"end_user", c.endUser.public()},
		{"tags", tagsOut(c.tags)},
		{"metadata", c.metadataOut()},
	}
}

// public is ApiPublicConnection, the item of GET /connections.
func (c *connection) public() obj {
	return append(c.commonFields(),
		kv{"created", strings.TrimSuffix(isoTime(c.createdAt), "Z") + "+00:00"},
	)
}

// full is ApiPublicConnectionFull, the answer of GET /connections/{id}.
func (c *connection) full(includeRefresh bool) obj {
	cfg := c.config
	if cfg == nil {
		cfg = map[string]json.RawMessage{}
	}
	return append(c.commonFields(),
		kv{"connection_config", jsonbObject(cfg)},
		kv{"webhook_url_override", nullIfEmpty(c.webhookURLOverride)},
		kv{"created_at", pgTime(c.createdAt)},
		kv{"updated_at", pgTime(c.updatedAt)},
		kv{"last_fetched_at", pgOrNull(c.lastFetchedAt)},
		kv{"credentials", c.creds.public(includeRefresh)},
	)
}

// public renders credentials by auth mode, as Nango stores them (dates as
// ISO strings); without includeRefresh an OAUTH2 refresh token is removed,
// from raw too, as Nango does.
func (cr *credentials) public(includeRefresh bool) obj {
	if cr == nil || cr.typ == "NONE" {
		return obj{}
	}
	raw := cr.raw
	if raw == nil {
		raw = json.RawMessage("{}")
	}
	switch cr.typ {
	case "OAUTH2":
		o := obj{{"type", "OAUTH2"}, {"access_token", cr.accessToken}}
		if includeRefresh && cr.refreshToken != "" {
			o = append(o, kv{"refresh_token", cr.refreshToken})
		}
		if cr.expiresAt != nil {
			o = append(o, kv{"expires_at", isoTime(*cr.expiresAt)})
		}
		if !includeRefresh {
			raw = rawWithout(raw, "refresh_token")
		}
		o = append(o, kv{"raw", raw})
		if cr.configOverride != nil {
			o = append(o, kv{"config_override", cr.configOverride})
		}
		return o
	case "OAUTH1":
		return obj{{"type", "OAUTH1"}, {"oauth_token", cr.oauthToken}, {"oauth_token_secret", cr.oauthTokenSecret}, {"raw", raw}}
	case "OAUTH2_CC":
		o := obj{{"type", "OAUTH2_CC"}, {"token", cr.token}}
		if cr.expiresAt != nil {
			o = append(o, kv{"expires_at", isoTime(*cr.expiresAt)})
		}
		o = append(o, kv{"client_id", cr.clientID}, kv{"client_secret", cr.clientSecret})
		if cr.clientCertificate != "" {
			o = append(o, kv{"client_certificate", cr.clientCertificate})
		}
		if cr.clientPrivateKey != "" {
			o = append(o, kv{"client_private_key", cr.clientPrivateKey})
		}
		return append(o, kv{"raw", raw})
	case "API_KEY":
		return obj{{"type", "API_KEY"}, {"apiKey", cr.apiKey}}
	case "BASIC":
		if cr.fields != nil {
			break
		}
		return obj{{"type", "BASIC"}, {"username", cr.username}, {"password", cr.password}}
	case "APP":
		o := obj{{"type", "APP"}, {"access_token", cr.accessToken}}
		if cr.expiresAt != nil {
			o = append(o, kv{"expires_at", isoTime(*cr.expiresAt)})
		}
		if cr.jwtToken != "" {
			o = append(o, kv{"jwtToken", cr.jwtToken})
		}
		return append(o, kv{"raw", raw})
	case "CUSTOM":
		if cr.app != nil {
			// GitHub App + OAuth: the installation token and the user's
			// OAuth token side by side.
			var user any
			if cr.user != nil {
				user = cr.user.public(includeRefresh)
			}
			return obj{{"type", "CUSTOM"}, {"app", cr.app.public(includeRefresh)}, {"user", user}, {"raw", raw}}
		}
		o := obj{{"type", "CUSTOM"}}
		if cr.accessToken != "" {
			o = append(o, kv{"access_token", cr.accessToken})
		}
		if cr.expiresAt != nil {
			o = append(o, kv{"expires_at", isoTime(*cr.expiresAt)})
		}
		if cr.jwtToken != "" {
			o = append(o, kv{"jwtToken", cr.jwtToken})
		}
		return append(o, kv{"raw", raw})
	}
	// TBA, BILL, SIGNATURE, AWS_SIGV4, JWT, TWO_STEP and install-plugin
	// credentials come back exactly as stored.
	return append(obj{{"type", cr.typ}}, cr.fields...)
}

// refresh simulates a token refresh: a new access token valid for an hour.
func (s *Simulator) refresh(c *connection, now time.Time) {
	cr := c.creds
	if cr == nil {
		return
	}
	exp := now.Add(time.Hour).Truncate(time.Millisecond)
	switch cr.typ {
	case "OAUTH2":
		cr.accessToken = "sim_at_" + s.st.ids.hex(16)
		cr.expiresAt = &exp
		raw := obj{{"access_token", cr.accessToken}, {"token_type", "bearer"}, {"expires_in", 3600}}
		if cr.refreshToken != "" {
			raw = append(raw, kv{"refresh_token", cr.refreshToken})
		}
		cr.raw, _ = marshal(raw)
	case "OAUTH2_CC":
		cr.token = "sim_cc_" + s.st.ids.hex(16)
		cr.expiresAt = &exp
		cr.raw, _ = marshal(obj{{"access_token", cr.token}, {"token_type", "Bearer"}, {"expires_in", 3600}})
	case "APP", "CUSTOM":
		target := cr
		if cr.app != nil {
			target = cr.app
		}
		target.accessToken = "ghs_sim" + s.st.ids.hex(16)
		target.expiresAt = &exp
		target.raw, _ = marshal(obj{{"token", target.accessToken}, {"expires_at", isoTime(exp)}})
	default:
		return
	}
	c.updatedAt = now
}

func (c *call) listConnections() {
	var iss []issue
	iss = append(iss, c.q.strict("connectionId", "search", "endUserId", "endUserOrganizationId", "integrationId", "tags", "limit", "page")...)
	id255 := strRule{min: 1, max: 255}
	connID, hasConnID := c.q.str("connectionId", false, id255, &iss)
	search, hasSearch := c.q.str("search", false, id255, &iss)
	endUserID, hasEndUser := c.q.str("endUserId", false, id255, &iss)
	orgID, hasOrg := c.q.str("endUserOrganizationId", false, id255, &iss)
	var integrations []string
	if v, ok := c.q.str("integrationId", false, strRule{min: 1}, &iss); ok {
		for _, id := range strings.Split(v, ",") {
			integrations = append(integrations, strings.TrimSpace(id))
		}
	}
	tags := map[string]string{}
	for _, p := range c.q.sub("tags") {
		path := []any{"tags", p.sub}
		if len(p.sub) > 64 || !reTagKey.MatchString(p.sub) {
			iss = append(iss, newIssue("invalid_key", "Invalid key in record", path))
			continue
		}
		if e := (strRule{min: 1, max: 255}).check(p.value, path); len(e) > 0 {
			iss = append(iss, e...)
			continue
		}
		tags[strings.ToLower(p.sub)] = p.value
	}
	if vals := c.q.values("tags"); len(vals) > 0 {
		iss = append(iss, wrongType("record", "string", []any{"tags"}))
	}
	limit, hasLimit := c.q.int("limit", 1, 2000, &iss)
	page, _ := c.q.int("page", 0, 0, &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	if !hasLimit {
		limit = 10000
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := append([]*connection(nil), s.st.connections...)
	sort.SliceStable(conns, func(i, j int) bool {
		if !conns[i].createdAt.Equal(conns[j].createdAt) {
			return conns[i].createdAt.After(conns[j].createdAt)
		}
		return conns[i].id > conns[j].id
	})
	var matched []obj
	for _, conn := range conns {
		eu := conn.endUser
		switch {
		case hasConnID && conn.connectionID != connID:
			continue
		case hasEndUser && (eu == nil || eu.id != endUserID):
			continue
		case hasOrg && (eu == nil || eu.orgID != orgID):
			continue
		case integrations != nil && !contains(integrations, conn.integrationKey):
			continue
		case hasSearch && !conn.matchesSearch(search):
			continue
		}
		ok := true
		for k, v := range tags {
			if conn.tags[k] != v {
				ok = false
				break
			}
		}
		if ok {
			matched = append(matched, conn.public())
		}
	}
	out := []obj{}
	for i := page * limit; i < len(matched) && i < (page+1)*limit; i++ {
		out = append(out, matched[i])
	}
	c.json(http.StatusOK, obj{{"connections", out}})
}

func (c *connection) matchesSearch(q string) bool {
	q = strings.ToLower(q)
	fields := []string{c.connectionID}
	if eu := c.endUser; eu != nil {
		fields = append(fields, eu.id, eu.email, eu.displayName)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

func (c *call) getConnection() {
	var iss []issue
	iss = append(iss, c.q.strict("provider_config_key", "force_refresh", "refresh_token", "refresh_github_app_jwt_token")...)
	key, _ := c.q.str("provider_config_key", true, ruleProviderConfigKey, &iss)
	force, _ := c.q.boolean("force_refresh", &iss)
	withRefresh, _ := c.q.boolean("refresh_token", &iss)
	jwt, _ := c.q.boolean("refresh_github_app_jwt_token", &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	id, ok := c.param("connectionId", ruleConnectionID)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, ok := c.connectionOrNotFound(key, id)
	if !ok {
		return
	}
	now := s.tick()
	if cr := conn.creds; cr != nil {
		expired := cr.expiresAt != nil && !cr.expiresAt.After(now)
		if force || expired {
			s.refresh(conn, now)
		}
		if jwt && (cr.typ == "APP" || cr.typ == "CUSTOM") {
			target := cr
			if cr.app != nil {
				target = cr.app
			}
			target.jwtToken = "sim_jwt_" + s.st.ids.hex(24)
			conn.updatedAt = now
		}
	}
	conn.lastFetchedAt = &now
	c.json(http.StatusOK, conn.full(withRefresh))
}

// connectionQuery reads ?provider_config_key= of PATCH/DELETE /connections/{id}.
func (c *call) connectionQuery() (key, id string, ok bool) {
	var iss []issue
	iss = append(iss, c.q.strict("provider_config_key")...)
	key, _ = c.q.str("provider_config_key", true, ruleProviderConfigKey, &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return "", "", false
	}
	id, ok = c.param("connectionId", ruleConnectionID)
	return key, id, ok
}

// unknownConnectionIntegration is the connection routes' answer for an
// integration that does not exist.
func unknownConnectionIntegration() *apiError {
	return errf(http.StatusBadRequest, "unknown_provider_config", "Provider does not exists")
}

// connectionOrNotFound finds the connection GET and PATCH
// /connections/{connectionId} name: 400 unknown_provider_config when the
// integration does not exist, 404 not_found when the connection does not.
// s.mu must be held.
func (c *call) connectionOrNotFound(key, id string) (*connection, bool) {
	if c.s.st.integration(key) == nil {
		c.fail(unknownConnectionIntegration())
		return nil, false
	}
	conn := c.s.st.connection(key, id)
	if conn == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Failed to find connection"))
		return nil, false
	}
	return conn, true
}

// applyEndUser stores the end user and merges its fields into the tags;
// the seed uses it.
func applyEndUser(conn *connection, eu *endUserInput, orgID, orgName string) {
	if eu == nil {
		return
	}
	conn.endUser = &endUser{id: eu.ID, email: eu.Email, displayName: eu.DisplayName, tags: eu.Tags, orgID: orgID, orgDisplayName: orgName}
	if conn.tags == nil {
		conn.tags = map[string]string{}
	}
	for k, v := range endUserTags(eu) {
		conn.tags[k] = v
	}
	if orgID != "" {
		conn.tags["organization_id"] = orgID
	}
}

// endUserTags are the tags Nango derives from an end user: its id, email
// and display name, then its own tags (keys lower-cased) over them.
func endUserTags(eu *endUserInput) map[string]string {
	out := map[string]string{}
	if eu == nil {
		return out
	}
	out["end_user_id"] = eu.ID
	if eu.Email != "" {
		out["end_user_email"] = eu.Email
	}
	if eu.DisplayName != "" {
		out["end_user_display_name"] = eu.DisplayName
	}
	own := map[string]string{}
	for k, v := range eu.Tags {
		if k = strings.ToLower(k); len(k) <= 64 && reTagKey.MatchString(k) && v != "" {
			own[k] = v
		}
	}
	// Nango drops the end user's own tags when they would pass the limit.
	if len(out)+len(own) <= 10 {
		for k, v := range own {
			out[k] = v
		}
	}
	return out
}

// replaceTags applies an end_user and tags given on PATCH or POST
// /connections: the connection's tags become the end user's derived tags
// with the given tags over them, and the end user is replaced whole (an
// organization set by a connect session is cleared, as Nango does).
func replaceTags(conn *connection, eu *endUserInput, tags map[string]string, hasTags bool) {
	if eu == nil && !hasTags {
		return
	}
	merged := endUserTags(eu)
	if eu == nil {
		merged = map[string]string{}
	}
	for k, v := range tags {
		merged[k] = v
	}
	conn.tags = merged
	if eu != nil {
		conn.endUser = &endUser{id: eu.ID, email: eu.Email, displayName: eu.DisplayName, tags: eu.Tags}
	}
}

func (c *call) patchConnection() {
	key, id, ok := c.connectionQuery()
	if !ok {
		return
	}
	var iss []issue
	o, ok := c.bodyObject(&iss)
	if !ok {
		return
	}
	var eu *endUserInput
	var tags map[string]string
	var hook string
	var hasTags, hasHook bool
	if o != nil {
		o.strict("end_user", "tags", "webhook_url_override")
		eu, _ = readEndUser(o, "end_user", false)
		tags, hasTags = readTags(o, "tags")
		if v, present := o.str("webhook_url_override", false, strRule{}); present {
			if v != "" && !isURL(v) {
				o.add(newIssue("invalid_format", "Invalid URL", []any{"webhook_url_override"}))
			}
			hook, hasHook = v, true
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, ok := c.connectionOrNotFound(key, id)
	if !ok {
		return
	}
	replaceTags(conn, eu, tags, hasTags)
	if hasHook {
		conn.webhookURLOverride = hook
	}
	conn.updatedAt = s.tick()
	c.json(http.StatusOK, obj{{"success", true}})
}

func (c *call) deleteConnection() {
	key, id, ok := c.connectionQuery()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn := s.st.connection(key, id)
	if conn == nil {
		// This route's refusal carries no message.
		c.fail(&apiError{status: http.StatusBadRequest, code: "unknown_connection"})
		return
	}
	s.st.removeConnection(conn)
	c.json(http.StatusOK, obj{{"success", true}})
}

func (c *call) setMetadata()    { c.metadata(true) }
func (c *call) updateMetadata() { c.metadata(false) }

// metadata is POST (replace, 201) and PATCH (shallow merge, 200)
// /connections/metadata; several connection ids are all-or-nothing.
func (c *call) metadata(replace bool) {
	if !c.emptyQuery() {
		return
	}
	raw, ok := c.jsonBody()
	if !ok {
		return
	}
	var iss []issue
	o := newObjReader(raw, nil, &iss)
	var key string
	var ids []string
	var meta json.RawMessage
	if o != nil {
		o.strict("metadata", "connection_id", "provider_config_key")
		meta, _ = o.rawObject("metadata", true)
		key, _ = o.str("provider_config_key", true, ruleProviderConfigKey)
		if r, present := o.m["connection_id"]; !present {
			o.add(missing("string", []any{"connection_id"}))
		} else if jsonKind(r) == "array" {
			var list []json.RawMessage
			_ = json.Unmarshal(r, &list)
			for i, item := range list {
				var v string
				if err := json.Unmarshal(item, &v); err != nil {
					o.add(wrongType("string", jsonKind(item), []any{"connection_id", i}))
					continue
				}
				if e := ruleConnectionID.check(v, []any{"connection_id", i}); len(e) > 0 {
					o.add(e...)
					continue
				}
				ids = append(ids, v)
			}
		} else if v, ok := o.str("connection_id", true, ruleConnectionID); ok {
			ids = []string{v}
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := make([]*connection, 0, len(ids))
	for _, id := range ids {
		conn := s.st.connection(key, id)
		if conn == nil {
			c.fail(errf(http.StatusNotFound, "unknown_connection", "Connection with connection id "+id+" and provider config key "+key+
				" not found. Please make sure the connection exists in the Nango dashboard. No actions were taken on any of the connections as a result of this failure."))
			return
		}
		conns = append(conns, conn)
	}
	now := s.tick()
	fields := rawObjectMap(meta)
	for _, conn := range conns {
		if replace || conn.metadata == nil {
			conn.metadata = map[string]json.RawMessage{}
		}
		for k, v := range fields {
			conn.metadata[k] = v
		}
		conn.updatedAt = now
	}
	status := http.StatusOK
	if replace {
		status = http.StatusCreated
	}
	writeRaw(c.w, status, "application/json; charset=utf-8", compactJSON(raw))
}
