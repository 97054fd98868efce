package nangohttp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"
)

const testKey = "sk-test-0123456789"

// captured is what the test server saw of one request.
type captured struct {
	Method           string
	URI              string // the request target exactly as sent
	Header           http.Header
	Body             []byte
	ContentLength    int64
	TransferEncoding []string
}

// recorder is a test server that records requests and answers with a
// configurable status, headers and body.
type recorder struct {
	mu     sync.Mutex
	reqs   []captured
	status int
	header http.Header
	body   []byte
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, captured{
		Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: body,
		ContentLength: r.ContentLength, TransferEncoding: r.TransferEncoding,
	})
	status, header, respBody := rec.status, rec.header, rec.body
	rec.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	if status == 0 {
		status = http.StatusOK
	}
	if respBody == nil {
		respBody = []byte("{}")
	}
	w.WriteHeader(status)
	w.Write(respBody)
}

func (rec *recorder) last(t *testing.T) captured {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("server received no request")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func startServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newTestClient(t *testing.T, baseURL string, edit ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: baseURL, SecretKey: testKey, UserAgent: "test-agent/1"}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// noRetries makes a client send each call once.
func noRetries(cfg *Config) { cfg.Retry.MaxAttempts = 1 }

func TestNewRejectsInvalidConfigNamingTheField(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"empty base URL", Config{SecretKey: "k"}, "Config.BaseURL is empty"},
		{"base URL without scheme", Config{BaseURL: "api.nango.dev", SecretKey: "k"}, "Config.BaseURL must be an absolute http or https URL"},
		{"base URL with another scheme", Config{BaseURL: "ftp://api.nango.dev", SecretKey: "k"}, "Config.BaseURL must be an absolute http or https URL"},
		{"base URL without host", Config{BaseURL: "https://", SecretKey: "k"}, "Config.BaseURL must be an absolute http or https URL"},
		{"base URL with query", Config{BaseURL: "https://api.nango.dev?x=1", SecretKey: "k"}, "Config.BaseURL must not have a query"},
		{"base URL with fragment", Config{BaseURL: "https://api.nango.dev#x", SecretKey: "k"}, "Config.BaseURL must not have a query or fragment"},
		{"base URL with credentials", Config{BaseURL: "https://u:pw@api.nango.dev", SecretKey: "k"}, "Config.BaseURL must not contain user credentials"},
		{"unparsable base URL", Config{BaseURL: "https://api.nango.dev/%zz", SecretKey: "k"}, "Config.BaseURL is not a valid URL"},
		{"empty secret key", Config{BaseURL: "https://api.nango.dev"}, "Config.SecretKey is empty"},
		{"secret key with newline", Config{BaseURL: "https://api.nango.dev", SecretKey: "k\n"}, "Config.SecretKey contains whitespace"},
		{"user agent with newline", Config{BaseURL: "https://api.nango.dev", SecretKey: "k", UserAgent: "a\nb"}, "Config.UserAgent"},
		{"negative body limit", Config{BaseURL: "https://api.nango.dev", SecretKey: "k", MaxResponseBytes: -1}, "Config.MaxResponseBytes is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("New succeeded (%v), want error containing %q", c, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Fatalf("error %q leaks the URL password", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{BaseURL: "https://api.nango.dev/", SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.base.String(); got != "https://api.nango.dev" {
		t.Errorf("base = %q, want the trailing slash removed", got)
	}
	if !strings.HasPrefix(c.userAgent, "nango-gateway/") {
		t.Errorf("user agent = %q, want nango-gateway/<version>", c.userAgent)
	}
	if c.maxBody != DefaultMaxResponseBytes {
		t.Errorf("max body = %d, want %d", c.maxBody, DefaultMaxResponseBytes)
	}
	if c.hc.Timeout != 0 {
		t.Errorf("client timeout = %v, want none (the context bounds calls)", c.hc.Timeout)
	}
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T, want *http.Transport", c.hc.Transport)
	}
	if tr.TLSHandshakeTimeout != 10*time.Second || tr.MaxIdleConnsPerHost != 64 ||
		!tr.ForceAttemptHTTP2 || tr.ResponseHeaderTimeout != 0 || tr.DialContext == nil {
		t.Errorf("transport = handshake %v, idle per host %d, h2 %v, header timeout %v; want 10s, 64, true, 0",
			tr.TLSHandshakeTimeout, tr.MaxIdleConnsPerHost, tr.ForceAttemptHTTP2, tr.ResponseHeaderTimeout)
	}
}

func TestPathOfEscapesEachSegment(t *testing.T) {
	tests := []struct {
		segments []string
		want     string
	}{
		{[]string{"connections", "a b"}, "/connections/a%20b"},
		{[]string{"connections", "a/b"}, "/connections/a%2Fb"},
		{[]string{"connections", "ünï"}, "/connections/%C3%BCn%C3%AF"},
		{[]string{"connections", "a?b#c%d"}, "/connections/a%3Fb%23c%25d"},
		{[]string{"integrations", "gh", "functions", "sync-1"}, "/integrations/gh/functions/sync-1"},
		{[]string{"connections", ""}, "/connections/"},
		{nil, "/"},
	}
	for _, tt := range tests {
		if got := PathOf(tt.segments...); got != tt.want {
			t.Errorf("PathOf(%q) = %q, want %q", tt.segments, got, tt.want)
		}
	}
}

func TestDoBuildsTheExactRequest(t *testing.T) {
	field := &descriptorpb.FieldDescriptorProto{Name: proto.String("x"), TypeName: proto.String(".pkg.T")}
	end, err := structpb.NewStruct(map[string]any{"provider_config_key": "github", "end_user": map[string]any{"id": "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		base       string // path appended to the server URL to form BaseURL
		req        Request
		wantMethod string
		wantURI    string
		wantBody   string
		wantHeader map[string]string // "" = present with an empty value
		absent     []string
		wantLength int64 // expected Content-Length; -1 to skip
	}{
		{
			name: "GET with escaped path and sorted query",
			req: Request{
				Path:  PathOf("connections", "a b/ç"),
				Query: url.Values{"provider_config_key": {"git hub"}, "force_refresh": {"false"}, "tags[k]": {"a@b.co"}},
			},
			wantMethod: "GET",
			wantURI:    "/connections/a%20b%2F%C3%A7?force_refresh=false&provider_config_key=git+hub&tags%5Bk%5D=a%40b.co",
			wantHeader: map[string]string{"Authorization": "Bearer " + testKey, "User-Agent": "test-agent/1", "Accept": "application/json"},
			absent:     []string{"Content-Type", "Content-Length"},
		},
		{
			name:       "raw query sent verbatim and preferred over Query",
			req:        Request{Path: "/sync/status", RawQuery: "syncs=s1,s2::v+1&connection_id=c:1", Query: url.Values{"ignored": {"1"}}},
			wantMethod: "GET",
			wantURI:    "/sync/status?syncs=s1,s2::v+1&connection_id=c:1",
		},
		{
			name:       "base URL path prefix kept, one trailing slash removed",
			base:       "/nango/",
			req:        Request{Path: PathOf("providers")},
			wantMethod: "GET",
			wantURI:    "/nango/providers",
		},
		{
			name:       "proto body uses proto names and omits unpopulated fields",
			req:        Request{Method: "POST", Path: "/connect/sessions", JSON: field},
			wantMethod: "POST",
			wantURI:    "/connect/sessions",
			wantBody:   `{"name":"x","type_name":".pkg.T"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
			wantLength: int64(len(`{"name":"x","type_name":".pkg.T"}`)),
		},
		{
			name:       "struct body",
			req:        Request{Method: "POST", Path: "/connect/sessions", JSON: end},
			wantMethod: "POST",
			wantURI:    "/connect/sessions",
			wantBody:   `{"end_user":{"id":"u1"},"provider_config_key":"github"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:       "raw JSON sent as is",
			req:        Request{Method: "PATCH", Path: "/connections/metadata", JSON: json.RawMessage(`{"b": 1, "a": 2}`)},
			wantMethod: "PATCH",
			wantURI:    "/connections/metadata",
			wantBody:   `{"b": 1, "a": 2}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:       "plain Go value with encoding/json, overriding a caller Content-Type",
			req:        Request{Method: "PUT", Path: "/sync/update-connection-frequency", JSON: map[string]any{"b": 1, "a": "x"}, Header: http.Header{"Content-Type": {"text/plain"}}},
			wantMethod: "PUT",
			wantURI:    "/sync/update-connection-frequency",
			wantBody:   `{"a":"x","b":1}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name:       "DELETE with a JSON body",
			req:        Request{Method: "DELETE", Path: PathOf("sync", "s1", "variant", "v1"), JSON: json.RawMessage(`{"connection_id":"c1"}`)},
			wantMethod: "DELETE",
			wantURI:    "/sync/s1/variant/v1",
			wantBody:   `{"connection_id":"c1"}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
			wantLength: int64(len(`{"connection_id":"c1"}`)),
		},
		{
			name:       "raw body with the caller's Content-Type",
			req:        Request{Method: "PUT", Path: "/proxy/files/a", Body: []byte("raw\x00bytes"), Header: http.Header{"Content-Type": {"text/plain"}}},
			wantMethod: "PUT",
			wantURI:    "/proxy/files/a",
			wantBody:   "raw\x00bytes",
			wantHeader: map[string]string{"Content-Type": "text/plain"},
		},
		{
			name:       "extension method with raw body and no Content-Type",
			req:        Request{Method: "PROPFIND", Path: "/proxy/dav", Body: []byte("<x/>")},
			wantMethod: "PROPFIND",
			wantURI:    "/proxy/dav",
			wantBody:   "<x/>",
			absent:     []string{"Content-Type"},
		},
		{
			name:       "empty body still sent when HasBody",
			req:        Request{Method: "POST", Path: "/proxy/ping", HasBody: true},
			wantMethod: "POST",
			wantURI:    "/proxy/ping",
			wantHeader: map[string]string{"Content-Length": "0"},
		},
		{
			name:       "path net/url would re-escape is sent verbatim",
			req:        Request{Path: "/proxy/a%2Fb/{x}/%7Bok%7D", RawQuery: "q=a+b"},
			wantMethod: "GET",
			wantURI:    "/proxy/a%2Fb/{x}/%7Bok%7D?q=a+b",
		},
		{
			name: "extra headers forwarded, caller Accept and User-Agent kept, empty values kept",
			req: Request{Path: "/proxy/x", Header: http.Header{
				"Connection-Id": {"c1"}, "provider-config-key": {"gh"}, "Nango-Activity-Log-Id": {""},
				"Accept": {"text/csv"}, "User-Agent": {"caller/9"},
			}},
			wantMethod: "GET",
			wantURI:    "/proxy/x",
			wantHeader: map[string]string{
				"Connection-Id": "c1", "Provider-Config-Key": "gh", "Nango-Activity-Log-Id": "",
				"Accept": "text/csv", "User-Agent": "caller/9",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			srv := startServer(t, rec)
			c := newTestClient(t, srv.URL+tt.base)
			resp, err := c.Do(context.Background(), &tt.req)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if resp.Status != http.StatusOK || string(resp.Body) != "{}" {
				t.Fatalf("response = %d %q, want 200 {}", resp.Status, resp.Body)
			}
			got := rec.last(t)
			if got.Method != tt.wantMethod {
				t.Errorf("method = %q, want %q", got.Method, tt.wantMethod)
			}
			if got.URI != tt.wantURI {
				t.Errorf("request target = %q, want %q", got.URI, tt.wantURI)
			}
			if string(got.Body) != tt.wantBody {
				t.Errorf("body = %q, want %q", got.Body, tt.wantBody)
			}
			if tt.wantLength > 0 && got.ContentLength != tt.wantLength {
				t.Errorf("Content-Length = %d, want %d", got.ContentLength, tt.wantLength)
			}
			if len(got.TransferEncoding) > 0 {
				t.Errorf("Transfer-Encoding = %q, want a fixed length", got.TransferEncoding)
			}
			for k, want := range tt.wantHeader {
				vs, ok := got.Header[http.CanonicalHeaderKey(k)]
				if !ok || len(vs) != 1 || vs[0] != want {
					t.Errorf("header %s = %q (present %v), want [%q]", k, vs, ok, want)
				}
			}
			for _, k := range tt.absent {
				if vs, ok := got.Header[k]; ok {
					t.Errorf("header %s = %q, want absent", k, vs)
				}
			}
		})
	}
}

func TestDoNeverForwardsCallerCredentials(t *testing.T) {
	rec := &recorder{}
	srv := startServer(t, rec)
	c := newTestClient(t, srv.URL)
	_, err := c.Do(context.Background(), &Request{Path: "/proxy/x", Header: http.Header{
		"Authorization":       {"Bearer caller-token"},
		"authorization":       {"Basic Y2FsbGVyOnB3"},
		"Proxy-Authorization": {"Basic eA=="},
		"Cookie":              {"session=abc"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if vs := got.Header.Values("Authorization"); len(vs) != 1 || vs[0] != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want only the gateway key", vs)
	}
	for _, h := range []string{"Proxy-Authorization", "Cookie"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s = %q forwarded, want dropped", h, v)
		}
	}
}

func TestDoRejectsRequestsThatCannotBeSent(t *testing.T) {
	rec := &recorder{}
	srv := startServer(t, rec)
	c := newTestClient(t, srv.URL)
	tests := []struct {
		name string
		req  *Request
		code codes.Code
	}{
		{"nil request", nil, codes.InvalidArgument},
		{"relative path", &Request{Path: "connections"}, codes.InvalidArgument},
		{"unescaped space in path", &Request{Path: "/connections/a b"}, codes.InvalidArgument},
		{"question mark in path", &Request{Path: "/connections/a?b=1"}, codes.InvalidArgument},
		{"raw non-ASCII in path", &Request{Path: "/connections/é"}, codes.InvalidArgument},
		{"bad escape in path", &Request{Path: "/connections/%zz"}, codes.InvalidArgument},
		{"dot-dot id", &Request{Method: "DELETE", Path: "/connections/.."}, codes.InvalidArgument},
		{"dot id", &Request{Path: "/connections/."}, codes.InvalidArgument},
		{"escaped dot-dot in a proxy path", &Request{Path: "/proxy/%2e%2e/integrations"}, codes.InvalidArgument},
		{"mixed-escape dot-dot", &Request{Path: "/proxy/.%2E/x"}, codes.InvalidArgument},
		{"space in raw query", &Request{Path: "/x", RawQuery: "a=b c"}, codes.InvalidArgument},
		{"invalid method", &Request{Method: "GE T", Path: "/x"}, codes.InvalidArgument},
		{"invalid header value", &Request{Path: "/x", Header: http.Header{"X-A": {"a\r\nb"}}}, codes.InvalidArgument},
		{"invalid header name", &Request{Path: "/x", Header: http.Header{"X A": {"a"}}}, codes.InvalidArgument},
		{"JSON and raw body together", &Request{Method: "POST", Path: "/x", JSON: map[string]any{}, Body: []byte("x")}, codes.InvalidArgument},
		{"unencodable JSON", &Request{Method: "POST", Path: "/x", JSON: map[string]any{"c": make(chan int)}}, codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Do(context.Background(), tt.req)
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.code)
			}
			if _, ok := ErrorInfoFrom(err); !ok {
				t.Errorf("error %v carries no ErrorInfo", err)
			}
		})
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) != 0 {
		t.Errorf("server received %d requests, want none", len(rec.reqs))
	}
}

func TestDoRawReturnsAnyStatusWithoutError(t *testing.T) {
	rec := &recorder{status: http.StatusFound, header: http.Header{"Location": {"https://example.com/x"}}, body: []byte("moved")}
	srv := startServer(t, rec)
	c := newTestClient(t, srv.URL)
	for _, st := range []int{http.StatusFound, http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway} {
		rec.mu.Lock()
		rec.status = st
		rec.mu.Unlock()
		resp, err := c.DoRaw(context.Background(), &Request{Method: "REPORT", Path: "/proxy/x"})
		if err != nil {
			t.Fatalf("DoRaw with %d: %v", st, err)
		}
		if resp.Status != st || string(resp.Body) != "moved" || resp.Header.Get("Location") != "https://example.com/x" {
			t.Errorf("DoRaw = %d %q Location %q, want %d moved with Location (redirects not followed)",
				resp.Status, resp.Body, resp.Header.Get("Location"), st)
		}
	}
}

func TestResponseSizeLimit(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		raw        bool
		wantCode   codes.Code
		wantReason string
	}{
		{"body at the limit", 200, strings.Repeat("x", 16), false, codes.OK, ""},
		{"2xx body over the limit", 200, strings.Repeat("x", 17), false, codes.Internal, ReasonResponseTooLarge},
		{"raw body over the limit", 404, strings.Repeat("x", 17), true, codes.Internal, ReasonResponseTooLarge},
		{"error body over the limit keeps the status", 404, `{"error":{"code":"unknown_connection","message":"gone"}}`, false, codes.NotFound, "http_404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, &recorder{status: tt.status, body: []byte(tt.body)})
			c := newTestClient(t, srv.URL, func(cfg *Config) { cfg.MaxResponseBytes = 16 })
			do := c.Do
			if tt.raw {
				do = c.DoRaw
			}
			resp, err := do(context.Background(), &Request{Path: "/records"})
			if got := status.Code(err); got != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.wantCode)
			}
			if tt.wantCode == codes.OK {
				if string(resp.Body) != tt.body {
					t.Errorf("body = %q, want %q", resp.Body, tt.body)
				}
				return
			}
			ei, ok := ErrorInfoFrom(err)
			if !ok || ei.Reason != tt.wantReason {
				t.Errorf("ErrorInfo = %v, want reason %q", ei, tt.wantReason)
			}
		})
	}
}

// blockingServer never answers; its handler returns when the client gives up
// on the request, or at the end of the test at the latest.
func blockingServer(t *testing.T) *httptest.Server {
	release := make(chan struct{})
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv
}

func TestContextEndsTheCall(t *testing.T) {
	tests := []struct {
		name       string
		ctx        func() (context.Context, context.CancelFunc)
		client     func(*Config)
		wantCode   codes.Code
		wantReason string
	}{
		{
			name: "caller cancels",
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantCode: codes.Canceled, wantReason: ReasonCanceled,
		},
		{
			name: "caller deadline passes",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			wantCode: codes.DeadlineExceeded, wantReason: ReasonDeadlineExceeded,
		},
		{
			name: "http.Client timeout of a supplied client",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithCancel(context.Background())
			},
			client:   func(cfg *Config) { cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} },
			wantCode: codes.DeadlineExceeded, wantReason: ReasonDeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := blockingServer(t)
			var edits []func(*Config)
			if tt.client != nil {
				edits = append(edits, tt.client)
			}
			c := newTestClient(t, srv.URL, edits...)
			ctx, cancel := tt.ctx()
			defer cancel()
			resp, err := c.Do(ctx, &Request{Method: "POST", Path: "/action/trigger", JSON: json.RawMessage(`{}`)})
			if resp != nil {
				t.Errorf("response = %+v, want nil", resp)
			}
			if got := status.Code(err); got != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.wantCode)
			}
			if ei, ok := ErrorInfoFrom(err); !ok || ei.Reason != tt.wantReason {
				t.Errorf("ErrorInfo = %v, want reason %q", ei, tt.wantReason)
			}
		})
	}
}

func TestNetworkFailuresAreUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	reset := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))

	for name, base := range map[string]string{"connection refused": refused, "connection closed without answer": reset.URL} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, base)
			_, err := c.Do(context.Background(), &Request{
				Path:  PathOf("connections", "c1"),
				Query: url.Values{"provider_config_key": {"query-value-not-in-message"}},
			})
			if got := status.Code(err); got != codes.Unavailable {
				t.Fatalf("code = %v (%v), want Unavailable", got, err)
			}
			ei, ok := ErrorInfoFrom(err)
			if !ok || ei.Reason != ReasonUnreachable || ei.Domain != Domain {
				t.Errorf("ErrorInfo = %v, want reason %q domain %q", ei, ReasonUnreachable, Domain)
			}
			if _, ok := HTTPStatusFromError(err); ok {
				t.Error("HTTPStatusFromError reported a status for a network failure")
			}
			if msg := err.Error(); strings.Contains(msg, "query-value-not-in-message") || strings.Contains(msg, testKey) {
				t.Errorf("message %q repeats the URL query or the key", msg)
			}
		})
	}
}

func TestSendKeepsRawTransportErrorsForRetryDecisions(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	c := newTestClient(t, base)
	out, err := c.prepare(&Request{Path: "/providers"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.send(context.Background(), out)
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "dial" {
		t.Fatalf("send error = %v, want the raw dial error (a request that never left)", err)
	}
}

// FuzzCheckPath: a path the upstream client accepts starts with "/", holds no byte it
// would have to escape, and no segment that is "." or ".." once unescaped, so nothing an
// intermediary normalises can reach Nango with the gateway's key.
func FuzzCheckPath(f *testing.F) {
	for _, p := range []string{"/connections/a", "/proxy/%2e%2e/x", "/proxy/a/./b", "/x y", "/%zz", "/proxy/.%2E", "/records/"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPath(p) != nil {
			return
		}
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("accepted %q without a leading slash", p)
		}
		for _, seg := range strings.Split(p, "/") {
			dec, err := url.PathUnescape(seg)
			if err != nil || dec == "." || dec == ".." {
				t.Fatalf("accepted %q with segment %q", p, seg)
			}
		}
		for i := 0; i < len(p); i++ {
			if b := p[i]; b <= ' ' || b >= 0x7f || b == '?' || b == '#' {
				t.Fatalf("accepted %q with byte %#x", p, b)
			}
		}
	})
}
