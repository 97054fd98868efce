package client

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// flakyWatch serves r0…r9 in batches of two, caught_up after r4 and after r9, a heartbeat
// between, then waits; its first call breaks with UNAVAILABLE after the first caught_up.
type flakyWatch struct {
	gatewayv1.UnimplementedRecordsServiceServer
	mu   sync.Mutex
	reqs []*gatewayv1.WatchRecordsRequest
}

func (f *flakyWatch) WatchRecords(req *gatewayv1.WatchRecordsRequest, stream grpc.ServerStreamingServer[gatewayv1.WatchRecordsResponse]) error {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	first := len(f.reqs) == 1
	f.mu.Unlock()
	start := 0
	if req.Cursor != nil {
		n, _ := strconv.Atoi(req.GetCursor()[1:])
		start = n + 1
	}
	record := func(i int) *gatewayv1.Record {
		return &gatewayv1.Record{Id: "r" + strconv.Itoa(i), Json: []byte(`{}`), Metadata: &gatewayv1.RecordMetadata{Cursor: "c" + strconv.Itoa(i)}}
	}
	var msgs []*gatewayv1.WatchRecordsResponse
	for i := start; i < 10; i += 2 {
		batch := []*gatewayv1.Record{record(i)}
		if i+1 < 10 && i != 4 {
			batch = append(batch, record(i+1))
		}
		msgs = append(msgs, &gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Records{Records: &gatewayv1.RecordBatch{Records: batch}}})
		last := batch[len(batch)-1].GetMetadata().GetCursor()
		if last == "c4" || last == "c9" {
			msgs = append(msgs,
				&gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_CaughtUp{CaughtUp: &gatewayv1.WatchCaughtUp{Cursor: &last}}},
				&gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Heartbeat{Heartbeat: &gatewayv1.Heartbeat{}}})
		}
		if i == 4 {
			i-- // the next batch starts at r5
		}
	}
	for n, m := range msgs {
		if first && n == 4 {
			return status.Error(codes.Unavailable, "restarting")
		}
		if err := stream.Send(m); err != nil {
			return err
		}
	}
	<-stream.Context().Done()
	return stream.Context().Err()
}

func TestRecordWatchHandsOutRecordsAndCaughtUpOnceEachAcrossAReconnect(t *testing.T) {
	f := &flakyWatch{}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	gatewayv1.RegisterRecordsServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///flaky", append(DialOptions(Options{Insecure: true}),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := WatchRecords(ctx, gatewayv1.NewRecordsServiceClient(conn), &gatewayv1.WatchRecordsRequest{Model: "M"}, fastResume)
	var got []string
	for w.Next() {
		if r := w.Record(); r != nil {
			got = append(got, r.GetId())
		} else {
			got = append(got, "caught_up@"+w.CaughtUp().GetCursor())
			if w.CaughtUp().GetCursor() == "c9" {
				cancel()
			}
		}
	}
	want := "r0 r1 r2 r3 r4 caught_up@c4 r5 r6 r7 r8 r9 caught_up@c9"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("handed out %s, want %s", g, want)
	}
	if len(f.reqs) != 2 || f.reqs[1].GetCursor() != "c4" || f.reqs[0].Cursor != nil {
		t.Errorf("calls %v, want a first without cursor and a reopen after c4", f.reqs)
	}
	if w.Cursor() != "c9" || status.Code(w.Err()) != codes.Canceled {
		t.Errorf("Cursor() = %q, Err() = %v, want c9 and Canceled", w.Cursor(), w.Err())
	}
}
