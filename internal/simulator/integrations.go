package simulator

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// jsonBody returns req.body as express.json leaves it: nil (undefined) unless
// the Content-Type is application/json, {} for an empty JSON body. It answers
// 400 itself and returns false when the JSON does not parse.
func (c *call) jsonBody() (json.RawMessage, bool) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, true
	}
	b := bytes.TrimSpace(c.body)
	if len(b) == 0 {
		return json.RawMessage("{}"), true
	}
	if !json.Valid(b) || (b[0] != '{' && b[0] != '[') {
		c.fail(errf(http.StatusBadRequest, "invalid_json", "Unexpected token in JSON body"))
		return nil, false
	}
	return json.RawMessage(b), true
}

// bodyObject reads the JSON body as the object a route validates: a body
// that is absent or not an object adds an issue to iss and gives a nil
// reader. It answers 400 itself and returns false when the JSON does not
// parse.
func (c *call) bodyObject(iss *[]issue) (*objReader, bool) {
	raw, ok := c.jsonBody()
	if !ok {
		return nil, false
	}
	return newObjReader(raw, nil, iss), true
}

// noQueryBody starts a route that takes no query parameters and a JSON
// object body: emptyQuery, then bodyObject.
func (c *call) noQueryBody(iss *[]issue) (*objReader, bool) {
	if !c.emptyQuery() {
		return nil, false
	}
	return c.bodyObject(iss)
}

// emptyQuery answers 400 invalid_query_params unless the query is empty.
func (c *call) emptyQuery() bool {
	if iss := c.q.empty(); len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return false
	}
	return true
}

// param validates a path parameter, answering 400 invalid_uri_params.
func (c *call) param(name string, rule strRule) (string, bool) {
	v := c.params[name]
	if iss := rule.check(v, []any{name}); len(iss) > 0 {
		c.fail(validationErr("invalid_uri_params", iss))
		return "", false
	}
	return v, true
}

var rePrivateKey = regexp.MustCompile(`(?s)^-----BEGIN RSA PRIVATE KEY----.*-----END RSA PRIVATE KEY-----$`)

// readIntegrationCreds reads the credentials union of create/update integration.
func readIntegrationCreds(o *objReader) (*integrationCreds, bool) {
	c := o.object("credentials", false)
	if c == nil {
		return nil, false
	}
	typ, ok := c.str("type", true, strRule{enum: []string{"OAUTH1", "OAUTH2", "TBA", "APP", "CUSTOM"}})
	if !ok {
		return nil, false
	}
	cr := &integrationCreds{typ: typ}
	id := strRule{min: 1, max: 255}
	switch typ {
	case "OAUTH1", "OAUTH2", "TBA":
		cr.clientID, _ = c.str("client_id", true, id)
		cr.clientSecret, _ = c.str("client_secret", true, strRule{min: 1})
		if v, null, ok := c.nullableStr("scopes", false, strRule{re: regexp.MustCompile(`^[0-9a-zA-Z:/_.-]+(,[0-9a-zA-Z:/_.-]+)*$`)}); ok && !null {
			cr.scopes = &v
		}
		if v, null, ok := c.nullableStr("webhook_secret", false, strRule{max: 255}); ok && !null {
			cr.webhookSecret = &v
		}
	case "APP":
		cr.appID, _ = c.str("app_id", true, id)
		cr.appLink, _ = c.str("app_link", true, strRule{min: 1})
		cr.privateKey, _ = c.str("private_key", true, strRule{re: rePrivateKey})
	case "CUSTOM":
		cr.clientID, _ = c.str("client_id", true, id)
		cr.clientSecret, _ = c.str("client_secret", true, strRule{min: 1})
		cr.appID, _ = c.str("app_id", true, id)
		cr.appLink, _ = c.str("app_link", true, strRule{min: 1})
		cr.privateKey, _ = c.str("private_key", true, strRule{re: rePrivateKey})
	}
	return cr, true
}

// integrationPublic is ApiPublicIntegration; include holds webhook_url/credentials.
func (s *Simulator) integrationPublic(i *integration, include obj) obj {
	p := findProvider(i.provider)
	display := i.displayName
	if display == "" && p != nil {
		display = p.displayName
	}
	o := obj{
		{"unique_key", i.uniqueKey},
		{"provider", i.provider},
		{"display_name", display},
		{"logo", logoURL(i.provider)},
	}
	o = append(o, include...)
	o = append(o,
		kv{"forward_webhooks", i.forwardWebhooks},
		kv{"created_at", isoTime(i.createdAt)},
		kv{"updated_at", isoTime(i.updatedAt)},
	)
	return o
}

func (s *Simulator) integrationCredsPublic(i *integration, p *providerDef) any {
	if i.shared || i.creds == nil || p == nil {
		return nil
	}
	cr := i.creds
	switch p.authMode {
	case "OAUTH1", "OAUTH2", "TBA":
		o := obj{{"type", p.authMode}, {"client_id", cr.clientID}, {"client_secret", cr.clientSecret}}
		if cr.scopes != nil {
			o = append(o, kv{"scopes", *cr.scopes})
		} else {
			o = append(o, kv{"scopes", nil})
		}
		if cr.webhookSecret != nil {
			o = append(o, kv{"webhook_secret", *cr.webhookSecret})
		}
		return o
	case "APP":
		return obj{{"type", "APP"}, {"app_id", cr.appID}, {"private_key", cr.privateKey}, {"app_link", nullIfEmpty(cr.appLink)}}
	case "CUSTOM":
		return obj{{"type", "CUSTOM"}, {"client_id", cr.clientID}, {"client_secret", cr.clientSecret}, {"app_id", cr.appID}, {"private_key", cr.privateKey}, {"app_link", nullIfEmpty(cr.appLink)}}
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *call) listIntegrations() {
	if !c.emptyQuery() {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []obj{}
	for _, i := range s.st.integrations {
		out = append(out, s.integrationPublic(i, nil))
	}
	c.json(http.StatusOK, obj{{"data", out}})
}

// integrationKeyNotFound is the 404 of GET /integrations/{uniqueKey}, which
// names the key (the other integration routes answer integrationOrNotFound's).
func integrationKeyNotFound(key string) *apiError {
	return errf(http.StatusNotFound, "not_found", `Integration "`+key+`" does not exist`)
}

func (c *call) getIntegration() {
	var iss []issue
	iss = append(iss, c.q.strict("include")...)
	include := map[string]bool{}
	for _, v := range c.q.values("include") {
		if e := (strRule{enum: []string{"webhook", "credentials"}}).check(v, []any{"include"}); len(e) > 0 {
			iss = append(iss, e...)
			continue
		}
		include[v] = true
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	key, ok := c.param("uniqueKey", ruleProviderConfigKey)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.st.integration(key)
	if i == nil {
		c.fail(integrationKeyNotFound(key))
		return
	}
	p := findProvider(i.provider)
	var inc obj
	if include["webhook"] {
		var url any
		if p != nil && p.webhookRouting {
			url = "https://api.nango.dev/webhook/" + s.st.envUUID + "/" + i.provider
		}
		inc = append(inc, kv{"webhook_url", url})
	}
	if include["credentials"] {
		inc = append(inc, kv{"credentials", s.integrationCredsPublic(i, p)})
	}
	c.json(http.StatusOK, obj{{"data", s.integrationPublic(i, inc)}})
}

// integrationBody is the validated body of create/update integration.
type integrationBody struct {
	provider, uniqueKey, displayName string
	hasUniqueKey, hasDisplayName     bool
	forwardWebhooks                  *bool
	creds                            *integrationCreds
	integrationConfig, custom        map[string]string
}

func (c *call) readIntegrationBody(create, quickstart bool) (*integrationBody, bool) {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return nil, false
	}
	b := &integrationBody{}
	if o != nil {
		switch {
		case quickstart:
			o.strict("provider", "unique_key", "display_name", "forward_webhooks")
		case create:
			o.strict("provider", "unique_key", "display_name", "forward_webhooks", "credentials", "integration_config")
		default:
			o.strict("unique_key", "display_name", "forward_webhooks", "credentials", "integration_config", "custom")
		}
		if create {
			b.provider, _ = o.str("provider", true, ruleProvider)
		}
		b.uniqueKey, b.hasUniqueKey = o.str("unique_key", create, ruleProviderConfigKey)
		b.displayName, b.hasDisplayName = o.str("display_name", false, strRule{min: 1, max: 255})
		if v, ok := o.boolean("forward_webhooks", false); ok {
			b.forwardWebhooks = &v
		}
		if !quickstart {
			b.creds, _ = readIntegrationCreds(o)
			b.integrationConfig, _, _ = o.stringMap("integration_config", strRule{max: 8192})
		}
		if !create {
			b.custom, _, _ = o.stringMap("custom", strRule{})
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return nil, false
	}
	return b, true
}

func (c *call) createIntegration()           { c.createIntegrationImpl(false) }
func (c *call) createQuickstartIntegration() { c.createIntegrationImpl(true) }

func (c *call) createIntegrationImpl(quickstart bool) {
	b, ok := c.readIntegrationBody(true, quickstart)
	if !ok {
		return
	}
	p := findProvider(b.provider)
	if p == nil {
		c.fail(validationErr("invalid_body", []issue{newIssue("invalid_string", "Invalid provider", []any{"provider"})}))
		return
	}
	needsCreds := p.authMode == "OAUTH1" || p.authMode == "OAUTH2" || p.authMode == "APP" || p.authMode == "CUSTOM"
	switch {
	case quickstart && p.authMode != "OAUTH1" && p.authMode != "OAUTH2":
		c.fail(errf(http.StatusBadRequest, "invalid_body", "Quickstart is only available for providers that require a developer app"))
		return
	case !quickstart && b.creds != nil && b.creds.typ != p.authMode:
		c.fail(errf(http.StatusBadRequest, "invalid_body", "incompatible credentials auth type and provider auth"))
		return
	case !quickstart && b.creds == nil && needsCreds:
		c.fail(errf(http.StatusBadRequest, "invalid_body", "Missing credentials"))
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.integration(b.uniqueKey) != nil {
		c.fail(validationErr("invalid_body", []issue{newIssue("invalid_string", "Unique key already exists", []any{"uniqueKey"})}))
		return
	}
	now := s.tick()
	i := &integration{
		uniqueKey:         b.uniqueKey,
		provider:          p.name,
		displayName:       b.displayName,
		forwardWebhooks:   true,
		createdAt:         now,
		updatedAt:         now,
		creds:             b.creds,
		integrationConfig: b.integrationConfig,
		shared:            quickstart,
	}
	if b.forwardWebhooks != nil {
		i.forwardWebhooks = *b.forwardWebhooks
	}
	s.st.integrations = append(s.st.integrations, i)
	c.json(http.StatusOK, obj{{"data", s.integrationPublic(i, nil)}})
}

func (c *call) updateIntegration() {
	b, ok := c.readIntegrationBody(false, false)
	if !ok {
		return
	}
	key, ok := c.param("uniqueKey", ruleProviderConfigKey)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := c.integrationOrNotFound(key)
	if !ok {
		return
	}
	p := findProvider(i.provider)
	if b.creds != nil && p != nil && b.creds.typ != p.authMode {
		c.fail(errf(http.StatusBadRequest, "invalid_body", "incompatible credentials auth type and provider auth"))
		return
	}
	if b.hasUniqueKey && b.uniqueKey != i.uniqueKey {
		if s.st.integration(b.uniqueKey) != nil {
			c.fail(errf(http.StatusBadRequest, "invalid_body", "uniqueKey is already used by another integration"))
			return
		}
		for _, conn := range s.st.connections {
			if conn.integrationKey == i.uniqueKey {
				c.fail(errf(http.StatusBadRequest, "invalid_body", "Cannot change the unique_key of an integration that has connections"))
				return
			}
		}
		for _, r := range s.st.syncs {
			if r.integrationKey == i.uniqueKey {
				r.integrationKey = b.uniqueKey
			}
		}
		i.uniqueKey = b.uniqueKey
	}
	if b.hasDisplayName {
		i.displayName = b.displayName
	}
	if b.forwardWebhooks != nil {
		i.forwardWebhooks = *b.forwardWebhooks
	}
	if b.creds != nil {
		i.creds = b.creds
		i.shared = false
	}
	if b.integrationConfig != nil {
		if i.integrationConfig == nil {
			i.integrationConfig = map[string]string{}
		}
		for k, v := range b.integrationConfig {
			i.integrationConfig[k] = v
		}
	}
	if b.custom != nil {
		i.custom = b.custom
	}
	i.updatedAt = s.tick()
	c.json(http.StatusOK, obj{{"data", s.integrationPublic(i, nil)}})
}

func (c *call) deleteIntegration() {
	if !c.emptyQuery() {
		return
	}
	key, ok := c.param("uniqueKey", ruleProviderConfigKey)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.st.integration(key)
	if i == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Integration does not exist"))
		return
	}
	for _, conn := range append([]*connection(nil), s.st.connections...) {
		if conn.integrationKey == key {
			s.st.removeConnection(conn)
		}
	}
	out := s.st.integrations[:0]
	for _, x := range s.st.integrations {
		if x != i {
			out = append(out, x)
		}
	}
	s.st.integrations = out
	c.json(http.StatusOK, obj{{"success", true}})
}

// template is the catalog shape (NangoSyncFunction / NangoActionFunction).
func (f *function) template() obj {
	o := obj{{"name", f.name}, {"type", f.typ}}
	if f.description != "" {
		o = append(o, kv{"description", f.description})
	}
	if len(f.scopes) > 0 {
		o = append(o, kv{"scopes", f.scopes})
	}
	switch f.typ {
	case "sync", "action":
		if f.input != "" {
			o = append(o, kv{"input", f.input})
		}
		returns := f.returns
		if returns == nil {
			returns = []string{}
		}
		o = append(o, kv{"returns", returns}, kv{"json_schema", jsonSchema(append([]string{f.input}, f.returns...)...)})
		if f.typ == "sync" {
			var runs any
			if f.runs != "" {
				runs = f.runs
			}
			o = append(o, kv{"runs", runs}, kv{"auto_start", f.autoStart}, kv{"track_deletes", f.trackDeletes})
		}
	case "on-event":
		o = append(o, kv{"event", f.event})
	}
	return o
}

// listed is ListedNangoFunction: the template plus deployment metadata.
func (f *function) listed() obj {
	return append(f.template(),
		kv{"id", f.id},
		kv{"enabled", f.enabled},
		kv{"last_deployed", isoTime(f.lastDeployed)},
		kv{"source", f.source},
	)
}

var functionTypes = []string{"sync", "action", "on-event"}

func (c *call) listFunctions() {
	var iss []issue
	iss = append(iss, c.q.strict("type", "search", "page", "limit")...)
	typ, _ := c.q.str("type", false, strRule{enum: functionTypes}, &iss)
	search := ""
	if v, ok := c.q.one("search", &iss); ok {
		search = strings.TrimSpace(v)
		iss = append(iss, strRule{min: 1, max: 255}.check(search, []any{"search"})...)
	}
	page, limit := 0, 20
	if v, ok := c.q.int("page", 0, 0, &iss); ok {
		page = v
	}
	if v, ok := c.q.int("limit", 1, 100, &iss); ok {
		limit = v
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	key, ok := c.param("uniqueKey", ruleProviderConfigKey)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := c.integrationOrNotFound(key)
	if !ok {
		return
	}
	var matched []*function
	for _, f := range i.functions {
		if typ != "" && f.typ != typ {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(f.name), strings.ToLower(search)) {
			continue
		}
		matched = append(matched, f)
	}
	sort.SliceStable(matched, func(a, b int) bool {
		if matched[a].name != matched[b].name {
			return matched[a].name < matched[b].name
		}
		return matched[a].typ < matched[b].typ
	})
	data := []obj{}
	for n := page * limit; n < len(matched) && n < (page+1)*limit; n++ {
		data = append(data, matched[n].listed())
	}
	c.json(http.StatusOK, obj{
		{"data", data},
		{"pagination", obj{{"total", len(matched)}, {"page", page}, {"limit", limit}}},
	})
}

func (c *call) getFunction() {
	typ, ok := c.functionTypeQuery(false, functionTypes)
	if !ok {
		return
	}
	key, name, ok := c.functionParams()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, f, ok := c.functionOrNotFound(key, name, typ)
	if !ok {
		return
	}
	c.json(http.StatusOK, obj{{"data", f.listed()}})
}

// integrationOrNotFound finds integration key, answering 404 not_found
// "Integration does not exist" when there is none. s.mu must be held.
func (c *call) integrationOrNotFound(key string) (*integration, bool) {
	i := c.s.st.integration(key)
	if i == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Integration does not exist"))
		return nil, false
	}
	return i, true
}

// functionOrNotFound finds function name (of type typ; "" = any) of
// integration key, answering 404 not_found when either does not exist.
// s.mu must be held.
func (c *call) functionOrNotFound(key, name, typ string) (*integration, *function, bool) {
	i, ok := c.integrationOrNotFound(key)
	if !ok {
		return nil, nil, false
	}
	f := i.function(name, typ)
	if f == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Function does not exist"))
		return nil, nil, false
	}
	return i, f, true
}

// functionTypeQuery reads ?type=, the only query parameter of the routes of
// one function, answering 400 invalid_query_params itself.
func (c *call) functionTypeQuery(required bool, types []string) (string, bool) {
	var iss []issue
	iss = append(iss, c.q.strict("type")...)
	typ, _ := c.q.str("type", required, strRule{enum: types}, &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return "", false
	}
	return typ, true
}

func (c *call) functionParams() (string, string, bool) {
	var iss []issue
	key := c.params["uniqueKey"]
	name := c.params["name"]
	iss = append(iss, ruleProviderConfigKey.check(key, []any{"uniqueKey"})...)
	iss = append(iss, ruleScriptName.check(name, []any{"name"})...)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_uri_params", iss))
		return "", "", false
	}
	return key, name, true
}

func (c *call) getFunctionCode() {
	key, name, ok := c.functionParams()
	if !ok {
		return
	}
	typ, ok := c.functionTypeQuery(false, functionTypes)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.st.integration(key)
	if i == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Integration '"+key+"' not found"))
		return
	}
	var matches []*function
	for _, f := range i.functions {
		if f.name == name && (typ == "" || f.typ == typ) {
			matches = append(matches, f)
		}
	}
	if len(matches) > 1 {
		list := []obj{}
		for _, m := range matches {
			list = append(list, obj{{"type", m.typ}, {"name", m.name}})
		}
		c.fail(&apiError{
			status:  http.StatusConflict,
			code:    "ambiguous_function",
			message: "Multiple functions named '" + name + "' found for integration '" + key + "'. Specify a type to disambiguate.",
			payload: obj{{"matches", list}},
		})
		return
	}
	if len(matches) == 0 {
		c.fail(errf(http.StatusNotFound, "not_found", "Function '"+name+"' not found for integration '"+key+"'"))
		return
	}
	f := matches[0]
	c.json(http.StatusOK, obj{{"type", f.typ}, {"code", f.sourceCode()}})
}

func (c *call) deleteFunction() {
	typ, ok := c.functionTypeQuery(true, []string{"sync", "action"})
	if !ok {
		return
	}
	key, name, ok := c.functionParams()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	i, f, ok := c.functionOrNotFound(key, name, typ)
	if !ok {
		return
	}
	if f.source == "repo" {
		c.fail(errf(http.StatusBadRequest, "function_managed_by_deploy", "repo functions are deleted through `nango deploy`, not this endpoint"))
		return
	}
	fns := i.functions[:0]
	for _, x := range i.functions {
		if x != f {
			fns = append(fns, x)
		}
	}
	i.functions = fns
	if f.typ == "sync" {
		s.st.dropSync(i, f)
	}
	c.json(http.StatusOK, obj{{"data", obj{{"success", true}}}})
}

// dropSync forgets a deleted sync's runs and the records of its models.
func (st *state) dropSync(i *integration, f *function) {
	runs := st.syncs[:0]
	for _, r := range st.syncs {
		if r.integrationKey == i.uniqueKey && r.name == f.name {
			conn := st.connByID(r.connID)
			if conn != nil {
				for _, m := range f.returns {
					delete(st.records, recKey{conn.id, variantModel(m, r.variant)})
				}
			}
			continue
		}
		runs = append(runs, r)
	}
	st.syncs = runs
}

func (st *state) connByID(id int) *connection {
	for _, c := range st.connections {
		if c.id == id {
			return c
		}
	}
	return nil
}

// variantModel is the records model of a variant: model::variant unless base.
func variantModel(model, variant string) string {
	if variant == "" || variant == "base" {
		return model
	}
	return model + "::" + variant
}

// sourceCode is the TypeScript a deployed function would have.
func (f *function) sourceCode() string {
	if f.code != "" {
		return f.code
	}
	switch f.typ {
	case "sync":
		model := "unknown"
		if len(f.returns) > 0 {
			model = f.returns[0]
		}
		return "import { createSync } from 'nango';\n\nexport default createSync({\n    description: " + jsString(f.description) +
			",\n    frequency: " + jsString(f.runs) + ",\n    autoStart: " + boolString(f.autoStart) +
			",\n    models: { " + model + " },\n    exec: async (nango) => {\n        // fetch from the provider and save\n        await nango.batchSave([], '" + model + "');\n    }\n});\n"
	case "action":
		return "import { createAction } from 'nango';\n\nexport default createAction({\n    description: " + jsString(f.description) +
			",\n    exec: async (nango, input) => {\n        return input;\n    }\n});\n"
	}
	return "import { createOnEvent } from 'nango';\n\nexport default createOnEvent({\n    event: " + jsString(f.event) +
		",\n    exec: async (nango) => {\n        await nango.log('" + f.name + "');\n    }\n});\n"
}

func jsString(s string) string {
	b, _ := marshal(s)
	return string(b)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
