package soak

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// Kinds of traffic, as the summary counts them.
const (
	kindGRPCUnary  = "gRPC unary"
	kindRelay      = "REST relay"
	kindV1Unary    = "/v1 unary"
	kindGRPCStream = "gRPC record stream"
	kindV1Stream   = "/v1 record stream"
	kindWebhook    = "webhook POST"
	kindSubscriber = "event subscriber"
)

// op is one kind of call the driver makes; run returns nil when the gateway answered as
// it should (which for some calls is a given error).
type op struct {
	name   string
	kind   string
	weight int  // times it appears in one cycle of the schedule
	long   bool // a subscriber: lives for seconds, on its own budget
	run    func(ctx context.Context, i int) error
}

// wrongAnswer is an answer the call should not have given.
type wrongAnswer struct{ code, msg string }

func (e *wrongAnswer) Error() string { return e.code + ": " + e.msg }

// errorCode names an error for the summary: the gRPC code, the HTTP status, or what
// else went wrong.
func errorCode(err error) string {
	var w *wrongAnswer
	if errors.As(err, &w) {
		return w.code
	}
	if s, ok := status.FromError(err); ok {
		return s.Code().String()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "context " + err.Error()
	}
	return "transport"
}

// wantCode turns the expected failure into success and anything else into an error.
func wantCode(err error, want codes.Code) error {
	if got := status.Code(err); got != want {
		return &wrongAnswer{code: "wrong outcome", msg: fmt.Sprintf("got %v (%v), want %v", got, err, want)}
	}
	return nil
}

// tally counts calls and errors; safe for concurrent use.
type tally struct {
	mu      sync.Mutex
	byKind  map[string]int
	errors  map[string]int // "op: code"
	first   []string       // the first few error messages
	skipped atomic.Int64   // calls due with no free slot: the gateway fell behind the rate
	cutOff  int            // short-lived subscribers ended as too slow (errCutOff)
}

// errCutOff is a short-lived subscriber ended by the gateway because it fell behind, with
// where to resume: the documented answer to a reader that stalls, which on a shared
// machine any reader can. Over a retention of 200 events, a subscriber replaying from the
// oldest loses its unread events to eviction within a fraction of a second. It is
// counted, not failed; the subscriber that stays the whole run must never see it.
var errCutOff = errors.New("cut off as too slow, told where to resume")

func newTally() *tally { return &tally{byKind: map[string]int{}, errors: map[string]int{}} }

func (t *tally) add(o *op, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byKind[o.kind]++
	if errors.Is(err, errCutOff) {
		t.cutOff++
		return
	}
	if err != nil {
		t.errors[o.name+": "+errorCode(err)]++
		if len(t.first) < 10 {
			t.first = append(t.first, o.name+": "+err.Error())
		}
	}
}

// Seed data the traffic reads (see simulator/seed.go).
const (
	github      = simulator.SeedIntegrationGitHub
	githubConn  = simulator.SeedConnectionGitHub
	slack       = simulator.SeedIntegrationSlack
	slackConn   = simulator.SeedConnectionSlack
	hubspot     = simulator.SeedIntegrationHubSpot
	hubspotConn = simulator.SeedConnectionHubSpot
	// clientToken is what REST callers send as their own credentials: the relay must put
	// the gateway's key in its place, which the upstream check proves on every request.
	clientToken = "soak-client-token"
)

// traffic holds the clients and what the subscribers learnt.
type traffic struct {
	conn       *grpc.ClientConn
	http       *http.Client
	base       string // http://host:port of the gateway's HTTP face
	signingKey string
	gate       gate
	lastSeq    atomic.Uint64 // the newest sequence any subscriber saw, to resume after
	events     atomic.Int64  // events the short-lived subscribers received

	// The gateway de-duplicates webhooks by body (Nango delivers again on a timeout), so
	// each distinct body accepted is one event.
	mu       sync.Mutex
	accepted map[[sha256.Size]byte]struct{}
	posts    int    // webhook POSTs answered 200, redeliveries included
	lastBody []byte // the last body accepted, for a redelivery
}

// acceptedEvents is how many events the accepted webhooks make.
func (tr *traffic) acceptedEvents() int64 {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return int64(len(tr.accepted))
}

// httpStatusError is an HTTP answer with a status the call did not expect.
func httpStatusError(got, want int, body []byte) error {
	if len(body) > 200 {
		body = body[:200]
	}
	return &wrongAnswer{code: fmt.Sprintf("HTTP %d", got), msg: fmt.Sprintf("want %d: %s", want, body)}
}

// call makes one REST request and checks its status; the body is returned when it is
// the one wanted.
func (tr *traffic) call(ctx context.Context, method, path string, body []byte, headers map[string]string, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, tr.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := tr.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, httpStatusError(resp.StatusCode, want, b)
	}
	return b, nil
}

// relayHeaders are a REST caller's: its own token (never to reach Nango) and, for
// connection-scoped routes, the connection.
func relayHeaders(key, conn string) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + clientToken}
	if conn != "" {
		h["Connection-Id"], h["Provider-Config-Key"] = conn, key
	}
	return h
}

func (tr *traffic) ops() []*op {
	integrations := gatewayv1.NewIntegrationsServiceClient(tr.conn)
	connections := gatewayv1.NewConnectionsServiceClient(tr.conn)
	metadata := gatewayv1.NewMetadataServiceClient(tr.conn)
	environment := gatewayv1.NewEnvironmentServiceClient(tr.conn)
	records := gatewayv1.NewRecordsServiceClient(tr.conn)
	proxy := gatewayv1.NewProxyServiceClient(tr.conn)
	actions := gatewayv1.NewActionsServiceClient(tr.conn)
	syncs := gatewayv1.NewSyncsServiceClient(tr.conn)
	providers := gatewayv1.NewProvidersServiceClient(tr.conn)
	hooks := gatewayv1.NewWebhooksServiceClient(tr.conn)

	sampleBody := []byte(`{"from":"nango","type":"auth","connectionId":"c","providerConfigKey":"github","operation":"creation","success":true}`)
	sampleSig := webhooks.Sign(tr.signingKey, sampleBody)

	return []*op{
		// gRPC, unary, across the services.
		{name: "ListIntegrations", kind: kindGRPCUnary, weight: 2, run: func(ctx context.Context, _ int) error {
			r, err := integrations.ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
			if err == nil && len(r.GetData()) == 0 {
				err = &wrongAnswer{"wrong outcome", "no integrations"}
			}
			return err
		}},
		{name: "GetConnection", kind: kindGRPCUnary, weight: 2, run: func(ctx context.Context, _ int) error {
			r, err := connections.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: github, ConnectionId: githubConn})
			if err == nil && r.GetConnection().GetConnectionId() != githubConn {
				err = &wrongAnswer{"wrong outcome", "another connection: " + r.GetConnection().GetConnectionId()}
			}
			return err
		}},
		{name: "GetConnection (unknown)", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := connections.GetConnection(ctx, &gatewayv1.GetConnectionRequest{ProviderConfigKey: github, ConnectionId: "conn-missing"})
			return wantCode(err, codes.NotFound)
		}},
		{name: "SetMetadata", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, i int) error {
			md, _ := structpb.NewStruct(map[string]any{"soak": float64(i)})
			_, err := metadata.SetMetadata(ctx, &gatewayv1.SetMetadataRequest{
				ProviderConfigKey: slack, ConnectionId: structpb.NewStringValue(slackConn), Metadata: md,
			})
			return err
		}},
		{name: "GetMetadata", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := metadata.GetMetadata(ctx, &gatewayv1.GetMetadataRequest{ProviderConfigKey: slack, ConnectionId: slackConn})
			return err
		}},
		{name: "GetEnvironmentVariables", kind: kindGRPCUnary, weight: 2, run: func(ctx context.Context, _ int) error {
			r, err := environment.GetEnvironmentVariables(ctx, &gatewayv1.GetEnvironmentVariablesRequest{})
			if err == nil && len(r.GetVariables()) == 0 {
				err = &wrongAnswer{"wrong outcome", "no variables"}
			}
			return err
		}},
		{name: "ListRecords", kind: kindGRPCUnary, weight: 2, run: func(ctx context.Context, _ int) error {
			r, err := records.ListRecords(ctx, &gatewayv1.ListRecordsRequest{
				ProviderConfigKey: github, ConnectionId: githubConn, Model: simulator.SeedModelGithubIssue, Limit: proto.Int32(50),
			})
			if err == nil && len(r.GetRecords()) != 50 {
				err = &wrongAnswer{"wrong outcome", fmt.Sprintf("%d records, want 50", len(r.GetRecords()))}
			}
			return err
		}},
		{name: "ListRecords (invalid model)", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := records.ListRecords(ctx, &gatewayv1.ListRecordsRequest{ProviderConfigKey: github, ConnectionId: githubConn, Model: "not a model!"})
			return wantCode(err, codes.InvalidArgument)
		}},
		{name: "Proxy", kind: kindGRPCUnary, weight: 2, run: func(ctx context.Context, i int) error {
			r, err := proxy.Proxy(ctx, &gatewayv1.ProxyRequest{
				Method: http.MethodGet, Endpoint: fmt.Sprintf("/soak/%d", i%10), ProviderConfigKey: github, ConnectionId: githubConn,
			})
			if err == nil && r.GetStatus() != http.StatusOK {
				err = &wrongAnswer{"wrong outcome", fmt.Sprintf("proxy status %d", r.GetStatus())}
			}
			return err
		}},
		{name: "TriggerAction", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, i int) error {
			in, _ := structpb.NewValue(map[string]any{"n": float64(i)})
			_, err := actions.TriggerAction(ctx, &gatewayv1.TriggerActionRequest{
				ProviderConfigKey: github, ConnectionId: githubConn, ActionName: simulator.SeedActionEcho, Input: in,
			})
			return err
		}},
		{name: "SyncStatus", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := syncs.SyncStatus(ctx, &gatewayv1.SyncStatusRequest{
				Syncs: simulator.SeedSyncGithubIssues, ProviderConfigKey: github, ConnectionId: proto.String(githubConn),
			})
			return err
		}},
		{name: "GetProvider", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := providers.GetProvider(ctx, &gatewayv1.GetProviderRequest{Provider: "github"})
			return err
		}},
		{name: "VerifyWebhookSignature", kind: kindGRPCUnary, weight: 1, run: func(ctx context.Context, _ int) error {
			r, err := hooks.VerifyWebhookSignature(ctx, &gatewayv1.VerifyWebhookSignatureRequest{Body: sampleBody, Signature: sampleSig})
			if err == nil && !r.GetValid() {
				err = &wrongAnswer{"wrong outcome", "a good signature judged invalid"}
			}
			return err
		}},

		// The relay at Nango's own paths.
		{name: "relay GET /connections", kind: kindRelay, weight: 2, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/connections", nil, relayHeaders("", ""), http.StatusOK)
			return err
		}},
		{name: "relay GET /integrations/github", kind: kindRelay, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/integrations/"+github, nil, relayHeaders("", ""), http.StatusOK)
			return err
		}},
		{name: "relay GET /records", kind: kindRelay, weight: 2, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/records?model="+simulator.SeedModelSlackMessage+"&limit=20", nil, relayHeaders(slack, slackConn), http.StatusOK)
			return err
		}},
		{name: "relay POST /proxy", kind: kindRelay, weight: 2, run: func(ctx context.Context, i int) error {
			_, err := tr.call(ctx, http.MethodPost, "/proxy/soak", fmt.Appendf(nil, `{"n":%d}`, i), relayHeaders(github, githubConn), http.StatusOK)
			return err
		}},
		{name: "relay GET /connections/{unknown}", kind: kindRelay, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/connections/conn-missing?provider_config_key="+github, nil, relayHeaders("", ""), http.StatusNotFound)
			return err
		}},

		// The gRPC API's own HTTP mapping.
		{name: "/v1 GET integrations", kind: kindV1Unary, weight: 2, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/v1/integrations", nil, nil, http.StatusOK)
			return err
		}},
		{name: "/v1 GET connection", kind: kindV1Unary, weight: 2, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/v1/connections/"+githubConn+"?provider_config_key="+github, nil, nil, http.StatusOK)
			return err
		}},
		{name: "/v1 GET records", kind: kindV1Unary, weight: 2, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/v1/records?model="+simulator.SeedModelHubspotContact+"&limit=10", nil, relayHeaders(hubspot, hubspotConn), http.StatusOK)
			return err
		}},
		{name: "/v1 GET records (invalid model)", kind: kindV1Unary, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := tr.call(ctx, http.MethodGet, "/v1/records?model=lowercase", nil, relayHeaders(github, githubConn), http.StatusBadRequest)
			return err
		}},
		{name: "/v1 POST webhooks/verify", kind: kindV1Unary, weight: 1, run: func(ctx context.Context, _ int) error {
			body, _ := json.Marshal(map[string]string{"body": base64.StdEncoding.EncodeToString(sampleBody), "signature": sampleSig})
			b, err := tr.call(ctx, http.MethodPost, "/v1/webhooks/verify", body, nil, http.StatusOK)
			if err == nil && !bytes.Contains(b, []byte(`"valid":true`)) {
				err = &wrongAnswer{"wrong outcome", "a good signature judged invalid: " + string(b)}
			}
			return err
		}},

		// Record streams, read to the end or cancelled part-way.
		{name: "StreamRecords (whole)", kind: kindGRPCStream, weight: 2, run: func(ctx context.Context, i int) error {
			perMessage := uint32(0)
			if i%2 == 1 {
				perMessage = 100 // batched messages, as the clients ask for them
			}
			n, err := tr.streamRecords(ctx, records, slack, slackConn, simulator.SeedModelSlackMessage, perMessage, -1)
			if err == nil && n != simulator.SeedSlackMessageCount {
				err = &wrongAnswer{"wrong outcome", fmt.Sprintf("%d records, want %d", n, simulator.SeedSlackMessageCount)}
			}
			return err
		}},
		{name: "StreamRecords (cancelled)", kind: kindGRPCStream, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := tr.streamRecords(ctx, records, github, githubConn, simulator.SeedModelGithubIssue, 0, 250)
			return err
		}},
		{name: "/v1 records/stream (whole)", kind: kindV1Stream, weight: 1, run: func(ctx context.Context, _ int) error {
			n, err := tr.streamNDJSON(ctx, "/v1/records/stream?model="+simulator.SeedModelHubspotContact+"&page_size=100", hubspot, hubspotConn, -1)
			if err == nil && n != simulator.SeedHubspotContactCount {
				err = &wrongAnswer{"wrong outcome", fmt.Sprintf("%d lines, want %d", n, simulator.SeedHubspotContactCount)}
			}
			return err
		}},
		{name: "/v1 records/stream (cancelled)", kind: kindV1Stream, weight: 1, run: func(ctx context.Context, _ int) error {
			_, err := tr.streamNDJSON(ctx, "/v1/records/stream?model="+simulator.SeedModelGithubIssue+"&page_size=100", github, githubConn, 200)
			return err
		}},

		// Webhooks as Nango sends them, and one forged.
		{name: "webhook sync", kind: kindWebhook, weight: 3, run: func(ctx context.Context, i int) error {
			return tr.postWebhook(ctx, syncWebhook(i), tr.signingKey, http.StatusOK)
		}},
		{name: "webhook auth", kind: kindWebhook, weight: 2, run: func(ctx context.Context, i int) error {
			return tr.postWebhook(ctx, authWebhook(i), tr.signingKey, http.StatusOK)
		}},
		{name: "webhook forged", kind: kindWebhook, weight: 1, run: func(ctx context.Context, i int) error {
			return tr.postWebhook(ctx, syncWebhook(i), "not-the-signing-key", http.StatusUnauthorized)
		}},
		{name: "webhook redelivered", kind: kindWebhook, weight: 1, run: func(ctx context.Context, i int) error {
			tr.mu.Lock()
			body := tr.lastBody
			tr.mu.Unlock()
			if body == nil {
				body = authWebhook(i)
			}
			return tr.postWebhook(ctx, body, tr.signingKey, http.StatusOK)
		}},

		// Subscribers that come and go, from now, from the oldest retained event, or after
		// the newest sequence seen.
		{name: "StreamWebhookEvents", kind: kindSubscriber, weight: 1, long: true, run: tr.grpcSubscriber},
		{name: "/v1 webhooks/events", kind: kindSubscriber, weight: 1, long: true, run: tr.restSubscriber},
	}
}

// streamRecords reads a gRPC record stream, to the end (stopAfter < 0) or cancelling
// after stopAfter records, and counts the records.
func (tr *traffic) streamRecords(ctx context.Context, c gatewayv1.RecordsServiceClient, key, conn, model string, perMessage uint32, stopAfter int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.StreamRecords(ctx, &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: key, ConnectionId: conn, Model: model, PageSize: proto.Int32(100), RecordsPerMessage: perMessage,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if batch := msg.GetRecords(); len(batch) > 0 {
			n += len(batch)
		} else {
			n++
		}
		if stopAfter >= 0 && n >= stopAfter {
			return n, nil // the deferred cancel ends the stream part-way
		}
	}
}

// streamNDJSON reads a /v1 stream line by line, to the end or closing it after stopAfter
// lines; a final {"error":…} line is an error.
func (tr *traffic) streamNDJSON(ctx context.Context, path, key, conn string, stopAfter int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tr.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Connection-Id", conn)
	req.Header.Set("Provider-Config-Key", key)
	resp, err := tr.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return 0, httpStatusError(resp.StatusCode, http.StatusOK, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte(`{"error"`)) {
			return n, &wrongAnswer{"stream error line", sc.Text()}
		}
		n++
		if stopAfter >= 0 && n >= stopAfter {
			return n, nil
		}
	}
	return n, sc.Err()
}

// syncWebhook and authWebhook are Nango's webhooks, distinct for each i (identical
// bodies are one event to the gateway).
func syncWebhook(i int) []byte {
	return fmt.Appendf(nil, `{"from":"nango","type":"sync","connectionId":"conn-soak-%d","providerConfigKey":"github","syncName":"github-issues","syncVariant":"base","model":"GithubIssue","syncType":"INCREMENTAL","success":true,"modifiedAfter":"2026-01-01T00:00:00.000Z","responseResults":{"added":%d,"updated":0,"deleted":0}}`, i%5, i)
}

func authWebhook(i int) []byte {
	return fmt.Appendf(nil, `{"from":"nango","type":"auth","connectionId":"conn-soak-%d","providerConfigKey":"github","authMode":"OAUTH2","provider":"github","environment":"dev","operation":"refresh","success":true}`, i)
}

func (tr *traffic) postWebhook(ctx context.Context, body []byte, key string, want int) error {
	_, err := tr.call(ctx, http.MethodPost, webhooks.Path, body, map[string]string{"X-Nango-Hmac-Sha256": webhooks.Sign(key, body)}, want)
	if err == nil && want == http.StatusOK {
		tr.mu.Lock()
		tr.accepted[sha256.Sum256(body)] = struct{}{}
		tr.posts++
		tr.lastBody = body
		tr.mu.Unlock()
	}
	return err
}

// liveFor is ctx ended after d by the caller's side alone: a deadline would travel to the
// server, which could then end the stream first, as if it had failed.
func liveFor(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := time.AfterFunc(d, cancel)
	return ctx, func() { stop.Stop(); cancel() }
}

// subscriberLife is how long a short-lived subscriber stays: one to a few seconds, so
// many start and end in every sampling interval.
func subscriberLife(i int) time.Duration {
	return time.Second + time.Duration(i%4)*750*time.Millisecond
}

func (tr *traffic) grpcSubscriber(ctx context.Context, i int) error {
	ctx, cancel := liveFor(ctx, subscriberLife(i))
	defer cancel()
	req := &gatewayv1.StreamWebhookEventsRequest{}
	switch i % 3 {
	case 1:
		req.Start = &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}
	case 2:
		if seq := tr.lastSeq.Load(); seq > 0 {
			req.Start = &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: seq}
		}
	}
	if i%2 == 0 {
		req.Types = []string{webhooks.TypeSync}
	}
	stream, err := gatewayv1.NewWebhooksServiceClient(tr.conn).StreamWebhookEvents(ctx, req)
	if err != nil {
		return endedByUs(ctx, err)
	}
	for {
		ev, err := stream.Recv()
		if err != nil {
			if tooSlow(err) {
				return errCutOff
			}
			return endedByUs(ctx, err)
		}
		if ev.GetSequence() == 0 {
			continue // a heartbeat, not an event
		}
		tr.events.Add(1)
		tr.noteSequence(ev.GetSequence())
	}
}

func (tr *traffic) restSubscriber(ctx context.Context, i int) error {
	ctx, cancel := liveFor(ctx, subscriberLife(i))
	defer cancel()
	// from_oldest: the answer's headers come with the first event, and retained events
	// make that immediate.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tr.base+"/v1/webhooks/events?from_oldest=true", nil)
	if err != nil {
		return err
	}
	resp, err := tr.http.Do(req)
	if err != nil {
		return endedByUs(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return httpStatusError(resp.StatusCode, http.StatusOK, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var line eventLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Result == nil {
			switch {
			case ctx.Err() != nil:
				return nil // the part of a line read when the subscriber left
			case line.tooSlow():
				return errCutOff
			}
			return &wrongAnswer{"stream error line", sc.Text()}
		}
		if line.Result.Sequence == 0 {
			continue // a heartbeat, not an event
		}
		tr.events.Add(1)
		tr.noteSequence(line.Result.Sequence)
	}
	return endedByUs(ctx, sc.Err())
}

// eventLine is one line of /v1/webhooks/events: an event, or the error that ended the
// stream.
type eventLine struct {
	Result *struct {
		Sequence uint64 `json:"sequence,string"`
	} `json:"result"`
	Error *struct {
		Code    int `json:"code"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

// tooSlow reports whether the line ends the stream for falling behind.
func (l *eventLine) tooSlow() bool {
	if l.Error == nil || l.Error.Code != int(codes.ResourceExhausted) {
		return false
	}
	for _, d := range l.Error.Details {
		if d.Reason == service.ReasonSubscriberTooSlow {
			return true
		}
	}
	return false
}

func (tr *traffic) noteSequence(seq uint64) {
	for {
		cur := tr.lastSeq.Load()
		if seq <= cur || tr.lastSeq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// tooSlow reports whether a gRPC subscriber was ended for falling behind, told where to
// resume.
func tooSlow(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted {
		return false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == service.ReasonSubscriberTooSlow &&
			info.GetMetadata()["last_delivered_sequence"] != "" {
			return true
		}
	}
	return false
}

// endedByUs is nil when a subscriber's stream ended because its own life was over.
func endedByUs(ctx context.Context, err error) error {
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Canceled) {
		return nil
	}
	if err == nil {
		return &wrongAnswer{"stream ended", "the gateway ended a subscriber's stream"}
	}
	return err
}

// schedule is one cycle of the mix: each op weight times, shuffled with a fixed seed so
// kinds interleave the same way in every run.
func schedule(ops []*op) []*op {
	var s []*op
	for _, o := range ops {
		for range o.weight {
			s = append(s, o)
		}
	}
	r := rand.New(rand.NewPCG(11, 11))
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// Budgets of the driver: calls in flight at once and subscribers alive at once. A call
// due with no free slot is skipped and counted: the gateway fell behind the rate.
const (
	maxInFlight    = 64
	maxSubscribers = 16
	callTimeout    = 30 * time.Second
)

// drive starts rate calls a second until ctx ends, then waits for every call. The
// schedule follows the clock, not the ticks: after a stall of the machine, or while the
// sampler holds new calls, the calls due start at once, so the rate holds over the run.
func (tr *traffic) drive(ctx context.Context, rate int, t *tally) int {
	cycle := schedule(tr.ops())
	calls := make(chan struct{}, maxInFlight)
	subs := make(chan struct{}, maxSubscribers)
	var wg sync.WaitGroup
	start := time.Now()
	tick := time.NewTicker(max(time.Second/time.Duration(rate), 5*time.Millisecond))
	defer tick.Stop()
	i := 0
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return i
		case <-tick.C:
		}
		for due := int(time.Since(start).Seconds() * float64(rate)); i < due && !tr.gate.held(); i++ {
			o, n := cycle[i%len(cycle)], i
			slots := calls
			if o.long {
				slots = subs
			}
			select {
			case slots <- struct{}{}:
			default:
				t.skipped.Add(1)
				continue
			}
			tr.gate.begin(o.long)
			wg.Go(func() {
				defer func() { tr.gate.end(o.long); <-slots }()
				// Calls end on their own: the load stopping does not cut them short.
				callCtx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				t.add(o, o.run(callCtx, n))
			})
		}
	}
}

// gate lets the sampler read the process at rest: it holds new calls and waits for those
// under way to end, so a sample counts what the gateway keeps, not what the calls of that
// moment hold (goroutines, connections, buffers), which grows whenever the shared machine
// slows down. Subscribers run on: they live for seconds, and as many come as go.
type gate struct {
	mu      sync.Mutex
	holding bool
	calls   int
	subs    int
	idle    chan struct{} // closed when calls reaches 0 while holding
}

func (g *gate) held() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holding
}

func (g *gate) begin(long bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if long {
		g.subs++
	} else {
		g.calls++
	}
}

func (g *gate) end(long bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if long {
		g.subs--
		return
	}
	g.calls--
	if g.calls == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// hold stops new calls and waits, at most limit, for the calls under way to end; it
// returns how many calls and subscribers are still under way.
func (g *gate) hold(limit time.Duration) (calls, subs int) {
	g.mu.Lock()
	g.holding = true
	var idle chan struct{}
	if g.calls > 0 {
		g.idle = make(chan struct{})
		idle = g.idle
	}
	g.mu.Unlock()
	if idle != nil {
		t := time.NewTimer(limit)
		select {
		case <-idle:
		case <-t.C:
		}
		t.Stop()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls, g.subs
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.holding = false
	g.idle = nil
}

// kindsInOrder lists the kinds for the summary.
func kindsInOrder(m map[string]int) []string {
	order := []string{kindGRPCUnary, kindRelay, kindV1Unary, kindGRPCStream, kindV1Stream, kindWebhook, kindSubscriber}
	var out []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// upstreamCheck looks at what reached the simulator: every request must carry the
// gateway's key, and no header may carry the caller's token.
func upstreamCheck(reqs []simulator.RecordedRequest, key string) (n int, bad []string) {
	for _, r := range reqs {
		n++
		leaked := false
		for _, vs := range r.Header {
			for _, v := range vs {
				leaked = leaked || strings.Contains(v, clientToken)
			}
		}
		switch {
		case leaked:
			bad = append(bad, r.Method+" "+r.Path+" with the caller's token")
		case r.Header.Get("Authorization") != "Bearer "+key:
			bad = append(bad, r.Method+" "+r.Path+" without the gateway's key")
		}
	}
	return n, bad
}
