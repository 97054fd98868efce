package client

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// RecordWatch reads WatchRecords: every record, then each change as it comes, with a
// caught-up event each time the watch has every change so far. When the connection breaks
// it opens the watch again from the last cursor received, so no change is missed or
// repeated. Heartbeats are skipped. Use it like bufio.Scanner:
//
//	for w.Next() {
//		if r := w.Record(); r != nil { … } else { … w.CaughtUp() … }
//	}
//	err := w.Err()
type RecordWatch struct {
	resuming[gatewayv1.WatchRecordsResponse]
	queue  []watchItem // received, not yet handed out
	item   watchItem
	cursor string
}

type watchItem struct {
	rec    *gatewayv1.Record
	caught *gatewayv1.WatchCaughtUp
}

// WatchRecords starts watching req's model. A cursor in req starts after that record;
// without one the watch starts with every record. Unless the request says otherwise it
// asks for a page of records per message and hands them out one at a time.
func WatchRecords(ctx context.Context, c gatewayv1.RecordsServiceClient, req *gatewayv1.WatchRecordsRequest, resume Resume, opts ...grpc.CallOption) *RecordWatch {
	req = proto.CloneOf(req)
	if req.GetRecordsPerMessage() == 0 {
		req.RecordsPerMessage = defaultRecordsPerMessage
	}
	w := &RecordWatch{cursor: req.GetCursor()}
	w.resuming = resuming[gatewayv1.WatchRecordsResponse]{
		ctx: ctx, resume: resume,
		open: func() (grpc.ServerStreamingClient[gatewayv1.WatchRecordsResponse], error) {
			r := proto.CloneOf(req)
			if w.cursor != "" {
				r.Cursor = &w.cursor
			}
			return c.WatchRecords(ctx, r, opts...)
		},
		got: func(msg *gatewayv1.WatchRecordsResponse) {
			for _, r := range msg.GetRecords().GetRecords() {
				w.queue = append(w.queue, watchItem{rec: r})
			}
			if caught := msg.GetCaughtUp(); caught != nil {
				w.queue = append(w.queue, watchItem{caught: caught})
			}
		},
	}
	return w
}

// Next waits for the next record or caught-up event; false when the watch ended (see Err).
func (w *RecordWatch) Next() bool {
	for len(w.queue) == 0 {
		if !w.next() {
			return false
		}
	}
	w.item, w.queue = w.queue[0], w.queue[1:]
	if cursor := w.item.rec.GetMetadata().GetCursor(); cursor != "" {
		w.cursor = cursor
	}
	if cursor := w.item.caught.GetCursor(); cursor != "" {
		w.cursor = cursor
	}
	return true
}

// Record is the record Next moved to, nil when it moved to a caught-up event.
func (w *RecordWatch) Record() *gatewayv1.Record { return w.item.rec }

// CaughtUp is the caught-up event Next moved to, nil when it moved to a record.
func (w *RecordWatch) CaughtUp() *gatewayv1.WatchCaughtUp { return w.item.caught }

// Cursor is the cursor of the last record or caught-up event handed out (or the request's
// cursor before any): save it to resume later with WatchRecordsRequest.cursor.
func (w *RecordWatch) Cursor() string { return w.cursor }

// Err is the error that ended the watch (the context's when it was cancelled).
func (w *RecordWatch) Err() error { return w.err }
