package client

import (
	"context"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// Resume says when a broken stream is opened again from where it stopped.
type Resume struct {
	// MaxAttempts is how many reconnects in a row may fail before the error is returned; a
	// message received resets the count. 0 means 5; negative disables resuming.
	MaxAttempts int
	// Backoff is the first wait; it doubles up to 10s, with full jitter. 0 means 200ms.
	Backoff time.Duration
}

func (r Resume) attempts() int {
	switch {
	case r.MaxAttempts < 0:
		return 0
	case r.MaxAttempts == 0:
		return 5
	}
	return r.MaxAttempts
}

// retryable says whether a stream that ended with err may be opened again. UNAVAILABLE is
// a gateway restarting or a connection lost; subscriber_too_slow is an event stream the
// gateway ended because the reader fell behind, and it asks to resume.
func retryable(err error) bool {
	e, ok := AsError(err)
	if !ok {
		return false
	}
	return e.Code == codes.Unavailable || (e.Code == codes.ResourceExhausted && e.Reason == "subscriber_too_slow")
}

// wait sleeps before reconnect attempt n (1-based); false when ctx ended first.
func (r Resume) wait(ctx context.Context, n int) bool {
	base := r.Backoff
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	d := min(base<<min(n-1, 16), 10*time.Second)
	t := time.NewTimer(rand.N(d) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// resuming is what both streams share: open the call, read it, and open it again after
// a retryable failure, with backoff, until it ends or fails for good. open builds the
// request from where the stream stopped; got notes each message received.
type resuming[M any] struct {
	ctx    context.Context
	resume Resume
	open   func() (grpc.ServerStreamingClient[M], error)
	got    func(*M)

	stream grpc.ServerStreamingClient[M]
	err    error
	done   bool
}

func (s *resuming[M]) next() bool {
	if s.done {
		return false
	}
	for failures := 0; ; {
		if s.stream == nil {
			s.stream, s.err = s.open()
		}
		if s.err == nil {
			var msg *M
			if msg, s.err = s.stream.Recv(); s.err == nil {
				s.got(msg)
				return true
			}
		}
		s.stream = nil
		if s.err == io.EOF {
			s.err, s.done = nil, true
			return false
		}
		if failures++; !retryable(s.err) || failures > s.resume.attempts() || !s.resume.wait(s.ctx, failures) {
			s.done = true
			return false
		}
	}
}

// RecordStream reads StreamRecords to the end, reopening it after the last record received
// when the connection breaks. Use it like bufio.Scanner: for s.Next() { s.Record() }; s.Err().
// Unless the request says otherwise it asks for a page of records per message, which
// spares both ends gRPC's cost per message, and hands them out one at a time.
type RecordStream struct {
	resuming[gatewayv1.StreamRecordsResponse]
	queue  []*gatewayv1.StreamRecordsResponse // received, not yet handed out
	rec    *gatewayv1.StreamRecordsResponse
	cursor string
}

// defaultRecordsPerMessage is the batch asked for when the request names none.
const defaultRecordsPerMessage = 1000

// StreamRecords starts reading req's records. A cursor in req starts after that record.
func StreamRecords(ctx context.Context, c gatewayv1.RecordsServiceClient, req *gatewayv1.StreamRecordsRequest, resume Resume, opts ...grpc.CallOption) *RecordStream {
	req = proto.CloneOf(req)
	if req.GetRecordsPerMessage() == 0 {
		req.RecordsPerMessage = defaultRecordsPerMessage
	}
	s := &RecordStream{cursor: req.GetCursor()}
	s.resuming = resuming[gatewayv1.StreamRecordsResponse]{
		ctx: ctx, resume: resume,
		open: func() (grpc.ServerStreamingClient[gatewayv1.StreamRecordsResponse], error) {
			r := proto.CloneOf(req)
			if s.cursor != "" {
				r.Cursor = &s.cursor
			}
			return c.StreamRecords(ctx, r, opts...)
		},
		got: func(msg *gatewayv1.StreamRecordsResponse) {
			if len(msg.GetRecords()) == 0 {
				s.queue = append(s.queue, msg)
				return
			}
			// One allocation per batch for the flat views, not one per record.
			flat := make([]gatewayv1.StreamRecordsResponse, len(msg.GetRecords()))
			for i, r := range msg.GetRecords() {
				f := &flat[i]
				f.Json, f.Id, f.Metadata, f.Payload = r.GetJson(), r.GetId(), r.GetMetadata(), r.GetPayload()
				s.queue = append(s.queue, f)
			}
		},
	}
	return s
}

// Next advances to the next record; false at the end or on an error (see Err).
func (s *RecordStream) Next() bool {
	for len(s.queue) == 0 {
		if !s.next() {
			return false
		}
	}
	s.rec, s.queue = s.queue[0], s.queue[1:]
	if cursor := s.rec.GetMetadata().GetCursor(); cursor != "" {
		s.cursor = cursor
	}
	return true
}

// Record is the record Next moved to, in the flat form of one record per message.
func (s *RecordStream) Record() *gatewayv1.StreamRecordsResponse { return s.rec }

// Cursor is the cursor of the last record handed out (or the request's cursor before any):
// save it to resume later with StreamRecordsRequest.cursor.
func (s *RecordStream) Cursor() string { return s.cursor }

// Err is the error that ended the stream, nil at a clean end.
func (s *RecordStream) Err() error { return s.err }

// EventStream reads StreamWebhookEvents, reopening it after the last sequence received when
// the connection breaks, so no event is lost or repeated across reconnects. The gateway's
// heartbeats keep idle connections open; Next skips them.
type EventStream struct {
	resuming[gatewayv1.StreamWebhookEventsResponse]
	ev       *gatewayv1.StreamWebhookEventsResponse
	sequence uint64
	resumed  bool
	beat     bool // the last message received was a heartbeat
}

// StreamWebhookEvents starts reading req's events.
func StreamWebhookEvents(ctx context.Context, c gatewayv1.WebhooksServiceClient, req *gatewayv1.StreamWebhookEventsRequest, resume Resume, opts ...grpc.CallOption) *EventStream {
	req = proto.CloneOf(req)
	s := &EventStream{}
	if seq, ok := req.GetStart().(*gatewayv1.StreamWebhookEventsRequest_AfterSequence); ok {
		s.sequence, s.resumed = seq.AfterSequence, true
	}
	s.resuming = resuming[gatewayv1.StreamWebhookEventsResponse]{
		ctx: ctx, resume: resume,
		open: func() (grpc.ServerStreamingClient[gatewayv1.StreamWebhookEventsResponse], error) {
			r := proto.CloneOf(req)
			if s.resumed { // after an event was received, or when asked: exactly after it
				r.Start = &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: s.sequence}
			}
			return c.StreamWebhookEvents(ctx, r, opts...)
		},
		got: func(ev *gatewayv1.StreamWebhookEventsResponse) {
			if s.beat = ev.GetHeartbeat() != nil; s.beat {
				return // a sign of life, not an event nor a position
			}
			s.ev, s.sequence, s.resumed = ev, ev.GetSequence(), true
		},
	}
	return s
}

// Next waits for the next event; false when the stream ended (see Err).
func (s *EventStream) Next() bool {
	for s.next() {
		if !s.beat {
			return true
		}
	}
	return false
}

// Event is the event Next moved to.
func (s *EventStream) Event() *gatewayv1.StreamWebhookEventsResponse { return s.ev }

// Sequence is the sequence of the last event received: resume later with after_sequence.
func (s *EventStream) Sequence() uint64 { return s.sequence }

// Err is the error that ended the stream, nil when the gateway closed it cleanly.
func (s *EventStream) Err() error { return s.err }
