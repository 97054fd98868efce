package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// relay serves Nango's REST API at Nango's own paths by forwarding each request to Nango
// through the upstream client (its key instead of the caller's, retries, deadlines, the
// rate governor) and writing Nango's answer back unchanged: status, headers and body bytes.
// It never decodes a body, so nothing Nango sends — keys it adds, nulls, its own error
// objects, routes it adds — can be lost on the way.
type relay struct {
	upstream *nangohttp.Client
	// maxBodyBytes bounds request bodies; maxProxyBodyBytes those sent to /proxy/**.
	maxBodyBytes      int64
	maxProxyBodyBytes int64
}

func (rl *relay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := rl.maxBodyBytes
	if isProxyPath(r.URL.Path) {
		limit = rl.maxProxyBodyBytes
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	resp, err := rl.upstream.DoRaw(r.Context(), &nangohttp.Request{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Header:   forwardedHeaders(r.Header),
		Body:     body,
		HasBody:  body != nil,
		// A provider's answer through /proxy has its own limit, like its request.
		MaxResponseBytes: limit,
	})
	if err != nil {
		rl.writeFailure(w, r, err)
		return
	}
	h := w.Header()
	for name, values := range resp.Header {
		h[name] = values
	}
	nangohttp.RemoveHopByHop(h)
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.Body)
	}
}

// errBodyTooLarge marks a body over the limit.
var errBodyTooLarge = errors.New("request body too large")

// writeBodyError answers a request whose body could not be read whole: over the limit
// (413), not sent in time (408), or cut off by the caller (400). Nothing was sent.
func writeBodyError(w http.ResponseWriter, err error) {
	var netErr interface{ Timeout() bool }
	switch {
	case errors.Is(err, errBodyTooLarge):
		writeTooLarge(w, err.Error())
	case errors.As(err, &netErr) && netErr.Timeout():
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestTimeout, envelope{Error: envelopeError{Code: "request_timeout", Message: "the request body was not received in time"}})
	default:
		writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_body", Message: "the request body could not be read: " + err.Error()}})
	}
}

// readBody reads the whole request body within limit before anything is sent, so Nango
// never receives part of a request. A body of known length is read into a buffer of
// exactly that size: a request costs its size in memory, once. It returns nil when the
// request has no body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	tooLarge := fmt.Errorf("%w: the limit is %d bytes", errBodyTooLarge, limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // ReadFrom wants room to see EOF
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, err
	}
	if buf.Len() == 0 && r.ContentLength <= 0 {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// forwardedHeaders is what the caller sent minus what describes its own connection to the
// gateway. The upstream client replaces any credentials with the gateway's key.
func forwardedHeaders(in http.Header) http.Header {
	out := in.Clone()
	nangohttp.RemoveHopByHop(out)
	out.Del("Host")
	return out
}

// writeFailure answers a call that got no answer from Nango (unreachable, deadline, the
// rate governor's wait, an answer over the size limit) in Nango's error envelope.
func (rl *relay) writeFailure(w http.ResponseWriter, r *http.Request, err error) {
	if info, ok := nangohttp.ErrorInfoFrom(err); ok && info.GetReason() == nangohttp.ReasonResponseTooLarge {
		writeJSON(w, http.StatusBadGateway, envelope{Error: envelopeError{Code: "response_too_large", Message: status.Convert(err).Message()}})
		return
	}
	if status.Code(err) == codes.InvalidArgument {
		// The upstream client refused to build the request (a path it cannot send as is).
		writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_request", Message: status.Convert(err).Message()}})
		return
	}
	writeError(w, r, "", err)
}

func isProxyPath(path string) bool {
	return path == "/proxy" || strings.HasPrefix(path, "/proxy/")
}
