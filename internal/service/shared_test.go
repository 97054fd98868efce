package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// Checks every service test shares: one home for each rule a test proves.

// seededClient is a gateway in front of a simulator loaded with the seed data, and a
// client of one of its services (newClient is a generated constructor such as
// gatewayv1.NewRecordsServiceClient).
func seededClient[C any](t *testing.T, newClient func(grpc.ClientConnInterface) C) (*harness, C) {
	t.Helper()
	h := newHarness(t, simulator.Options{Seed: true})
	return h, newClient(h.conn)
}

// rpcCtx is a context for one RPC with a deadline, so a stuck call fails the test instead
// of hanging it.
func rpcCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// equalJSON reports whether got and want hold the same JSON value (object key order
// ignored); the error says which side is not JSON.
func equalJSON(got []byte, want string) (bool, error) {
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		return false, fmt.Errorf("%q is not JSON: %w", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return false, fmt.Errorf("bad expectation %q: %w", want, err)
	}
	return reflect.DeepEqual(g, w), nil
}

// wantJSON fails unless got is JSON equal to want (object key order ignored).
func wantJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	equal, err := equalJSON(got, want)
	if err != nil {
		t.Fatal(err)
	}
	if !equal {
		t.Fatalf("JSON mismatch\n got: %s\nwant: %s", got, want)
	}
}

// wantCode fails unless err is a status with code and, when reason is set, an ErrorInfo
// with that reason; it returns the status.
func wantCode(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code {
		t.Fatalf("error = %v (code %v), want code %v", err, status.Code(err), code)
	}
	if reason != "" {
		ei, ok := nangohttp.ErrorInfoFrom(err)
		if !ok || ei.GetReason() != reason {
			t.Fatalf("ErrorInfo = %v, want reason %q (error %v)", ei, reason, err)
		}
	}
	return st
}

// wantUpstreamError checks the gRPC status of an upstream failure: code, Nango's error code
// as ErrorInfo reason, and the HTTP status in its metadata.
func wantUpstreamError(t *testing.T, err error, code codes.Code, reason string, httpStatus int) {
	t.Helper()
	wantCode(t, err, code, reason)
	ei, _ := nangohttp.ErrorInfoFrom(err)
	if got := ei.GetMetadata()[nangohttp.MetadataHTTPStatus]; got != strconv.Itoa(httpStatus) {
		t.Errorf("ErrorInfo metadata %s = %q, want %d", nangohttp.MetadataHTTPStatus, got, httpStatus)
	}
	if got, _ := nangohttp.HTTPStatusFromError(err); got != httpStatus {
		t.Errorf("HTTPStatusFromError = %d, want %d", got, httpStatus)
	}
}

// wantInvalid checks a request the gateway refuses before calling Nango: InvalidArgument,
// a message naming field, and no request received by the simulator.
func wantInvalid(t *testing.T, h *harness, err error, field string) {
	t.Helper()
	st := wantCode(t, err, codes.InvalidArgument, "")
	if !strings.Contains(st.Message(), field) {
		t.Errorf("message %q does not name %s", st.Message(), field)
	}
	if reqs := h.sim.Requests(); len(reqs) != 0 {
		t.Errorf("the simulator received %d request(s), first %s %s; want none", len(reqs), reqs[0].Method, reqs[0].Path)
	}
}

// invalidCase is one request the gateway must refuse: a name for its subtest, the field
// the refusal must name, and the call.
type invalidCase struct {
	name  string
	field string
	call  func(ctx context.Context) error
}

// wantInvalidCases runs wantInvalid for each case, in a subtest named after it, with the
// simulator's record of requests emptied first.
func wantInvalidCases(t *testing.T, h *harness, cases []invalidCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.sim.ResetRequests()
			wantInvalid(t, h, tc.call(rpcCtx(t)), tc.field)
		})
	}
}

// invalidCallOf is one request a service must refuse, made with a client C of it: a name
// for its subtest, the field the refusal must name, and the call.
type invalidCallOf[C any] struct {
	name  string
	field string
	call  func(ctx context.Context, c C) error
}

// wantInvalidCallsOf runs wantInvalid for each case, in a subtest named after it, on a
// seeded gateway of its own.
func wantInvalidCallsOf[C any](t *testing.T, newClient func(grpc.ClientConnInterface) C, cases []invalidCallOf[C]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, c := seededClient(t, newClient)
			wantInvalid(t, h, tc.call(rpcCtx(t), c), tc.field)
		})
	}
}

// wantViolation is wantInvalid for a request the validation interceptor refuses: the
// status also carries a protovalidate violation on field (a dotted path of field names).
func wantViolation(t *testing.T, h *harness, err error, field string) {
	t.Helper()
	wantInvalid(t, h, err, field)
	var fields []string
	for _, d := range status.Convert(err).Details() {
		v, ok := d.(*validate.Violations)
		if !ok {
			continue
		}
		for _, viol := range v.GetViolations() {
			var names []string
			for _, el := range viol.GetField().GetElements() {
				names = append(names, el.GetFieldName())
			}
			fields = append(fields, strings.Join(names, "."))
		}
	}
	if !slices.Contains(fields, field) {
		t.Errorf("violations on %q, want one on %q (%v)", fields, field, err)
	}
}

// upstreamErrorStatuses are the Nango failures every RPC must map: the status, the error
// code Nango sends with it, and the gRPC code it becomes.
var upstreamErrorStatuses = []struct {
	status int
	code   string
	want   codes.Code
}{
	{http.StatusBadRequest, "invalid_body", codes.InvalidArgument},
	{http.StatusUnauthorized, "unknown_account", codes.Unauthenticated},
	{http.StatusForbidden, "forbidden", codes.PermissionDenied},
	{http.StatusNotFound, "unknown_connection", codes.NotFound},
	{http.StatusConflict, "conflict", codes.AlreadyExists},
	{http.StatusTooManyRequests, "too_many_request", codes.ResourceExhausted},
	{http.StatusInternalServerError, "server_error", codes.Internal},
}

// wantUpstreamErrors makes Nango fail call with each of upstreamErrorStatuses and checks
// that the caller gets the mapped code, Nango's error code, the HTTP status and, for a
// 429, the Retry-After delay; call must send its request as method to a path starting
// with pathPrefix (unescaped, as faults match it). The fault outlives any retry, and a
// deadline shorter than the Retry-After keeps a retrying client from waiting.
func wantUpstreamErrors(t *testing.T, h *harness, method, pathPrefix string, call func(ctx context.Context) error) {
	t.Helper()
	for _, e := range upstreamErrorStatuses {
		t.Run(strconv.Itoa(e.status), func(t *testing.T) {
			h.sim.ClearFaults()
			h.sim.ResetRequests()
			t.Cleanup(h.sim.ClearFaults)
			f := simulator.Fault{Method: method, PathPrefix: pathPrefix, Status: e.status, Code: e.code, Times: 100}
			if e.status == http.StatusTooManyRequests {
				f.Header = http.Header{"Retry-After": {"30"}}
			}
			h.sim.InjectFault(f)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := call(ctx)
			wantUpstreamError(t, err, e.want, e.code, e.status)
			if e.status == http.StatusTooManyRequests {
				if d, ok := nangohttp.RetryDelayFromError(err); !ok || d != 30*time.Second {
					t.Errorf("RetryInfo delay = %v, %v; want 30s", d, ok)
				}
			}
			last := h.lastRequest(t)
			if last.Method != method || !strings.HasPrefix(last.Path, pathPrefix) {
				t.Errorf("upstream request = %s %s, want %s %s…", last.Method, last.Path, method, pathPrefix)
			}
		})
	}
}

// upstreamCall is one RPC for wantUpstreamErrorsOf: a name for its subtest, the upstream
// method and path prefix it reaches, and the call.
type upstreamCall struct {
	name, method, path string
	call               func(ctx context.Context) error
}

// wantUpstreamErrorsOf runs wantUpstreamErrors for each call, in a subtest named after it.
func wantUpstreamErrorsOf(t *testing.T, h *harness, calls []upstreamCall) {
	t.Helper()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			wantUpstreamErrors(t, h, c.method, c.path, c.call)
		})
	}
}

// wantRoute checks the method, path (escaped) and raw query of a request the simulator
// received.
func wantRoute(t *testing.T, got simulator.RecordedRequest, method, path, rawQuery string) {
	t.Helper()
	if got.Method != method || got.Path != path || got.RawQuery != rawQuery {
		t.Fatalf("upstream request = %s %s?%s, want %s %s?%s", got.Method, got.Path, got.RawQuery, method, path, rawQuery)
	}
}

// wantGatewayKey checks that a request the simulator received carries the gateway's
// Nango key as its bearer token (the value is not printed: it is a secret).
func wantGatewayKey(t *testing.T, got simulator.RecordedRequest) {
	t.Helper()
	if got.Header.Get("Authorization") != "Bearer "+testAPIKey {
		t.Errorf("upstream Authorization header is not the gateway's bearer key")
	}
}

// simDo calls the simulator's REST API directly (not through the gateway), with the
// gateway's key, as a test fixture would; the simulator records these requests too.
func simDo(t *testing.T, sim *simulator.Simulator, method, target, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAPIKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// structValue is v as a protobuf Value (v as structpb.NewValue takes it).
func structValue(t *testing.T, v any) *structpb.Value {
	t.Helper()
	out, err := structpb.NewValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustStruct is v as a protobuf Struct.
func mustStruct(t *testing.T, v map[string]any) *structpb.Struct {
	t.Helper()
	out, err := structpb.NewStruct(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
