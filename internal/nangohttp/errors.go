package nangohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Domain is the google.rpc.ErrorInfo domain of every error this package
// returns.
const Domain = "nango.dev"

// ErrorInfo metadata keys.
const (
	// MetadataHTTPStatus is Nango's HTTP status in decimal. It is present
	// only when Nango (or something in front of it) answered with a status.
	MetadataHTTPStatus = "http_status"
	// MetadataUpstreamError is the compact JSON of the "error" value of
	// Nango's envelope, when the body was that envelope and the value is at
	// most MaxUpstreamErrorBytes long.
	MetadataUpstreamError = "upstream_error"
)

// MaxUpstreamErrorBytes bounds MetadataUpstreamError; details travel in gRPC
// trailers, which have size limits of their own.
const MaxUpstreamErrorBytes = 8 << 10

// ErrorInfo reasons for failures that are not an upstream status (an
// upstream status uses Nango's error code, or "http_<status>").
const (
	ReasonUnreachable       = "upstream_unreachable"        // network failure; codes.Unavailable
	ReasonDeadlineExceeded  = "deadline_exceeded"           // context deadline; codes.DeadlineExceeded
	ReasonCanceled          = "canceled"                    // context canceled; codes.Canceled
	ReasonMalformedResponse = "malformed_upstream_response" // 2xx body is not the expected JSON; codes.Internal
	ReasonResponseTooLarge  = "upstream_response_too_large" // body over MaxResponseBytes; codes.Internal
	ReasonInvalidRequest    = "invalid_upstream_request"    // Request cannot be sent as given; codes.InvalidArgument
	ReasonEncodingFailed    = "request_encoding_failed"     // JSON body cannot be encoded; codes.Internal
	// ReasonRateLimitWait: the rate governor holds calls until Nango's
	// window resets and that is after the call's deadline, so the call was
	// not sent; codes.ResourceExhausted with a RetryInfo of the wait.
	ReasonRateLimitWait = "rate_limit_wait_exceeds_deadline"
)

// maxMessageBytes bounds a status message taken from Nango: it travels in
// the grpc-message header.
const maxMessageBytes = 2 << 10

// CodeFromHTTP maps an HTTP status from Nango to a gRPC code.
//
// 413 maps to InvalidArgument, not ResourceExhausted: the request itself is
// too large, retrying it cannot succeed, and ResourceExhausted is reserved
// for the rate limit (429), which a client retries. 409 maps to
// AlreadyExists (Nango uses it for duplicates). 412 and 424 (an action's
// upstream call failed) are FailedPrecondition. Other 4xx are
// FailedPrecondition and other 5xx Internal; anything else that is not 2xx
// (1xx, 3xx) is Unknown.
func CodeFromHTTP(status int) codes.Code {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge,
		http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusConflict:
		return codes.AlreadyExists
	case http.StatusPreconditionFailed, http.StatusFailedDependency:
		return codes.FailedPrecondition
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusInternalServerError:
		return codes.Internal
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	switch {
	case status >= 200 && status <= 299:
		return codes.OK
	case status >= 400 && status <= 499:
		return codes.FailedPrecondition
	case status >= 500 && status <= 599:
		return codes.Internal
	}
	return codes.Unknown
}

// StatusFromHTTP builds the error this package returns for an upstream
// status, so other layers (webhooks, proxy) can build the same errors. code
// is Nango's error code ("" gives reason "http_<status>"), message Nango's
// message ("" gives a sentence with status and code), rawErr the raw JSON of
// the envelope's "error" value (nil if none). header supplies Retry-After
// (and X-RateLimit-Reset on 429) for a google.rpc.RetryInfo on 429 and 503.
// It returns nil for a 2xx status.
func StatusFromHTTP(status int, code, message string, header http.Header, rawErr []byte) error {
	return statusFromHTTP(status, code, message, header, rawErr, time.Now())
}

func statusFromHTTP(httpStatus int, code, message string, header http.Header, rawErr []byte, now time.Time) error {
	var delay time.Duration
	hasDelay := false
	if httpStatus == http.StatusTooManyRequests || httpStatus == http.StatusServiceUnavailable {
		delay, hasDelay = retryDelay(header, httpStatus == http.StatusTooManyRequests, now)
	}
	return buildHTTPStatus(httpStatus, code, message, rawErr, delay, hasDelay)
}

// buildHTTPStatus is statusFromHTTP with the RetryInfo delay given.
func buildHTTPStatus(httpStatus int, code, message string, rawErr []byte, delay time.Duration, hasDelay bool) error {
	if is2xx(httpStatus) {
		return nil
	}
	reason := code
	if reason == "" {
		reason = "http_" + strconv.Itoa(httpStatus)
	}
	md := map[string]string{MetadataHTTPStatus: strconv.Itoa(httpStatus)}
	if len(rawErr) > 0 {
		var buf bytes.Buffer
		if json.Compact(&buf, rawErr) == nil && buf.Len() <= MaxUpstreamErrorBytes {
			md[MetadataUpstreamError] = buf.String()
		}
	}
	if message == "" {
		message = "nango answered HTTP " + strconv.Itoa(httpStatus)
		if text := http.StatusText(httpStatus); text != "" {
			message += " " + text
		}
		if code != "" {
			message += " (" + code + ")"
		}
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{
		Reason:   reason,
		Domain:   Domain,
		Metadata: md,
	}}
	if hasDelay {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	}
	return withDetails(status.New(CodeFromHTTP(httpStatus), truncate(message, maxMessageBytes)), details...)
}

// retryDelay reads Retry-After (delay-seconds, 0 allowed, or an HTTP-date)
// and, when allowed and Retry-After is absent, Nango's X-RateLimit-Reset
// (Unix seconds when the window resets).
func retryDelay(h http.Header, useReset bool, now time.Time) (time.Duration, bool) {
	if d, ok := retryAfter(h, now); ok {
		return d, true
	}
	if useReset {
		return rateLimitReset(h, now)
	}
	return 0, false
}

// retryAfter reads Retry-After: delay-seconds (0 allowed) or an HTTP-date
// (one in the past gives 0). Anything else, a negative number included, is
// no hint.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return seconds(secs), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// rateLimitReset reads X-RateLimit-Reset as the time left until then (0 when
// it has passed).
func rateLimitReset(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("X-RateLimit-Reset"))
	if v == "" {
		return 0, false
	}
	reset, err := strconv.ParseInt(v, 10, 64)
	if err != nil || reset < 0 {
		return 0, false
	}
	return max(time.Unix(reset, 0).Sub(now), 0), true
}

func seconds(n int64) time.Duration {
	if n > math.MaxInt64/int64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(n) * time.Second
}

// ErrorFromResponse is the error Do returns for resp: nil for 2xx, otherwise
// StatusFromHTTP with Nango's envelope read from the body when present.
func ErrorFromResponse(resp *Response) error {
	code, msg, rawErr, _ := parseEnvelope(resp.Body)
	return StatusFromHTTP(resp.Status, code, msg, resp.Header, rawErr)
}

// upstreamError is ErrorFromResponse with the secret key scrubbed from
// anything Nango echoed back.
func (c *Client) upstreamError(resp *Response) error {
	code, msg, rawErr, _ := parseEnvelope(resp.Body)
	msg = strings.ReplaceAll(msg, c.secret, "[redacted]")
	rawErr = bytes.ReplaceAll(rawErr, []byte(c.secret), []byte("[redacted]"))
	return StatusFromHTTP(resp.Status, code, msg, resp.Header, rawErr)
}

// upstreamErrorAfter is upstreamError with RetryInfo set to delay: the wait
// the retry policy computed and would not do.
func (c *Client) upstreamErrorAfter(resp *Response, delay time.Duration) error {
	code, msg, rawErr, _ := parseEnvelope(resp.Body)
	msg = strings.ReplaceAll(msg, c.secret, "[redacted]")
	rawErr = bytes.ReplaceAll(rawErr, []byte(c.secret), []byte("[redacted]"))
	return buildHTTPStatus(resp.Status, code, msg, rawErr, delay, true)
}

// rateLimitWaitError is the governor's refusal of a call whose deadline comes
// before the window resets.
func rateLimitWaitError(wait time.Duration) error {
	return withDetails(status.New(codes.ResourceExhausted, fmt.Sprintf(
		"nango's rate limit window resets in %v, after this call's deadline; the call was not sent", wait.Round(time.Millisecond))),
		&errdetails.ErrorInfo{Reason: ReasonRateLimitWait, Domain: Domain},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)})
}

// parseEnvelope reads {"error":{"code":…,"message":…}} and the older
// {"error":"message","type":"code"}. Only string code and message count.
func parseEnvelope(body []byte) (code, message string, rawErr []byte, ok bool) {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) != nil {
		return "", "", nil, false
	}
	e := bytes.TrimSpace(env["error"])
	if len(e) == 0 {
		return "", "", nil, false
	}
	switch e[0] {
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(e, &obj) != nil {
			return "", "", nil, false
		}
		code, message = jsonString(obj["code"]), jsonString(obj["message"])
	case '"':
		message, code = jsonString(e), jsonString(env["type"])
	default:
		return "", "", nil, false
	}
	if len(code) > 256 || strings.ContainsFunc(code, func(r rune) bool { return r < ' ' }) {
		code = ""
	}
	return code, message, e, true
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// transportError maps an unmapped error from send.
func (c *Client) transportError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return newStatus(codes.Internal, ReasonResponseTooLarge, nil,
			"nango's response is larger than the %d-byte limit", c.maxBody)
	case ctx.Err() != nil:
		return contextError(ctx.Err())
	case errors.Is(err, context.DeadlineExceeded): // http.Client.Timeout
		return contextError(context.DeadlineExceeded)
	case errors.Is(err, context.Canceled):
		return contextError(context.Canceled)
	}
	// The *url.Error wrapper repeats the URL, query included; the cause is
	// what matters.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := strings.ReplaceAll(err.Error(), c.secret, "[redacted]")
	return newStatus(codes.Unavailable, ReasonUnreachable, nil, "cannot reach nango: %s", msg)
}

func contextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return newStatus(codes.DeadlineExceeded, ReasonDeadlineExceeded, nil, "deadline exceeded before nango answered")
	}
	return newStatus(codes.Canceled, ReasonCanceled, nil, "nango request canceled")
}

// newStatus builds a status error carrying an ErrorInfo of Domain.
func newStatus(code codes.Code, reason string, md map[string]string, format string, args ...any) error {
	return withDetails(status.New(code, fmt.Sprintf(format, args...)),
		&errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: md})
}

func withDetails(st *status.Status, details ...protoadapt.MessageV1) error {
	if d, err := st.WithDetails(details...); err == nil {
		st = d
	}
	return st.Err()
}

// ErrorInfoFrom returns the ErrorInfo of Domain carried by err, a status
// error from this package (possibly wrapped).
func ErrorInfoFrom(err error) (*errdetails.ErrorInfo, bool) {
	if err == nil {
		return nil, false
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetDomain() == Domain {
			return ei, true
		}
	}
	return nil, false
}

// HTTPStatusFromError returns the upstream HTTP status recorded in err's
// ErrorInfo; false when the error did not come from an upstream status
// (network failure, deadline, malformed body...).
func HTTPStatusFromError(err error) (int, bool) {
	ei, ok := ErrorInfoFrom(err)
	if !ok {
		return 0, false
	}
	n, convErr := strconv.Atoi(ei.GetMetadata()[MetadataHTTPStatus])
	if convErr != nil {
		return 0, false
	}
	return n, true
}

// RetryDelayFromError returns the google.rpc.RetryInfo delay carried by err.
func RetryDelayFromError(err error) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
