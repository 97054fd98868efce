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

// RecordStream reads StreamRecords to the end, reopening it after the last record received
// when the connection breaks. Use it like bufio.Scanner: for s.Next() { s.Record() }; s.Err().
type RecordStream struct {
	ctx    context.Context
	client gatewayv1.RecordsServiceClient
	req    *gatewayv1.StreamRecordsRequest
	resume Resume
	opts   []grpc.CallOption

	stream grpc.ServerStreamingClient[gatewayv1.StreamRecordsResponse]
	rec    *gatewayv1.StreamRecordsResponse
	cursor string
	err    error
	done   bool
}

// StreamRecords starts reading req's records. A cursor in req starts after that record.
func StreamRecords(ctx context.Context, c gatewayv1.RecordsServiceClient, req *gatewayv1.StreamRecordsRequest, resume Resume, opts ...grpc.CallOption) *RecordStream {
	s := &RecordStream{ctx: ctx, client: c, req: proto.CloneOf(req), resume: resume, opts: opts}
	s.cursor = req.GetCursor()
	return s
}

// Next advances to the next record; false at the end or on an error (see Err).
func (s *RecordStream) Next() bool {
	if s.done {
		return false
	}
	for failures := 0; ; {
		if s.stream == nil {
			req := proto.CloneOf(s.req)
			if s.cursor != "" {
				req.Cursor = &s.cursor
			}
			s.stream, s.err = s.client.StreamRecords(s.ctx, req, s.opts...)
		}
		if s.err == nil {
			var rec *gatewayv1.StreamRecordsResponse
			if rec, s.err = s.stream.Recv(); s.err == nil {
				s.rec = rec
				if c := rec.GetMetadata().GetCursor(); c != "" {
					s.cursor = c
				}
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

// Record is the record Next moved to.
func (s *RecordStream) Record() *gatewayv1.StreamRecordsResponse { return s.rec }

// Cursor is the cursor of the last record received (or the request's cursor before any):
// save it to resume later with StreamRecordsRequest.cursor.
func (s *RecordStream) Cursor() string { return s.cursor }

// Err is the error that ended the stream, nil at a clean end.
func (s *RecordStream) Err() error { return s.err }

// EventStream reads StreamWebhookEvents, reopening it after the last sequence received when
// the connection breaks, so no event is lost or repeated across reconnects.
type EventStream struct {
	ctx    context.Context
	client gatewayv1.WebhooksServiceClient
	req    *gatewayv1.StreamWebhookEventsRequest
	resume Resume
	opts   []grpc.CallOption

	stream   grpc.ServerStreamingClient[gatewayv1.StreamWebhookEventsResponse]
	ev       *gatewayv1.StreamWebhookEventsResponse
	sequence uint64
	resumed  bool
	err      error
	done     bool
}

// StreamWebhookEvents starts reading req's events.
func StreamWebhookEvents(ctx context.Context, c gatewayv1.WebhooksServiceClient, req *gatewayv1.StreamWebhookEventsRequest, resume Resume, opts ...grpc.CallOption) *EventStream {
	s := &EventStream{ctx: ctx, client: c, req: proto.CloneOf(req), resume: resume, opts: opts}
	if seq, ok := req.GetStart().(*gatewayv1.StreamWebhookEventsRequest_AfterSequence); ok {
		s.sequence, s.resumed = seq.AfterSequence, true
	}
	return s
}

// Next waits for the next event; false when the stream ended (see Err).
func (s *EventStream) Next() bool {
	if s.done {
		return false
	}
	for failures := 0; ; {
		if s.stream == nil {
			req := proto.CloneOf(s.req)
			if s.resumed { // after an event was received, or when asked: exactly after it
				req.Start = &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: s.sequence}
			}
			s.stream, s.err = s.client.StreamWebhookEvents(s.ctx, req, s.opts...)
		}
		if s.err == nil {
			var ev *gatewayv1.StreamWebhookEventsResponse
			if ev, s.err = s.stream.Recv(); s.err == nil {
				s.ev, s.sequence, s.resumed = ev, ev.GetSequence(), true
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

// Event is the event Next moved to.
func (s *EventStream) Event() *gatewayv1.StreamWebhookEventsResponse { return s.ev }

// Sequence is the sequence of the last event received: resume later with after_sequence.
func (s *EventStream) Sequence() uint64 { return s.sequence }

// Err is the error that ended the stream, nil when the gateway closed it cleanly.
func (s *EventStream) Err() error { return s.err }
