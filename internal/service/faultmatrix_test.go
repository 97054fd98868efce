package service_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/nango-gateway/nango-gateway/internal/corpus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// upstreamFault is one way Nango (or what stands in front of it) can misbehave, and the
// codes a call may end with when it does.
type upstreamFault struct {
	name string
	// answer is how Nango answers every request; sim, when set instead, is a fault of the
	// simulator's that answers every request matching it (the simulator answers the rest).
	answer func(w http.ResponseWriter, r *http.Request)
	sim    *simulator.Fault
	codes  []codes.Code
	// rateLimited: Nango's limiter refused the call before doing anything, so even a
	// write that is not idempotent may be sent again.
	rateLimited bool
	// slow: the fault outlasts any deadline, so the call gets a short one.
	slow bool
	// answered: Nango's answer is an HTTP answer the proxy hands back as the provider's.
	answered bool
	// only, when set, names the RPCs the fault concerns; the others are not run.
	only map[string]bool
	// check, when set, looks further at how an RPC ended.
	check func(rpc string, st *status.Status) string
}

// Names of the RPCs outside the corpus that the matrix adds.
const (
	rpcListRecords   = "/nango.gateway.v1.RecordsService/ListRecords"
	rpcStreamRecords = "/nango.gateway.v1.RecordsService/StreamRecords"
	rpcPruneRecords  = "/nango.gateway.v1.RecordsService/PruneRecords"
	rpcProxy         = "/nango.gateway.v1.ProxyService/Proxy"
)

// matrixLimit is the upstream client's body limit in the matrix: small, so a body far
// beyond it costs little to send.
const matrixLimit = 256 << 10

// hugeBody is far more than the limit and than what loopback sockets buffer, so an answer
// read to its end would show in the bytes written.
const hugeBody = 64 << 20

// readsRecords are the RPCs that read /records pages.
var readsRecords = map[string]bool{rpcListRecords: true, rpcStreamRecords: true}

// tooLargeReason checks that an answer over the limit ends as a clear error: a records
// page or a proxied answer holds what the caller asked for (ResourceExhausted, naming
// what to change), any other answer is Nango's alone (Internal). Each says why.
func tooLargeReason(rpc string, st *status.Status) string {
	want, code := nangohttp.ReasonResponseTooLarge, codes.Internal
	switch {
	case readsRecords[rpc]:
		want, code = service.ReasonRecordsPageTooLarge, codes.ResourceExhausted
	case rpc == rpcProxy:
		want, code = service.ReasonProxyResponseTooLarge, codes.ResourceExhausted
	}
	got := reasonOf(st)
	if st.Code() != code || got != want {
		return fmt.Sprintf("ended %v reason %q, want %v reason %q", st.Code(), got, code, want)
	}
	return ""
}

// reasonOf is the reason of st's ErrorInfo, "" without one.
func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// cursorLoop checks that a stream following a next_cursor that leads nowhere ends with
// an error that says so; ListRecords answers the one page it asked for.
func cursorLoop(rpc string, st *status.Status) string {
	if rpc == rpcListRecords {
		if st.Code() != codes.OK {
			return fmt.Sprintf("one page ended %v: %s", st.Code(), st.Message())
		}
		return ""
	}
	if st.Code() != codes.Internal || reasonOf(st) != service.ReasonCursorLoop {
		return fmt.Sprintf("ended %v %q reason %q, want Internal %q", st.Code(), st.Message(), reasonOf(st), service.ReasonCursorLoop)
	}
	return ""
}

var upstreamFaults = []upstreamFault{
	{name: "429 storm", answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"too_many_request","message":"slow down"}}`))
	}, codes: []codes.Code{codes.ResourceExhausted}, rateLimited: true},
	{name: "503 burst", answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"server_error"}}`))
	}, codes: []codes.Code{codes.Unavailable}, answered: true},
	{name: "HTML error page", answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`))
	}, codes: []codes.Code{codes.Unavailable}, answered: true},
	{name: "reset after the request", answer: func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}, codes: []codes.Code{codes.Unavailable}},
	{name: "truncated JSON", answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"data":[{"id":1,"na`))
	}, codes: []codes.Code{codes.Internal, codes.OK}, answered: true},
	{name: "not JSON", answer: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(`OK`))
	}, codes: []codes.Code{codes.Internal, codes.OK}, answered: true},
	{name: "headers slower than the deadline", answer: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}, codes: []codes.Code{codes.DeadlineExceeded}, slow: true},
	// Headers at once, then a body that trickles and stalls: the deadline still ends the
	// call, and a write is not sent again when its answer never finished.
	{name: "body slower than the deadline", sim: &simulator.Fault{SlowBody: 20 * time.Millisecond},
		codes: []codes.Code{codes.DeadlineExceeded}, slow: true},
	{name: "error body slower than the deadline", sim: &simulator.Fault{SlowBody: 20 * time.Millisecond, Status: http.StatusBadGateway},
		codes: []codes.Code{codes.DeadlineExceeded}, slow: true},
	// An answer far beyond the body limit: read no further than the limit, and say so.
	{name: "answer far beyond the body limit", sim: &simulator.Fault{HugeBody: hugeBody},
		codes: []codes.Code{codes.Internal, codes.ResourceExhausted}, check: tooLargeReason},
	// next_cursor loops: A→B→A, and empty pages each pointing to a new cursor.
	{name: "records cursors A B A", sim: &simulator.Fault{Method: http.MethodGet, PathPrefix: "/records", RecordPages: func(n int) (int, string) {
		return 1, []string{"A", "B"}[n%2]
	}}, codes: []codes.Code{codes.Internal, codes.OK}, only: readsRecords, check: cursorLoop},
	{name: "records empty pages with ever-new cursors", sim: &simulator.Fault{Method: http.MethodGet, PathPrefix: "/records", RecordPages: func(n int) (int, string) {
		return 0, "empty-" + strconv.Itoa(n)
	}}, codes: []codes.Code{codes.Internal, codes.OK}, only: readsRecords, check: cursorLoop},
}

// matrixExtraCases are the RPCs the corpus does not hold (records, the proxy) with a
// request each and the upstream request it makes.
func matrixExtraCases() []corpus.Case {
	const records = `{"provider_config_key":"github","connection_id":"conn-1","model":"GithubIssue"}`
	return []corpus.Case{
		{RPC: rpcListRecords, GRPCRequest: []byte(records), Request: corpus.Request{Method: http.MethodGet, Path: "/records/"}},
		{RPC: rpcStreamRecords, GRPCRequest: []byte(records), Request: corpus.Request{Method: http.MethodGet, Path: "/records/"}},
		{RPC: rpcPruneRecords, GRPCRequest: []byte(`{"provider_config_key":"github","connection_id":"conn-1","model":"GithubIssue","until_cursor":"c1"}`),
			Request: corpus.Request{Method: http.MethodPatch, Path: "/records/prune"}},
		{RPC: rpcProxy, GRPCRequest: []byte(`{"endpoint":"/user/repos","provider_config_key":"github","connection_id":"conn-1"}`),
			Request: corpus.Request{Method: http.MethodGet, Path: "/proxy/user/repos"}},
		{RPC: rpcProxy, GRPCRequest: []byte(`{"method":"POST","endpoint":"/user/repos","provider_config_key":"github","connection_id":"conn-1","body":"e30="}`),
			Request: corpus.Request{Method: http.MethodPost, Path: "/proxy/user/repos"}},
	}
}

// idempotentWrites are the writes the upstream client may send again after a failure.
var idempotentWrites = map[string]bool{
	"POST /sync/pause": true, "POST /sync/start": true, "POST /connections/metadata": true,
	"PATCH /connections/metadata": true, "PUT /sync/update-connection-frequency": true,
}

// TestFaultMatrixEveryRPCAnswersEachUpstreamFaultWithItsCode drives every RPC of the
// corpus, and the records and proxy RPCs besides (StreamRecords read to its end), against
// each upstream fault: the call ends with a code the fault maps to (never a panic turned
// Internal), and a write that is not idempotent reaches Nango once unless Nango's limiter
// refused it.
func TestFaultMatrixEveryRPCAnswersEachUpstreamFaultWithItsCode(t *testing.T) {
	var cases []corpus.Case
	seen := map[string]bool{}
	for _, c := range corpus.Load(t) {
		if !seen[c.RPC] && !corpusMethod(t, c.RPC).IsStreamingServer() {
			seen[c.RPC] = true
			cases = append(cases, c)
		}
	}
	cases = append(cases, matrixExtraCases()...)
	for _, fault := range upstreamFaults {
		t.Run(fault.name, func(t *testing.T) {
			// Every RPC at once: most of a call under a fault is waiting.
			var wg sync.WaitGroup
			for _, c := range cases {
				if fault.only == nil || fault.only[c.RPC] {
					wg.Go(func() { checkFault(t, c, fault) })
				}
			}
			wg.Wait()
		})
	}
}

// checkFault calls c's RPC against an upstream answering with fault and reports, naming
// the RPC, what it did wrong.
func checkFault(t *testing.T, c corpus.Case, fault upstreamFault) {
	method := corpusMethod(t, c.RPC)
	var sent, running atomic.Int32
	var written atomic.Int64
	var first atomic.Pointer[string] // the first request Nango received: method and escaped path
	answer := fault.answer
	if fault.sim != nil {
		sim := simulator.New(simulator.Options{APIKey: corpus.SecretKey})
		f := *fault.sim
		f.Times = 1 << 20
		sim.InjectFault(f)
		answer = sim.ServeHTTP
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Method + " " + r.URL.EscapedPath()
		first.CompareAndSwap(nil, &got)
		sent.Add(1)
		running.Add(1)
		defer running.Add(-1)
		if fault.sim != nil && fault.sim.HugeBody > 0 {
			cw := &countingWriter{ResponseWriter: w}
			defer func() { written.Add(cw.n) }()
			w = cw
		}
		answer(w, r)
	}))
	defer srv.Close()
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: corpus.SecretKey, MaxResponseBytes: matrixLimit,
		Retry: nangohttp.RetryConfig{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Error(err)
		return
	}
	defer up.CloseIdleConnections()
	h := newHarnessWithDeps(t, nil, service.Deps{Upstream: up, MaxProxyBodyBytes: matrixLimit})
	if err := waitReady(t.Context(), h.conn); err != nil {
		t.Errorf("%s: %v", c.RPC, err)
		return
	}
	in := dynamicMessage(t, method.Input())
	if err := protojson.Unmarshal(c.GRPCRequest, in); err != nil {
		t.Errorf("%s: %v", c.RPC, err)
		return
	}
	// WaitForConnection polls until its deadline through transient failures and then
	// reports the last one as DeadlineExceeded: waiting is what it is for.
	polls := method.Name() == "WaitForConnection"
	// Generous, for a shared machine: only the slow faults and the polls reach it.
	deadline := 10 * time.Second
	if polls || fault.slow {
		deadline = time.Second
	}
	ctx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	if method.IsStreamingServer() {
		err = readStream(ctx, h.conn, c.RPC, in, method)
	} else {
		err = h.conn.Invoke(ctx, c.RPC, in, dynamicMessage(t, method.Output()))
	}

	name := c.RPC + " " + c.Request.Method
	st := status.Convert(err)
	if st.Message() == "internal error" {
		t.Errorf("%s: the handler panicked: %v", name, err)
		return
	}
	waited := polls && st.Code() == codes.DeadlineExceeded
	allowed := waited || fault.answered && c.RPC == rpcProxy && st.Code() == codes.OK // the provider's answer, handed back
	for _, code := range fault.codes {
		allowed = allowed || st.Code() == code
	}
	if !allowed {
		t.Errorf("%s: code %v (%s), want one of %v", name, st.Code(), st.Message(), fault.codes)
	} else if fault.check != nil && !waited {
		if msg := fault.check(c.RPC, st); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
	line := c.Request.Method + " " + c.Request.Path
	if sent.Load() == 0 {
		t.Errorf("%s: never reached Nango, so the fault was not met (%v)", name, err)
	} else if got := *first.Load(); got != line {
		t.Errorf("%s: Nango received %s, want %s", name, got, line)
	}
	write := c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead
	n := sent.Load()
	if write && !idempotentWrites[line] && !fault.rateLimited && n > 1 {
		t.Errorf("%s: %s, not idempotent, reached Nango %d times", name, line, n)
	}
	if n > maxRequests(c.RPC, fault) && !polls {
		t.Errorf("%s: Nango received %d requests, want at most %d", name, n, maxRequests(c.RPC, fault))
	}
	// The call is over: nothing of it may still be talking to Nango.
	if !eventually(func() bool { return running.Load() == 0 }) {
		t.Errorf("%s: %d requests to Nango still running after the call ended", name, running.Load())
	}
	// Memory stays bounded: the gateway stopped reading near its limit, far before the end.
	if n := written.Load(); n > hugeBody/4*int64(sent.Load()) {
		t.Errorf("%s: Nango wrote %d bytes in %d answers of %d: the gateway read an answer far past its limit", name, n, sent.Load(), hugeBody)
	}
}

// maxRequests is how many upstream requests a call may make under fault: 3 attempts of
// one request, except where a stream follows pages.
func maxRequests(rpc string, fault upstreamFault) int32 {
	if rpc != rpcStreamRecords {
		return 3
	}
	switch {
	case fault.sim != nil && fault.sim.RecordPages != nil:
		return 10 // the bound on pages that add nothing (maxEmptyPages)
	case fault.sim != nil && fault.sim.HugeBody > 0:
		return 11 // the page asked again, halved each time, from 1000 records to 1
	}
	return 3
}

// countingWriter counts the bytes of an answer that its client took.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// waitReady connects conn: the deadline of a slow fault is for the upstream call, not for
// a connection the machine was slow to make.
func waitReady(ctx context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn.Connect()
	for st := conn.GetState(); st != connectivity.Ready; st = conn.GetState() {
		if !conn.WaitForStateChange(ctx, st) {
			return fmt.Errorf("the gRPC connection is still %v", st)
		}
	}
	return nil
}

// readStream reads a server stream to its end; nil at a clean end.
func readStream(ctx context.Context, conn *grpc.ClientConn, rpc string, in proto.Message, method protoreflect.MethodDescriptor) error {
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, rpc)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(in); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(method.Output().FullName())
	if err != nil {
		return err
	}
	for {
		if err := stream.RecvMsg(mt.New().Interface()); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// eventually polls cond for a few seconds: an upstream handler learns that its client left
// from its connection, a moment after the call ended.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
