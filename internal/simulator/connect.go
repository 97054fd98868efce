package simulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// connectSessionTTL is how long a connect session token lives.
const connectSessionTTL = 30 * time.Minute

// readSessionCommon reads the members shared by both connect session bodies.
func (s *Simulator) readSessionCommon(o *objReader) (eu *endUserInput, hasTags bool) {
	eu, _ = readEndUser(o, "end_user", false)
	_, hasTags = readTags(o, "tags")
	if org := o.object("organization", false); org != nil {
		org.strict("id", "display_name")
		org.str("id", true, strRule{max: 255})
		org.str("display_name", false, strRule{max: 255})
	}
	if defaults := o.object("integrations_config_defaults", false); defaults != nil {
		for _, k := range defaults.keys {
			s.checkIntegrationKey(defaults, k)
			if d := defaults.object(k, true); d != nil {
				d.strict("user_scopes", "authorization_params", "connection_config")
				d.str("user_scopes", false, strRule{})
				d.rawObject("authorization_params", false)
				d.rawObject("connection_config", false)
			}
		}
	}
	if overrides := o.object("overrides", false); overrides != nil {
		for _, k := range overrides.keys {
			s.checkIntegrationKey(overrides, k)
			if d := overrides.object(k, true); d != nil {
				d.strict("docs_connect")
				d.str("docs_connect", false, strRule{url: true})
			}
		}
	}
	if v, ok := o.str("webhook_url_override", false, strRule{url: true}); ok {
		if u, err := url.Parse(v); err == nil && (u.Hostname() == "nango.dev" || strings.HasSuffix(u.Hostname(), ".nango.dev")) {
			o.add(newIssue("custom", "webhook_url_override cannot point to nango.dev", []any{"webhook_url_override"}))
		}
	}
	return eu, hasTags
}

func (s *Simulator) checkIntegrationKey(o *objReader, key string) {
	if s.st.integration(key) == nil {
		o.add(newIssue("custom", "Integration does not exist", pathWith(o.path, key)))
	}
}

// newSession answers 201 {data:{token, connect_link, expires_at}}.
func (c *call) newSession(sess *connectSession) {
	s := c.s
	sess.token = "nango_connect_session_" + s.st.ids.hex(32)
	sess.expiresAt = s.now().Add(connectSessionTTL)
	s.st.sessions = append(s.st.sessions, sess)
	c.json(http.StatusCreated, obj{{"data", obj{
		{"token", sess.token},
		{"connect_link", "https://connect.nango.dev?session_token=" + sess.token},
		{"expires_at", isoTime(sess.expiresAt)},
	}}})
}

func (c *call) createConnectSession() {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := &connectSession{}
	if o != nil {
		o.strict("end_user", "organization", "allowed_integrations", "integrations_config_defaults", "overrides", "webhook_url_override", "tags")
		eu, hasTags := s.readSessionCommon(o)
		if eu == nil && !hasTags && !o.has("end_user") {
			o.add(missing("object", []any{"end_user"}))
		}
		if eu != nil {
			sess.endUserID = eu.ID
		}
		if list, ok := o.m["allowed_integrations"]; ok {
			if jsonKind(list) != "array" {
				o.add(wrongType("array", jsonKind(list), []any{"allowed_integrations"}))
			} else {
				r := stringItems(list)
				for i, v := range r {
					if v == nil {
						o.add(wrongType("string", "unknown", []any{"allowed_integrations", i}))
						continue
					}
					if s.st.integration(*v) == nil {
						o.add(newIssue("custom", "Integration does not exist", []any{"allowed_integrations", i}))
					}
				}
			}
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	c.newSession(sess)
}

func (c *call) createReconnectSession() {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var connID, key string
	if o != nil {
		o.strict("connection_id", "integration_id", "end_user", "organization", "integrations_config_defaults", "overrides", "webhook_url_override", "tags")
		connID, _ = o.str("connection_id", true, ruleConnectionID)
		key, _ = o.str("integration_id", true, ruleProviderConfigKey)
		s.readSessionCommon(o)
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	conn := s.st.connection(key, connID)
	if conn == nil {
		// Nango refuses it with a message, not a zod error list.
		c.fail(errf(http.StatusBadRequest, "invalid_body", "ConnectionID or IntegrationId does not exists"))
		return
	}
	sess := &connectSession{connID: conn.id, integration: key}
	if conn.endUser != nil {
		sess.endUserID = conn.endUser.id
	}
	c.newSession(sess)
}

// stringItems decodes a JSON array; items that are not strings are nil.
func stringItems(raw []byte) []*string {
	var items []any
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil
	}
	out := make([]*string, len(items))
	for i, it := range items {
		if s, ok := it.(string); ok {
			out[i] = &s
		}
	}
	return out
}
