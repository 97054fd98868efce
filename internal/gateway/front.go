package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
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
		writeTooLarge(w, fmt.Sprintf("the request body exceeds the limit of %d bytes", f.maxBodyBytes))
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
	if streamRoutes[r.URL.Path] {
		w = &ndjsonWriter{ResponseWriter: w, request: r}
	}
	f.mux.ServeHTTP(w, withRequest(r))
}

// streamRoutes are the server streams; they answer newline-delimited JSON.
var streamRoutes = map[string]bool{"/v1/records/stream": true, "/v1/webhooks/events": true}

// ndjsonWriter labels a successful stream application/x-ndjson (grpc-gateway says
// application/json). A stream refused before its first message (bad input, unknown
// connection…) is answered like any other call, in Nango's envelope with Nango's status;
// grpc-gateway would write a gRPC status object instead.
type ndjsonWriter struct {
	http.ResponseWriter
	request     *http.Request
	wroteHeader bool
	refused     bool // the stream failed before its first message
	answered    bool // the refusal has been written
}

func (w *ndjsonWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if code != http.StatusOK {
		w.refused = true // answered by Write, which sees the error
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.ResponseWriter.WriteHeader(code)
}

func (w *ndjsonWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.refused {
		if !w.answered {
			w.answered = true
			writeError(w.ResponseWriter, w.request, "", streamErrorFromChunk(b))
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// streamErrorFromChunk reads grpc-gateway's {"error": <google.rpc.Status>} back into the
// error it came from.
func streamErrorFromChunk(b []byte) error {
	var chunk struct {
		Error json.RawMessage `json:"error"`
	}
	var sp spb.Status
	if json.Unmarshal(b, &chunk) != nil || protojson.Unmarshal(chunk.Error, &sp) != nil {
		return status.Error(codes.Internal, "the stream failed before its first message")
	}
	return status.FromProto(&sp).Err()
}

// Flush keeps each message going out as it is sent.
func (w *ndjsonWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.refused {
		f.Flush()
	}
}

func (w *ndjsonWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

const asyncTriggerPath = "/v1/action/trigger-async"

func hasAnyPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
