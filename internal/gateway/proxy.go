package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// proxyHandler serves /proxy/** as Nango does, through ProxyService: any method, the raw
// escaped path and query, raw bytes both ways and the provider's status. grpc-gateway would
// mangle %2F, query keys named like fields and non-ASCII headers, hence a plain handler.
type proxyHandler struct {
	client       gatewayv1.ProxyServiceClient
	maxBodyBytes int64
}

const proxyHeaderPrefix = "Nango-Proxy-"

var errBodyTooLarge = errors.New("request body too large")

func (p *proxyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := p.proxyRequest(w, r)
	if errors.Is(err, errBodyTooLarge) {
		writeTooLarge(w, fmt.Sprintf("the proxy request body exceeds the limit of %d bytes", p.maxBodyBytes))
		return
	}
	if err != nil {
		writeError(w, r, "", err)
		return
	}
	resp, err := p.client.Proxy(r.Context(), req)
	if err != nil {
		writeError(w, r, "", err)
		return
	}
	for name, value := range resp.GetHeaders() {
		w.Header().Set(name, value)
	}
	if resp.GetContentType() != "" {
		w.Header().Set("Content-Type", resp.GetContentType())
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.GetBody())))
	w.WriteHeader(int(resp.GetStatus()))
	_, _ = w.Write(resp.GetBody())
}

func (p *proxyHandler) proxyRequest(w http.ResponseWriter, r *http.Request) (*gatewayv1.ProxyRequest, error) {
	endpoint := strings.TrimPrefix(r.URL.EscapedPath(), "/proxy")
	if endpoint == "" {
		endpoint = "/"
	}
	if r.URL.RawQuery != "" {
		endpoint += "?" + r.URL.RawQuery
	}
	h := r.Header
	req := &gatewayv1.ProxyRequest{
		Method:            r.Method,
		Endpoint:          endpoint,
		ConnectionId:      h.Get("Connection-Id"),
		ProviderConfigKey: h.Get("Provider-Config-Key"),
		ContentType:       h.Get("Content-Type"),
		BaseUrlOverride:   h.Get("Base-Url-Override"),
		ActivityLogId:     h.Get("Nango-Activity-Log-Id"),
		Decompress:        strings.EqualFold(h.Get("Decompress"), "true"),
		Headers:           map[string]string{},
	}
	for name, values := range h {
		if len(name) > len(proxyHeaderPrefix) && strings.EqualFold(name[:len(proxyHeaderPrefix)], proxyHeaderPrefix) {
			req.Headers[name[len(proxyHeaderPrefix):]] = strings.Join(values, ", ")
		}
	}
	if v := h.Get("Retries"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "header Retries: %q is not a number", v)
		}
		req.Retries = uint32(n)
	}
	if v := h.Get("Retry-On"); v != "" {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(part), 10, 32)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "header Retry-On: %q is not a list of status codes", v)
			}
			req.RetryOn = append(req.RetryOn, uint32(n))
		}
	}
	if v := h.Get("Forward-Headers-On-Redirect"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "header Forward-Headers-On-Redirect: %q is not true or false", v)
		}
		req.ForwardHeadersOnRedirect = &b
	}
	// Bound what is read into memory; ProxyService applies its own limit to gRPC callers.
	if r.ContentLength > p.maxBodyBytes {
		return nil, errBodyTooLarge
	}
	if r.Body != nil {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, p.maxBodyBytes))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errBodyTooLarge
		}
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "reading the request body: %v", err)
		}
		req.Body = body
	}
	return req, nil
}
