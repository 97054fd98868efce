package service

import (
	"context"
	"net/http"
	"strconv"

	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// recordsService implements gatewayv1.RecordsServiceServer.
type recordsService struct {
	gatewayv1.UnimplementedRecordsServiceServer
	deps Deps
}

// NewRecordsService returns the RecordsService.
func NewRecordsService(d Deps) *recordsService { return &recordsService{deps: d} }

// pruneRecordsBody is PATCH /records/prune's body, keys in the SDK's order.
type pruneRecordsBody struct {
	Model       string  `json:"model"`
	UntilCursor string  `json:"until_cursor"`
	Limit       *int32  `json:"limit,omitempty"`
	Variant     *string `json:"variant,omitempty"`
}

// ListRecords is GET /records/ (with the trailing slash the SDK sends). The
// query keeps the SDK's order and URLSearchParams encoding.
func (s *recordsService) ListRecords(ctx context.Context, req *gatewayv1.ListRecordsRequest) (*gatewayv1.ListRecordsResponse, error) {
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
	out := &gatewayv1.ListRecordsResponse{}
	if _, err := s.deps.Upstream.DoProto(ctx, &nangohttp.Request{
		Method:   http.MethodGet,
		Path:     "/records/",
		RawQuery: q.encode(),
		Header:   recordsHeaders(req.GetProviderConfigKey(), req.GetConnectionId()),
	}, out); err != nil {
		return nil, err
	}
	return out, nil
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
