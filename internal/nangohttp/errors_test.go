package nangohttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDoMapsUpstreamStatusesToGRPCErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantCode   codes.Code
		wantReason string
		wantMsg    string
		wantRaw    string // expected upstream_error metadata; "" = absent
		wantRetry  time.Duration
		hasRetry   bool
	}{
		{
			name: "400 invalid query params", status: 400,
			body:     `{"error": {"code": "invalid_query_params", "message": "Invalid query params", "errors": [{"code": "unrecognized_keys", "message": "Unrecognized key(s) in object: 'foo'", "path": []}]}}`,
			wantCode: codes.InvalidArgument, wantReason: "invalid_query_params", wantMsg: "Invalid query params",
			wantRaw: `{"code":"invalid_query_params","message":"Invalid query params","errors":[{"code":"unrecognized_keys","message":"Unrecognized key(s) in object: 'foo'","path":[]}]}`,
		},
		{
			name: "401 unknown account", status: 401,
			body:     `{"error":{"code":"unknown_account","message":"The API key is unknown"}}`,
			wantCode: codes.Unauthenticated, wantReason: "unknown_account", wantMsg: "The API key is unknown",
			wantRaw: `{"code":"unknown_account","message":"The API key is unknown"}`,
		},
		{
			name: "403 forbidden without message", status: 403,
			body:     `{"error":{"code":"forbidden"}}`,
			wantCode: codes.PermissionDenied, wantReason: "forbidden", wantMsg: "nango answered HTTP 403 Forbidden (forbidden)",
			wantRaw: `{"code":"forbidden"}`,
		},
		{
			name: "404 unknown connection", status: 404,
			body:     `{"error":{"code":"unknown_connection","message":"Failed to find connection"}}`,
			wantCode: codes.NotFound, wantReason: "unknown_connection", wantMsg: "Failed to find connection",
			wantRaw: `{"code":"unknown_connection","message":"Failed to find connection"}`,
		},
		{
			name: "409 conflict", status: 409,
			body:     `{"error":{"code":"duplicate_integration","message":"exists"}}`,
			wantCode: codes.AlreadyExists, wantReason: "duplicate_integration", wantMsg: "exists",
			wantRaw: `{"code":"duplicate_integration","message":"exists"}`,
		},
		{
			name: "412 precondition", status: 412, body: `{"error":{"code":"precondition"}}`,
			wantCode: codes.FailedPrecondition, wantReason: "precondition",
			wantMsg: "nango answered HTTP 412 Precondition Failed (precondition)", wantRaw: `{"code":"precondition"}`,
		},
		{
			name: "413 too large", status: 413, body: `{"error":{"code":"payload_too_big"}}`,
			wantCode: codes.InvalidArgument, wantReason: "payload_too_big",
			wantMsg: "nango answered HTTP 413 Request Entity Too Large (payload_too_big)", wantRaw: `{"code":"payload_too_big"}`,
		},
		{
			name: "415 invalid content type", status: 415,
			body:     `{"error":{"code":"invalid_content_type","message":"Content-Type must be application/json"}}`,
			wantCode: codes.InvalidArgument, wantReason: "invalid_content_type", wantMsg: "Content-Type must be application/json",
			wantRaw: `{"code":"invalid_content_type","message":"Content-Type must be application/json"}`,
		},
		{
			name: "422 unprocessable", status: 422, body: `{"error":{"code":"invalid_body","message":"bad"}}`,
			wantCode: codes.InvalidArgument, wantReason: "invalid_body", wantMsg: "bad", wantRaw: `{"code":"invalid_body","message":"bad"}`,
		},
		{
			name: "424 action upstream failure", status: 424,
			body:     `{"error":{"code":"script_http_error","message":"provider said no","payload":{"a":1},"upstream":{"status":500}}}`,
			wantCode: codes.FailedPrecondition, wantReason: "script_http_error", wantMsg: "provider said no",
			wantRaw: `{"code":"script_http_error","message":"provider said no","payload":{"a":1},"upstream":{"status":500}}`,
		},
		{
			name: "429 with Retry-After seconds", status: 429,
			header:   http.Header{"Retry-After": {"7"}, "X-RateLimit-Reset": {"1"}},
			body:     `{"error":{"code":"too_many_request","method":"GET","path":"/connections"}}`,
			wantCode: codes.ResourceExhausted, wantReason: "too_many_request",
			wantMsg:   "nango answered HTTP 429 Too Many Requests (too_many_request)",
			wantRaw:   `{"code":"too_many_request","method":"GET","path":"/connections"}`,
			wantRetry: 7 * time.Second, hasRetry: true,
		},
		{
			name: "429 with Retry-After 0", status: 429, header: http.Header{"Retry-After": {"0"}},
			body:     `{"error":{"code":"too_many_request"}}`,
			wantCode: codes.ResourceExhausted, wantReason: "too_many_request",
			wantMsg: "nango answered HTTP 429 Too Many Requests (too_many_request)", wantRaw: `{"code":"too_many_request"}`,
			wantRetry: 0, hasRetry: true,
		},
		{
			name: "429 without any hint", status: 429, body: `{"error":{"code":"too_many_request"}}`,
			wantCode: codes.ResourceExhausted, wantReason: "too_many_request",
			wantMsg: "nango answered HTTP 429 Too Many Requests (too_many_request)", wantRaw: `{"code":"too_many_request"}`,
		},
		{
			name: "500 server error", status: 500, body: `{"error":{"code":"server_error","message":"Failed to fetch records"}}`,
			wantCode: codes.Internal, wantReason: "server_error", wantMsg: "Failed to fetch records",
			wantRaw: `{"code":"server_error","message":"Failed to fetch records"}`,
		},
		{
			name: "501 not implemented", status: 501, body: `{"error":{"code":"not_implemented"}}`,
			wantCode: codes.Unimplemented, wantReason: "not_implemented",
			wantMsg: "nango answered HTTP 501 Not Implemented (not_implemented)", wantRaw: `{"code":"not_implemented"}`,
		},
		{
			name: "502 HTML from a load balancer", status: 502, body: `<html><body>Bad Gateway</body></html>`,
			wantCode: codes.Unavailable, wantReason: "http_502", wantMsg: "nango answered HTTP 502 Bad Gateway",
		},
		{
			name: "503 with Retry-After", status: 503, header: http.Header{"Retry-After": {"3"}}, body: ``,
			wantCode: codes.Unavailable, wantReason: "http_503", wantMsg: "nango answered HTTP 503 Service Unavailable",
			wantRetry: 3 * time.Second, hasRetry: true,
		},
		{
			name: "504 gateway timeout", status: 504, body: `upstream timed out`,
			wantCode: codes.DeadlineExceeded, wantReason: "http_504", wantMsg: "nango answered HTTP 504 Gateway Timeout",
		},
		{
			name: "other 4xx", status: 418, body: `{"error":{"code":"teapot"}}`,
			wantCode: codes.FailedPrecondition, wantReason: "teapot",
			wantMsg: "nango answered HTTP 418 I'm a teapot (teapot)", wantRaw: `{"code":"teapot"}`,
		},
		{
			name: "other 5xx", status: 599, body: `{}`,
			wantCode: codes.Internal, wantReason: "http_599", wantMsg: "nango answered HTTP 599",
		},
		{
			name: "older string envelope", status: 400, body: `{"error":"Missing connection id","type":"missing_connection"}`,
			wantCode: codes.InvalidArgument, wantReason: "missing_connection", wantMsg: "Missing connection id",
			wantRaw: `"Missing connection id"`,
		},
		{
			name: "non-string code ignored", status: 404, body: `{"error":{"code":42,"message":"m"}}`,
			wantCode: codes.NotFound, wantReason: "http_404", wantMsg: "m", wantRaw: `{"code":42,"message":"m"}`,
		},
		{
			name: "upstream error over 8 KiB left out of metadata", status: 400,
			body:     `{"error":{"code":"invalid_body","errors":["` + strings.Repeat("e", 9000) + `"]}}`,
			wantCode: codes.InvalidArgument, wantReason: "invalid_body", wantMsg: "nango answered HTTP 400 Bad Request (invalid_body)",
		},
		{
			name: "secret key echoed by the upstream is scrubbed", status: 401,
			body:     `{"error":{"code":"unknown_account","message":"key ` + testKey + ` unknown"}}`,
			wantCode: codes.Unauthenticated, wantReason: "unknown_account", wantMsg: "key [redacted] unknown",
			wantRaw: `{"code":"unknown_account","message":"key [redacted] unknown"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, &recorder{status: tt.status, header: tt.header, body: []byte(tt.body)})
			// One answer, mapped: retries are proved in retry_test.go.
			c := newTestClient(t, srv.URL, noRetries)
			resp, err := c.Do(context.Background(), &Request{Path: "/connections"})
			if err == nil {
				t.Fatal("Do succeeded, want an error")
			}
			if resp == nil || resp.Status != tt.status {
				t.Errorf("response = %+v, want the %d response alongside the error", resp, tt.status)
			}
			st, _ := status.FromError(err)
			if st.Code() != tt.wantCode {
				t.Errorf("code = %v, want %v", st.Code(), tt.wantCode)
			}
			if st.Message() != tt.wantMsg {
				t.Errorf("message = %q, want %q", st.Message(), tt.wantMsg)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q contains the secret key", err)
			}
			ei, ok := ErrorInfoFrom(err)
			if !ok {
				t.Fatal("no ErrorInfo")
			}
			if ei.Reason != tt.wantReason || ei.Domain != Domain {
				t.Errorf("ErrorInfo reason/domain = %q/%q, want %q/%q", ei.Reason, ei.Domain, tt.wantReason, Domain)
			}
			if got := ei.Metadata[MetadataHTTPStatus]; got != fmt.Sprint(tt.status) {
				t.Errorf("http_status = %q, want %d", got, tt.status)
			}
			raw, hasRaw := ei.Metadata[MetadataUpstreamError]
			if raw != tt.wantRaw || hasRaw != (tt.wantRaw != "") {
				t.Errorf("upstream_error = %q (present %v), want %q", raw, hasRaw, tt.wantRaw)
			}
			if len(ei.Metadata) > 2 {
				t.Errorf("metadata = %v, want only http_status and upstream_error", ei.Metadata)
			}
			if n, ok := HTTPStatusFromError(err); !ok || n != tt.status {
				t.Errorf("HTTPStatusFromError = %d, %v; want %d", n, ok, tt.status)
			}
			d, ok := RetryDelayFromError(err)
			if ok != tt.hasRetry || d != tt.wantRetry {
				t.Errorf("RetryInfo = %v, %v; want %v, %v", d, ok, tt.wantRetry, tt.hasRetry)
			}
		})
	}
}

func TestRetryAfterHTTPDateOverTheWire(t *testing.T) {
	when := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	srv := startServer(t, &recorder{status: 429, header: http.Header{"Retry-After": {when}}, body: []byte(`{"error":{"code":"too_many_request"}}`)})
	c := newTestClient(t, srv.URL, noRetries)
	_, err := c.Do(context.Background(), &Request{Path: "/records"})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("code = %v, want ResourceExhausted", status.Code(err))
	}
	d, ok := RetryDelayFromError(err)
	// The date has one-second resolution and the clock moved on a little.
	if !ok || d < 28*time.Second || d > 30*time.Second {
		t.Errorf("RetryInfo = %v, %v; want about 30s", d, ok)
	}
}

func TestRetryDelayFromHeaders(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		status   int
		header   http.Header
		want     time.Duration
		wantInfo bool
	}{
		{"seconds", 429, http.Header{"Retry-After": {"12"}}, 12 * time.Second, true},
		{"zero seconds", 429, http.Header{"Retry-After": {"0"}}, 0, true},
		{"HTTP-date in the future", 429, http.Header{"Retry-After": {"Sun, 01 Mar 2026 12:01:30 GMT"}}, 90 * time.Second, true},
		{"HTTP-date in the past clamps to zero", 429, http.Header{"Retry-After": {"Sun, 01 Mar 2026 11:00:00 GMT"}}, 0, true},
		{"Retry-After wins over X-RateLimit-Reset", 429, http.Header{"Retry-After": {"2"}, "X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 40)}}, 2 * time.Second, true},
		{"X-RateLimit-Reset when Retry-After is absent", 429, http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 40)}}, 40 * time.Second, true},
		{"X-RateLimit-Reset not used on 503", 503, http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Unix() + 40)}}, 0, false},
		{"negative seconds ignored", 429, http.Header{"Retry-After": {"-1"}}, 0, false},
		{"garbage ignored", 429, http.Header{"Retry-After": {"soon"}}, 0, false},
		{"no hint on 429", 429, nil, 0, false},
		{"huge seconds saturate", 429, http.Header{"Retry-After": {"99999999999999999"}}, time.Duration(1<<63 - 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := statusFromHTTP(tt.status, "", "", tt.header, nil, now)
			d, ok := RetryDelayFromError(err)
			if ok != tt.wantInfo || d != tt.want {
				t.Errorf("RetryInfo = %v, %v; want %v, %v", d, ok, tt.want, tt.wantInfo)
			}
		})
	}
}

func TestStatusFromHTTP(t *testing.T) {
	if err := StatusFromHTTP(204, "", "", nil, nil); err != nil {
		t.Errorf("StatusFromHTTP(204) = %v, want nil", err)
	}
	err := StatusFromHTTP(401, "invalid_signature", "bad webhook signature", nil, []byte(`{ "code" : "invalid_signature" }`))
	if status.Code(err) != codes.Unauthenticated || status.Convert(err).Message() != "bad webhook signature" {
		t.Errorf("StatusFromHTTP(401) = %v", err)
	}
	ei, ok := ErrorInfoFrom(err)
	if !ok || ei.Reason != "invalid_signature" || ei.Metadata[MetadataUpstreamError] != `{"code":"invalid_signature"}` {
		t.Errorf("ErrorInfo = %v", ei)
	}
	if bad := StatusFromHTTP(400, "c", "", nil, []byte(`{not json`)); func() bool {
		ei, _ := ErrorInfoFrom(bad)
		_, has := ei.Metadata[MetadataUpstreamError]
		return has
	}() {
		t.Error("invalid raw error JSON was put in metadata")
	}
	long := StatusFromHTTP(400, "", strings.Repeat("é", 2000), nil, nil)
	if msg := status.Convert(long).Message(); len(msg) > maxMessageBytes+len("…") || !strings.HasSuffix(msg, "…") {
		t.Errorf("long message kept %d bytes, want at most %d and an ellipsis", len(msg), maxMessageBytes)
	}
}

func TestCodeFromHTTP(t *testing.T) {
	tests := map[int]codes.Code{
		200: codes.OK, 204: codes.OK, 302: codes.Unknown,
		400: codes.InvalidArgument, 401: codes.Unauthenticated, 403: codes.PermissionDenied,
		404: codes.NotFound, 409: codes.AlreadyExists, 412: codes.FailedPrecondition,
		413: codes.InvalidArgument, 415: codes.InvalidArgument, 422: codes.InvalidArgument,
		424: codes.FailedPrecondition, 429: codes.ResourceExhausted, 405: codes.FailedPrecondition,
		500: codes.Internal, 501: codes.Unimplemented, 502: codes.Unavailable, 503: codes.Unavailable,
		504: codes.DeadlineExceeded, 507: codes.Internal,
	}
	for st, want := range tests {
		if got := CodeFromHTTP(st); got != want {
			t.Errorf("CodeFromHTTP(%d) = %v, want %v", st, got, want)
		}
	}
}

func TestErrorInfoHelpersSeeThroughWrapping(t *testing.T) {
	err := fmt.Errorf("list connections: %w", StatusFromHTTP(404, "unknown_connection", "gone", nil, nil))
	if n, ok := HTTPStatusFromError(err); !ok || n != 404 {
		t.Errorf("HTTPStatusFromError(wrapped) = %d, %v; want 404, true", n, ok)
	}
	if ei, ok := ErrorInfoFrom(err); !ok || ei.Reason != "unknown_connection" {
		t.Errorf("ErrorInfoFrom(wrapped) = %v, %v", ei, ok)
	}
	for _, other := range []error{nil, errors.New("plain"), status.Error(codes.NotFound, "no details")} {
		if _, ok := HTTPStatusFromError(other); ok {
			t.Errorf("HTTPStatusFromError(%v) reported a status", other)
		}
		if _, ok := ErrorInfoFrom(other); ok {
			t.Errorf("ErrorInfoFrom(%v) reported an ErrorInfo", other)
		}
		if _, ok := RetryDelayFromError(other); ok {
			t.Errorf("RetryDelayFromError(%v) reported a delay", other)
		}
	}
}

func TestErrorFromResponse(t *testing.T) {
	if err := ErrorFromResponse(&Response{Status: 200, Body: []byte(`{"error":{"code":"x"}}`)}); err != nil {
		t.Errorf("ErrorFromResponse(200) = %v, want nil", err)
	}
	err := ErrorFromResponse(&Response{Status: 400, Body: []byte(`{"error":{"code":"server_error","message":"Missing connection"}}`)})
	ei, _ := ErrorInfoFrom(err)
	if status.Code(err) != codes.InvalidArgument || ei.GetReason() != "server_error" {
		t.Errorf("ErrorFromResponse(400) = %v, reason %q", err, ei.GetReason())
	}
}
