package service

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// recordsService implements gatewayv1.RecordsServiceServer.
type recordsService struct {
	gatewayv1.UnimplementedRecordsServiceServer
	deps Deps
	// pages shares upstream fetches among the WatchRecords streams of this replica.
	pages *sharedPages
}

// NewRecordsService returns the RecordsService.
func NewRecordsService(d Deps) *recordsService {
	if d.Now == nil {
		d.Now = time.Now
	}
	d.events = d.preparedEvents()
	return &recordsService{deps: d, pages: newSharedPages()}
}

// pruneRecordsBody is PATCH /records/prune's body, keys in the SDK's order.
type pruneRecordsBody struct {
	Model       string  `json:"model"`
	UntilCursor string  `json:"until_cursor"`
	Limit       *int32  `json:"limit,omitempty"`
	Variant     *string `json:"variant,omitempty"`
}

// ListRecords is GET /records/ (with the trailing slash the SDK sends). Each record
// carries its JSON as Nango sent it, or protobuf values when the request asks for them.
func (s *recordsService) ListRecords(ctx context.Context, req *gatewayv1.ListRecordsRequest) (*gatewayv1.ListRecordsResponse, error) {
	page, err := fetchRecordsPage(ctx, s.deps, req)
	if err != nil {
		return nil, pageTooLarge(err, "limit", "ask for fewer records a page (limit)")
	}
	out := &gatewayv1.ListRecordsResponse{Records: make([]*gatewayv1.Record, len(page.records))}
	// One allocation per page for the records and their metadata, not two per record.
	records := make([]gatewayv1.Record, len(page.records))
	metas := make([]gatewayv1.RecordMetadata, len(page.records))
	for i := range page.records {
		raw := &page.records[i]
		rec := &records[i]
		rec.Id = raw.id
		if raw.hasMeta {
			raw.meta.fill(&metas[i])
			rec.Metadata = &metas[i]
		}
		if req.GetAsStruct() {
			if rec.Payload, err = recordStruct(raw.json); err != nil {
				return nil, err
			}
		} else {
			rec.Json = raw.json
		}
		out.Records[i] = rec
	}
	if page.hasNextCursor {
		out.NextCursor = wrapperspb.String(page.nextCursor)
	}
	return out, nil
}

// fetchRecordsPage asks Nango for one page and cuts it into records. The query keeps the
// SDK's order and URLSearchParams encoding.
func fetchRecordsPage(ctx context.Context, d Deps, req *gatewayv1.ListRecordsRequest) (rawPage, error) {
	var q formQuery
	q.add("model", req.GetModel())
	if req.Variant != nil {
		q.add("variant", req.GetVariant())
	}
	// The SDK sends modifiedAfter || delta as modified_after, never delta.
	if after := req.GetModifiedAfter(); after != "" {
		q.add("modified_after", after)
	} else if delta := req.GetDelta(); delta != "" {
		q.add("modified_after", delta)
	}
	if req.Limit != nil {
		q.add("limit", strconv.Itoa(int(req.GetLimit())))
	}
	if req.Filter != nil {
		q.add("filter", req.GetFilter())
	}
	if cursor := req.GetCursor(); cursor != "" {
		q.add("cursor", cursor)
	}
	for _, id := range req.GetIds() {
		q.add("ids", id)
	}
	resp, err := d.Upstream.Do(ctx, &nangohttp.Request{
		Method:   http.MethodGet,
		Path:     "/records/",
		RawQuery: q.encode(),
		Header:   recordsHeaders(req.GetProviderConfigKey(), req.GetConnectionId()),
	})
	if err != nil {
		return rawPage{}, err
	}
	page, err := scanRecordsPage(resp.Body)
	if err != nil {
		return rawPage{}, malformedPage()
	}
	return page, nil
}

// ReasonRecordsPageTooLarge is the ErrorInfo reason of a records page over the gateway's
// limit on an answer's size (ResourceExhausted).
const ReasonRecordsPageTooLarge = "records_page_too_large"

// pageTooLarge turns an answer over the size limit into ResourceExhausted naming the
// request field that sets the page's size: the page holds what the caller asked for, and
// fewer records a page fit; hint says so. Any other error is returned as is.
func pageTooLarge(err error, field, hint string) error {
	if !isTooLarge(err) {
		return err
	}
	st, _ := status.Newf(codes.ResourceExhausted, "%s: %s", status.Convert(err).Message(), hint).WithDetails(
		&errdetails.ErrorInfo{Reason: ReasonRecordsPageTooLarge, Domain: nangohttp.Domain, Metadata: map[string]string{"field": field}})
	return st.Err()
}

// malformedPage is the error of a page that is not {records, next_cursor}: the same as any
// other malformed answer of Nango's, and never the body, which holds customer data.
func malformedPage() error {
	st, _ := status.New(codes.Internal, "nango answered a records page that is not valid JSON").WithDetails(
		&errdetails.ErrorInfo{Reason: nangohttp.ReasonMalformedResponse, Domain: nangohttp.Domain})
	return st.Err()
}

// recordStruct is a record as protobuf values, without its _nango_metadata (carried typed
// beside it).
func recordStruct(raw []byte) (*structpb.Struct, error) {
	out := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, out); err != nil {
		return nil, malformedPage()
	}
	delete(out.Fields, "_nango_metadata")
	return out, nil
}

// fill copies the metadata into its message; nullable timestamps stay nil when null.
func (m *rawMetadata) fill(out *gatewayv1.RecordMetadata) {
	out.Cursor = m.cursor
	out.LastAction = m.lastAction
	out.FirstSeenAt = m.firstSeenAt
	out.LastModifiedAt = m.lastModifiedAt
	if m.deletedAt.set {
		out.DeletedAt = wrapperspb.String(m.deletedAt.value)
	}
	if m.prunedAt.set {
		out.PrunedAt = wrapperspb.String(m.prunedAt.value)
	}
}

// StreamRecords sends every record from the cursor on, following next_cursor (see
// recordstream.go).
func (s *recordsService) StreamRecords(req *gatewayv1.StreamRecordsRequest, stream grpc.ServerStreamingServer[gatewayv1.StreamRecordsResponse]) error {
	return streamRecords(stream.Context(), s.deps, req, stream.Send)
}

// PruneRecords is PATCH /records/prune.
func (s *recordsService) PruneRecords(ctx context.Context, req *gatewayv1.PruneRecordsRequest) (*gatewayv1.PruneRecordsResponse, error) {
	out := &gatewayv1.PruneRecordsResponse{}
	if _, err := s.deps.Upstream.DoProto(ctx, &nangohttp.Request{
		Method: http.MethodPatch,
		Path:   "/records/prune",
		Header: recordsHeaders(req.GetProviderConfigKey(), req.GetConnectionId()),
		JSON: pruneRecordsBody{
			Model:       req.GetModel(),
			UntilCursor: req.GetUntilCursor(),
			Limit:       req.Limit,
			Variant:     req.Variant,
		},
	}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// recordsHeaders names the connection the way /records takes it: in headers.
func recordsHeaders(providerConfigKey, connectionID string) http.Header {
	h := http.Header{}
	h.Set("Connection-Id", connectionID)
	h.Set("Provider-Config-Key", providerConfigKey)
	return h
}
