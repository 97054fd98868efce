package client

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// flaky serves records r0…r9 and events 1…10; each stream call breaks with breakWith
// after breakAfter messages, and the requests are kept to check where each reopen starts.
type flaky struct {
	gatewayv1.UnimplementedRecordsServiceServer
	gatewayv1.UnimplementedWebhooksServiceServer
	breakAfter int
	breakWith  error
	heartbeats bool // a heartbeat before every event and before the break

	mu      sync.Mutex
	records []*gatewayv1.StreamRecordsRequest
	events  []*gatewayv1.StreamWebhookEventsRequest
	tokens  []string
}

func (f *flaky) noteToken(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.tokens = append(f.tokens, md.Get("authorization")...)
}

func (f *flaky) StreamRecords(req *gatewayv1.StreamRecordsRequest, stream grpc.ServerStreamingServer[gatewayv1.StreamRecordsResponse]) error {
	f.mu.Lock()
	f.records = append(f.records, req)
	f.noteToken(stream.Context())
	f.mu.Unlock()
	start := 0
	if req.Cursor != nil {
		n, _ := strconv.Atoi(req.GetCursor()[1:])
		start = n + 1
	}
	for i, sent := start, 0; i < 10; i, sent = i+1, sent+1 {
		if sent == f.breakAfter {
			return f.breakWith
		}
		c := "c" + strconv.Itoa(i)
		if err := stream.Send(&gatewayv1.StreamRecordsResponse{Id: "r" + strconv.Itoa(i), Json: []byte(`{}`), Metadata: &gatewayv1.RecordMetadata{Cursor: c}}); err != nil {
			return err
		}
	}
	return nil
}

func (f *flaky) StreamWebhookEvents(req *gatewayv1.StreamWebhookEventsRequest, stream grpc.ServerStreamingServer[gatewayv1.StreamWebhookEventsResponse]) error {
	f.mu.Lock()
	f.events = append(f.events, req)
	f.mu.Unlock()
	for seq, sent := req.GetAfterSequence()+1, 0; seq <= 10; seq, sent = seq+1, sent+1 {
		if f.heartbeats {
			if err := stream.Send(&gatewayv1.StreamWebhookEventsResponse{Heartbeat: &gatewayv1.Heartbeat{SentAt: timestamppb.Now()}}); err != nil {
				return err
			}
		}
		if sent == f.breakAfter {
			return f.breakWith
		}
		if err := stream.Send(&gatewayv1.StreamWebhookEventsResponse{Sequence: seq, Event: &gatewayv1.WebhookEvent{Type: "sync"}}); err != nil {
			return err
		}
	}
	return nil
}

func startFlaky(t *testing.T, f *flaky) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	gatewayv1.RegisterRecordsServiceServer(srv, f)
	gatewayv1.RegisterWebhooksServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	opts := append(DialOptions(Options{Token: "tok-test", Insecure: true}),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	conn, err := grpc.NewClient("passthrough:///flaky", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

var fastResume = Resume{Backoff: time.Millisecond}

func TestStreamsResumeAfterTheLastMessageOnlyWhenTheErrorAllowsIt(t *testing.T) {
	tooSlow, _ := status.New(codes.ResourceExhausted, "behind").WithDetails(&errdetails.ErrorInfo{Reason: "subscriber_too_slow", Domain: Domain})
	tests := []struct {
		name      string
		breakWith error
		wantAll   bool // every message, each once
		wantCode  codes.Code
	}{
		{"unavailable resumes", status.Error(codes.Unavailable, "restarting"), true, codes.OK},
		{"subscriber too slow resumes", tooSlow.Err(), true, codes.OK},
		{"rate limited is returned", status.Error(codes.ResourceExhausted, "rate limited"), false, codes.ResourceExhausted},
		{"not found is returned", status.Error(codes.NotFound, "no such model"), false, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run("records "+tt.name, func(t *testing.T) {
			f := &flaky{breakAfter: 3, breakWith: tt.breakWith}
			s := StreamRecords(t.Context(), gatewayv1.NewRecordsServiceClient(startFlaky(t, f)), &gatewayv1.StreamRecordsRequest{Model: "M"}, fastResume)
			var got []string
			for s.Next() {
				got = append(got, s.Record().GetId())
			}
			if code := status.Code(s.Err()); code != tt.wantCode && !(tt.wantAll && code == codes.OK) {
				t.Fatalf("err %v, want %v", s.Err(), tt.wantCode)
			}
			want := 3
			if tt.wantAll {
				want = 10
			}
			if len(got) != want || got[len(got)-1] != "r"+strconv.Itoa(want-1) {
				t.Fatalf("got %v, want r0…r%d once each", got, want-1)
			}
			if tt.wantAll && f.records[1].GetCursor() != "c2" {
				t.Errorf("second call started at cursor %q, want c2 (the last record received)", f.records[1].GetCursor())
			}
			if s.Cursor() != "c"+strconv.Itoa(want-1) {
				t.Errorf("Cursor() = %q after %d records", s.Cursor(), want)
			}
		})
		t.Run("events "+tt.name, func(t *testing.T) {
			f := &flaky{breakAfter: 3, breakWith: tt.breakWith}
			req := &gatewayv1.StreamWebhookEventsRequest{Types: []string{"sync"}, Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}
			s := StreamWebhookEvents(t.Context(), gatewayv1.NewWebhooksServiceClient(startFlaky(t, f)), req, fastResume)
			var got []uint64
			for s.Next() {
				got = append(got, s.Event().GetSequence())
			}
			want := 3
			if tt.wantAll {
				want = 10
			}
			if len(got) != want || got[len(got)-1] != uint64(want) {
				t.Fatalf("got %v (err %v), want 1…%d once each", got, s.Err(), want)
			}
			if tt.wantAll {
				if r := f.events[1]; r.GetAfterSequence() != 3 || len(r.GetTypes()) != 1 {
					t.Errorf("reopened with %v, want after_sequence 3 and the same filter", r)
				}
			}
		})
	}
}

// Heartbeats never come out of Next, and one received just before a break does not move
// where the stream resumes: after the last event.
func TestEventStreamSkipsHeartbeatsAndResumesAfterTheLastEvent(t *testing.T) {
	f := &flaky{breakAfter: 3, breakWith: status.Error(codes.Unavailable, "restarting"), heartbeats: true}
	s := StreamWebhookEvents(t.Context(), gatewayv1.NewWebhooksServiceClient(startFlaky(t, f)), &gatewayv1.StreamWebhookEventsRequest{}, fastResume)
	var got []uint64
	for s.Next() {
		if s.Event().GetHeartbeat() != nil || s.Event().GetEvent() == nil {
			t.Fatalf("Next moved to %v, not an event", s.Event())
		}
		got = append(got, s.Event().GetSequence())
	}
	if s.Err() != nil || len(got) != 10 || got[0] != 1 || got[9] != 10 {
		t.Fatalf("got %v (err %v), want 1…10 once each", got, s.Err())
	}
	if r := f.events[1]; r.GetAfterSequence() != 3 {
		t.Errorf("reopened with %v, want after_sequence 3", r)
	}
	if s.Sequence() != 10 {
		t.Errorf("Sequence() = %d, want 10", s.Sequence())
	}
}

func TestTokenTravelsAsBearerOnEveryCall(t *testing.T) {
	f := &flaky{breakAfter: -1}
	s := StreamRecords(t.Context(), gatewayv1.NewRecordsServiceClient(startFlaky(t, f)), &gatewayv1.StreamRecordsRequest{}, Resume{})
	for s.Next() {
	}
	if len(f.tokens) != 1 || f.tokens[0] != "Bearer tok-test" {
		t.Fatalf("server saw authorization %q", f.tokens)
	}
}

func TestTokenNeedsTLSUnlessInsecureIsChosen(t *testing.T) {
	if !Token("t", false).RequireTransportSecurity() || Token("t", true).RequireTransportSecurity() {
		t.Fatal("RequireTransportSecurity must be true unless insecure was asked for")
	}
	if s := Token("secret-token", false).(interface{ String() string }).String(); s != "bearer(redacted)" {
		t.Fatalf("String() = %q", s)
	}
}

func TestAsErrorReadsNangoCodeHTTPStatusAndRetryDelay(t *testing.T) {
	limited, _ := status.New(codes.ResourceExhausted, "slow down").WithDetails(
		&errdetails.ErrorInfo{Reason: "too_many_request", Domain: Domain, Metadata: map[string]string{"http_status": "429"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(3 * time.Second)})
	tests := []struct {
		name string
		err  error
		want *Error
	}{
		{"nango error with retry info", limited.Err(), &Error{Code: codes.ResourceExhausted, Message: "slow down", Reason: "too_many_request", HTTPStatus: 429, RetryDelay: 3 * time.Second, HasRetryDelay: true}},
		{"plain status", status.Error(codes.Unavailable, "down"), &Error{Code: codes.Unavailable, Message: "down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AsError(tt.err)
			if !ok || got.Code != tt.want.Code || got.Message != tt.want.Message || got.Reason != tt.want.Reason ||
				got.HTTPStatus != tt.want.HTTPStatus || got.RetryDelay != tt.want.RetryDelay || got.HasRetryDelay != tt.want.HasRetryDelay {
				t.Fatalf("AsError = %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, ok := AsError(context.Canceled); ok {
		t.Error("a non-status error must not read as a gateway error")
	}
}
