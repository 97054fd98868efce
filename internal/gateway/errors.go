package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
)

// envelope is Nango's error body: {"error": {"code", "message", "errors"?}}.
type envelope struct {
	Error envelopeError `json:"error"`
}

type envelopeError struct {
	Code    string       `json:"code"`
	Message string       `json:"message,omitempty"`
	Errors  []fieldIssue `json:"errors,omitempty"`
}

type fieldIssue struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Path    []string `json:"path"`
}

// writeError answers err in Nango's envelope. An error that came from Nango is given back
// as Nango sent it (status and error object); the gateway's own errors get Nango's codes.
func writeError(w http.ResponseWriter, r *http.Request, pathPattern string, err error) {
	st := status.Convert(err)
	if httpStatus, ok := nangohttp.HTTPStatusFromError(err); ok {
		info, _ := nangohttp.ErrorInfoFrom(err)
		setRetryAfter(w, st)
		if raw := info.GetMetadata()["upstream_error"]; raw != "" && json.Valid([]byte(raw)) {
			writeJSON(w, httpStatus, map[string]json.RawMessage{"error": json.RawMessage(raw)})
			return
		}
		writeJSON(w, httpStatus, envelope{Error: envelopeError{Code: info.GetReason(), Message: st.Message()}})
		return
	}
	httpStatus, body := gatewayError(r, pathPattern, st)
	if httpStatus == http.StatusTooManyRequests || httpStatus == http.StatusServiceUnavailable {
		setRetryAfter(w, st)
	}
	writeJSON(w, httpStatus, body)
}

// gatewayError maps an error the gateway raised itself (validation, limits, deadlines) to
// Nango's status and code.
func gatewayError(r *http.Request, pathPattern string, st *status.Status) (int, envelope) {
	msg := st.Message()
	if isResponseTooLarge(st) {
		// Nango's answer, not the caller's request, is over the limit: what the relay says
		// of the same answer, not 413.
		return http.StatusBadGateway, envelope{Error: envelopeError{Code: "response_too_large", Message: msg}}
	}
	switch st.Code() {
	case codes.InvalidArgument:
		if isTooLarge(st) {
			return http.StatusRequestEntityTooLarge, envelope{Error: envelopeError{Code: "payload_too_large", Message: msg}}
		}
		issues := violations(st)
		return http.StatusBadRequest, envelope{Error: envelopeError{Code: invalidCode(r, pathPattern, msg, issues), Message: msg, Errors: issues}}
	case codes.ResourceExhausted:
		if isTooLarge(st) {
			return http.StatusRequestEntityTooLarge, envelope{Error: envelopeError{Code: "payload_too_large", Message: msg}}
		}
		return http.StatusTooManyRequests, envelope{Error: envelopeError{Code: "too_many_request", Message: msg}}
	case codes.NotFound:
		return http.StatusNotFound, envelope{Error: envelopeError{Code: "not_found", Message: msg}}
	case codes.Unimplemented:
		return http.StatusNotImplemented, envelope{Error: envelopeError{Code: "not_implemented", Message: msg}}
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout, envelope{Error: envelopeError{Code: "timeout", Message: msg}}
	case codes.Canceled:
		return 499, envelope{Error: envelopeError{Code: "canceled", Message: msg}}
	case codes.Unavailable:
		return http.StatusServiceUnavailable, envelope{Error: envelopeError{Code: "service_unavailable", Message: msg}}
	case codes.Unauthenticated:
		return http.StatusUnauthorized, envelope{Error: envelopeError{Code: "unauthenticated", Message: msg}}
	case codes.PermissionDenied:
		return http.StatusForbidden, envelope{Error: envelopeError{Code: "forbidden", Message: msg}}
	default:
		return runtime.HTTPStatusFromCode(st.Code()), envelope{Error: envelopeError{Code: "server_error", Message: msg}}
	}
}

// isTooLarge tells a size limit from a bad request or a rate limit: the gateway's own
// limits carry an ErrorInfo reason ending in "_too_large"; those of grpc-go (message
// size) and net/http (a body read through MaxBytesReader) only have their wording.
func isTooLarge(st *status.Status) bool {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && strings.HasSuffix(info.GetReason(), "_too_large") {
			return true
		}
	}
	msg := st.Message()
	return strings.Contains(msg, "request body too large") || strings.Contains(msg, "larger than max")
}

// isResponseTooLarge tells an answer from Nango over a size limit (the upstream client's,
// the proxy's, a records page's) from a request over one.
func isResponseTooLarge(st *status.Status) bool {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			switch info.GetReason() {
			case nangohttp.ReasonResponseTooLarge, service.ReasonProxyResponseTooLarge, service.ReasonRecordsPageTooLarge:
				return true
			}
		}
	}
	return false
}

// writeTooLarge answers a body over a limit of the HTTP face itself.
func writeTooLarge(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusRequestEntityTooLarge, envelope{Error: envelopeError{Code: "payload_too_large", Message: msg}})
}

// invalidCode follows Nango: path problems, query problems on reads, body problems on writes.
func invalidCode(r *http.Request, pathPattern, msg string, issues []fieldIssue) string {
	if strings.HasPrefix(msg, unknownQueryPrefix) {
		return "invalid_query_params"
	}
	if len(issues) > 0 && pathPattern != "" {
		inPath := true
		for _, is := range issues {
			if len(is.Path) == 0 || !strings.Contains(pathPattern, "{"+is.Path[0]+"}") {
				inPath = false
			}
		}
		if inPath {
			return "invalid_uri_params"
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodDelete, http.MethodHead:
		return "invalid_query_params"
	}
	return "invalid_body"
}

// violations lists protovalidate's field violations as Nango's errors[].
func violations(st *status.Status) []fieldIssue {
	var out []fieldIssue
	for _, d := range st.Details() {
		v, ok := d.(*validate.Violations)
		if !ok {
			continue
		}
		for _, viol := range v.GetViolations() {
			var path []string
			for _, el := range viol.GetField().GetElements() {
				path = append(path, el.GetFieldName())
			}
			out = append(out, fieldIssue{Code: viol.GetRuleId(), Message: viol.GetMessage(), Path: path})
		}
	}
	return out
}

// setRetryAfter turns RetryInfo into Retry-After, in whole seconds rounded up.
func setRetryAfter(w http.ResponseWriter, st *status.Status) {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			d := ri.GetRetryDelay().AsDuration()
			secs := int64(d.Seconds())
			if float64(secs) < d.Seconds() {
				secs++
			}
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			return
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"error":{"code":"server_error"}}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorHandler plugs writeError into grpc-gateway.
func errorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	pattern, _ := runtime.HTTPPathPattern(ctx)
	setOutgoingHeaders(ctx, w)
	writeError(w, r, pattern, err)
}

// routingErrorHandler answers unknown routes 404 and known routes with a wrong method 405
// (grpc-gateway's default says 501), in Nango's envelope.
func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	code := "not_found"
	msg := "unknown route " + r.Method + " " + r.URL.Path
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		code, msg = "method_not_allowed", "method "+r.Method+" is not allowed on "+r.URL.Path
	case http.StatusBadRequest:
		code, msg = "invalid_uri_params", "malformed request path "+r.URL.Path
	case http.StatusNotFound:
	default:
		code = "server_error"
	}
	writeJSON(w, httpStatus, envelope{Error: envelopeError{Code: code, Message: msg}})
}
