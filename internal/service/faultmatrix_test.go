package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/nango-gateway/nango-gateway/internal/corpus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
)

// upstreamFault is one way Nango (or what stands in front of it) can misbehave, and the
// codes a call may end with when it does.
type upstreamFault struct {
	name   string
	answer func(w http.ResponseWriter, r *http.Request)
	codes  []codes.Code
	// rateLimited: Nango's limiter refused the call before doing anything, so even a
	// write that is not idempotent may be sent again.
	rateLimited bool
}

var upstreamFaults = []upstreamFault{
	{"429 storm", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"too_many_request","message":"slow down"}}`))
	}, []codes.Code{codes.ResourceExhausted}, true},
	{"503 burst", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"server_error"}}`))
	}, []codes.Code{codes.Unavailable}, false},
	{"HTML error page", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`))
	}, []codes.Code{codes.Unavailable}, false},
	{"reset after the request", func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}, []codes.Code{codes.Unavailable}, false},
	{"truncated JSON", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"data":[{"id":1,"na`))
	}, []codes.Code{codes.Internal, codes.OK}, false},
	{"not JSON", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(`OK`))
	}, []codes.Code{codes.Internal, codes.OK}, false},
	{"headers slower than the deadline", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}, []codes.Code{codes.DeadlineExceeded}, false},
}

// idempotentWrites are the writes the upstream client may send again after a failure.
var idempotentWrites = map[string]bool{
	"POST /sync/pause": true, "POST /sync/start": true, "POST /connections/metadata": true,
	"PATCH /connections/metadata": true, "PUT /sync/update-connection-frequency": true,
}

// TestFaultMatrixEveryRPCAnswersEachUpstreamFaultWithItsCode drives every RPC of the corpus
// against each upstream fault: the call ends with a code the fault maps to (never a panic
// turned Internal), and a write that is not idempotent reaches Nango once unless Nango's
// limiter refused it.
func TestFaultMatrixEveryRPCAnswersEachUpstreamFaultWithItsCode(t *testing.T) {
	var cases []corpus.Case
	seen := map[string]bool{}
	for _, c := range corpus.Load(t) {
		if !seen[c.RPC] && !corpusMethod(t, c.RPC).IsStreamingServer() {
			seen[c.RPC] = true
			cases = append(cases, c)
		}
	}
	for _, fault := range upstreamFaults {
		t.Run(fault.name, func(t *testing.T) {
			// Every RPC at once: most of a call under a fault is waiting.
			var wg sync.WaitGroup
			for _, c := range cases {
				wg.Go(func() { checkFault(t, c, fault) })
			}
			wg.Wait()
		})
	}
}

// checkFault calls c's RPC against an upstream answering with fault and reports, naming
// the RPC, what it did wrong.
func checkFault(t *testing.T, c corpus.Case, fault upstreamFault) {
	method := corpusMethod(t, c.RPC)
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		fault.answer(w, r)
	}))
	defer srv.Close()
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: corpus.SecretKey,
		Retry: nangohttp.RetryConfig{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Error(err)
		return
	}
	defer up.CloseIdleConnections()
	h := newHarnessWithDeps(t, nil, service.Deps{Upstream: up})
	in := dynamicMessage(t, method.Input())
	if err := protojson.Unmarshal(c.GRPCRequest, in); err != nil {
		t.Errorf("%s: %v", c.RPC, err)
		return
	}
	// WaitForConnection polls until its deadline through transient failures and then
	// reports the last one as DeadlineExceeded: waiting is what it is for.
	polls := method.Name() == "WaitForConnection"
	deadline := 2 * time.Second
	if polls || fault.name == "headers slower than the deadline" {
		deadline = 300 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	err = h.conn.Invoke(ctx, c.RPC, in, dynamicMessage(t, method.Output()))

	st := status.Convert(err)
	if st.Message() == "internal error" {
		t.Errorf("%s: the handler panicked: %v", c.RPC, err)
		return
	}
	allowed := polls && st.Code() == codes.DeadlineExceeded
	for _, code := range fault.codes {
		allowed = allowed || st.Code() == code
	}
	if !allowed {
		t.Errorf("%s: code %v (%s), want one of %v", c.RPC, st.Code(), st.Message(), fault.codes)
	}
	line := c.Request.Method + " " + c.Request.Path
	write := c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead
	n := sent.Load()
	if write && !idempotentWrites[line] && !fault.rateLimited && n > 1 {
		t.Errorf("%s: %s, not idempotent, reached Nango %d times", c.RPC, line, n)
	}
	if n > 3 && !polls {
		t.Errorf("%s: Nango received %d requests for 3 attempts", c.RPC, n)
	}
}
