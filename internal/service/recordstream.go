package service

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// defaultStreamPageSize is StreamRecords' page when the request sets none: ten times
// Nango's default, so a long stream makes few requests against the rate limit.
const defaultStreamPageSize = 1000

// recordPage is one upstream page cut into records, or the error that ended the stream.
type recordPage struct {
	records []rawRecord
	err     error
}

// streamRecords sends every record of req's model from its cursor on, following
// next_cursor until Nango returns null. Pages are fetched as ListRecords fetches them, so
// each one is exactly the request ListRecords makes. One page is fetched ahead while the
// current one is sent: the hand-over channel is unbuffered, so at most two pages are held
// (the one being sent and the next), whatever the total, and a consumer slowed by gRPC
// flow control slows the fetching. When ctx ends or send fails, the request in flight is
// cancelled and no other is made. A page that fails ends the stream with its error; every
// record carries its cursor, so the client resumes after the last one it got.
//
// Each message's json is a slice of the page Nango sent: a record is not copied before
// the transport encodes it.
func streamRecords(ctx context.Context, d Deps, req *gatewayv1.StreamRecordsRequest, send func(*gatewayv1.StreamRecordsResponse) error) error {
	ctx, cancel := context.WithCancel(ctx)
	pages := make(chan recordPage)
	var wg sync.WaitGroup
	wg.Go(func() { fetchRecordPages(ctx, d, req, pages) })
	defer wg.Wait()
	defer cancel()

	asStruct, perMessage := req.GetAsStruct(), int(req.GetRecordsPerMessage())
	for page := range pages {
		if page.err != nil {
			return page.err
		}
		var err error
		if perMessage > 1 {
			err = sendBatches(ctx, page.records, perMessage, asStruct, func(batch []*gatewayv1.Record) error {
				return send(&gatewayv1.StreamRecordsResponse{Records: batch})
			})
		} else {
			err = sendEach(ctx, page.records, asStruct, send)
		}
		if err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	return nil
}

// sendEach sends one record per message. One allocation per page for the messages, not
// two per record. The messages are not reused: the transport or a stats handler may still
// hold one after Send.
func sendEach(ctx context.Context, records []rawRecord, asStruct bool, send func(*gatewayv1.StreamRecordsResponse) error) error {
	msgs := make([]gatewayv1.StreamRecordsResponse, len(records))
	metas := make([]gatewayv1.RecordMetadata, len(records))
	for i := range records {
		if ctx.Err() != nil {
			return nil // the client left: send fails anyway, stop now
		}
		raw, msg := &records[i], &msgs[i]
		msg.Id = raw.id
		if raw.hasMeta {
			raw.meta.fill(&metas[i])
			msg.Metadata = &metas[i]
		}
		if asStruct {
			payload, err := recordStruct(raw.json)
			if err != nil {
				return err
			}
			msg.Payload = payload
		} else {
			msg.Json = raw.json
		}
		if err := send(msg); err != nil {
			return err
		}
	}
	return nil
}

// maxBatchJSONBytes keeps a batch well under the 4 MiB every gRPC client accepts by
// default, whatever the records weigh.
const maxBatchJSONBytes = 2 << 20

// sendBatches sends a page's records up to perMessage (and maxBatchJSONBytes) at a time.
func sendBatches(ctx context.Context, records []rawRecord, perMessage int, asStruct bool, send func([]*gatewayv1.Record) error) error {
	all := make([]gatewayv1.Record, len(records))
	metas := make([]gatewayv1.RecordMetadata, len(records))
	ptrs := make([]*gatewayv1.Record, len(records))
	for start := 0; start < len(records); {
		if ctx.Err() != nil {
			return nil // the client left
		}
		end, size := start, 0
		for end < len(records) && end-start < perMessage && (end == start || size+len(records[end].json) <= maxBatchJSONBytes) {
			raw, rec := &records[end], &all[end]
			rec.Id = raw.id
			if raw.hasMeta {
				raw.meta.fill(&metas[end])
				rec.Metadata = &metas[end]
			}
			if asStruct {
				payload, err := recordStruct(raw.json)
				if err != nil {
					return err
				}
				rec.Payload = payload
			} else {
				rec.Json = raw.json
			}
			ptrs[end] = rec
			size += len(raw.json)
			end++
		}
		if err := send(ptrs[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// fetchRecordPages pages through the records into out, which it closes when done.
func fetchRecordPages(ctx context.Context, d Deps, req *gatewayv1.StreamRecordsRequest, out chan<- recordPage) {
	defer close(out)
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
	var progress cursorProgress
	if c := pageReq.GetCursor(); c != "" {
		progress.remember(c) // the client's own cursor coming back is a loop too
	}
	for {
		page, err := fetchRecordsPage(ctx, d, pageReq)
		if isTooLarge(err) && pageReq.GetLimit() > 1 {
			// Records weigh more than a page of this size can hold: the same page, smaller.
			// The limit stays down for the pages after it, whose records are alike.
			pageReq.Limit = proto.Int32(pageReq.GetLimit() / 2)
			continue
		}
		if err != nil {
			// Only a page of one record gets here too large: that record alone is.
			emit(recordPage{err: pageTooLarge(err, "page_size", "a single record is larger than that")})
			return
		}
		if page.hasNextCursor {
			if err := progress.next(page.nextCursor, len(page.records)); err != nil {
				// Following it would spend the rate limit every caller shares, forever.
				emit(recordPage{err: err})
				return
			}
		}
		if !emit(recordPage{records: page.records}) || !page.hasNextCursor {
			return
		}
		pageReq.Cursor = proto.String(page.nextCursor)
	}
}

// isTooLarge tells an answer over the upstream client's size limit.
func isTooLarge(err error) bool {
	info, ok := nangohttp.ErrorInfoFrom(err)
	return ok && info.GetReason() == nangohttp.ReasonResponseTooLarge
}

// maxEmptyPages is how many pages in a row may carry no record yet point further: Nango
// may answer an empty page while a sync writes, but a run of them is a loop.
const maxEmptyPages = 10

// maxRememberedCursors bounds the memory of cycle detection (8 bytes a page); a stream
// longer than that is still bounded by maxEmptyPages.
const maxRememberedCursors = 1 << 20

// cursorProgress checks, over the whole stream, that following next_cursor goes
// somewhere: no cursor twice (A→B→A as well as A→A), and no long run of empty pages.
type cursorProgress struct {
	seen  map[uint64]struct{}
	empty int
}

func (p *cursorProgress) next(cursor string, records int) error {
	if cursor == "" {
		return cursorLoop("Nango returned an empty next_cursor")
	}
	if !p.remember(cursor) {
		return cursorLoop(fmt.Sprintf("Nango returned next_cursor %q a second time: following it would loop", cursor))
	}
	if records == 0 {
		if p.empty++; p.empty >= maxEmptyPages {
			return cursorLoop(fmt.Sprintf("Nango returned %d pages in a row without records, each pointing further", p.empty))
		}
	} else {
		p.empty = 0
	}
	return nil
}

// ReasonCursorLoop is the ErrorInfo reason of a StreamRecords stream ended because Nango's
// next_cursor led nowhere (Internal: Nango's answer is wrong, not the request).
const ReasonCursorLoop = "upstream_cursor_loop"

func cursorLoop(msg string) error {
	st, _ := status.New(codes.Internal, msg).WithDetails(&errdetails.ErrorInfo{Reason: ReasonCursorLoop, Domain: nangohttp.Domain})
	return st.Err()
}

// remember notes cursor and reports whether it is new.
func (p *cursorProgress) remember(cursor string) bool {
	if p.seen == nil {
		p.seen = map[uint64]struct{}{}
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(cursor))
	key := h.Sum64()
	if _, again := p.seen[key]; again {
		return false
	}
	if len(p.seen) < maxRememberedCursors {
		p.seen[key] = struct{}{}
	}
	return true
}
