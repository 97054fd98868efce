package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// recordStreamEnv is the simulator behind an HTTP server whose /records requests can be
// intercepted: hook sees the n-th one (from 1) and may answer it itself.
type recordStreamEnv struct {
	sim      *simulator.Simulator
	deps     Deps
	requests atomic.Int32
	hook     func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newRecordStreamEnv(t *testing.T) *recordStreamEnv {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	env := &recordStreamEnv{sim: simulator.New(simulator.Options{Seed: true, RateLimit: -1})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/records") {
			n := int(env.requests.Add(1))
			if env.hook != nil && env.hook(n, w, r) {
				return
			}
		}
		env.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: simulator.DefaultAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(upstream.CloseIdleConnections)
	env.deps = Deps{Upstream: upstream}
	return env
}

// collect streams req and returns what was sent and how the stream ended.
func (env *recordStreamEnv) collect(ctx context.Context, req *gatewayv1.StreamRecordsRequest) ([]*gatewayv1.StreamRecordsResponse, error) {
	var out []*gatewayv1.StreamRecordsResponse
	err := streamRecords(ctx, env.deps, req, func(m *gatewayv1.StreamRecordsResponse) error {
		out = append(out, m)
		return nil
	})
	return out, err
}

// allGithubIssues is the truth: every seeded GithubIssue in one ListRecords page.
func (env *recordStreamEnv) allGithubIssues(t *testing.T) []*structpb.Struct {
	t.Helper()
	page, err := NewRecordsService(env.deps).ListRecords(t.Context(), &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: simulator.SeedIntegrationGitHub, ConnectionId: simulator.SeedConnectionGitHub,
		Model: simulator.SeedModelGithubIssue, Limit: proto.Int32(10000),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.GetRecords()) != simulator.SeedGithubIssueCount || page.GetNextCursor() != nil {
		t.Fatalf("seed has %d records (next %v), want %d on one page", len(page.GetRecords()), page.GetNextCursor(), simulator.SeedGithubIssueCount)
	}
	env.sim.ResetRequests()
	env.requests.Store(0)
	out := make([]*structpb.Struct, len(page.GetRecords()))
	for i, r := range page.GetRecords() {
		out[i] = &structpb.Struct{}
		if err := protojson.Unmarshal(r.GetJson(), out[i]); err != nil {
			t.Fatalf("record %d is not JSON: %v", i, err)
		}
	}
	return out
}

func githubIssuesRequest() *gatewayv1.StreamRecordsRequest {
	return &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: simulator.SeedIntegrationGitHub,
		ConnectionId:      simulator.SeedConnectionGitHub,
		Model:             simulator.SeedModelGithubIssue,
	}
}

// assertSameRecords checks got against want in order: same id, the same JSON, and typed
// metadata that says what the JSON's _nango_metadata says.
func assertSameRecords(t *testing.T, got []*gatewayv1.StreamRecordsResponse, want []*structpb.Struct) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("streamed %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		meta := w.GetFields()["_nango_metadata"].GetStructValue().GetFields()
		g := got[i]
		if g.GetId() != w.GetFields()["id"].GetStringValue() || g.GetId() == "" {
			t.Fatalf("record %d id = %q, want %q", i, g.GetId(), w.GetFields()["id"].GetStringValue())
		}
		gotJSON := &structpb.Struct{}
		if err := protojson.Unmarshal(g.GetJson(), gotJSON); err != nil || !proto.Equal(gotJSON, w) {
			t.Fatalf("record %d json = %s (%v), want %v", i, g.GetJson(), err, w)
		}
		wantMeta := &gatewayv1.RecordMetadata{
			Cursor:         meta["cursor"].GetStringValue(),
			LastAction:     meta["last_action"].GetStringValue(),
			FirstSeenAt:    meta["first_seen_at"].GetStringValue(),
			LastModifiedAt: meta["last_modified_at"].GetStringValue(),
		}
		if s, ok := meta["deleted_at"].GetKind().(*structpb.Value_StringValue); ok {
			wantMeta.DeletedAt = wrapperspb.String(s.StringValue)
		}
		if s, ok := meta["pruned_at"].GetKind().(*structpb.Value_StringValue); ok {
			wantMeta.PrunedAt = wrapperspb.String(s.StringValue)
		}
		if !proto.Equal(g.GetMetadata(), wantMeta) || wantMeta.GetCursor() == "" {
			t.Fatalf("record %d metadata = %v, want %v", i, g.GetMetadata(), wantMeta)
		}
	}
}

func TestStreamRecordsDeliversEveryRecordOnceInOrderAcrossPages(t *testing.T) {
	tests := []struct {
		name      string
		pageSize  *int32
		wantLimit string
	}{
		{"pages of 100", proto.Int32(100), "100"},
		{"pages of 7 (the last one short)", proto.Int32(7), "7"},
		{"default page size", nil, "1000"},
		{"one page", proto.Int32(10000), "10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newRecordStreamEnv(t)
			want := env.allGithubIssues(t)
			req := githubIssuesRequest()
			req.PageSize = tt.pageSize
			got, err := env.collect(t.Context(), req)
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			assertSameRecords(t, got, want)

			deleted := 0
			for _, r := range got {
				if r.GetMetadata().GetDeletedAt() != nil {
					deleted++
					if r.GetMetadata().GetLastAction() != "DELETED" {
						t.Fatalf("deleted record %s has last_action %s", r.GetId(), r.GetMetadata().GetLastAction())
					}
				}
			}
			if deleted != simulator.SeedGithubIssueDeleted {
				t.Fatalf("%d deleted records, want %d", deleted, simulator.SeedGithubIssueDeleted)
			}

			// The upstream requests are ListRecords' pages, each after the previous page's
			// last cursor.
			reqs := env.sim.Requests()
			limit := 1000
			fmt.Sscan(tt.wantLimit, &limit)
			if wantPages := (len(want) + limit - 1) / limit; len(reqs) != wantPages {
				t.Fatalf("%d upstream requests, want %d", len(reqs), wantPages)
			}
			for i, r := range reqs {
				wantQuery := "model=GithubIssue&limit=" + tt.wantLimit
				if i > 0 {
					wantQuery += "&cursor=" + url.QueryEscape(got[i*limit-1].GetMetadata().GetCursor())
				}
				if r.Method != http.MethodGet || r.Path != "/records/" || r.RawQuery != wantQuery {
					t.Fatalf("request %d = %s %s?%s, want GET /records/?%s", i, r.Method, r.Path, r.RawQuery, wantQuery)
				}
				if r.Header.Get("Connection-Id") != simulator.SeedConnectionGitHub || r.Header.Get("Provider-Config-Key") != simulator.SeedIntegrationGitHub {
					t.Fatalf("request %d headers = %v", i, r.Header)
				}
			}
		})
	}
}

func TestStreamRecordsResumesAfterACursor(t *testing.T) {
	env := newRecordStreamEnv(t)
	want := env.allGithubIssues(t)
	first, err := env.collect(t.Context(), githubIssuesRequest())
	if err != nil {
		t.Fatal(err)
	}
	req := githubIssuesRequest()
	req.Cursor = proto.String(first[1233].GetMetadata().GetCursor())
	req.PageSize = proto.Int32(500)
	env.sim.ResetRequests()
	got, err := env.collect(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRecords(t, got, want[1234:])
	if q := env.sim.Requests()[0].Query; q.Get("cursor") != req.GetCursor() {
		t.Fatalf("first resumed request cursor = %q, want %q", q.Get("cursor"), req.GetCursor())
	}
}

func TestStreamRecordsSendsListRecordsQuery(t *testing.T) {
	env := newRecordStreamEnv(t)
	after := time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	_, err := env.collect(t.Context(), &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: simulator.SeedIntegrationHubSpot,
		ConnectionId:      simulator.SeedConnectionHubSpot,
		Model:             simulator.SeedModelHubspotContact,
		Variant:           proto.String(simulator.SeedVariantHubSpotEU),
		ModifiedAfter:     proto.String(after),
		Filter:            proto.String("added,updated"),
		Ids:               []string{"a", "b c"},
		Cursor:            proto.String("Y3Vyc29y"),
		PageSize:          proto.Int32(50),
	})
	// The cursor does not decode: Nango (and the simulator) answer 500 server_error,
	// which the upstream client may retry.
	if status.Code(err) == codes.OK {
		t.Fatal("a cursor that does not decode was accepted")
	}
	reqs := env.sim.Requests()
	if len(reqs) == 0 {
		t.Fatal("no upstream request")
	}
	want := "model=HubspotContact&variant=eu&modified_after=" + url.QueryEscape(after) +
		"&limit=50&filter=added%2Cupdated&cursor=Y3Vyc29y&ids=a&ids=b+c"
	for _, r := range reqs {
		if r.RawQuery != want {
			t.Fatalf("query = %s\nwant    %s", r.RawQuery, want)
		}
	}
}

func TestStreamRecordsFollowsFiltersToTheEnd(t *testing.T) {
	env := newRecordStreamEnv(t)
	req := githubIssuesRequest()
	req.Filter = proto.String("deleted")
	req.PageSize = proto.Int32(20)
	got, err := env.collect(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != simulator.SeedGithubIssueDeleted {
		t.Fatalf("%d deleted records, want %d", len(got), simulator.SeedGithubIssueDeleted)
	}
}

func TestStreamRecordsCancelStopsUpstreamAtOnce(t *testing.T) {
	env := newRecordStreamEnv(t)
	inFlight := make(chan struct{})
	aborted := make(chan struct{})
	env.hook = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n < 2 {
			return false
		}
		if n == 2 {
			close(inFlight)
		}
		// The page fetched ahead never answers; only cancellation ends it.
		select {
		case <-r.Context().Done():
			if n == 2 {
				close(aborted)
			}
		case <-time.After(30 * time.Second):
		}
		return true
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req := githubIssuesRequest()
	req.PageSize = proto.Int32(100)
	sent := 0
	var cancelledAt time.Time
	err := streamRecords(ctx, env.deps, req, func(*gatewayv1.StreamRecordsResponse) error {
		if sent++; sent == 10 {
			select {
			case <-inFlight: // page 2 is being fetched while page 1 is sent
			case <-time.After(10 * time.Second):
				t.Error("page 2 was not fetched ahead")
			}
			cancelledAt = time.Now()
			cancel()
		}
		return nil
	})
	if status.Code(err) != codes.Canceled {
		t.Fatalf("error = %v, want Canceled", err)
	}
	if d := time.Since(cancelledAt); d > 5*time.Second {
		t.Fatalf("streamRecords returned %v after the cancel", d)
	}
	select {
	case <-aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request in flight was not cancelled")
	}
	time.Sleep(100 * time.Millisecond)
	if n := env.requests.Load(); n != 2 {
		t.Fatalf("%d upstream requests, want 2 (nothing after the cancel)", n)
	}
	if sent != 10 {
		t.Fatalf("sent %d records, want none after the cancel at the 10th", sent)
	}
}

func TestStreamRecordsFetchesOnlyOnePageAhead(t *testing.T) {
	env := newRecordStreamEnv(t)
	req := githubIssuesRequest()
	req.PageSize = proto.Int32(100)
	var whileStuck int32
	sent := 0
	// A consumer stuck on its first record (gRPC flow control) holds page 1 while page 2
	// is fetched, and nothing more.
	err := streamRecords(t.Context(), env.deps, req, func(*gatewayv1.StreamRecordsResponse) error {
		if sent++; sent == 1 {
			time.Sleep(300 * time.Millisecond)
			whileStuck = env.requests.Load()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if whileStuck != 2 {
		t.Fatalf("%d upstream requests while the first page was being sent, want 2", whileStuck)
	}
	if sent != simulator.SeedGithubIssueCount || env.requests.Load() != 25 {
		t.Fatalf("sent %d records in %d requests", sent, env.requests.Load())
	}
}

func TestStreamRecordsPageFailingMidStream(t *testing.T) {
	env := newRecordStreamEnv(t)
	want := env.allGithubIssues(t)
	env.hook = func(n int, _ http.ResponseWriter, _ *http.Request) bool {
		if n == 3 {
			env.sim.InjectFault(simulator.Fault{PathPrefix: "/records", Status: 500, Code: "server_error", Times: 100})
		}
		return false
	}
	req := githubIssuesRequest()
	req.PageSize = proto.Int32(100)
	got, err := env.collect(t.Context(), req)
	if err == nil {
		t.Fatal("the stream ended without error")
	}
	if hs, ok := nangohttp.HTTPStatusFromError(err); !ok || hs != 500 {
		t.Fatalf("error = %v, want Nango's 500 mapped by the upstream client", err)
	}
	if info, _ := nangohttp.ErrorInfoFrom(err); info.GetReason() != "server_error" {
		t.Fatalf("reason = %q, want server_error", info.GetReason())
	}
	assertSameRecords(t, got, want[:200])

	// The client resumes from the last cursor it received and loses nothing.
	env.sim.ClearFaults()
	env.hook = nil
	req.Cursor = proto.String(got[len(got)-1].GetMetadata().GetCursor())
	rest, err := env.collect(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	assertSameRecords(t, append(got, rest...), want)
}

func TestStreamRecordsFirstPageError(t *testing.T) {
	env := newRecordStreamEnv(t)
	req := githubIssuesRequest()
	req.ConnectionId = "no-such-connection"
	got, err := env.collect(t.Context(), req)
	if len(got) != 0 {
		t.Fatalf("sent %d records", len(got))
	}
	if info, _ := nangohttp.ErrorInfoFrom(err); status.Code(err) != codes.InvalidArgument || info.GetReason() != "unknown_connection" {
		t.Fatalf("error = %v, want InvalidArgument unknown_connection", err)
	}
}

func TestStreamRecordsSendErrorStopsFetching(t *testing.T) {
	env := newRecordStreamEnv(t)
	req := githubIssuesRequest()
	req.PageSize = proto.Int32(100)
	boom := errors.New("client went away")
	sent := 0
	err := streamRecords(t.Context(), env.deps, req, func(*gatewayv1.StreamRecordsResponse) error {
		sent++
		if sent == 150 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the send error", err)
	}
	// Page 2 was being sent, page 3 at most was fetched ahead (its request may reach the
	// server just after the return), and nothing follows.
	time.Sleep(100 * time.Millisecond)
	n := env.requests.Load()
	time.Sleep(100 * time.Millisecond)
	if n > 3 || env.requests.Load() != n {
		t.Fatalf("%d then %d upstream requests, want at most 3 and none after the error", n, env.requests.Load())
	}
}

func TestStreamRecordsCarriesTheJSONAsSentAndItsMetadataTyped(t *testing.T) {
	tests := []struct {
		name   string
		record string
		id     string
		meta   *gatewayv1.RecordMetadata
	}{
		{
			"live record",
			`{"id":"42","title":"t","_nango_metadata":{"cursor":"Yw==","last_action":"UPDATED","deleted_at":null,"pruned_at":null,"first_seen_at":"2026-01-01T00:00:00.000001+00:00","last_modified_at":"2026-01-02T00:00:00.000001+00:00"}}`,
			"42",
			&gatewayv1.RecordMetadata{Cursor: "Yw==", LastAction: "UPDATED", FirstSeenAt: "2026-01-01T00:00:00.000001+00:00", LastModifiedAt: "2026-01-02T00:00:00.000001+00:00"},
		},
		{
			"deleted and pruned record, spaced out",
			"{ \"id\" : \"7\" ,\n \"_nango_metadata\" : { \"cursor\":\"Yw==\", \"last_action\":\"DELETED\",\"deleted_at\":\"2026-01-03T00:00:00+00:00\",\"pruned_at\":\"2026-01-04T00:00:00+00:00\",\"first_seen_at\":\"a\",\"last_modified_at\":\"b\"} }",
			"7",
			&gatewayv1.RecordMetadata{Cursor: "Yw==", LastAction: "DELETED", DeletedAt: wrapperspb.String("2026-01-03T00:00:00+00:00"), PrunedAt: wrapperspb.String("2026-01-04T00:00:00+00:00"), FirstSeenAt: "a", LastModifiedAt: "b"},
		},
		{"numeric id and no metadata", `{"id":12345678901,"x":true}`, "12345678901", nil},
		{"escaped id", `{"id":"a\"b\u00e9","_nango_metadata":{"cursor":"c\/d"}}`, "a\"bé", &gatewayv1.RecordMetadata{Cursor: "c/d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"records":[` + tt.record + `],"next_cursor":null}`))
			}))
			defer srv.Close()
			upstream, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			defer upstream.CloseIdleConnections()
			for _, asStruct := range []bool{false, true} {
				req := githubIssuesRequest()
				req.AsStruct = asStruct
				var got []*gatewayv1.StreamRecordsResponse
				err = streamRecords(t.Context(), Deps{Upstream: upstream}, req, func(m *gatewayv1.StreamRecordsResponse) error {
					got = append(got, m)
					return nil
				})
				if err != nil || len(got) != 1 {
					t.Fatalf("as_struct=%v: %d records, %v", asStruct, len(got), err)
				}
				g := got[0]
				if g.GetId() != tt.id || !proto.Equal(g.GetMetadata(), tt.meta) {
					t.Fatalf("as_struct=%v: id %q meta %v, want %q %v", asStruct, g.GetId(), g.GetMetadata(), tt.id, tt.meta)
				}
				if !asStruct {
					if string(g.GetJson()) != tt.record || g.GetPayload() != nil {
						t.Fatalf("json = %s (payload %v), want the record as sent", g.GetJson(), g.GetPayload())
					}
					continue
				}
				if g.GetJson() != nil {
					t.Fatal("as_struct still sent the JSON")
				}
				if _, ok := g.GetPayload().GetFields()["_nango_metadata"]; ok {
					t.Fatal("the payload still holds _nango_metadata")
				}
				if _, ok := g.GetPayload().GetFields()["id"]; !ok {
					t.Fatal("the payload lost its id")
				}
			}
		})
	}
}

// fakeRecordPages serves n generated records the way GET /records/ does. Pages are
// generated on request, so the heap holds no fixture and the benchmark's peak heap is
// the stream's own. It also returns the total bytes of all pages.
func fakeRecordPages(n, limit int) (http.Handler, int64) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	page := func(b []byte, start int) []byte {
		b = append(b, `{"records":[`...)
		end := min(start+limit, n)
		for i := start; i < end; i++ {
			if i > start {
				b = append(b, ',')
			}
			id := int64(i)
			at := base.Add(time.Duration(i) * time.Millisecond)
			b = append(b, `{"id":"`...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `","number":`...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `,"title":"Issue `...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `: the sync stopped after a token refresh","state":"open","labels":["bug","sync"],"url":"https://github.com/acme/api/issues/`...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `","created_at":"2026-01-01T00:00:00.000Z","_nango_metadata":{"first_seen_at":"`...)
			b = at.AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
			b = append(b, `","last_modified_at":"`...)
			b = at.AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
			b = append(b, `","last_action":"ADDED","deleted_at":null,"pruned_at":null,"cursor":"c`...)
			b = strconv.AppendInt(b, id, 10)
			b = append(b, `"}}`...)
		}
		b = append(b, `],"next_cursor":`...)
		if end < n {
			b = append(b, `"c`...)
			b = strconv.AppendInt(b, int64(end-1), 10)
			b = append(b, '"')
		} else {
			b = append(b, "null"...)
		}
		return append(b, '}')
	}
	var total int64
	for start := 0; start < n; start += limit {
		total += int64(len(page(nil, start)))
	}
	var mu sync.Mutex
	var buf []byte
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			i, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
			if err != nil {
				http.Error(w, `{"error":{"code":"server_error"}}`, http.StatusInternalServerError)
				return
			}
			start = i + 1
		}
		if r.URL.Query().Get("limit") != strconv.Itoa(limit) {
			http.Error(w, `{"error":{"code":"invalid_query_params"}}`, http.StatusBadRequest)
			return
		}
		mu.Lock() // one buffer, reused: the stream asks for one page at a time
		defer mu.Unlock()
		buf = page(buf[:0], start)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(buf)
	}), total
}

func TestStreamRecordsRefusesARepeatedCursor(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"records":[{"id":"1","_nango_metadata":{"cursor":"same"}}],"next_cursor":"same"}`))
	}))
	t.Cleanup(srv.Close)
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(upstream.CloseIdleConnections)
	var got int
	err = streamRecords(t.Context(), Deps{Upstream: upstream}, githubIssuesRequest(), func(*gatewayv1.StreamRecordsResponse) error {
		got++
		return nil
	})
	if status.Code(err) != codes.Internal || got != 1 {
		t.Fatalf("error = %v after %d records; want Internal after the first page", err, got)
	}
}

// BenchmarkStreamRecords100k streams 100,000 records in pages of 1000 from a local
// upstream. "discard" measures the stream alone; "marshal" adds the protobuf encoding
// gRPC does for every message.
func BenchmarkStreamRecords100k(b *testing.B) {
	const n, pageSize = 100_000, 1000
	handler, upstreamBytes := fakeRecordPages(n, pageSize)
	srv := httptest.NewServer(handler)
	defer srv.Close()
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	defer upstream.CloseIdleConnections()
	deps := Deps{Upstream: upstream}
	req := githubIssuesRequest()
	req.PageSize = proto.Int32(pageSize)

	for _, mode := range []string{"discard", "marshal"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(upstreamBytes)
			var sent, wire int
			peak := sampleHeapPeak(b)
			start := time.Now()
			for b.Loop() {
				sent = 0
				err := streamRecords(b.Context(), deps, req, func(m *gatewayv1.StreamRecordsResponse) error {
					sent++
					if mode == "marshal" {
						out, err := proto.Marshal(m)
						if err != nil {
							return err
						}
						wire += len(out)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if sent != n {
					b.Fatalf("sent %d records, want %d", sent, n)
				}
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "records/s")
			if mode == "marshal" {
				b.ReportMetric(float64(wire)/float64(n*b.N), "wire-B/record")
			}
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// sampleHeapPeak samples the live heap every few milliseconds until the benchmark ends
// and returns a function giving the largest value seen: flat memory means this stays
// near two pages whatever the number of records.
func sampleHeapPeak(b *testing.B) func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(sample)
				if v := sample[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	var once sync.Once
	return func() uint64 {
		once.Do(func() { close(stop); <-done })
		return peak.Load()
	}
}

// A next_cursor that leads nowhere ends the stream with an error after a bounded number
// of pages, wherever the loop closes: before, only A→A was caught, and A→B→A or empty pages
// each with a new cursor spent the shared rate limit as fast as Nango answered.
func TestStreamRecordsEndsCursorLoopsAfterBoundedPages(t *testing.T) {
	record := `{"id":"r%d","_nango_metadata":{"cursor":"c%d","last_action":"ADDED","first_seen_at":"2026-11-01T00:00:00Z","last_modified_at":"2026-11-01T00:00:00Z","deleted_at":null,"pruned_at":null}}`
	page := func(records int, next string) string {
		var rs []string
		for i := range records {
			rs = append(rs, fmt.Sprintf(record, i, i))
		}
		return `{"records":[` + strings.Join(rs, ",") + `],"next_cursor":"` + next + `"}`
	}
	tests := []struct {
		name     string
		cursor   string             // the client's starting cursor
		answer   func(n int) string // the n-th page Nango answers
		maxPages int                // upstream requests at most
	}{
		{"A then B then A", "", func(n int) string { return page(1, map[int]string{1: "A", 2: "B", 3: "A"}[n]) }, 3},
		{"the client's own cursor back", "Z", func(int) string { return page(1, "Z") }, 1},
		{"empty pages, each with a new cursor", "", func(n int) string { return page(0, fmt.Sprintf("e%d", n)) }, maxEmptyPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newRecordStreamEnv(t)
			env.hook = func(n int, w http.ResponseWriter, _ *http.Request) bool {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.answer(n))
				return true
			}
			req := githubIssuesRequest()
			if tt.cursor != "" {
				req.Cursor = proto.String(tt.cursor)
			}
			_, err := env.collect(t.Context(), req)
			if status.Code(err) != codes.Internal {
				t.Fatalf("error = %v, want Internal naming the loop", err)
			}
			if n := int(env.requests.Load()); n > tt.maxPages {
				t.Errorf("%d pages fetched, want at most %d", n, tt.maxPages)
			}
		})
	}
}
