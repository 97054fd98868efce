package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// DefaultMaxProxyBodyBytes bounds proxied request and response bodies when
// Deps.MaxProxyBodyBytes is zero.
const DefaultMaxProxyBodyBytes = 32 << 20

// ErrorInfo reasons of the proxy's own size limits.
const (
	ReasonProxyRequestTooLarge  = "proxy_request_too_large"
	ReasonProxyResponseTooLarge = "proxy_response_too_large"
)

// proxyService implements gatewayv1.ProxyServiceServer.
type proxyService struct {
	gatewayv1.UnimplementedProxyServiceServer
	deps Deps
}

// NewProxyService returns the ProxyService.
func NewProxyService(d Deps) *proxyService { return &proxyService{deps: d} }

// Proxy sends the request to /proxy/<endpoint> the way the SDK's proxy() does
// and hands back the provider's answer whatever its status.
func (s *proxyService) Proxy(ctx context.Context, req *gatewayv1.ProxyRequest) (*gatewayv1.ProxyResponse, error) {
	limit := s.deps.MaxProxyBodyBytes
	if limit <= 0 {
		limit = DefaultMaxProxyBodyBytes
	}
	if n := len(req.GetBody()); n > limit {
		return nil, proxyLimitError(codes.InvalidArgument, ReasonProxyRequestTooLarge, limit,
			fmt.Sprintf("proxy request body of %d bytes exceeds the limit of %d bytes", n, limit))
	}
	path, rawQuery, err := proxyURL(req.GetEndpoint(), req.GetParams())
	if err != nil {
		return nil, err
	}
	header, err := proxyHeaders(req)
	if err != nil {
		return nil, err
	}
	method := req.GetMethod()
	if method == "" {
		method = http.MethodGet
	}
	resp, err := s.deps.Upstream.DoRaw(ctx, &nangohttp.Request{
		Method:   method,
		Path:     path,
		RawQuery: rawQuery,
		Header:   header,
		Body:     req.GetBody(),
		HasBody:  method != http.MethodGet || len(req.GetBody()) > 0,
		// Read no further than the proxy's own limit: an answer over it is refused anyway.
		MaxResponseBytes: int64(limit),
	})
	if err != nil {
		if ei, ok := nangohttp.ErrorInfoFrom(err); ok && ei.GetReason() == nangohttp.ReasonResponseTooLarge {
			return nil, proxyLimitError(codes.ResourceExhausted, ReasonProxyResponseTooLarge, limit,
				fmt.Sprintf("the proxied response body exceeds the limit of %d bytes", limit))
		}
		return nil, err
	}
	// Every other answer, Nango's own errors included, is what the SDK hands
	// back; only Nango's rate limiter speaks to the gateway rather than for
	// the provider, and the caller should back off.
	if resp.Status == http.StatusTooManyRequests && proxyNangoErrorCode(resp.Body) == "too_many_request" {
		return nil, nangohttp.ErrorFromResponse(resp)
	}
	if n := len(resp.Body); n > limit {
		return nil, proxyLimitError(codes.ResourceExhausted, ReasonProxyResponseTooLarge, limit,
			fmt.Sprintf("the proxied response body of %d bytes exceeds the limit of %d bytes", n, limit))
	}
	return &gatewayv1.ProxyResponse{
		Status:      int32(resp.Status),
		Headers:     proxyResponseHeaders(resp.Header),
		ContentType: resp.Header.Get("Content-Type"),
		Body:        resp.Body,
	}, nil
}

// proxyURL is "/proxy" + "/" when endpoint lacks it + endpoint's path, and
// endpoint's own query followed by params. Characters Node's URL parser would
// percent-encode are encoded the same way; existing escapes are kept.
func proxyURL(endpoint string, params []*gatewayv1.QueryParam) (path, rawQuery string, err error) {
	if strings.Contains(endpoint, "#") {
		// The SDK would silently cut the endpoint there (a fragment).
		return "", "", invalidArgField("endpoint", "must not contain '#'")
	}
	p, query, _ := strings.Cut(endpoint, "?")
	path = "/proxy"
	if !strings.HasPrefix(p, "/") {
		path += "/"
	}
	path += percentEncode(p, "\"<>`{}")
	if _, err := url.PathUnescape(path); err != nil {
		return "", "", invalidArgField("endpoint", "has a malformed %%-escape")
	}
	var b strings.Builder
	b.WriteString(percentEncode(query, "\"<>'"))
	for _, kv := range params {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(urlSearchParamsEscape(kv.GetName()))
		b.WriteByte('=')
		b.WriteString(urlSearchParamsEscape(kv.GetValue()))
	}
	return path, b.String(), nil
}

// proxyHeaders are the SDK's proxy headers. Base-Url-Override and
// Nango-Activity-Log-Id are always sent, empty when unset, as the SDK does.
func proxyHeaders(req *gatewayv1.ProxyRequest) (http.Header, error) {
	h := http.Header{}
	h.Set("Connection-Id", req.GetConnectionId())
	h.Set("Provider-Config-Key", req.GetProviderConfigKey())
	h["Base-Url-Override"] = []string{req.GetBaseUrlOverride()}
	h["Nango-Activity-Log-Id"] = []string{req.GetActivityLogId()}

	contentType := req.GetContentType()
	names := make([]string, 0, len(req.GetHeaders()))
	for name := range req.GetHeaders() {
		names = append(names, name)
	}
	slices.Sort(names) // deterministic order for names that differ only in case
	for _, name := range names {
		value := req.GetHeaders()[name]
		field := "headers[" + strconv.Quote(name) + "]"
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, invalidArgField(field, "is not a valid header name")
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			return nil, invalidArgField(field, "has characters not allowed in a header value")
		}
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization":
			// Nango authenticates to the provider with the connection's
			// credentials; a caller's credentials never travel upstream.
			continue
		case "Content-Type":
			// As in the SDK: a Content-Type header for the provider is also the request's
			// own Content-Type, unless content_type says otherwise.
			if contentType == "" {
				contentType = value
			}
		}
		h.Add("Nango-Proxy-"+name, value)
	}
	if contentType != "" {
		if !httpguts.ValidHeaderFieldValue(contentType) {
			return nil, invalidArgField("content_type", "has characters not allowed in a header value")
		}
		h.Set("Content-Type", contentType)
	}
	if n := req.GetRetries(); n > 0 {
		h.Set("Retries", strconv.FormatUint(uint64(n), 10))
	}
	if req.GetDecompress() {
		h.Set("Decompress", "true")
	}
	if statuses := req.GetRetryOn(); len(statuses) > 0 {
		parts := make([]string, len(statuses))
		for i, c := range statuses {
			parts[i] = strconv.FormatUint(uint64(c), 10)
		}
		h.Set("Retry-On", strings.Join(parts, ","))
	}
	if req.ForwardHeadersOnRedirect != nil {
		h.Set("Forward-Headers-On-Redirect", strconv.FormatBool(req.GetForwardHeadersOnRedirect()))
	}
	return h, nil
}

// proxyResponseHeaders flattens the relayed headers, without hop-by-hop ones
// (the fixed list and any named in Connection).
func proxyResponseHeaders(h http.Header) map[string]string {
	h = h.Clone()
	nangohttp.RemoveHopByHop(h)
	out := make(map[string]string, len(h))
	for name, values := range h {
		if len(values) == 0 {
			continue
		}
		out[name] = strings.Join(values, ", ")
	}
	return out
}

// proxyNangoErrorCode is the code of Nango's error envelope
// {"error":{"code":…}}, or "" when body is not that envelope.
func proxyNangoErrorCode(body []byte) string {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.Error) == 0 || env.Error[0] != '{' {
		return ""
	}
	var e struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(env.Error, &e) != nil {
		return ""
	}
	return e.Code
}

// proxyLimitError reports a body over the proxy's size limit.
func proxyLimitError(code codes.Code, reason string, limit int, msg string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{
		Reason:   reason,
		Domain:   nangohttp.Domain,
		Metadata: map[string]string{"limit_bytes": strconv.Itoa(limit)},
	}); err == nil {
		st = d
	}
	return st.Err()
}
