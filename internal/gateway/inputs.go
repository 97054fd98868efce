package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
)

// admitV1 checks what a /v1 request carries before grpc-gateway turns it into a
// message, so that a caller's mistake is a 400 naming it rather than a failure deeper
// down (a string protobuf cannot hold, a document nested past protobuf's limit, a header
// given twice of which one would be used silently). It reads the body whole, within
// limit, and leaves it in r for the mux. It answers and returns false when the request is
// refused.
func admitV1(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if path, err := url.PathUnescape(r.URL.EscapedPath()); err != nil || !utf8.ValidString(path) {
		writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_uri_params", Message: "the path is not valid UTF-8 once unescaped"}})
		return false
	}
	if query, err := url.QueryUnescape(r.URL.RawQuery); err != nil || !utf8.ValidString(query) {
		writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_query_params", Message: "the query is not valid, UTF-8 %-escaped text"}})
		return false
	}
	for name := range headerFields {
		if len(r.Header.Values(name)) > 1 {
			writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_headers", Message: "header " + http.CanonicalHeaderKey(name) + " is given more than once"}})
			return false
		}
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		writeBodyError(w, err)
		return false
	}
	if body == nil {
		return true
	}
	if isJSON(r.Header.Get("Content-Type")) {
		if err := jsonvalue.CheckDocument(body); err != nil {
			writeJSON(w, http.StatusBadRequest, envelope{Error: envelopeError{Code: "invalid_body", Message: "the body is " + err.Error()}})
			return false
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

// isJSON: grpc-gateway decodes every /v1 body as JSON whatever its label, so only a
// body labelled as something else explicitly is left for the mux to refuse.
func isJSON(contentType string) bool {
	return contentType == "" || strings.Contains(contentType, "json")
}
