package gateway

import (
	"net/http"
	"strings"
)

// jsonOnlyPrefixes are the routes on which Nango refuses a non-JSON Content-Type (415).
var jsonOnlyPrefixes = []string{
	"/providers", "/integrations", "/connection", "/connections", "/records", "/sync", "/action", "/connect",
	"/scripts", "/environment-variables",
}

// front prepares a request for the grpc-gateway mux, doing what annotations cannot.
type front struct {
	mux          http.Handler
	proxy        http.Handler
	maxBodyBytes int64
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/proxy" || strings.HasPrefix(r.URL.Path, "/proxy/") {
		f.proxy.ServeHTTP(w, r)
		return
	}
	if r.ContentLength > f.maxBodyBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, envelope{Error: envelopeError{Code: "payload_too_large", Message: "request body exceeds the limit"}})
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, f.maxBodyBytes)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") && hasAnyPrefix(r.URL.Path, jsonOnlyPrefixes) {
		writeJSON(w, http.StatusUnsupportedMediaType, envelope{Error: envelopeError{Code: "invalid_content_type", Message: "Content-Type must be application/json, not " + ct}})
		return
	}
	// The SDK calls GET /records/?…; no annotation can match a trailing slash.
	if len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
		r.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
		r.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
	}
	// Nango runs an action asynchronously when the trigger carries X-Async: true.
	if r.Method == http.MethodPost && r.URL.Path == "/action/trigger" && strings.EqualFold(r.Header.Get("X-Async"), "true") {
		r.URL.Path, r.URL.RawPath = asyncTriggerPath, ""
	}
	f.mux.ServeHTTP(w, withRequest(r))
}

const asyncTriggerPath = "/v1/action/trigger-async"

func hasAnyPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
