package simulator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func proxyReq(method, target string, body any, extra map[string]string) req {
	h := map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github"}
	for k, v := range extra {
		h[k] = v
	}
	return req{method: method, target: target, body: body, header: h}
}

type proxyEcho struct {
	Method     string              `json:"method"`
	Endpoint   string              `json:"endpoint"`
	RawQuery   string              `json:"raw_query"`
	Query      map[string][]string `json:"query"`
	Headers    map[string]string   `json:"headers"`
	Body       *string             `json:"body"`
	BodyBase64 string              `json:"body_base64"`
	JSON       json.RawMessage     `json:"json"`
	BaseURL    string              `json:"base_url"`
	URL        string              `json:"url"`
	Retries    int                 `json:"retries"`
	RetryOn    []int               `json:"retry_on"`
	Decompress bool                `json:"decompress"`
	Provider   string              `json:"provider"`
}

func echoOf(t *testing.T, r resp) proxyEcho {
	t.Helper()
	var e proxyEcho
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return e
}

func TestProxyEchoesWhatItReceived(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, proxyReq("POST", "/proxy/repos/a%2Fb/issues?per_page=10&q=a+b&q=c", `{"title":"x"}`, map[string]string{
		"Nango-Proxy-X-Custom":  "v",
		"nango-proxy-accept":    "application/vnd.github+json",
		"Base-Url-Override":     "https://ghe.example.com/api/v3",
		"Nango-Activity-Log-Id": "",
		"Retries":               "3",
		"Retry-On":              "409,423",
		"Decompress":            "true",
		"Authorization":         "Bearer " + DefaultAPIKey,
	}))
	expectStatus(t, r, 200)
	e := echoOf(t, r)
	if e.Method != "POST" || e.Endpoint != "/repos/a%2Fb/issues" || e.RawQuery != "per_page=10&q=a+b&q=c" ||
		strings.Join(e.Query["q"], "|") != "a b|c" || e.Headers["x-custom"] != "v" || e.Headers["accept"] != "application/vnd.github+json" ||
		e.BaseURL != "https://ghe.example.com/api/v3" || e.URL != "https://ghe.example.com/api/v3/repos/a%2Fb/issues?per_page=10&q=a+b&q=c" ||
		e.Retries != 3 || len(e.RetryOn) != 2 || !e.Decompress || e.Provider != "github" {
		t.Fatalf("echo = %+v", e)
	}
	if e.Body == nil || *e.Body != `{"title":"x"}` || string(e.JSON) != `{"title":"x"}` {
		t.Fatalf("body = %v / %s", e.Body, e.JSON)
	}
	if _, leaked := e.Headers["authorization"]; leaked || len(e.Headers) != 2 {
		t.Fatalf("only Nango-Proxy-* headers reach the provider: %v", e.Headers)
	}
	if r.header.Get("X-Request-Id") == "" || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("headers = %v", r.header)
	}
}

func TestProxyAcceptsAnyMethod(t *testing.T) {
	s := newSeeded(t)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE", "PROPFIND", "REPORT"} {
		r := send(t, s, proxyReq(m, "/proxy/dav/calendars", []byte("<x/>"), nil))
		expectStatus(t, r, 200)
		if e := echoOf(t, r); e.Method != m || *e.Body != "<x/>" {
			t.Errorf("%s: echo = %+v", m, e)
		}
	}
	e := echoOf(t, send(t, s, proxyReq("GET", "/proxy/x", nil, nil)))
	if e.Body != nil || e.BaseURL != "https://api.github.com" {
		t.Fatalf("no body is null: %+v", e)
	}
	e = echoOf(t, send(t, s, proxyReq("POST", "/proxy/upload", []byte{0xff, 0x00, 0x01}, nil)))
	if e.BodyBase64 != "/wAB" {
		t.Fatalf("binary body = %+v", e)
	}
}

func TestProxyMagicEndpoints(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, proxyReq("GET", "/proxy/status/418", nil, nil))
	expectStatus(t, r, 418)
	if echoOf(t, r).Endpoint != "/status/418" {
		t.Fatalf("status body = %s", r.body)
	}
	r = send(t, s, proxyReq("DELETE", "/proxy/status/204", nil, nil))
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("204 = %d %q", r.status, r.body)
	}
	r = send(t, s, proxyReq("GET", "/proxy/bytes/1000", nil, nil))
	expectStatus(t, r, 200)
	if len(r.body) != 1000 || r.header.Get("Content-Type") != "application/octet-stream" || r.body[252] != 1 {
		t.Fatalf("bytes: %d %q", len(r.body), r.header.Get("Content-Type"))
	}
	r = send(t, s, proxyReq("GET", "/proxy/response-headers?X-Request-Id=abc&X-Internal=secret&content-type=text/csv", nil, nil))
	if r.header.Get("X-Request-Id") != "abc" || r.header.Get("X-Internal") != "" || r.header.Get("Content-Type") != "text/csv" {
		t.Fatalf("only Nango's forwarded headers arrive: %v", r.header)
	}
	r = send(t, s, proxyReq("POST", "/proxy/raw", []byte("a,b\n1,2"), map[string]string{"Nango-Proxy-Content-Type": "text/csv"}))
	if string(r.body) != "a,b\n1,2" || r.header.Get("Content-Type") != "text/csv" {
		t.Fatalf("raw = %q %v", r.body, r.header)
	}
	start := time.Now()
	expectStatus(t, send(t, s, proxyReq("GET", "/proxy/delay/20", nil, nil)), 200)
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("delay did not wait")
	}
	expectStatus(t, send(t, s, proxyReq("GET", "/proxy/status/99", nil, nil)), 400)
}

func TestProxyErrors(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		name   string
		extra  map[string]string
		status int
		code   string
	}{
		{"unknown integration", map[string]string{"Provider-Config-Key": "nope"}, 404, "unknown_provider_config"},
		{"unknown connection", map[string]string{"Connection-Id": "nope"}, 400, "server_error"},
		{"missing connection id", map[string]string{"Connection-Id": "\x00"}, 400, "missing_connection_id"},
		{"missing integration", map[string]string{"Provider-Config-Key": "\x00"}, 400, "missing_provider_config_key"},
		{"bad retries", map[string]string{"Retries": "many"}, 400, "invalid_headers"},
		{"bad decompress", map[string]string{"Decompress": "1"}, 400, "invalid_headers"},
		{"bad base url", map[string]string{"Base-Url-Override": "not a url"}, 400, "invalid_headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectError(t, send(t, s, proxyReq("GET", "/proxy/x", nil, tt.extra)), tt.status, tt.code)
		})
	}
	expectError(t, send(t, s, req{method: "GET", target: "/proxy/x", noAuth: true}), 401, "missing_auth_header")
}

func TestActionEchoKeepsTheInputBytes(t *testing.T) {
	s := newSeeded(t)
	r := send(t, s, req{method: "POST", target: "/action/trigger", body: `{"action_name":"echo","input":{"z":1,"a":[true,null,"<&>"]}}`,
		header: map[string]string{"Connection-Id": SeedConnectionGitHub, "Provider-Config-Key": "github"}})
	expectStatus(t, r, 200)
	if string(r.body) != `{"z":1,"a":[true,null,"<&>"]}` {
		t.Fatalf("echo = %s", r.body)
	}
}
