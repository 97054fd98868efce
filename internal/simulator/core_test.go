package simulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthErrorsFollowNangosBearerParsing(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		header string // "" = no Authorization header
		status int
		code   string
	}{
		{"missing header", "", 401, "missing_auth_header"},
		{"empty token", "Bearer ", 401, "malformed_auth_header"},
		{"wrong key", "Bearer nope", 401, "unknown_account"},
		{"other scheme", "Basic " + DefaultAPIKey, 401, "unknown_account"},
		{"bearer without space", "Bearer", 401, "unknown_account"},
		{"token after the last Bearer wins", "junk Bearer " + DefaultAPIKey, 200, ""},
		{"right key", "Bearer " + DefaultAPIKey, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "\x00"}
			if tt.header != "" {
				h["Authorization"] = tt.header
			}
			r := send(t, s, req{method: "GET", target: "/integrations", header: h})
			if tt.code == "" {
				expectStatus(t, r, tt.status)
				return
			}
			expectError(t, r, tt.status, tt.code)
			// Nango's error manager writes message, code and an empty payload.
			if got := strings.Join(keysInOrder(t, member(t, r.body, "error")), ","); got != "message,code,payload" {
				t.Errorf("error keys = %s", got)
			}
			if string(member(t, member(t, r.body, "error"), "payload")) != "{}" {
				t.Errorf("payload = %s", member(t, member(t, r.body, "error"), "payload"))
			}
		})
	}
}

func TestCustomAPIKeyIsTheOnlyOneAccepted(t *testing.T) {
	s := New(Options{APIKey: "k-123"})
	expectError(t, get(t, s, "/integrations"), 401, "unknown_account")
	r := send(t, s, req{method: "GET", target: "/integrations", header: map[string]string{"Authorization": "Bearer k-123"}})
	expectStatus(t, r, 200)
}

func TestUnknownRoutesAnswer500GenericErrorSupportBeforeAuth(t *testing.T) {
	s := newSeeded(t)
	for _, rq := range []req{
		{method: "GET", target: "/nope", noAuth: true},
		{method: "DELETE", target: "/providers"},
		{method: "GET", target: "/v2/integrations"},
		{method: "PUT", target: "/connections/conn-github-1"},
	} {
		t.Run(rq.method+" "+rq.target, func(t *testing.T) {
			r := send(t, s, rq)
			expectError(t, r, 500, "generic_error_support")
			e := r.json(t)["error"].(map[string]any)
			id, _ := e["payload"].(string)
			if !reUUID.MatchString(id) || e["message"] != "An error occurred. Please contact support with this unique id: \""+id+"\"" {
				t.Fatalf("error = %v", e)
			}
			if got := strings.Join(keysInOrder(t, member(t, r.body, "error")), ","); got != "message,code,payload" {
				t.Fatalf("error keys = %s", got)
			}
		})
	}
}

func TestLegacySingularConnectionPathsAreStillServed(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		rq     req
		status int
	}{
		{"list", req{method: "GET", target: "/connection"}, 200},
		{"get", req{method: "GET", target: "/connection/conn-github-1?provider_config_key=github"}, 200},
		{"set metadata", req{method: "POST", target: "/connection/metadata", body: map[string]any{"metadata": map[string]any{"a": 1}, "connection_id": "conn-slack-1", "provider_config_key": "slack"}}, 201},
		{"update metadata", req{method: "PATCH", target: "/connection/metadata", body: map[string]any{"metadata": map[string]any{"b": 2}, "connection_id": "conn-slack-1", "provider_config_key": "slack"}}, 200},
		{"delete", req{method: "DELETE", target: "/connection/conn-sendgrid-1?provider_config_key=sendgrid"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectStatus(t, send(t, s, tt.rq), tt.status)
		})
	}
	if got := string(member(t, get(t, s, "/connections/conn-slack-1?provider_config_key=slack").body, "metadata")); got != `{"a":1,"b":2}` {
		t.Fatalf("metadata set through the singular paths = %s", got)
	}
	expectError(t, get(t, s, "/connection/conn-sendgrid-1?provider_config_key=sendgrid"), 404, "not_found")
}

func TestNonJSONBodyIsRefusedAsInvalidJSONBeforeAuth(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name, target, body string
		noAuth             bool
	}{
		{"truncated object", "/integrations", `{"provider":`, false},
		{"plain text", "/connect/sessions", `not json`, false},
		{"a bare string is not strict JSON", "/sync/trigger", `"x"`, false},
		{"a number neither", "/connections/metadata", `42`, false},
		{"before auth", "/integrations", `{`, true},
		{"on the proxy too", "/proxy/echo", `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, req{method: "POST", target: tt.target, body: []byte(tt.body), noAuth: tt.noAuth,
				header: map[string]string{"Content-Type": "application/json"}})
			expectError(t, r, 400, "invalid_json")
			if e := r.json(t)["error"].(map[string]any); e["message"] == "" || e["errors"] != nil {
				t.Fatalf("error = %v", e)
			}
		})
	}
	// An empty JSON body is an empty object, and a non-JSON type is not parsed.
	r := send(t, s, req{method: "POST", target: "/sync/trigger", body: []byte(""), header: map[string]string{"Content-Type": "application/json"}})
	expectError(t, r, 400, "invalid_body")
}

func TestEveryAnswerCarriesRateLimitAndCORSHeaders(t *testing.T) {
	s := New(Options{Seed: true, Now: func() time.Time { return fixedNow }, RateLimit: 50})
	tests := []struct {
		name   string
		rq     req
		status int
	}{
		{"success", req{method: "GET", target: "/providers"}, 200},
		{"validation error", req{method: "GET", target: "/integrations?x=1"}, 400},
		{"no key", req{method: "GET", target: "/providers", noAuth: true}, 401},
		{"unknown route", req{method: "GET", target: "/nope"}, 500},
		{"invalid json", req{method: "POST", target: "/integrations", body: []byte("{"), header: map[string]string{"Content-Type": "application/json"}}, 400},
		{"wrong content type", req{method: "POST", target: "/integrations", body: []byte("x"), header: map[string]string{"Content-Type": "text/plain"}}, 415},
		{"preflight", req{method: "OPTIONS", target: "/connections", noAuth: true}, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, tt.rq)
			expectStatus(t, r, tt.status)
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				if r.header.Get(h) == "" {
					t.Errorf("no %s", h)
				}
			}
			if r.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q", r.header.Get("Access-Control-Allow-Origin"))
			}
			if r.header.Get("X-RateLimit-Limit") != "50" {
				t.Errorf("X-RateLimit-Limit = %s", r.header.Get("X-RateLimit-Limit"))
			}
		})
	}
	// Answers given before the limiter spend no point: only the two routed
	// requests (success and validation error) did.
	if got := get(t, s, "/providers").header.Get("X-RateLimit-Remaining"); got != "47" {
		t.Fatalf("remaining = %s, want 47", got)
	}
}

func TestSuccessBodiesAreJSONWithCharset(t *testing.T) {
	s := newSeeded(t)
	for _, target := range []string{"/providers", "/integrations", "/connections", "/environment-variables", "/scripts/config",
		"/connections/conn-github-1?provider_config_key=github", "/sync/status?syncs=*&provider_config_key=github"} {
		r := get(t, s, target)
		expectStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", target, ct)
		}
	}
}

func TestPreflightAnswers204WithAllowHeaders(t *testing.T) {
	s := newSeeded(t)
	for _, target := range []string{"/connections", "/proxy/anything", "/records", "/nope"} {
		r := send(t, s, req{method: "OPTIONS", target: target, noAuth: true})
		expectStatus(t, r, 204)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"} {
			if r.header.Get(h) == "" {
				t.Errorf("%s: no %s", target, h)
			}
		}
		if len(r.body) != 0 {
			t.Errorf("%s: body = %s", target, r.body)
		}
	}
}

func TestRecordsWithoutConnectionHeadersIsInvalidHeaders(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name    string
		headers map[string]string
		paths   string
	}{
		{"neither", nil, "connection-id,provider-config-key"},
		{"no connection", map[string]string{"Provider-Config-Key": "github"}, "connection-id"},
		{"no integration", map[string]string{"Connection-Id": SeedConnectionGitHub}, "provider-config-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, req{method: "GET", target: "/records?model=GithubIssue", header: tt.headers})
			expectError(t, r, 400, "invalid_headers")
			e := r.json(t)["error"].(map[string]any)
			if _, has := e["message"]; has {
				t.Fatalf("zod errors carry no message: %v", e)
			}
			var paths []string
			for _, it := range e["errors"].([]any) {
				m := it.(map[string]any)
				if m["code"] != "invalid_type" {
					t.Errorf("code = %v", m["code"])
				}
				paths = append(paths, strings.ToLower(m["path"].([]any)[0].(string)))
			}
			if got := strings.Join(paths, ","); got != tt.paths {
				t.Fatalf("paths = %s, want %s", got, tt.paths)
			}
		})
	}
}

func TestTrailingSlashIsIgnoredLikeExpress(t *testing.T) {
	s := newSeeded(t)
	expectStatus(t, get(t, s, "/integrations/"), 200)
	r := send(t, s, req{method: "GET", target: "/records/?model=GithubIssue&limit=1",
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": SeedIntegrationGitHub}})
	expectStatus(t, r, 200)
}

func TestStrictQueryRejectsUnknownParameters(t *testing.T) {
	s := newSeeded(t)
	for _, target := range []string{
		"/providers?connect_session_token=x",
		"/providers/github?x=1",
		"/integrations?foo=1",
		"/integrations/github?include=webhook&extra=1",
		"/integrations/github/functions?type=sync&bogus=1",
		"/connections?bogus=1",
		"/connections/conn-github-1?provider_config_key=github&env=dev",
		"/environment-variables?a=b",
		"/sync/status?syncs=*&provider_config_key=github&x=1",
	} {
		t.Run(target, func(t *testing.T) {
			r := get(t, s, target)
			expectError(t, r, 400, "invalid_query_params")
			errs := r.json(t)["error"].(map[string]any)["errors"].([]any)
			first := errs[0].(map[string]any)
			if first["code"] != "unrecognized_keys" {
				t.Fatalf("errors[0] = %v, want unrecognized_keys", first)
			}
			if _, ok := first["path"].([]any); !ok {
				t.Fatalf("errors[0].path must be an array: %v", first)
			}
		})
	}
}

func TestContentTypeRuleOnJSONPrefixes(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		target string
		method string
		ct     string
		status int
		code   string
	}{
		{"text body on integrations", "/integrations", "POST", "text/plain", 415, "invalid_content_type"},
		{"form body on connect", "/connect/sessions", "POST", "application/x-www-form-urlencoded", 415, "invalid_content_type"},
		{"content type on a GET", "/providers", "GET", "text/plain", 415, "invalid_content_type"},
		{"charset is fine", "/environment-variables", "GET", "application/json; charset=utf-8", 200, ""},
		{"no content type is fine", "/scripts/config", "GET", "\x00", 200, ""},
		{"proxy is not checked", "/proxy/echo", "POST", "text/plain", 200, ""},
		{"before routing", "/integrations/a/b/c/d", "GET", "text/xml", 415, "invalid_content_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("x=1")
			if strings.HasPrefix(tt.ct, "application/json") {
				body = []byte("{}") // a JSON type with a form body is invalid_json
			}
			r := send(t, s, req{method: tt.method, target: tt.target, body: body, header: map[string]string{
				"Content-Type": tt.ct, "Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": SeedIntegrationGitHub,
			}})
			if tt.code == "" {
				expectStatus(t, r, tt.status)
				return
			}
			expectError(t, r, tt.status, tt.code)
		})
	}
}

func TestMissingContentTypeLeavesTheBodyUndefined(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "POST", target: "/integrations", body: []byte(`{"provider":"sendgrid","unique_key":"x"}`)})
	expectError(t, r, 400, "invalid_body")
}

// clock is a settable time source for rate-limit tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRateLimitFixedWindowHeadersAnd429(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC)}
	s := New(Options{RateLimit: 3, Window: time.Minute, Now: clk.now})
	reset := strconv.FormatInt(clk.t.Add(time.Minute).Unix(), 10)
	for i, want := range []string{"2", "1", "0"} {
		r := get(t, s, "/environment-variables")
		expectStatus(t, r, 200)
		if got := r.header.Get("X-RateLimit-Remaining"); got != want {
			t.Fatalf("request %d: remaining = %s, want %s", i, got, want)
		}
		if r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("request %d: limit/reset = %s/%s, want 3/%s", i, r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Reset"), reset)
		}
	}
	clk.add(20*time.Second + 300*time.Millisecond)
	r := send(t, s, req{method: "GET", target: "/environment-variables?x=1"})
	expectError(t, r, 429, "too_many_request")
	e := r.json(t)["error"].(map[string]any)
	if e["method"] != "GET" || e["path"] != "/environment-variables" {
		t.Fatalf("429 body = %s", r.body)
	}
	if got := r.header.Get("Retry-After"); got != "39" {
		t.Fatalf("Retry-After = %q, want floor(39.7s) = 39", got)
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Reset") != reset {
		t.Fatalf("429 headers = %v", r.header)
	}

	clk.add(39*time.Second + 500*time.Millisecond)
	r = get(t, s, "/environment-variables")
	if got := r.header.Get("Retry-After"); r.status != 429 || got != "0" {
		t.Fatalf("just before the reset: status %d Retry-After %q, want 429 and 0", r.status, got)
	}

	clk.add(time.Second)
	r = get(t, s, "/environment-variables")
	expectStatus(t, r, 200)
	if r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("a new window starts with remaining 2, got %s", r.header.Get("X-RateLimit-Remaining"))
	}
	if got := s.RateLimited(); got != 2 {
		t.Errorf("RateLimited() = %d, want the 2 requests answered 429", got)
	}
}

// A short window (for tests of the gateway's governor) behaves as Nango's minute:
// it opens on the first request after the last one ended and Reset is rounded down.
func TestRateLimitShortWindow(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 700_000_000, time.UTC)}
	s := New(Options{RateLimit: 2, Window: 3 * time.Second, Now: clk.now})
	for _, want := range []int{200, 200, 429} {
		r := get(t, s, "/environment-variables")
		if r.status != want {
			t.Fatalf("status %d, want %d", r.status, want)
		}
		if got, reset := r.header.Get("X-RateLimit-Reset"), strconv.FormatInt(clk.t.Unix()+3, 10); got != reset {
			t.Fatalf("X-RateLimit-Reset = %s, want %s (3.7s rounded down)", got, reset)
		}
	}
	clk.add(3 * time.Second)
	expectStatus(t, get(t, s, "/environment-variables"), 200)
	if got := s.RateLimited(); got != 1 {
		t.Errorf("RateLimited() = %d, want 1", got)
	}
}

func TestRateLimitScriptRequestsUseTheirOwnBucket(t *testing.T) {
	s := New(Options{RateLimit: 1})
	expectStatus(t, get(t, s, "/providers"), 200)
	expectError(t, get(t, s, "/providers"), 429, "too_many_request")
	r := send(t, s, req{method: "GET", target: "/providers", header: map[string]string{"Nango-Is-Script": "true"}})
	expectStatus(t, r, 200)
}

func TestRateLimitCoversProxyAndCanBeDisabled(t *testing.T) {
	s := New(Options{Seed: true, RateLimit: 5})
	r := send(t, s, req{method: "GET", target: "/proxy/x", header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": SeedIntegrationGitHub}})
	if r.header.Get("X-RateLimit-Remaining") != "4" {
		t.Fatalf("proxy answers carry rate-limit headers: %v", r.header)
	}
	off := New(Options{RateLimit: -1})
	for i := 0; i < 3; i++ {
		r := get(t, off, "/providers")
		expectStatus(t, r, 200)
		if r.header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("a disabled limiter sets no headers")
		}
	}
}

func TestFaultsAnswerBeforeAuthAndAreConsumedInOrder(t *testing.T) {
	s := newSeeded(t)
	s.InjectFault(Fault{Method: "GET", PathPrefix: "/connections", Status: 503, Times: 2})
	s.InjectFault(Fault{Method: "get", PathPrefix: "/connections", Status: 429, Body: []byte(`{"error":{"code":"too_many_request"}}`), Header: http.Header{"Retry-After": {"7"}}})
	s.InjectFault(Fault{Status: 500, Code: "custom_code"})

	// Different method: not matched by the first two faults, but by the catch-all.
	r := send(t, s, req{method: "DELETE", target: "/connections/x?provider_config_key=github", noAuth: true})
	expectError(t, r, 500, "custom_code")

	for i := 0; i < 2; i++ {
		r = send(t, s, req{method: "GET", target: "/connections", noAuth: true})
		expectError(t, r, 503, "service_unavailable")
	}
	r = get(t, s, "/connections/abc")
	expectStatus(t, r, 429)
	if string(r.body) != `{"error":{"code":"too_many_request"}}` || r.header.Get("Retry-After") != "7" {
		t.Fatalf("custom fault answer = %s %v", r.body, r.header)
	}
	expectStatus(t, get(t, s, "/connections"), 200)
}

func TestFaultMalformedAndClear(t *testing.T) {
	s := newSeeded(t)
	s.InjectFault(Fault{PathPrefix: "/integrations", Malformed: true})
	r := get(t, s, "/integrations")
	expectStatus(t, r, 200)
	if json.Valid(r.body) {
		t.Fatalf("malformed fault answered valid JSON: %s", r.body)
	}
	s.InjectFault(Fault{Status: 500, Times: 10})
	s.ClearFaults()
	expectStatus(t, get(t, s, "/integrations"), 200)
}

func TestFaultPathPrefixMatchesTheUnescapedPath(t *testing.T) {
	s := newSeeded(t)
	s.InjectFault(Fault{PathPrefix: "/connections/a b", Status: 502})
	expectError(t, get(t, s, "/connections/a%20b?provider_config_key=github"), 502, "bad_gateway")
}

func TestFaultLatencyDelaysThenLetsTheRequestThrough(t *testing.T) {
	s := newSeeded(t)
	s.InjectFault(Fault{PathPrefix: "/providers", Latency: 30 * time.Millisecond})
	start := time.Now()
	expectStatus(t, get(t, s, "/providers"), 200)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered after %v, want at least 30ms", d)
	}
}

func TestFaultLatencyRespectsTheRequestContext(t *testing.T) {
	s := newSeeded(t)
	s.InjectFault(Fault{Latency: time.Minute, Status: 500})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	r := httptest.NewRequest("GET", "/providers", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	start := time.Now()
	s.ServeHTTP(w, r)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("latency ignored the context: %v", d)
	}
	if w.Body.Len() != 0 {
		t.Fatalf("nothing is answered to a gone client, got %s", w.Body.String())
	}
}

func TestFaultResetClosesTheConnection(t *testing.T) {
	srv, err := Start(Options{Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.InjectFault(Fault{PathPrefix: "/providers", Reset: true})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	rq, _ := http.NewRequest("GET", srv.URL()+"/providers", nil)
	rq.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	if resp, err := client.Do(rq); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	resp, err := client.Do(rq)
	if err != nil {
		t.Fatalf("the next request must succeed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestRequestsAreRecordedIncludingRejectedOnes(t *testing.T) {
	s := newSeeded(t)
	send(t, s, req{method: "POST", target: "/integrations?a=1&a=2", body: `{"x":1}`, noAuth: true})
	get(t, s, "/connections/a%2Fb?provider_config_key=github")
	got := s.Requests()
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(got))
	}
	first := got[0]
	if first.Method != "POST" || first.Path != "/integrations" || first.RawQuery != "a=1&a=2" ||
		strings.Join(first.Query["a"], ",") != "1,2" || string(first.Body) != `{"x":1}` ||
		first.Header.Get("Content-Type") != "application/json" || first.Header.Get("Authorization") != "" {
		t.Fatalf("first recorded request = %+v", first)
	}
	if got[1].Path != "/connections/a%2Fb" {
		t.Fatalf("Path keeps the escaping: %q", got[1].Path)
	}
	got[0].Body[0] = 'X'
	got[0].Header.Set("X-Mutated", "1")
	again := s.Requests()
	if again[0].Body[0] != '{' || again[0].Header.Get("X-Mutated") != "" {
		t.Fatal("Requests must return copies")
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("after ResetRequests: %d requests", n)
	}
}

func TestConcurrentRequestsAreSafe(t *testing.T) {
	s := newSeeded(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				get(t, s, "/connections?limit=3")
				send(t, s, req{method: "POST", target: "/connections/metadata", body: map[string]any{
					"metadata": map[string]any{"n": i*100 + j}, "connection_id": SeedConnectionGitHub, "provider_config_key": SeedIntegrationGitHub,
				}})
			}
		}(i)
	}
	wg.Wait()
	if n := len(s.Requests()); n != 8*20*2 {
		t.Fatalf("recorded %d requests", n)
	}
}

func TestCORSPreflightAndHeadersLikeNango(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "OPTIONS", target: "/proxy/anything", noAuth: true})
	expectStatus(t, r, 204)
	if r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Connection-Id") {
		t.Fatalf("preflight headers = %v", r.header)
	}
	r = get(t, s, "/providers")
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "X-RateLimit-Reset") {
		t.Fatalf("answers expose the rate-limit headers: %v", r.header)
	}
}

func TestHeadUsesTheGetRoute(t *testing.T) {
	s := newSeeded(t)
	expectStatus(t, send(t, s, req{method: "HEAD", target: "/integrations"}), 200)
}

// Nango validates the query of some routes and never looks at others'.
func TestQueryStrictnessFollowsEachRoutesController(t *testing.T) {
	s := newSeeded(t)
	const actionID = "6f1c0d2e-6a1b-4f3c-9d8e-7b6a5c4d3e2f"
	tests := []struct {
		name   string
		rq     req
		strict bool
	}{
		{"GET /integrations refuses", req{method: "GET", target: "/integrations?foo=1"}, true},
		{"GET /environment-variables refuses", req{method: "GET", target: "/environment-variables?a=b"}, true},
		{"GET /providers/{p}/templates refuses", req{method: "GET", target: "/providers/github/templates?a=b"}, true},
		{"POST /sync/trigger refuses", req{method: "POST", target: "/sync/trigger?a=b", body: map[string]any{"syncs": []any{}, "provider_config_key": "github"}}, true},
		{"GET /scripts/config ignores", req{method: "GET", target: "/scripts/config?foo=bar"}, false},
		{"GET /action/{id} ignores", req{method: "GET", target: "/action/" + actionID + "?x=1"}, false},
		{"POST /sync/start ignores", req{method: "POST", target: "/sync/start?a=b", body: map[string]any{"syncs": []any{"github-issues"}, "provider_config_key": "github"}}, false},
		{"POST /sync/pause ignores", req{method: "POST", target: "/sync/pause?a=b", body: map[string]any{"syncs": []any{"github-issues"}, "provider_config_key": "github"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, s, tt.rq)
			if tt.strict {
				expectError(t, r, 400, "invalid_query_params")
				first := r.json(t)["error"].(map[string]any)["errors"].([]any)[0].(map[string]any)
				if first["code"] != "unrecognized_keys" {
					t.Fatalf("errors[0] = %v", first)
				}
				return
			}
			if r.status == 400 && strings.Contains(string(r.body), "invalid_query_params") {
				t.Fatalf("query refused: %s", r.body)
			}
		})
	}
}

func TestAsyncActionResultRequiresAUUID(t *testing.T) {
	s := newSeeded(t)
	for _, id := range []string{"not-a-uuid", "123", "6f1c0d2e6a1b4f3c9d8e7b6a5c4d3e2f"} {
		r := get(t, s, "/action/"+id)
		expectError(t, r, 400, "invalid_uri_params")
		e := r.json(t)["error"].(map[string]any)
		if _, has := e["message"]; has {
			t.Fatalf("%s: zod errors carry no message: %v", id, e)
		}
		if errs := e["errors"].([]any); errs[0].(map[string]any)["path"].([]any)[0] != "id" {
			t.Fatalf("%s: errors = %v", id, errs)
		}
	}
	r := get(t, s, "/action/6f1c0d2e-6a1b-4f3c-9d8e-7b6a5c4d3e2f")
	expectError(t, r, 404, "not_found")
}

// A slow body sends its headers at once and then too little, too late: a reader with a
// deadline gets the status and part of the body, then its deadline; the handler ends with
// the request.
func TestFaultSlowBodyTricklesThenStallsUntilTheRequestEnds(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.InjectFault(Fault{PathPrefix: "/records", SlowBody: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	rq, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/records?model=M", nil)
	resp, err := srv.Client().Do(rq)
	if err != nil {
		t.Fatalf("headers should come at once: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !errors.Is(err, context.DeadlineExceeded) || len(got) == 0 || json.Valid(got) {
		t.Fatalf("status %d, read %q with %v; want 200, a partial body, then the deadline", resp.StatusCode, got, err)
	}
}

// A huge body is made as it is written: its size only shows by reading, and a reader that
// stops early stops the writer.
func TestFaultHugeBodyIsARecordsPageOfTheGivenSize(t *testing.T) {
	s := New(Options{})
	s.InjectFault(Fault{PathPrefix: "/records", HugeBody: 1 << 20})
	r := get(t, s, "/records?model=M")
	expectStatus(t, r, 200)
	var page struct {
		Records    []json.RawMessage `json:"records"`
		NextCursor *string           `json:"next_cursor"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(r.body) < 1<<20 || len(page.Records) == 0 || page.NextCursor != nil {
		t.Fatalf("%d bytes, %d records (%v): want a valid page of at least 1 MiB", len(r.body), len(page.Records), err)
	}
	if r.header.Get("Content-Length") != "" {
		t.Fatalf("a huge body announces no length, got %q", r.header.Get("Content-Length"))
	}
}

// RecordPages scripts /records: each matching request gets the page its index asks for.
func TestFaultRecordPagesScriptsEachPage(t *testing.T) {
	s := New(Options{})
	cursors := []string{"B", "A", ""}
	s.InjectFault(Fault{PathPrefix: "/records", Times: 3, RecordPages: func(n int) (int, string) { return n, cursors[n] }})
	for n, want := range []string{`{"records":[],"next_cursor":"B"}`, `{"records":[{"id":"fault-1-0","_nango_metadata":{"cursor":"fault-1-0","last_action":"ADDED","deleted_at":null}}],"next_cursor":"A"}`} {
		r := get(t, s, "/records?model=M")
		if r.status != 200 || string(r.body) != want {
			t.Fatalf("page %d = %d %s, want %s", n, r.status, r.body, want)
		}
	}
	var last struct {
		Records    []json.RawMessage `json:"records"`
		NextCursor *string           `json:"next_cursor"`
	}
	if r := get(t, s, "/records?model=M"); json.Unmarshal(r.body, &last) != nil || len(last.Records) != 2 || last.NextCursor != nil {
		t.Fatalf("last page = %s, want 2 records and a null cursor", r.body)
	}
}
