package server

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// changeAndPostWebhook changes GithubRepo on conn-github-1 as a sync run would and posts
// the signed sync webhook to srv, as Nango would.
func changeAndPostWebhook(t *testing.T, sim *simulator.Simulator, srv *Server, ch simulator.RecordChanges) {
	t.Helper()
	hook, err := sim.ChangeRecords(simulator.SeedIntegrationGitHub, simulator.SeedConnectionGitHub, simulator.SeedSyncGithubRepos, "", ch)
	if err != nil {
		t.Fatal(err)
	}
	body, err := simulator.WebhookBody(hook)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+srv.HTTPAddr()+webhooks.Path, strings.NewReader(string(body)))
	req.Header.Set("X-Nango-Hmac-Sha256", webhooks.Sign(testSigningKey, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d", resp.StatusCode)
	}
}

// watchUntilCaughtUp reads records up to the next caught_up, skipping heartbeats.
func watchUntilCaughtUp(t *testing.T, stream grpc.ServerStreamingClient[gatewayv1.WatchRecordsResponse]) ([]*gatewayv1.Record, *gatewayv1.WatchCaughtUp) {
	t.Helper()
	var records []*gatewayv1.Record
	for {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("after %d records: %v", len(records), err)
		}
		if batch := msg.GetRecords(); batch != nil {
			records = append(records, batch.GetRecords()...)
		} else if caught := msg.GetCaughtUp(); caught != nil {
			return records, caught
		}
	}
}

func watchRepos(cursor *string) *gatewayv1.WatchRecordsRequest {
	return &gatewayv1.WatchRecordsRequest{ProviderConfigKey: simulator.SeedIntegrationGitHub, ConnectionId: simulator.SeedConnectionGitHub,
		Model: simulator.SeedModelGithubRepo, Cursor: cursor}
}

// A webhook posted to replica A reaches a watcher on replica B through JetStream, which
// fetches and streams the change; a watcher that left and comes back with its last
// cursor gets exactly the changes it missed, once each.
func TestWatchRecordsAcrossReplicasWithResume(t *testing.T) {
	nats := natstest.Run(t, t.TempDir())
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	shared := func(c *config.Config) { c.EventBusURL, c.EventBusStream = nats.URL(), "WATCH_EVENTS" }
	a := startConfiguredGateway(t, upstream.URL, shared)
	b := startConfiguredGateway(t, upstream.URL, shared)
	records := gatewayv1.NewRecordsServiceClient(dial(t, b))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	stream, err := records.WatchRecords(ctx, watchRepos(nil))
	if err != nil {
		t.Fatal(err)
	}
	initial, _ := watchUntilCaughtUp(t, stream)
	if len(initial) != simulator.SeedGithubRepoCount {
		t.Fatalf("catch-up sent %d records, want %d", len(initial), simulator.SeedGithubRepoCount)
	}
	seen := map[string]bool{} // id and cursor: a record delivered twice shows here
	for _, r := range initial {
		seen[r.GetId()+" "+r.GetMetadata().GetCursor()] = true
	}

	posted := time.Now()
	changeAndPostWebhook(t, sim, a, simulator.RecordChanges{Add: 2, Update: 1})
	changes, caught := watchUntilCaughtUp(t, stream)
	// The target is 1s plus a page fetch; a shared, noisy machine gets a generous bound.
	if elapsed := time.Since(posted); elapsed > 10*time.Second {
		t.Errorf("the change reached the watcher on the other replica after %v", elapsed)
	}
	if len(changes) != 3 {
		t.Fatalf("the webhook brought %d records, want 3", len(changes))
	}
	for _, r := range changes {
		seen[r.GetId()+" "+r.GetMetadata().GetCursor()] = true
	}
	cancel() // the watcher goes away…

	// …while two more syncs run, one announced to each replica.
	changeAndPostWebhook(t, sim, a, simulator.RecordChanges{Add: 1, Update: 1, Delete: 1})
	changeAndPostWebhook(t, sim, b, simulator.RecordChanges{Add: 1})
	want, err := records.ListRecords(context.Background(), &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: simulator.SeedIntegrationGitHub, ConnectionId: simulator.SeedConnectionGitHub,
		Model: simulator.SeedModelGithubRepo, Cursor: caught.Cursor,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.GetRecords()) != 4 {
		t.Fatalf("Nango holds %d changes after the watcher's cursor, want 4", len(want.GetRecords()))
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	resumed, err := records.WatchRecords(ctx2, watchRepos(caught.Cursor))
	if err != nil {
		t.Fatal(err)
	}
	missed, last := watchUntilCaughtUp(t, resumed)
	if len(missed) != len(want.GetRecords()) {
		t.Fatalf("resumed with %d records, want the %d missed", len(missed), len(want.GetRecords()))
	}
	for i, r := range missed {
		key := r.GetId() + " " + r.GetMetadata().GetCursor()
		if seen[key] {
			t.Errorf("record %s came twice", key)
		}
		if w := want.GetRecords()[i]; r.GetId() != w.GetId() || r.GetMetadata().GetCursor() != w.GetMetadata().GetCursor() {
			t.Errorf("missed record %d = %s, want %s %s", i, key, w.GetId(), w.GetMetadata().GetCursor())
		}
	}
	if last.GetCursor() != missed[len(missed)-1].GetMetadata().GetCursor() {
		t.Errorf("caught_up cursor %q, want the last record's", last.GetCursor())
	}
}

// GET /v1/records/watch streams NDJSON: a line per record with its JSON as Nango sent it,
// a caught_up line, then the changes a webhook announces; bad input is refused in Nango's
// envelope before any line.
func TestRESTWatchRecordsIsNDJSONOfRecordsAndCaughtUpLines(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	upstream := httptest.NewServer(sim)
	t.Cleanup(upstream.Close)
	srv := startConfiguredGateway(t, upstream.URL, nil)

	refused, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/records/watch?model=lowercase&heartbeat_interval=5s", nil)
	refused.Header.Set("Connection-Id", simulator.SeedConnectionGitHub)
	refused.Header.Set("Provider-Config-Key", simulator.SeedIntegrationGitHub)
	resp, err := http.DefaultClient.Do(refused)
	if err != nil {
		t.Fatal(err)
	}
	var envelope struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&envelope)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || envelope.Error.Code != "invalid_query_params" {
		t.Errorf("a lower-case model: %d %+v, want 400 invalid_query_params", resp.StatusCode, envelope)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/records/watch?model=GithubRepo&page_size=5&heartbeat_interval=60s", nil)
	req.Header.Set("Connection-Id", simulator.SeedConnectionGitHub)
	req.Header.Set("Provider-Config-Key", simulator.SeedIntegrationGitHub)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/x-ndjson" {
		t.Fatalf("answer %d %q, want 200 application/x-ndjson", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	type line struct {
		Result struct {
			Record *struct {
				ID       string `json:"id"`
				Metadata struct {
					Cursor     string `json:"cursor"`
					LastAction string `json:"last_action"`
				} `json:"_nango_metadata"`
			} `json:"record"`
			CaughtUp *struct {
				Cursor string `json:"cursor"`
				At     string `json:"at"`
			} `json:"caught_up"`
		} `json:"result"`
	}
	// untilCaughtUp returns the records' last actions and the caught_up cursor.
	untilCaughtUp := func() ([]string, string) {
		var actions []string
		lastCursor := ""
		for lines.Scan() {
			var l line
			if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
				t.Fatalf("line %q: %v", lines.Text(), err)
			}
			switch {
			case l.Result.Record != nil:
				if l.Result.Record.ID == "" || l.Result.Record.Metadata.Cursor == "" {
					t.Fatalf("line %q is not a record as Nango sends it", lines.Text())
				}
				actions, lastCursor = append(actions, l.Result.Record.Metadata.LastAction), l.Result.Record.Metadata.Cursor
			case l.Result.CaughtUp != nil:
				if l.Result.CaughtUp.Cursor != lastCursor || l.Result.CaughtUp.At == "" {
					t.Errorf("caught_up %q, want cursor %q and a time", lines.Text(), lastCursor)
				}
				return actions, l.Result.CaughtUp.Cursor
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
		return nil, ""
	}
	if initial, _ := untilCaughtUp(); len(initial) != simulator.SeedGithubRepoCount {
		t.Fatalf("%d record lines before caught_up, want %d", len(initial), simulator.SeedGithubRepoCount)
	}
	changeAndPostWebhook(t, sim, srv, simulator.RecordChanges{Add: 1, Delete: 1})
	if changes, _ := untilCaughtUp(); strings.Join(changes, ",") != "DELETED,ADDED" {
		t.Errorf("changes %v, want DELETED,ADDED", changes)
	}
}
