package service_test

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// proxyClientWithDeps runs the gateway against upstream (in place of the
// simulator), with deps adjusted by configure.
func proxyClientWithDeps(t *testing.T, upstream http.Handler, maxUpstreamBytes int64, configure func(*service.Deps)) gatewayv1.ProxyServiceClient {
	t.Helper()
	srv := httptest.NewServer(upstream)
	t.Cleanup(srv.Close)
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: testAPIKey, MaxResponseBytes: maxUpstreamBytes})
	if err != nil {
		t.Fatal(err)
	}
	deps := service.Deps{Upstream: up}
	if configure != nil {
		configure(&deps)
	}
	h := newHarnessWithDeps(t, simulator.New(simulator.Options{}), deps)
	return gatewayv1.NewProxyServiceClient(h.conn)
}

// proxyReq is a request on the seeded connection.
func proxyReq(method, endpoint string, body []byte) *gatewayv1.ProxyRequest {
	return &gatewayv1.ProxyRequest{
		Method: method, Endpoint: endpoint, Body: body,
		ConnectionId: sarpConnection, ProviderConfigKey: sarpIntegration,
	}
}

// proxyOK makes the next proxied call answer 200 {} without reaching the
// simulator's provider echo, so only the request is under test.
func proxyOK(h *harness) {
	h.sim.InjectFault(simulator.Fault{PathPrefix: "/proxy/", Status: 200, Body: []byte(`{}`)})
}

func TestProxySendsEachMethodWithTheSDKHeaders(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		body       []byte
		wantMethod string
	}{
		{"empty method is GET", "", nil, "GET"},
		{"GET", "GET", nil, "GET"},
		{"POST", "POST", []byte(`{"a":1}`), "POST"},
		{"PUT", "PUT", []byte("raw"), "PUT"},
		{"PATCH", "PATCH", []byte(`[1]`), "PATCH"},
		{"DELETE without a body", "DELETE", nil, "DELETE"},
		{"DELETE with a body", "DELETE", []byte(`{"id":1}`), "DELETE"},
		{"PROPFIND", "PROPFIND", []byte("<x/>"), "PROPFIND"},
		{"REPORT", "REPORT", []byte(`<c:calendar-query xmlns:c="urn:ietf:params:xml:ns:caldav"/>`), "REPORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
			proxyOK(h)
			got, err := c.Proxy(rpcCtx(t), proxyReq(tt.method, "/user/repos", tt.body))
			if err != nil {
				t.Fatalf("Proxy: %v", err)
			}
			if got.GetStatus() != 200 {
				t.Fatalf("status = %d", got.GetStatus())
			}
			rec := h.lastRequest(t)
			wantRoute(t, rec, tt.wantMethod, "/proxy/user/repos", "")
			sarpHeader(t, rec, "Connection-Id", sarpConnection, true)
			sarpHeader(t, rec, "Provider-Config-Key", sarpIntegration, true)
			sarpHeader(t, rec, "Base-Url-Override", "", true)
			sarpHeader(t, rec, "Nango-Activity-Log-Id", "", true)
			sarpHeader(t, rec, "Authorization", "Bearer "+testAPIKey, true)
			for _, absent := range []string{"Content-Type", "Nango-Proxy-Content-Type", "Retries", "Decompress", "Retry-On", "Forward-Headers-On-Redirect", "Nango-Is-Sync", "Nango-Is-Script", "Nango-Is-Dry-Run"} {
				sarpHeader(t, rec, absent, "", false)
			}
			if !bytes.Equal(rec.Body, tt.body) {
				t.Fatalf("body = %q, want %q", rec.Body, tt.body)
			}
		})
	}
}

func TestProxySendsEveryOptionalHeader(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	proxyOK(h)
	yes := true
	req := proxyReq("GET", "repos/a/b?per_page=10", nil)
	req.Params = []*gatewayv1.QueryParam{{Name: "q", Value: "a b"}, {Name: "ids", Value: "1,2"}, {Name: "q", Value: "c"}}
	req.Headers = map[string]string{"X-Custom": "v", "accept": "application/vnd.github+json", "Authorization": "Bearer caller-token", "proxy-authorization": "x", "Content-Type": "text/plain"}
	req.BaseUrlOverride = "https://example.com"
	req.ActivityLogId = "log-1"
	req.Retries = 3
	req.Decompress = true
	req.RetryOn = []uint32{409, 423}
	req.ForwardHeadersOnRedirect = &yes
	if _, err := c.Proxy(rpcCtx(t), req); err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	rec := h.lastRequest(t)
	wantRoute(t, rec, "GET", "/proxy/repos/a/b", "per_page=10&q=a+b&ids=1%2C2&q=c")
	for name, want := range map[string]string{
		"Connection-Id":               sarpConnection,
		"Provider-Config-Key":         sarpIntegration,
		"Base-Url-Override":           "https://example.com",
		"Nango-Activity-Log-Id":       "log-1",
		"Nango-Proxy-X-Custom":        "v",
		"Nango-Proxy-Accept":          "application/vnd.github+json",
		"Content-Type":                "text/plain",
		"Nango-Proxy-Content-Type":    "text/plain",
		"Retries":                     "3",
		"Decompress":                  "true",
		"Retry-On":                    "409,423",
		"Forward-Headers-On-Redirect": "true",
		"Authorization":               "Bearer " + testAPIKey,
	} {
		sarpHeader(t, rec, name, want, true)
	}
	sarpHeader(t, rec, "Nango-Proxy-Authorization", "", false)
	sarpHeader(t, rec, "Nango-Proxy-Proxy-Authorization", "", false)
}

func TestProxySendsForwardHeadersOnRedirectFalse(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	proxyOK(h)
	no := false
	req := proxyReq("GET", "/x", nil)
	req.ForwardHeadersOnRedirect = &no
	if _, err := c.Proxy(rpcCtx(t), req); err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	sarpHeader(t, h.lastRequest(t), "Forward-Headers-On-Redirect", "false", true)
}

func TestProxySendsContentTypeAloneWithoutTheProviderHeader(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	proxyOK(h)
	req := proxyReq("POST", "/x", []byte(`{"a":1}`))
	req.ContentType = "application/json"
	if _, err := c.Proxy(rpcCtx(t), req); err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	rec := h.lastRequest(t)
	sarpHeader(t, rec, "Content-Type", "application/json", true)
	sarpHeader(t, rec, "Nango-Proxy-Content-Type", "", false)
}

func TestProxyTakesContentTypeFromHeadersWhenNotSetApart(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	proxyOK(h)
	req := proxyReq("POST", "/x", []byte("a=1"))
	req.Headers = map[string]string{"content-type": "application/x-www-form-urlencoded"}
	if _, err := c.Proxy(rpcCtx(t), req); err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	rec := h.lastRequest(t)
	sarpHeader(t, rec, "Content-Type", "application/x-www-form-urlencoded", true)
	sarpHeader(t, rec, "Nango-Proxy-Content-Type", "application/x-www-form-urlencoded", true)
}

func TestProxyBuildsThePathAndQueryAsNodeWould(t *testing.T) {
	tests := []struct {
		endpoint  string
		params    []*gatewayv1.QueryParam
		wantPath  string
		wantQuery string
	}{
		{"/dav/a b/ü", nil, "/proxy/dav/a%20b/%C3%BC", ""},
		{"files/a%2Fb", nil, "/proxy/files/a%2Fb", ""},
		{"/search?q=x%20y&tag=a", []*gatewayv1.QueryParam{{Name: "page[size]", Value: "10"}}, "/proxy/search", "q=x%20y&tag=a&page%5Bsize%5D=10"},
		{"/items?", []*gatewayv1.QueryParam{{Name: "email", Value: "a@b.co"}}, "/proxy/items", "email=a%40b.co"},
		{"/t/{id}", nil, "/proxy/t/%7Bid%7D", ""},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
			proxyOK(h)
			req := proxyReq("GET", tt.endpoint, nil)
			req.Params = tt.params
			if _, err := c.Proxy(rpcCtx(t), req); err != nil {
				t.Fatalf("Proxy: %v", err)
			}
			wantRoute(t, h.lastRequest(t), "GET", tt.wantPath, tt.wantQuery)
		})
	}
}

func TestProxySendsRawBytesAndReturnsRawBytes(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	payload := []byte{0x00, 0x01, 0xfe, 0xff, '\n', '{'}
	reply := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff}
	h.sim.InjectFault(simulator.Fault{
		Method: "PUT", PathPrefix: "/proxy/upload", Status: http.StatusCreated, Body: reply,
		Header: http.Header{"Content-Type": {"image/png"}, "X-Request-Id": {"req-9"}, "Etag": {`"v1"`}},
	})
	req := proxyReq("PUT", "/upload/file.bin", payload)
	req.ContentType = "application/octet-stream"
	got, err := c.Proxy(rpcCtx(t), req)
	if err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	rec := h.lastRequest(t)
	if !bytes.Equal(rec.Body, payload) {
		t.Fatalf("upstream body = %v, want %v", rec.Body, payload)
	}
	sarpHeader(t, rec, "Content-Type", "application/octet-stream", true)
	if got.GetStatus() != http.StatusCreated || got.GetContentType() != "image/png" || !bytes.Equal(got.GetBody(), reply) {
		t.Fatalf("answer = %d %q %v", got.GetStatus(), got.GetContentType(), got.GetBody())
	}
	if got.GetHeaders()["X-Request-Id"] != "req-9" || got.GetHeaders()["Etag"] != `"v1"` || got.GetHeaders()["Content-Type"] != "image/png" {
		t.Fatalf("headers = %v", got.GetHeaders())
	}
	if _, ok := got.GetHeaders()["Content-Length"]; ok {
		t.Fatalf("Content-Length relayed: %v", got.GetHeaders())
	}
}

func TestProxyReturnsProviderAndNangoErrorsAsResponses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		code   string
	}{
		{"provider 400", 400, `{"message":"Validation Failed"}`, ""},
		{"provider 404 text", 404, "Not Found", ""},
		{"provider 500", 500, `<html>oops</html>`, ""},
		{"provider 429", 429, `{"message":"API rate limit exceeded"}`, ""},
		{"provider 301", 301, "", ""},
		{"nango unknown_provider_config", 404, "", "unknown_provider_config"},
		{"nango server_error for an unknown connection", 400, "", "server_error"},
		{"nango base_url_override_disabled", 400, "", "base_url_override_disabled"},
		{"nango server_error", 500, "", "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
			// Times outlasts the upstream client's retries of a GET.
			f := simulator.Fault{PathPrefix: "/proxy/", Status: tt.status, Code: tt.code, Times: 5}
			if tt.code == "" {
				f.Body = []byte(tt.body)
				f.Header = http.Header{"Content-Type": {"text/plain"}, "Location": {"https://example.com/moved"}}
			}
			h.sim.InjectFault(f)
			got, err := c.Proxy(rpcCtx(t), proxyReq("GET", "/x", nil))
			if err != nil {
				t.Fatalf("Proxy: %v, want the answer as a response", err)
			}
			if int(got.GetStatus()) != tt.status {
				t.Fatalf("status = %d, want %d", got.GetStatus(), tt.status)
			}
			if tt.code != "" {
				if !strings.Contains(string(got.GetBody()), `"code":"`+tt.code+`"`) || !strings.HasPrefix(got.GetContentType(), "application/json") {
					t.Fatalf("body = %s (%s), want Nango's envelope", got.GetBody(), got.GetContentType())
				}
				return
			}
			if string(got.GetBody()) != tt.body || got.GetContentType() != "text/plain" || got.GetHeaders()["Location"] != "https://example.com/moved" {
				t.Fatalf("answer = %q %q %v", got.GetBody(), got.GetContentType(), got.GetHeaders())
			}
		})
	}
}

func TestProxyTurnsNangosRateLimitIntoResourceExhausted(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	h.sim.InjectFault(simulator.Fault{
		PathPrefix: "/proxy/", Status: http.StatusTooManyRequests, Code: "too_many_request", Times: 5,
		Header: http.Header{"Retry-After": {"3"}},
	})
	// A deadline shorter than Retry-After: the gateway answers at once instead of waiting.
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := c.Proxy(ctx, proxyReq("GET", "/x", nil))
	wantCode(t, err, codes.ResourceExhausted, "too_many_request")
	if d, ok := nangohttp.RetryDelayFromError(err); !ok || d != 3*time.Second {
		t.Fatalf("RetryInfo = %v %v, want 3s", d, ok)
	}
}

func TestProxyWithTheSimulatorsRateLimiter(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true, RateLimit: 1, Window: time.Hour})
	c := gatewayv1.NewProxyServiceClient(h.conn)
	// The first call uses the window's only request, whatever it answers.
	_, _ = c.Proxy(rpcCtx(t), proxyReq("GET", "/user", nil))
	_, err := c.Proxy(rpcCtx(t), proxyReq("GET", "/user", nil))
	wantCode(t, err, codes.ResourceExhausted, "too_many_request")
	if _, ok := nangohttp.RetryDelayFromError(err); !ok {
		t.Fatal("no RetryInfo on Nango's rate limit")
	}
}

func TestProxyMapsTransportFailures(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	h.sim.InjectFault(simulator.Fault{PathPrefix: "/proxy/", Reset: true, Times: 5})
	_, err := c.Proxy(rpcCtx(t), proxyReq("GET", "/x", nil))
	wantCode(t, err, codes.Unavailable, nangohttp.ReasonUnreachable)
}

func TestProxyDropsHopByHopResponseHeaders(t *testing.T) {
	raw := "HTTP/1.1 207 Multi-Status\r\n" +
		"Content-Type: application/xml\r\n" +
		"Content-Length: 4\r\n" +
		"Connection: keep-alive, X-Hop\r\n" +
		"X-Hop: secret\r\n" +
		"Keep-Alive: timeout=5\r\n" +
		"Proxy-Authenticate: Basic\r\n" +
		"Proxy-Authorization: Basic eA==\r\n" +
		"Proxy-Connection: keep-alive\r\n" +
		"Te: trailers\r\n" +
		"Trailer: X-Checksum\r\n" +
		"Upgrade: h2c\r\n" +
		"X-Request-Id: r1\r\n" +
		"Set-Cookie: a=1\r\n" +
		"Set-Cookie: b=2\r\n" +
		"\r\n<x/>"
	chunked := "HTTP/1.1 200 OK\r\n" +
		"Content-Type: text/plain\r\n" +
		"Transfer-Encoding: chunked\r\n" +
		"X-Correlation-Id: c1\r\n" +
		"\r\n4\r\nabcd\r\n0\r\n\r\n"
	tests := []struct {
		name        string
		raw         string
		wantStatus  int32
		wantBody    string
		wantHeaders map[string]string
	}{
		{"fixed length", raw, 207, "<x/>", map[string]string{
			"Content-Type": "application/xml", "X-Request-Id": "r1", "Set-Cookie": "a=1, b=2",
		}},
		{"chunked", chunked, 200, "abcd", map[string]string{
			"Content-Type": "text/plain", "X-Correlation-Id": "c1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := proxyClientWithDeps(t, proxyRawAnswer(t, tt.raw), 0, nil)
			got, err := c.Proxy(rpcCtx(t), proxyReq("PROPFIND", "/dav", nil))
			if err != nil {
				t.Fatalf("Proxy: %v", err)
			}
			if got.GetStatus() != tt.wantStatus || string(got.GetBody()) != tt.wantBody {
				t.Fatalf("answer = %d %q", got.GetStatus(), got.GetBody())
			}
			if !maps.Equal(got.GetHeaders(), tt.wantHeaders) {
				t.Fatalf("headers = %v\nwant %v", got.GetHeaders(), tt.wantHeaders)
			}
		})
	}
}

// proxyRawAnswer answers every request with the raw HTTP/1.1 response bytes.
func proxyRawAnswer(t *testing.T, raw string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
	})
}

func TestProxyEnforcesTheBodyLimits(t *testing.T) {
	t.Run("request body over the limit", func(t *testing.T) {
		sim := simulator.New(simulator.Options{Seed: true})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: testAPIKey})
		if err != nil {
			t.Fatal(err)
		}
		h := newHarnessWithDeps(t, sim, service.Deps{Upstream: up, MaxProxyBodyBytes: 16})
		c := gatewayv1.NewProxyServiceClient(h.conn)

		_, err = c.Proxy(rpcCtx(t), proxyReq("POST", "/x", bytes.Repeat([]byte("a"), 17)))
		st := wantCode(t, err, codes.InvalidArgument, service.ReasonProxyRequestTooLarge)
		if st.Message() != "proxy request body of 17 bytes exceeds the limit of 16 bytes" {
			t.Fatalf("message = %q", st.Message())
		}
		if n := len(sim.Requests()); n != 0 {
			t.Fatalf("the simulator received %d requests", n)
		}

		// Exactly the limit goes through.
		h.sim.InjectFault(simulator.Fault{PathPrefix: "/proxy/", Status: 200, Body: []byte("ok")})
		if _, err := c.Proxy(rpcCtx(t), proxyReq("POST", "/x", bytes.Repeat([]byte("a"), 16))); err != nil {
			t.Fatalf("body at the limit: %v", err)
		}

		// A response over the limit, refused once the limit is read: its whole size is never
		// known, nor held.
		h.sim.InjectFault(simulator.Fault{PathPrefix: "/proxy/", Status: 200, Body: bytes.Repeat([]byte("b"), 17)})
		_, err = c.Proxy(rpcCtx(t), proxyReq("GET", "/x", nil))
		st = wantCode(t, err, codes.ResourceExhausted, service.ReasonProxyResponseTooLarge)
		if st.Message() != "the proxied response body exceeds the limit of 16 bytes" {
			t.Fatalf("message = %q", st.Message())
		}
	})
	t.Run("response over the upstream client's own limit", func(t *testing.T) {
		big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(bytes.Repeat([]byte("z"), 4096))
		})
		c := proxyClientWithDeps(t, big, 1024, nil)
		_, err := c.Proxy(rpcCtx(t), proxyReq("GET", "/x", nil))
		st := wantCode(t, err, codes.ResourceExhausted, service.ReasonProxyResponseTooLarge)
		if !strings.Contains(st.Message(), "exceeds the limit") {
			t.Fatalf("message = %q", st.Message())
		}
	})
	t.Run("the default limit is 32 MiB", func(t *testing.T) {
		if service.DefaultMaxProxyBodyBytes != 32<<20 {
			t.Fatalf("DefaultMaxProxyBodyBytes = %d", service.DefaultMaxProxyBodyBytes)
		}
		size := 0
		echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			size = len(b)
			_, _ = w.Write([]byte("ok"))
		})
		c := proxyClientWithDeps(t, echo, 0, nil)
		// 3 MiB passes (under gRPC's default 4 MiB message limit and 32 MiB).
		if _, err := c.Proxy(rpcCtx(t), proxyReq("POST", "/x", bytes.Repeat([]byte("a"), 3<<20))); err != nil || size != 3<<20 {
			t.Fatalf("3 MiB body: err %v, upstream got %d bytes", err, size)
		}
	})
}

func TestProxyRejectsInvalidRequestsWithoutCallingNango(t *testing.T) {
	tests := []struct {
		name   string
		field  string
		modify func(r *gatewayv1.ProxyRequest)
	}{
		{"an unknown method", "method", func(r *gatewayv1.ProxyRequest) { r.Method = "TRACE" }},
		{"an empty endpoint", "endpoint", func(r *gatewayv1.ProxyRequest) { r.Endpoint = "" }},
		{"a fragment in the endpoint", "endpoint", func(r *gatewayv1.ProxyRequest) { r.Endpoint = "/a#b" }},
		{"a malformed escape in the endpoint", "endpoint", func(r *gatewayv1.ProxyRequest) { r.Endpoint = "/a%zz" }},
		{"an invalid header name", `headers["bad name"]`, func(r *gatewayv1.ProxyRequest) { r.Headers = map[string]string{"bad name": "v"} }},
		{"a header value with a newline", `headers["X-A"]`, func(r *gatewayv1.ProxyRequest) { r.Headers = map[string]string{"X-A": "a\nb"} }},
		{"a content type with a newline", "content_type", func(r *gatewayv1.ProxyRequest) { r.ContentType = "text/plain\r\nX: y" }},
		{"a base URL that is not http", "base_url_override", func(r *gatewayv1.ProxyRequest) { r.BaseUrlOverride = "ftp://example.com" }},
		{"too many retries", "retries", func(r *gatewayv1.ProxyRequest) { r.Retries = 11 }},
		{"a retry status out of range", "retry_on", func(r *gatewayv1.ProxyRequest) { r.RetryOn = []uint32{99} }},
		{"an empty param name", "params", func(r *gatewayv1.ProxyRequest) { r.Params = []*gatewayv1.QueryParam{{Value: "v"}} }},
		{"a missing connection", "connection_id", func(r *gatewayv1.ProxyRequest) { r.ConnectionId = "" }},
		{"a missing integration", "provider_config_key", func(r *gatewayv1.ProxyRequest) { r.ProviderConfigKey = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
			req := proxyReq("GET", "/x", nil)
			tt.modify(req)
			_, err := c.Proxy(rpcCtx(t), req)
			wantInvalid(t, h, err, tt.field)
		})
	}
}

func TestProxyThroughTheSimulatorsProvider(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewProxyServiceClient)
	req := proxyReq("POST", "/repos/octo/hello/issues", []byte(`{"title":"t"}`))
	req.ContentType = "application/json"
	req.Headers = map[string]string{"X-GitHub-Api-Version": "2022-11-28"}
	got, err := c.Proxy(rpcCtx(t), req)
	if err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	wantRoute(t, h.lastRequest(t), "POST", "/proxy/repos/octo/hello/issues", "")
	if got.GetStatus() < 200 || got.GetStatus() > 299 || len(got.GetBody()) == 0 {
		t.Fatalf("answer = %d %q", got.GetStatus(), got.GetBody())
	}

	// An unknown connection is Nango's error, handed back as the SDK sees it.
	req = proxyReq("GET", "/user", nil)
	req.ConnectionId = "nobody"
	got, err = c.Proxy(rpcCtx(t), req)
	if err != nil {
		t.Fatalf("Proxy: %v", err)
	}
	if got.GetStatus() < 400 || !strings.Contains(string(got.GetBody()), `"error"`) {
		t.Fatalf("answer = %d %s, want Nango's error envelope", got.GetStatus(), got.GetBody())
	}
}
