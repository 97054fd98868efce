package service

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
)

// defaultStreamPageSize is StreamRecords' page when the request sets none: ten times
// Nango's default, so a long stream makes few requests against the rate limit.
const defaultStreamPageSize = 1000

// recordPage is one upstream page, or the error that ended the stream.
type recordPage struct {
	records []*structpb.Struct
	err     error
}

// streamRecords sends every record of req's model from its cursor on, following
// next_cursor until Nango returns null. Pages are fetched by ListRecords, so each one
// is exactly the request ListRecords makes. One page is fetched ahead while the current
// one is sent: the hand-over channel is unbuffered, so at most two pages are held (the
// one being sent and the next), whatever the total, and a consumer slowed by gRPC flow
// control slows the fetching. When ctx ends or send fails, the request in flight is
// cancelled and no other is made. A page that fails ends the stream with its error;
// every record carries its cursor, so the client resumes after the last one it got.
func streamRecords(ctx context.Context, d Deps, req *gatewayv1.StreamRecordsRequest, send func(*gatewayv1.StreamRecordsResponse) error) error {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan recordPage)
	var wg sync.WaitGroup
	wg.Go(func() { fetchRecordPages(ctx, d, req, pages) })
	defer wg.Wait()
	defer cancel()

	for page := range pages {
		if page.err != nil {
			return page.err
		}
		for _, rec := range page.records {
			if ctx.Err() != nil {
				break // the client left: send fails anyway, stop now
			}
			if err := send(splitRecord(rec)); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return nil
}

// fetchRecordPages pages through the records into out, which it closes when done.
func fetchRecordPages(ctx context.Context, d Deps, req *gatewayv1.StreamRecordsRequest, out chan<- recordPage) {
	defer close(out)
	list := NewRecordsService(d)
	pageReq := &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: req.GetProviderConfigKey(),
		ConnectionId:      req.GetConnectionId(),
		Model:             req.GetModel(),
		Variant:           req.Variant,
		ModifiedAfter:     req.ModifiedAfter,
		Limit:             proto.Int32(defaultStreamPageSize),
		Filter:            req.Filter,
		Cursor:            req.Cursor,
		Ids:               req.GetIds(),
	}
	if req.PageSize != nil {
		pageReq.Limit = proto.Int32(req.GetPageSize())
	}
	emit := func(p recordPage) bool {
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		page, err := list.ListRecords(ctx, pageReq)
		if err != nil {
			emit(recordPage{err: err})
			return
		}
		next := page.GetNextCursor()
		if next != nil && (next.GetValue() == "" || next.GetValue() == pageReq.GetCursor()) {
			// Following it would ask for the same page forever.
			emit(recordPage{err: status.Errorf(codes.Internal, "Nango returned next_cursor %q for a page requested with that cursor", next.GetValue())})
			return
		}
		if !emit(recordPage{records: page.GetRecords()}) || next == nil {
			return
		}
		pageReq.Cursor = proto.String(next.GetValue())
	}
}

// splitRecord moves _nango_metadata out of the record into its typed message. The
// record is not shared, so its fields are taken rather than copied.
func splitRecord(rec *structpb.Struct) *gatewayv1.StreamRecordsResponse {
	if rec == nil {
		rec = &structpb.Struct{}
	}
	fields := rec.GetFields()
	out := &gatewayv1.StreamRecordsResponse{Payload: rec, Id: jsonvalue.ScalarString(fields["id"])}
	if meta, ok := fields["_nango_metadata"]; ok {
		delete(fields, "_nango_metadata")
		m := meta.GetStructValue().GetFields()
		out.Metadata = &gatewayv1.RecordMetadata{
			Cursor:         m["cursor"].GetStringValue(),
			LastAction:     m["last_action"].GetStringValue(),
			DeletedAt:      nullableString(m["deleted_at"]),
			FirstSeenAt:    m["first_seen_at"].GetStringValue(),
			LastModifiedAt: m["last_modified_at"].GetStringValue(),
			PrunedAt:       nullableString(m["pruned_at"]),
		}
	}
	return out
}

// nullableString keeps the difference between null (nil) and a timestamp.
func nullableString(v *structpb.Value) *wrapperspb.StringValue {
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return wrapperspb.String(s.StringValue)
	}
	return nil
}
