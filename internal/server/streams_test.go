package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

const testSigningKey = "whsec-test"

func startStreamingGateway(t *testing.T) *Server {
	t.Helper()
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: testKey, Seed: true}))
	t.Cleanup(upstream.Close)
	cfg := testConfig(t, upstream.URL, testKey)
	cfg.ShutdownGrace = 2 * time.Second
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return srv
}

// The REST face streams every record of a model as newline-delimited JSON, each record
// the JSON Nango sent, _nango_metadata included.
func TestRESTStreamsRecordsAsNDJSON(t *testing.T) {
	srv := startStreamingGateway(t)
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/records/stream?model=GithubIssue&page_size=1000", nil)
	req.Header.Set("Connection-Id", "conn-github-1")
	req.Header.Set("Provider-Config-Key", "github")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q, want application/x-ndjson", ct)
	}
	lines := 0
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var line struct {
			Result struct {
				ID       string `json:"id"`
				Metadata struct {
					Cursor string `json:"cursor"`
				} `json:"_nango_metadata"`
			} `json:"result"`
		}
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil || line.Result.ID == "" || line.Result.Metadata.Cursor == "" {
			t.Fatalf("line %d is not a record: %s", lines, scanner.Text())
		}
		lines++
	}
	if lines != simulator.SeedGithubIssueCount {
		t.Errorf("streamed %d records, want %d", lines, simulator.SeedGithubIssueCount)
	}
}

// A stream refused before its first message — invalid values, a query that does not
// parse, an unknown parameter — answers Nango's JSON envelope with 400, not NDJSON.
func TestRESTStreamRefusalIsNangosEnvelope(t *testing.T) {
	srv := startStreamingGateway(t)
	for _, target := range []string{
		"/v1/records/stream?model=lowercase",
		"/v1/records/stream?model=GithubIssue&page_size=abc",
		"/v1/records/stream?model=GithubIssue&page_size=99999999999999",
		"/v1/records/stream?model=GithubIssue&bogus=1",
		"/v1/webhooks/events?from_oldest=maybe",
		"/v1/webhooks/events?after_sequence=-1",
	} {
		t.Run(target, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+target, nil)
			req.Header.Set("Connection-Id", "conn-github-1")
			req.Header.Set("Provider-Config-Key", "github")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusBadRequest ||
				body.Error.Code != "invalid_query_params" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("answer %d %q %+v (%v), want 400 invalid_query_params in JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
			}
		})
	}
}

// A signed webhook posted to the gateway reaches a REST subscriber of the event stream;
// a forged one is refused and never published.
func TestRESTStreamsVerifiedWebhookEvents(t *testing.T) {
	srv := startStreamingGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The stream's headers come with its first event, so subscribe in the background.
	type answer struct {
		resp *http.Response
		err  error
	}
	subscribed := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/webhooks/events?types=sync&from_oldest=true", nil)
		resp, err := http.DefaultClient.Do(req)
		subscribed <- answer{resp, err}
	}()

	post := func(body, signature string) int {
		r, _ := http.NewRequest(http.MethodPost, "http://"+srv.HTTPAddr()+webhooks.Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Nango-Hmac-Sha256", signature)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	forged := `{"from":"nango","type":"sync","connectionId":"forged","providerConfigKey":"github","syncName":"x","model":"GithubIssue","success":true}`
	if got := post(forged, webhooks.Sign("wrong-key", []byte(forged))); got != http.StatusUnauthorized {
		t.Fatalf("forged webhook answered %d, want 401", got)
	}
	auth := `{"from":"nango","type":"auth","connectionId":"c1","providerConfigKey":"github","operation":"creation","success":true}`
	if got := post(auth, webhooks.Sign(testSigningKey, []byte(auth))); got != http.StatusOK {
		t.Fatalf("auth webhook answered %d", got)
	}
	sync := `{"from":"nango","type":"sync","connectionId":"conn-github-1","providerConfigKey":"github","syncName":"github-issues","syncVariant":"base","model":"GithubIssue","success":true,"responseResults":{"added":1,"updated":0,"deleted":0}}`
	if got := post(sync, webhooks.Sign(testSigningKey, []byte(sync))); got != http.StatusOK {
		t.Fatalf("sync webhook answered %d", got)
	}
	sub := <-subscribed
	if sub.err != nil {
		t.Fatal(sub.err)
	}
	defer sub.resp.Body.Close()
	line, err := bufio.NewReader(sub.resp.Body).ReadBytes('\n')
	if err != nil {
		t.Fatalf("no event line: %v", err)
	}
	var event struct {
		Result struct {
			Sequence string `json:"sequence"`
			Event    struct {
				Type string `json:"type"`
				Sync struct {
					ConnectionID string `json:"connection_id"`
				} `json:"sync"`
			} `json:"event"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &event); err != nil {
		t.Fatalf("event line %s: %v", line, err)
	}
	// The gateway's in-memory sequences start above its start time (EpochBase).
	if seq, err := strconv.ParseUint(event.Result.Sequence, 10, 64); err != nil || seq <= eventbus.EpochBase(time.Now().Add(-time.Minute)) ||
		event.Result.Event.Type != "sync" || event.Result.Event.Sync.ConnectionID != "conn-github-1" {
		t.Errorf("first sync event = %s, want the signed sync webhook with this process's sequence", line)
	}
}

// Each NDJSON line holds the record byte for byte as Nango's own page holds it (here the
// page read through the relay, which changes nothing).
func TestRESTRecordStreamWritesEachRecordAsNangoSentIt(t *testing.T) {
	srv := startStreamingGateway(t)
	get := func(target string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+target, nil)
		req.Header.Set("Connection-Id", "conn-github-1")
		req.Header.Set("Provider-Config-Key", "github")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.NewDecoder(get("/records/?model=GithubIssue&limit=10000").Body).Decode(&page); err != nil || len(page.Records) == 0 {
		t.Fatalf("page: %v (%d records)", err, len(page.Records))
	}
	scanner := bufio.NewScanner(get("/v1/records/stream?model=GithubIssue&page_size=333").Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	i := 0
	for ; scanner.Scan(); i++ {
		want := `{"result":` + string(page.Records[i]) + `}`
		if scanner.Text() != want {
			t.Fatalf("line %d = %s\nwant %s", i, scanner.Text(), want)
		}
	}
	if i != len(page.Records) {
		t.Fatalf("%d lines, want %d", i, len(page.Records))
	}
}

// With as_struct the REST stream gives each record as the message's protobuf values,
// _nango_metadata typed beside the payload.
func TestRESTRecordStreamAsStructGivesProtobufValues(t *testing.T) {
	srv := startStreamingGateway(t)
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/records/stream?model=GithubIssue&as_struct=true", nil)
	req.Header.Set("Connection-Id", "conn-github-1")
	req.Header.Set("Provider-Config-Key", "github")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Result struct {
			ID       string         `json:"id"`
			Payload  map[string]any `json:"payload"`
			Metadata struct {
				Cursor string `json:"cursor"`
			} `json:"metadata"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &got); err != nil || got.Result.ID == "" || got.Result.Payload["id"] != got.Result.ID ||
		got.Result.Metadata.Cursor == "" || got.Result.Payload["_nango_metadata"] != nil {
		t.Fatalf("line %s (%v) is not a record as protobuf values", line, err)
	}
}

// A page that fails after the first has been sent ends the REST stream with one final
// {"error":…} line after the records already written, under the 200 already sent.
func TestRESTRecordStreamEndsWithAnErrorLineWhenAPageFails(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("cursor") == "" {
			_, _ = w.Write([]byte(`{"records":[{"id":"1","_nango_metadata":{"cursor":"c1"}},{"id":"2","_nango_metadata":{"cursor":"c2"}}],"next_cursor":"c2"}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"code":"invalid_query_params","message":"bad cursor"}}`))
	}))
	t.Cleanup(upstream.Close)
	srv, err := New(context.Background(), testConfig(t, upstream.URL, testKey), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	req, _ := http.NewRequest(http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/records/stream?model=GithubIssue", nil)
	req.Header.Set("Connection-Id", "c")
	req.Header.Set("Provider-Config-Key", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if resp.StatusCode != http.StatusOK || len(lines) != 3 ||
		lines[0] != `{"result":{"id":"1","_nango_metadata":{"cursor":"c1"}}}` ||
		!strings.HasPrefix(lines[2], `{"error":{"code":3,"message":"bad cursor"`) {
		t.Fatalf("answer %d:\n%s", resp.StatusCode, body)
	}
}

// An idle REST event stream writes a heartbeat line after every interval, so proxies in
// front of the gateway see traffic; heartbeats carry no event and no sequence.
func TestRESTIdleEventStreamWritesHeartbeatLines(t *testing.T) {
	srv := startStreamingGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.HTTPAddr()+"/v1/webhooks/events?heartbeat_interval=1s", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("answer %d %s", resp.StatusCode, b)
	}
	lines := bufio.NewReader(resp.Body)
	var sent []time.Time
	for range 2 {
		line, err := lines.ReadBytes('\n')
		if err != nil {
			t.Fatalf("no heartbeat line: %v", err)
		}
		var msg struct {
			Result map[string]json.RawMessage `json:"result"`
		}
		var hb struct {
			SentAt time.Time `json:"sent_at"`
		}
		if err := json.Unmarshal(line, &msg); err != nil || json.Unmarshal(msg.Result["heartbeat"], &hb) != nil || hb.SentAt.IsZero() {
			t.Fatalf("line %s is not a heartbeat (%v)", line, err)
		}
		if ev := string(msg.Result["event"]); ev != "" && ev != "null" {
			t.Errorf("heartbeat line carries an event: %s", line)
		}
		sent = append(sent, hb.SentAt)
	}
	if gap := sent[1].Sub(sent[0]); gap < time.Second {
		t.Errorf("heartbeats %v apart, want the 1s interval", gap)
	}
}
