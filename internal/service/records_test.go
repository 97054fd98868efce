package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const recordsModel = "GithubIssue"

func recordsPtr[T any](v T) *T { return &v }

func TestListRecordsSendsTheSDKQueryInOrder(t *testing.T) {
	recent := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04:05.000Z")
	recentEnc := strings.ReplaceAll(recent, ":", "%3A")
	tests := []struct {
		name      string
		req       *gatewayv1.ListRecordsRequest
		wantQuery string
	}{
		{
			name:      "model only",
			req:       &gatewayv1.ListRecordsRequest{Model: recordsModel},
			wantQuery: "model=GithubIssue",
		},
		{
			name: "every parameter",
			req: &gatewayv1.ListRecordsRequest{
				Model: recordsModel, Variant: recordsPtr("v1"), ModifiedAfter: recordsPtr("2026-01-01T00:00:00.000Z"),
				Limit: recordsPtr(int32(50)), Filter: recordsPtr("added,updated"), Cursor: recordsPtr("abc=="),
				Ids: []string{"1", "a b", "x~*/"},
			},
			wantQuery: "model=GithubIssue&variant=v1&modified_after=2026-01-01T00%3A00%3A00.000Z&limit=50&filter=added%2Cupdated&cursor=abc%3D%3D&ids=1&ids=a+b&ids=x%7E*%2F",
		},
		{
			name:      "delta is sent as modified_after",
			req:       &gatewayv1.ListRecordsRequest{Model: recordsModel, Delta: recordsPtr(recent)},
			wantQuery: "model=GithubIssue&modified_after=" + recentEnc,
		},
		{
			name: "modified_after wins over delta",
			req: &gatewayv1.ListRecordsRequest{
				Model: recordsModel, ModifiedAfter: recordsPtr("2026-02-01T00:00:00Z"), Delta: recordsPtr("2026-03-01T00:00:00Z"),
			},
			wantQuery: "model=GithubIssue&modified_after=2026-02-01T00%3A00%3A00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
			h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/records", Status: 200, Body: []byte(`{"records":[],"next_cursor":null}`)})
			tt.req.ProviderConfigKey = sarpIntegration
			tt.req.ConnectionId = sarpConnection
			got, err := c.ListRecords(rpcCtx(t), tt.req)
			if err != nil {
				t.Fatalf("ListRecords: %v", err)
			}
			rec := h.lastRequest(t)
			wantRoute(t, rec, "GET", "/records/", tt.wantQuery)
			sarpHeader(t, rec, "Connection-Id", sarpConnection, true)
			sarpHeader(t, rec, "Provider-Config-Key", sarpIntegration, true)
			if len(rec.Body) != 0 {
				t.Fatalf("GET /records/ carried a body: %q", rec.Body)
			}
			if len(got.GetRecords()) != 0 || got.GetNextCursor() != nil {
				t.Fatalf("answer = %v, want no records and a null cursor", got)
			}
		})
	}
}

func TestListRecordsGivesEachRecordsJSONAsSentWithTypedMetadataAndTheCursor(t *testing.T) {
	const record = `{"id":"7","title":"x \"quoted\" \u00e9","n":3,"nested":{"a":[1,{"b":null}]},"_nango_metadata":{"first_seen_at":"2026-01-01T00:00:00.000001+00:00","last_modified_at":"2026-01-01T00:00:00.000001+00:00","last_action":"ADDED","deleted_at":null,"pruned_at":null,"cursor":"Yw=="}}`
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/records", Status: 200, Body: []byte(`{"records":[
		` + record + `
	],"next_cursor":"Yw=="}`)})
	got, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel})
	if err != nil {
		t.Fatalf("ListRecords: %v", err)
	}
	meta := &gatewayv1.RecordMetadata{
		FirstSeenAt: "2026-01-01T00:00:00.000001+00:00", LastModifiedAt: "2026-01-01T00:00:00.000001+00:00",
		LastAction: "ADDED", Cursor: "Yw==",
	}
	want := &gatewayv1.ListRecordsResponse{
		Records:    []*gatewayv1.Record{{Json: []byte(record), Id: "7", Metadata: meta}},
		NextCursor: wrapperspb.String("Yw=="),
	}
	if !proto.Equal(got, want) {
		t.Fatalf("answer = %v\nwant %v", got, want)
	}
}

func TestListRecordsAsStructGivesProtobufValuesWithoutTheMetadataKey(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/records", Status: 200, Body: []byte(`{"records":[
		{"id":"7","title":"x","n":3,"_nango_metadata":{"last_action":"DELETED","deleted_at":"2026-01-02T00:00:00+00:00","pruned_at":null,"cursor":"Yw=="}}
	],"next_cursor":null}`)})
	got, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, AsStruct: true})
	if err != nil {
		t.Fatalf("ListRecords: %v", err)
	}
	payload, _ := structpb.NewStruct(map[string]any{"id": "7", "title": "x", "n": 3})
	want := &gatewayv1.ListRecordsResponse{Records: []*gatewayv1.Record{{
		Id: "7", Payload: payload,
		Metadata: &gatewayv1.RecordMetadata{LastAction: "DELETED", DeletedAt: wrapperspb.String("2026-01-02T00:00:00+00:00"), Cursor: "Yw=="},
	}}}
	if !proto.Equal(got, want) {
		t.Fatalf("answer = %v\nwant %v", got, want)
	}
}

func TestListRecordsRefusesAPageThatIsNotJSONAsMalformed(t *testing.T) {
	for _, body := range []string{`{"records":[{"id":"1"}`, `{"records":[{"id":"1",}]}`, `{"next_cursor":null}`, `[]`} {
		h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
		h.sim.InjectFault(simulator.Fault{Method: "GET", PathPrefix: "/records", Status: 200, Body: []byte(body)})
		_, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel})
		if status.Code(err) != codes.Internal || !strings.Contains(status.Convert(err).Message(), "not valid JSON") {
			t.Errorf("page %s: error %v, want Internal naming malformed JSON", body, err)
		}
	}
}

func TestListRecordsPagesThroughEverySeededRecord(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	seen := map[string]bool{}
	var cursor *string
	pages := 0
	for {
		got, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{
			ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel,
			Limit: recordsPtr(int32(1000)), Cursor: cursor,
		})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		want := "model=GithubIssue&limit=1000"
		if cursor != nil {
			want += "&cursor=" + url.QueryEscape(*cursor) // base64: same bytes as URLSearchParams
		}
		wantRoute(t, h.lastRequest(t), "GET", "/records/", want)
		for _, r := range got.GetRecords() {
			id := r.GetId()
			if id == "" || seen[id] {
				t.Fatalf("page %d: record id %q empty or seen twice", pages, id)
			}
			seen[id] = true
		}
		if got.GetNextCursor() == nil {
			break
		}
		last := got.GetRecords()[len(got.GetRecords())-1]
		if mc := last.GetMetadata().GetCursor(); mc != got.GetNextCursor().GetValue() {
			t.Fatalf("next_cursor %q is not the last record's cursor %q", got.GetNextCursor().GetValue(), mc)
		}
		cursor = recordsPtr(got.GetNextCursor().GetValue())
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 || len(seen) != 2500 {
		t.Fatalf("got %d records in %d pages, want 2500 in 3", len(seen), pages)
	}
}

func TestPruneRecordsSendsTheSDKBody(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	first, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Limit: recordsPtr(int32(5)),
	})
	if err != nil {
		t.Fatalf("ListRecords: %v", err)
	}
	until := first.GetNextCursor().GetValue()

	got, err := c.PruneRecords(rpcCtx(t), &gatewayv1.PruneRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel,
		UntilCursor: until, Limit: recordsPtr(int32(3)),
	})
	if err != nil {
		t.Fatalf("PruneRecords: %v", err)
	}
	rec := h.lastRequest(t)
	wantRoute(t, rec, "PATCH", "/records/prune", "")
	sarpHeader(t, rec, "Connection-Id", sarpConnection, true)
	sarpHeader(t, rec, "Provider-Config-Key", sarpIntegration, true)
	sarpHeader(t, rec, "Content-Type", "application/json", true)
	wantJSON(t, rec.Body, `{"model":"GithubIssue","until_cursor":"`+until+`","limit":3}`)
	if !proto.Equal(got, &gatewayv1.PruneRecordsResponse{Count: 3, HasMore: true}) {
		t.Fatalf("answer = %v, want 3 pruned and more left", got)
	}

	h.sim.InjectFault(simulator.Fault{Method: "PATCH", PathPrefix: "/records/prune", Status: 200, Body: []byte(`{"count":0,"has_more":false}`)})
	if _, err := c.PruneRecords(rpcCtx(t), &gatewayv1.PruneRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel,
		UntilCursor: "abc", Variant: recordsPtr("v1"),
	}); err != nil {
		t.Fatalf("PruneRecords with a variant: %v", err)
	}
	wantJSON(t, h.lastRequest(t).Body, `{"model":"GithubIssue","until_cursor":"abc","variant":"v1"}`)
}

// Over gRPC, through the interceptor chain: every record of the model arrives once, in
// Nango's order, page after page, each with its cursor.
func TestStreamRecordsSendsEveryRecordOnceOverGRPC(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	pageSize := int32(700)
	stream, err := c.StreamRecords(rpcCtx(t), &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, PageSize: &pageSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var last string
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", len(seen), err)
		}
		if seen[msg.GetId()] {
			t.Fatalf("record %s sent twice", msg.GetId())
		}
		seen[msg.GetId()] = true
		if msg.GetMetadata().GetCursor() == "" || msg.GetMetadata().GetCursor() == last {
			t.Fatalf("record %s has cursor %q after %q", msg.GetId(), msg.GetMetadata().GetCursor(), last)
		}
		last = msg.GetMetadata().GetCursor()
		var record struct {
			ID       string `json:"id"`
			Metadata struct {
				Cursor string `json:"cursor"`
			} `json:"_nango_metadata"`
		}
		if err := json.Unmarshal(msg.GetJson(), &record); err != nil || record.ID != msg.GetId() || record.Metadata.Cursor != last {
			t.Fatalf("record %s json %s does not match its id and cursor (%v)", msg.GetId(), msg.GetJson(), err)
		}
	}
	if want := simulator.SeedGithubIssueCount; len(seen) != want {
		t.Fatalf("streamed %d records, want %d", len(seen), want)
	}
	pages := 0
	for _, r := range h.sim.Requests() {
		if r.Path == "/records/" {
			pages++
			if r.Query.Get("limit") != "700" || r.Header.Get("Connection-Id") != sarpConnection {
				t.Errorf("page request %s with headers %v", r.RawQuery, r.Header)
			}
		}
	}
	if pages != 4 {
		t.Errorf("fetched %d pages, want 4", pages)
	}
}

// With records_per_message, a page's records come in batches of at most that many, never
// across pages, in order, each with the JSON Nango sent and its cursor: the same records as
// one per message, in fewer messages.
func TestStreamRecordsBatchesRecordsWithinEachPage(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	pageSize := int32(700)
	stream, err := c.StreamRecords(rpcCtx(t), &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, PageSize: &pageSize,
		RecordsPerMessage: 300,
	})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var last string
	total := 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", total, err)
		}
		if msg.GetId() != "" || msg.GetJson() != nil {
			t.Fatalf("a batch message has flat fields set: id %q", msg.GetId())
		}
		sizes = append(sizes, len(msg.GetRecords()))
		for _, rec := range msg.GetRecords() {
			cursor := rec.GetMetadata().GetCursor()
			if cursor == "" || cursor == last {
				t.Fatalf("record %s has cursor %q after %q", rec.GetId(), cursor, last)
			}
			last = cursor
			var record struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(rec.GetJson(), &record); err != nil || record.ID != rec.GetId() {
				t.Fatalf("record %s json %s does not match its id (%v)", rec.GetId(), rec.GetJson(), err)
			}
			total++
		}
	}
	if total != simulator.SeedGithubIssueCount {
		t.Fatalf("streamed %d records, want %d", total, simulator.SeedGithubIssueCount)
	}
	// Pages of 700 cut into 300, 300 and 100; the last page holds what is left.
	for i, n := range sizes {
		if n == 0 || n > 300 {
			t.Fatalf("message %d carries %d records; sizes %v", i, n, sizes)
		}
	}
	if sizes[0] != 300 || sizes[1] != 300 || sizes[2] != 100 {
		t.Errorf("first page cut into %v, want 300, 300, 100", sizes[:3])
	}
}

func TestRecordsRPCsRejectInvalidRequestsWithoutCallingNango(t *testing.T) {
	wantInvalidCallsOf(t, gatewayv1.NewRecordsServiceClient, []invalidCallOf[gatewayv1.RecordsServiceClient]{
		{"a lower-case model", "model", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: "issue"})
			return err
		}},
		{"a limit over 10000", "limit", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Limit: recordsPtr(int32(10001))})
			return err
		}},
		{"an offset modified_after", "modified_after", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, ModifiedAfter: recordsPtr("2026-01-01T00:00:00+02:00")})
			return err
		}},
		{"an unknown filter", "filter", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Filter: recordsPtr("created")})
			return err
		}},
		{"too many ids", "ids", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = "x"
			}
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Ids: ids})
			return err
		}},
		{"a missing connection", "connection_id", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, Model: recordsModel})
			return err
		}},
		{"an empty until_cursor", "until_cursor", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.PruneRecords(ctx, &gatewayv1.PruneRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel})
			return err
		}},
		{"a prune limit of 0", "limit", func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			_, err := c.PruneRecords(ctx, &gatewayv1.PruneRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, UntilCursor: "c", Limit: recordsPtr(int32(0))})
			return err
		}},
	})
}

func TestRecordsRPCsMapNangoErrors(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	calls := []upstreamCall{
		{"ListRecords", "GET", "/records", func(ctx context.Context) error {
			_, err := c.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel})
			return err
		}},
		{"PruneRecords", "PATCH", "/records/prune", func(ctx context.Context) error {
			_, err := c.PruneRecords(ctx, &gatewayv1.PruneRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, UntilCursor: "c"})
			return err
		}},
	}
	wantUpstreamErrorsOf(t, h, calls)
}

func TestListRecordsReturnsNangoErrorsFromTheRealRoute(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewRecordsServiceClient)
	_, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: "nobody", Model: recordsModel})
	wantCode(t, err, codes.InvalidArgument, "unknown_connection")

	// A cursor that does not decode is Nango's 500, not a 400.
	_, err = c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Cursor: recordsPtr("!!!")})
	wantCode(t, err, codes.Internal, "server_error")
}

// smallBodyRecordsClient serves the records RPCs over a seeded simulator through an
// upstream client that reads at most limit bytes of an answer.
func smallBodyRecordsClient(t *testing.T, limit int64) (*simulator.Simulator, gatewayv1.RecordsServiceClient) {
	t.Helper()
	sim := simulator.New(simulator.Options{APIKey: testAPIKey, Seed: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: testAPIKey, MaxResponseBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessWithDeps(t, sim, service.Deps{Upstream: up})
	return sim, gatewayv1.NewRecordsServiceClient(h.conn)
}

// A page over the body limit holds what the caller asked for: ListRecords says so with
// ResourceExhausted naming limit, not Internal.
func TestListRecordsPageOverTheBodyLimitIsResourceExhaustedNamingLimit(t *testing.T) {
	_, c := smallBodyRecordsClient(t, 64<<10)
	_, err := c.ListRecords(rpcCtx(t), &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel, Limit: recordsPtr(int32(1000)),
	})
	st := wantCode(t, err, codes.ResourceExhausted, service.ReasonRecordsPageTooLarge)
	if !strings.Contains(st.Message(), "(limit)") {
		t.Errorf("message %q does not name limit", st.Message())
	}
}

// StreamRecords chooses its page size, so a page over the body limit is asked again at
// half the size, from the same cursor, until it fits: every record arrives once.
func TestStreamRecordsHalvesAPageOverTheBodyLimitUntilItFits(t *testing.T) {
	sim, c := smallBodyRecordsClient(t, 64<<10)
	stream, err := c.StreamRecords(rpcCtx(t), &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, Model: recordsModel,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d records: %v", len(seen), err)
		}
		if seen[msg.GetId()] {
			t.Fatalf("record %s sent twice", msg.GetId())
		}
		seen[msg.GetId()] = true
	}
	if len(seen) != simulator.SeedGithubIssueCount {
		t.Fatalf("streamed %d records, want %d", len(seen), simulator.SeedGithubIssueCount)
	}
	var limits []string
	for _, r := range sim.Requests() {
		if r.Path == "/records/" {
			limits = append(limits, r.Query.Get("limit"))
		}
	}
	if len(limits) < 2 || limits[0] != "1000" || limits[1] != "500" || limits[0] == limits[len(limits)-1] {
		t.Errorf("page sizes asked %v, want 1000 then halved", limits)
	}
}
