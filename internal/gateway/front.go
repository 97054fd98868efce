package gateway

import (
	"encoding/json"
	"net/http"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// front prepares a request for the grpc-gateway mux: the body limit, and NDJSON answers
// for the streams.
type front struct {
	mux          http.Handler
	maxBodyBytes int64
	records      *recordStream
	watch        *recordWatch
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !admitV1(w, r, f.maxBodyBytes) {
		return
	}
	if r.URL.Path == recordStreamPath && r.Method == http.MethodGet && f.records != nil {
		f.records.ServeHTTP(w, r) // the fast path: records written as Nango sent them
		return
	}
	if r.URL.Path == recordWatchPath && r.Method == http.MethodGet && f.watch != nil {
		f.watch.ServeHTTP(w, r) // records as Nango sent them, not base64
		return
	}
	if streamRoutes[r.URL.Path] {
		w = &ndjsonWriter{ResponseWriter: w, request: r}
	}
	f.mux.ServeHTTP(w, r)
}

// streamRoutes are the server streams; they answer newline-delimited JSON.
var streamRoutes = map[string]bool{"/v1/records/stream": true, "/v1/records/watch": true, "/v1/webhooks/events": true}

// ndjsonWriter labels a successful stream application/x-ndjson (grpc-gateway says
// application/json). A stream refused before its first message (bad input, unknown
// connection…) is answered like any other call, in Nango's envelope with Nango's status;
// grpc-gateway would write a gRPC status object instead.
type ndjsonWriter struct {
	http.ResponseWriter
	request     *http.Request
	wroteHeader bool
	refused     bool // the stream failed before its first message
	code        int  // the refusal's status
	answered    bool // the refusal has been written
}

func (w *ndjsonWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if code != http.StatusOK {
		w.refused, w.code = true, code // answered by Write, which sees the error
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
			if err := streamErrorFromChunk(b); err != nil {
				writeError(w.ResponseWriter, w.request, "", err)
			} else {
				// Already in Nango's envelope: a refusal before the call (a malformed
				// query) goes through the error handler, not the stream.
				w.ResponseWriter.WriteHeader(w.code)
				return w.ResponseWriter.Write(b)
			}
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// streamErrorFromChunk reads grpc-gateway's {"error": <google.rpc.Status>} back into the
// error it came from; it is nil for anything else.
func streamErrorFromChunk(b []byte) error {
	var chunk struct {
		Error json.RawMessage `json:"error"`
	}
	var sp spb.Status
	if json.Unmarshal(b, &chunk) != nil || protojson.Unmarshal(chunk.Error, &sp) != nil || sp.GetCode() == 0 {
		return nil
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
