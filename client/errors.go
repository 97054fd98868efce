package client

import (
	"errors"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain is the ErrorInfo domain of the gateway's errors.
const Domain = "nango.dev"

// Error is a gateway error with Nango's details: the code Nango gave (ErrorInfo.reason, e.g.
// "not_found", "unknown_connection"), the HTTP status Nango answered with and, for rate
// limits, how long to wait before trying again.
type Error struct {
	Code    codes.Code
	Message string
	// Reason is Nango's error code, or the gateway's own (e.g. "subscriber_too_slow"); "" when
	// the status carried no ErrorInfo.
	Reason string
	// HTTPStatus is the status Nango answered with; 0 when Nango was not reached.
	HTTPStatus int
	// Metadata is the ErrorInfo metadata as sent (http_status, upstream_error…).
	Metadata map[string]string
	// RetryDelay is RetryInfo's delay; HasRetryDelay says whether there was one.
	RetryDelay    time.Duration
	HasRetryDelay bool
}

func (e *Error) Error() string {
	s := e.Code.String() + ": " + e.Message
	if e.Reason != "" {
		s += " (" + e.Reason
		if e.HTTPStatus != 0 {
			s += ", HTTP " + strconv.Itoa(e.HTTPStatus)
		}
		s += ")"
	}
	return s
}

// AsError reads err's gRPC status and details. It returns nil for nil and false for errors
// that carry no gRPC status.
func AsError(err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	e = &Error{Code: st.Code(), Message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
			e.HTTPStatus, _ = strconv.Atoi(d.GetMetadata()["http_status"])
		case *errdetails.RetryInfo:
			e.RetryDelay, e.HasRetryDelay = d.GetRetryDelay().AsDuration(), true
		}
	}
	return e, true
}
