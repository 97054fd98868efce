package service_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// The watched model: twelve seeded records, a sync of its own.
const (
	watchIntegration = simulator.SeedIntegrationGitHub
	watchConnection  = simulator.SeedConnectionGitHub
	watchModel       = simulator.SeedModelGithubRepo
	watchSync        = simulator.SeedSyncGithubRepos
)

// watchHarness is a seeded simulator behind the gateway; with bus, webhooks reach the
// watchers through it.
func watchHarness(t *testing.T, bus eventbus.Bus, edit func(*service.Deps)) (*harness, gatewayv1.RecordsServiceClient) {
	t.Helper()
	sim := simulator.New(simulator.Options{APIKey: testAPIKey, Seed: true})
	upstreamServer := httptest.NewServer(sim)
	t.Cleanup(upstreamServer.Close)
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: upstreamServer.URL, SecretKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	deps := service.Deps{Upstream: upstream}
	if bus != nil {
		deps.Bus, deps.WebhookSigningKey = bus, "whsk-watch"
	}
	if edit != nil {
		edit(&deps)
	}
	h := newHarnessWithDeps(t, sim, deps)
	return h, gatewayv1.NewRecordsServiceClient(h.conn)
}

func watchRequest() *gatewayv1.WatchRecordsRequest {
	return &gatewayv1.WatchRecordsRequest{ProviderConfigKey: watchIntegration, ConnectionId: watchConnection, Model: watchModel}
}

func openWatch(t *testing.T, c gatewayv1.RecordsServiceClient, req *gatewayv1.WatchRecordsRequest) grpc.ServerStreamingClient[gatewayv1.WatchRecordsResponse] {
	t.Helper()
	stream, err := c.WatchRecords(rpcCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	return stream
}

// untilCaughtUp reads records up to the next caught_up, skipping heartbeats.
func untilCaughtUp(t *testing.T, stream grpc.ServerStreamingClient[gatewayv1.WatchRecordsResponse]) ([]*gatewayv1.Record, *gatewayv1.WatchCaughtUp) {
	t.Helper()
	var records []*gatewayv1.Record
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d records: %v", len(records), err)
		}
		switch ev := msg.GetEvent().(type) {
		case *gatewayv1.WatchRecordsResponse_Records:
			records = append(records, ev.Records.GetRecords()...)
		case *gatewayv1.WatchRecordsResponse_CaughtUp:
			return records, ev.CaughtUp
		}
	}
}

var publishedHooks atomic.Int64

// publishSyncWebhook changes the watched model in the simulator and puts the sync webhook
// Nango sends for it on the bus.
func publishSyncWebhook(t *testing.T, h *harness, bus eventbus.Bus, ch simulator.RecordChanges) {
	t.Helper()
	hook, err := h.sim.ChangeRecords(watchIntegration, watchConnection, watchSync, "", ch)
	if err != nil {
		t.Fatal(err)
	}
	body, err := simulator.WebhookBody(hook)
	if err != nil {
		t.Fatal(err)
	}
	// Two runs within a millisecond send the same body, which the bus would take for
	// Nango's redelivery of one webhook: a test's runs get ids of their own.
	id := fmt.Sprintf("%d %s", publishedHooks.Add(1), body)
	if _, _, err := bus.Publish(t.Context(), id, body, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func recordsRequests(h *harness) []simulator.RecordedRequest {
	var out []simulator.RecordedRequest
	for _, r := range h.sim.Requests() {
		if r.Path == "/records/" {
			out = append(out, r)
		}
	}
	return out
}

func TestWatchRecordsSendsEveryRecordPageByPageThenCaughtUpWithTheLastCursor(t *testing.T) {
	h, c := watchHarness(t, webhooksMemoryBus(t), nil)
	req := watchRequest()
	req.PageSize, req.RecordsPerMessage = recordsPtr(int32(5)), 4
	records, caught := untilCaughtUp(t, openWatch(t, c, req))

	if len(records) != simulator.SeedGithubRepoCount {
		t.Fatalf("got %d records before caught_up, want %d", len(records), simulator.SeedGithubRepoCount)
	}
	last := records[len(records)-1].GetMetadata().GetCursor()
	if caught.Cursor == nil || caught.GetCursor() != last || caught.GetAt() == nil {
		t.Errorf("caught_up = %v, want cursor %q and a time", caught, last)
	}
	// Exactly the pages ListRecords would ask for: 5, 5 and 2 records, each from the
	// cursor of the page before.
	reqs := recordsRequests(h)
	if len(reqs) != 3 {
		t.Fatalf("%d /records requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		want := url.Values{"model": {watchModel}, "limit": {"5"}}
		if i > 0 {
			want.Set("cursor", records[5*i-1].GetMetadata().GetCursor())
		}
		if r.Query.Encode() != want.Encode() || r.Header.Get("Connection-Id") != watchConnection || r.Header.Get("Provider-Config-Key") != watchIntegration {
			t.Errorf("request %d: query %q headers %v, want %q", i, r.RawQuery, r.Header, want.Encode())
		}
	}
}

func TestWatchRecordsResumesStrictlyAfterTheGivenCursor(t *testing.T) {
	_, c := watchHarness(t, webhooksMemoryBus(t), nil)
	all, _ := untilCaughtUp(t, openWatch(t, c, watchRequest()))
	req := watchRequest()
	req.Cursor = recordsPtr(all[6].GetMetadata().GetCursor())
	rest, caught := untilCaughtUp(t, openWatch(t, c, req))
	if len(rest) != len(all)-7 {
		t.Fatalf("resumed with %d records, want %d", len(rest), len(all)-7)
	}
	for i, r := range rest {
		if r.GetId() != all[7+i].GetId() {
			t.Errorf("record %d is %q, want %q", i, r.GetId(), all[7+i].GetId())
		}
	}
	if caught.GetCursor() != all[len(all)-1].GetMetadata().GetCursor() {
		t.Errorf("caught_up cursor %q, want the last record's", caught.GetCursor())
	}
}

func TestWatchRecordsStreamsAddedUpdatedAndDeletedRecordsWhenTheSyncWebhookArrives(t *testing.T) {
	bus := webhooksMemoryBus(t)
	h, c := watchHarness(t, bus, nil)
	stream := openWatch(t, c, watchRequest())
	_, first := untilCaughtUp(t, stream)
	h.sim.ResetRequests()

	publishSyncWebhook(t, h, bus, simulator.RecordChanges{Add: 2, Update: 1, Delete: 1})
	changes, caught := untilCaughtUp(t, stream)

	var actions []string
	for _, r := range changes {
		actions = append(actions, r.GetMetadata().GetLastAction())
	}
	if got := strings.Join(actions, ","); got != "UPDATED,DELETED,ADDED,ADDED" {
		t.Errorf("changes %s, want UPDATED,DELETED,ADDED,ADDED", got)
	}
	if changes[1].GetMetadata().GetDeletedAt() == nil {
		t.Errorf("the deleted record has no deleted_at: %v", changes[1].GetMetadata())
	}
	if caught.GetCursor() != changes[len(changes)-1].GetMetadata().GetCursor() {
		t.Errorf("caught_up cursor %q, want the last change's", caught.GetCursor())
	}
	reqs := recordsRequests(h)
	if len(reqs) != 1 || reqs[0].Query.Get("cursor") != first.GetCursor() {
		t.Errorf("the webhook made %d /records requests (%v), want one from the cursor of the catch-up", len(reqs), reqs)
	}
}

func TestWatchRecordsSharesOneUpstreamFetchPerChangeAmongWatchersAtTheSameCursor(t *testing.T) {
	bus := webhooksMemoryBus(t)
	h, c := watchHarness(t, bus, nil)
	var streams []grpc.ServerStreamingClient[gatewayv1.WatchRecordsResponse]
	for range 3 {
		s := openWatch(t, c, watchRequest())
		untilCaughtUp(t, s)
		streams = append(streams, s)
	}
	for round := range 2 {
		h.sim.ResetRequests()
		publishSyncWebhook(t, h, bus, simulator.RecordChanges{Add: 1, Update: 2})
		var ids []string
		for i, s := range streams {
			changes, _ := untilCaughtUp(t, s)
			if len(changes) != 3 {
				t.Fatalf("round %d: watcher %d got %d changes, want 3", round, i, len(changes))
			}
			got := changes[0].GetId() + changes[1].GetId() + changes[2].GetId()
			if i > 0 && got != ids[0] {
				t.Errorf("round %d: watcher %d got %s, watcher 0 %s", round, i, got, ids[0])
			}
			ids = append(ids, got)
		}
		if n := len(recordsRequests(h)); n != 1 {
			t.Errorf("round %d: three watchers made %d /records requests for one change, want 1", round, n)
		}
	}
}

func TestWatchRecordsPollsWhenNoWebhookCanArrive(t *testing.T) {
	h, c := watchHarness(t, nil, nil) // no bus: nothing will announce a change
	req := watchRequest()
	req.PollInterval = durationpb.New(time.Second)
	stream := openWatch(t, c, req)
	untilCaughtUp(t, stream)

	if _, err := h.sim.ChangeRecords(watchIntegration, watchConnection, watchSync, "", simulator.RecordChanges{Add: 1, Delete: 1}); err != nil {
		t.Fatal(err)
	}
	// Polls that find nothing back off (1s, 2s, 4s…), but one comes within a few seconds of
	// the change; the stream's 20s deadline fails the test if none does.
	for {
		changes, _ := untilCaughtUp(t, stream)
		if len(changes) == 0 {
			continue // a poll before the change, or one that found nothing
		}
		if len(changes) != 2 || changes[0].GetMetadata().GetLastAction() != "DELETED" || changes[1].GetMetadata().GetLastAction() != "ADDED" {
			t.Errorf("polled changes %v, want one deletion then one addition", changes)
		}
		return
	}
}

func TestWatchRecordsSendsHeartbeatsOnAQuietStream(t *testing.T) {
	_, c := watchHarness(t, webhooksMemoryBus(t), func(d *service.Deps) { d.HeartbeatInterval = 50 * time.Millisecond })
	stream := openWatch(t, c, watchRequest())
	untilCaughtUp(t, stream)
	for i := range 2 {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if msg.GetHeartbeat().GetSentAt() == nil {
			t.Fatalf("message %d on a quiet stream is %v, want a heartbeat", i, msg)
		}
	}
}

func TestWatchRecordsRejectsInvalidRequestsWithoutCallingNango(t *testing.T) {
	watch := func(edit func(*gatewayv1.WatchRecordsRequest)) func(context.Context, gatewayv1.RecordsServiceClient) error {
		return func(ctx context.Context, c gatewayv1.RecordsServiceClient) error {
			req := watchRequest()
			edit(req)
			stream, err := c.WatchRecords(ctx, req)
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}
	}
	wantInvalidCallsOf(t, gatewayv1.NewRecordsServiceClient, []invalidCallOf[gatewayv1.RecordsServiceClient]{
		{"a lower-case model", "model", watch(func(r *gatewayv1.WatchRecordsRequest) { r.Model = "repo" })},
		{"no connection", "connection_id", watch(func(r *gatewayv1.WatchRecordsRequest) { r.ConnectionId = "" })},
		{"an empty cursor", "cursor", watch(func(r *gatewayv1.WatchRecordsRequest) { r.Cursor = recordsPtr("") })},
		{"a page size of 0", "page_size", watch(func(r *gatewayv1.WatchRecordsRequest) { r.PageSize = recordsPtr(int32(0)) })},
		{"records_per_message over 10000", "records_per_message", watch(func(r *gatewayv1.WatchRecordsRequest) { r.RecordsPerMessage = 10001 })},
		{"a heartbeat every 100ms", "heartbeat_interval", watch(func(r *gatewayv1.WatchRecordsRequest) {
			r.HeartbeatInterval = durationpb.New(100 * time.Millisecond)
		})},
		{"a poll every two hours", "poll_interval", watch(func(r *gatewayv1.WatchRecordsRequest) { r.PollInterval = durationpb.New(2 * time.Hour) })},
	})
}

func TestWatchRecordsPollingOutlivesNangoBeingAwayForAWhile(t *testing.T) {
	h, c := watchHarness(t, nil, func(d *service.Deps) { d.WatchPollInterval = 20 * time.Millisecond })
	stream := openWatch(t, c, watchRequest())
	untilCaughtUp(t, stream)

	h.sim.ResetRequests()
	h.sim.InjectFault(simulator.Fault{PathPrefix: "/records", Status: http.StatusServiceUnavailable, Times: 5})
	if _, err := h.sim.ChangeRecords(watchIntegration, watchConnection, watchSync, "", simulator.RecordChanges{Update: 1}); err != nil {
		t.Fatal(err)
	}
	for {
		changes, _ := untilCaughtUp(t, stream) // the stream survives the failed polls
		if len(changes) == 0 {
			continue
		}
		if len(changes) != 1 || changes[0].GetMetadata().GetLastAction() != "UPDATED" {
			t.Errorf("changes %v, want the one update", changes)
		}
		break
	}
	failed := 0
	for _, r := range recordsRequests(h) {
		if r.Query.Get("model") == watchModel {
			failed++
		}
	}
	if failed < 6 {
		t.Errorf("%d /records requests, want the 5 that failed and the poll that succeeded", failed)
	}
}

func TestWatchRecordsEndsWithNangosRefusal(t *testing.T) {
	_, c := watchHarness(t, webhooksMemoryBus(t), nil)
	req := watchRequest()
	req.ConnectionId = "no-such-connection"
	_, err := openWatch(t, c, req).Recv()
	wantUpstreamError(t, err, codes.InvalidArgument, "unknown_connection", http.StatusBadRequest)
}

func TestWatchRecordsCoalescesWebhooksThatArriveDuringAFetch(t *testing.T) {
	bus := webhooksMemoryBus(t)
	// A heartbeat comes only once the watcher has been idle that long: every webhook
	// before it has been dealt with.
	h, c := watchHarness(t, bus, func(d *service.Deps) { d.HeartbeatInterval = 100 * time.Millisecond })
	stream := openWatch(t, c, watchRequest())
	untilCaughtUp(t, stream)
	h.sim.ResetRequests()

	// The fetch the first webhook starts is slow; three more syncs end while it runs.
	h.sim.InjectFault(simulator.Fault{PathPrefix: "/records", Latency: 300 * time.Millisecond})
	for range 4 {
		publishSyncWebhook(t, h, bus, simulator.RecordChanges{Add: 1})
	}
	caughtUps, added := 0, 0
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if msg.GetHeartbeat() != nil {
			break
		}
		added += len(msg.GetRecords().GetRecords())
		if msg.GetCaughtUp() != nil {
			caughtUps++
		}
	}
	if added != 4 {
		t.Errorf("%d records added, want 4 once each", added)
	}
	// Without coalescing: a fetch and a caught_up per webhook, four of each.
	if n := len(recordsRequests(h)); caughtUps > 2 || n > 2 {
		t.Errorf("four webhooks, three during a slow fetch, made %d fetches and %d caught_ups; want at most 2", n, caughtUps)
	}
}
