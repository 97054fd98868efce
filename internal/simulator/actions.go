package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// actionFunc is the behaviour of a seeded action. async is true when the
// action runs in the background (sleep then returns at once).
type actionFunc func(ctx context.Context, s *Simulator, conn *connection, input json.RawMessage, async bool) (json.RawMessage, *apiError)

// actionImpls are the behaviours of the seeded actions, by name; an action
// without one answers its input (like echo).
var actionImpls = map[string]actionFunc{
	"echo":           actionEcho,
	"uppercase":      actionUppercase,
	"create-issue":   actionCreateIssue,
	"send-message":   actionSendMessage,
	"create-contact": actionCreateContact,
	"sleep":          actionSleep,
	"fail":           actionFail,
	"github-repos":   actionGithubRepos,
}

func actionEcho(_ context.Context, _ *Simulator, _ *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	if input == nil {
		return json.RawMessage("null"), nil
	}
	return input, nil
}

// inputObject decodes an action input that must be an object.
func inputObject(input json.RawMessage) (map[string]any, *apiError) {
	var m map[string]any
	if input == nil || json.Unmarshal(input, &m) != nil || m == nil {
		return nil, scriptFailure("Invalid action input: expected an object")
	}
	return m, nil
}

func scriptFailure(msg string) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: "action_script_failure", message: msg, payload: obj{}}
}

func stringField(m map[string]any, key string, required bool) (string, *apiError) {
	v, ok := m[key]
	if !ok {
		if required {
			return "", scriptFailure("Invalid action input: " + key + " is required")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", scriptFailure("Invalid action input: " + key + " must be a string")
	}
	return s, nil
}

func actionUppercase(_ context.Context, _ *Simulator, _ *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	m, e := inputObject(input)
	if e != nil {
		return nil, e
	}
	text, e := stringField(m, "text", true)
	if e != nil {
		return nil, e
	}
	return marshalRaw(obj{{"text", strings.ToUpper(text)}, {"length", len([]rune(text))}})
}

func actionCreateIssue(_ context.Context, s *Simulator, conn *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	m, e := inputObject(input)
	if e != nil {
		return nil, e
	}
	title, e := stringField(m, "title", true)
	if e != nil {
		return nil, e
	}
	body, e := stringField(m, "body", false)
	if e != nil {
		return nil, e
	}
	labels := []string{}
	if l, ok := m["labels"].([]any); ok {
		for _, v := range l {
			if s, ok := v.(string); ok {
				labels = append(labels, s)
			}
		}
	}
	s.mu.Lock()
	n := 100000 + s.st.ids.intn(900000)
	now := isoTime(s.tick())
	s.mu.Unlock()
	id := "issue-" + itoa(n)
	return marshalRaw(obj{
		{"id", id}, {"number", n}, {"title", title}, {"body", body}, {"state", "open"},
		{"author", conn.connectionID}, {"labels", labels}, {"created_at", now}, {"updated_at", now},
		{"url", "https://github.com/acme/app/issues/" + itoa(n)},
	})
}

func actionSendMessage(_ context.Context, s *Simulator, _ *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	m, e := inputObject(input)
	if e != nil {
		return nil, e
	}
	channel, e := stringField(m, "channel", true)
	if e != nil {
		return nil, e
	}
	text, e := stringField(m, "text", true)
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	t := s.tick()
	s.mu.Unlock()
	ts := itoa(int(t.Unix())) + "." + itoa(t.Nanosecond()/1000)
	return marshalRaw(obj{{"ok", true}, {"channel", channel}, {"ts", ts}, {"text", text}})
}

func actionCreateContact(_ context.Context, s *Simulator, _ *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	m, e := inputObject(input)
	if e != nil {
		return nil, e
	}
	email, e := stringField(m, "email", true)
	if e != nil {
		return nil, e
	}
	first, _ := stringField(m, "first_name", false)
	last, _ := stringField(m, "last_name", false)
	s.mu.Lock()
	id := itoa(5000000 + s.st.ids.intn(1000000))
	s.mu.Unlock()
	return marshalRaw(obj{{"id", id}, {"email", email}, {"first_name", first}, {"last_name", last}, {"lifecycle_stage", "lead"}})
}

// actionSleep waits input.ms (at most a minute) before answering, so callers
// can exercise deadlines; it stops early when the request is cancelled. Run
// async, it answers at once and its result stays pending that long (asyncRunTime).
func actionSleep(ctx context.Context, _ *Simulator, _ *connection, input json.RawMessage, async bool) (json.RawMessage, *apiError) {
	m, e := inputObject(input)
	if e != nil {
		return nil, e
	}
	ms, _ := m["ms"].(float64)
	if ms < 0 || ms > 60000 {
		return nil, scriptFailure("Invalid action input: ms must be between 0 and 60000")
	}
	if !async && !sleepCtx(ctx, time.Duration(ms)*time.Millisecond) {
		return nil, errf(http.StatusInternalServerError, "internal_server_error", "The action was cancelled")
	}
	return marshalRaw(obj{{"slept_ms", int(ms)}})
}

// actionFail always fails: with input.status 424 as a provider HTTP error
// (script_http_error with error.upstream), otherwise as a script failure.
func actionFail(_ context.Context, _ *Simulator, _ *connection, input json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	m, _ := inputObject(input)
	msg := "The action failed on purpose"
	status := 500.0
	if m != nil {
		if v, ok := m["message"].(string); ok && v != "" {
			msg = v
		}
		if v, ok := m["status"].(float64); ok {
			status = v
		}
	}
	if status == 424 {
		return nil, &apiError{
			status: http.StatusFailedDependency, code: "script_http_error", message: msg, payload: obj{},
			extra: obj{{"upstream", obj{
				{"status", 502},
				{"headers", obj{{"content-type", "application/json"}, {"x-ratelimit-remaining", "0"}}},
				{"body", obj{{"message", "Bad Gateway"}}},
			}}},
		}
	}
	return nil, &apiError{status: http.StatusInternalServerError, code: "action_script_failure", message: msg, payload: obj{{"reason", "fail action"}}}
}

func actionGithubRepos(_ context.Context, _ *Simulator, conn *connection, _ json.RawMessage, _ bool) (json.RawMessage, *apiError) {
	repos := []obj{}
	for i, name := range []string{"app", "api", "docs"} {
		repos = append(repos, obj{
			{"id", "repo-" + itoa(i+1)}, {"name", name}, {"full_name", "acme/" + name},
			{"private", i != 2}, {"stars", (i + 1) * 42},
		})
	}
	return marshalRaw(obj{{"owner", conn.connectionID}, {"repos", repos}})
}

// asyncRunTime is how long an async run of action name takes beyond AsyncActionDelay:
// the sleep action's input.ms, so an async sleep stays pending as long as it sleeps.
func asyncRunTime(name string, input json.RawMessage) time.Duration {
	if name != "sleep" {
		return 0
	}
	var in struct {
		MS float64 `json:"ms"`
	}
	if json.Unmarshal(input, &in) != nil || in.MS < 0 || in.MS > 60000 {
		return 0
	}
	return time.Duration(in.MS) * time.Millisecond
}

func marshalRaw(v any) (json.RawMessage, *apiError) {
	b, err := marshal(v)
	if err != nil {
		return nil, errf(http.StatusInternalServerError, "internal_server_error", "failed to encode the action output")
	}
	return b, nil
}

// stringBool parses a boolean the way zod's stringbool does.
func stringBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on", "y", "enabled":
		return true, true
	case "false", "0", "no", "off", "n", "disabled":
		return false, true
	}
	return false, false
}

func itoa(n int) string {
	b, _ := marshal(n)
	return string(b)
}

// triggerAction is POST /action/trigger. Nango checks the headers, then the
// query, then a body that may carry other keys.
func (c *call) triggerAction() {
	var iss []issue
	h := c.r.Header
	connID, key := h.Get("Connection-Id"), h.Get("Provider-Config-Key")
	if _, ok := h["Connection-Id"]; !ok {
		iss = append(iss, missing("string", []any{"connection-id"}))
	} else {
		iss = append(iss, ruleConnectionID.check(connID, []any{"connection-id"})...)
	}
	if _, ok := h["Provider-Config-Key"]; !ok {
		iss = append(iss, missing("string", []any{"provider-config-key"}))
	} else {
		iss = append(iss, ruleProviderConfigKey.check(key, []any{"provider-config-key"})...)
	}
	async := false
	if v, ok := h["X-Async"]; ok {
		b, valid := stringBool(v[0])
		if !valid {
			iss = append(iss, newIssue("invalid_value", `Invalid input: expected a boolean string`, []any{"x-async"}))
		}
		async = b
	}
	if v, ok := h["X-Max-Retries"]; ok {
		// z.coerce.number(): an empty header is 0.
		n, err := strconv.ParseFloat(strings.TrimSpace(v[0]), 64)
		switch {
		case strings.TrimSpace(v[0]) == "":
		case err != nil:
			iss = append(iss, wrongType("number", "NaN", []any{"x-max-retries"}))
		case n < 0:
			iss = append(iss, newIssue("too_small", "Too small: expected number to be >=0", []any{"x-max-retries"}))
		case n > 5:
			iss = append(iss, newIssue("too_big", "Too big: expected number to be <=5", []any{"x-max-retries"}))
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_headers", iss))
		return
	}
	if !c.emptyQuery() {
		return
	}
	o, ok := c.bodyObject(&iss)
	if !ok {
		return
	}
	var name string
	var input json.RawMessage
	if o != nil {
		name, _ = o.str("action_name", true, ruleScriptName)
		if v, ok := o.m["input"]; ok {
			input = compactJSON(v)
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}

	s := c.s
	s.mu.Lock()
	conn := s.st.connection(key, connID)
	if conn == nil {
		s.mu.Unlock()
		c.fail(unknownConnection())
		return
	}
	f := s.st.integration(key).function(name, "action")
	if f == nil {
		s.mu.Unlock()
		c.fail(errf(http.StatusNotFound, "not_found", "Action "+name+" not found"))
		return
	}
	if !f.enabled {
		s.mu.Unlock()
		c.fail(errf(http.StatusNotFound, "disabled_resource", "Action "+name+" is disabled"))
		return
	}
	connCopy := *conn
	s.mu.Unlock()

	impl := actionImpls[name]
	if impl == nil {
		impl = actionEcho
	}
	if !async {
		out, e := impl(c.r.Context(), s, &connCopy, input, false)
		if e != nil {
			c.fail(e)
			return
		}
		writeRaw(c.w, http.StatusOK, "application/json; charset=utf-8", out)
		return
	}

	out, e := impl(c.r.Context(), s, &connCopy, input, true)
	// The action's result, and then its webhook, come once it has run.
	runFor := s.opts.AsyncActionDelay + asyncRunTime(name, input)
	s.mu.Lock()
	id := s.st.ids.uuid()
	s.st.actions[id] = &asyncAction{id: id, readyAt: time.Now().Add(runFor), output: out, err: e}
	s.mu.Unlock()
	statusURL := "/action/" + id
	if s.opts.WebhookURL != "" && !s.opts.AsyncActionWebhooksOff {
		s.sendWebhookAfter(runFor, obj{
			{"from", "nango"},
			{"type", "async_action"},
			{"connectionId", connID},
			{"providerConfigKey", key},
			{"payload", obj{{"id", id}, {"statusUrl", statusURL}}},
		})
	}
	c.w.Header().Set("Location", statusURL)
	c.json(http.StatusAccepted, obj{{"id", id}, {"statusUrl", statusURL}})
}

// getAsyncActionResult is GET /action/{id}; Nango validates only the id
// (a UUID), not the query.
func (c *call) getAsyncActionResult() {
	id, ok := c.param("id", strRule{uuid: true})
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	a := s.st.actions[strings.ToLower(id)]
	s.mu.Unlock()
	if a == nil || time.Now().Before(a.readyAt) {
		// Nango answers the same 404 for a pending action and an unknown id.
		c.fail(errf(http.StatusNotFound, "not_found", "No action '"+id+"' found"))
		return
	}
	if a.err != nil {
		c.fail(a.err)
		return
	}
	writeRaw(c.w, http.StatusOK, "application/json; charset=utf-8", a.output)
}
