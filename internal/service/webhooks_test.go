package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

const webhooksTestKey = "whsk-test-5d0e"

// webhooksHarness serves the gRPC services with bus as the event bus.
func webhooksHarness(t *testing.T, bus eventbus.Bus, buffer int) gatewayv1.WebhooksServiceClient {
	t.Helper()
	h := newHarnessWithDeps(t, simulator.New(simulator.Options{}), service.Deps{
		Bus:               bus,
		WebhookSigningKey: webhooksTestKey,
		SubscriberBuffer:  buffer,
	})
	return gatewayv1.NewWebhooksServiceClient(h.conn)
}

func webhooksMemoryBus(t *testing.T) *eventbus.Memory {
	t.Helper()
	bus := eventbus.NewMemory(eventbus.MemoryOptions{})
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

func webhooksPublish(t *testing.T, bus eventbus.Bus, body string) uint64 {
	t.Helper()
	seq, _, err := bus.Publish(t.Context(), body, []byte(body), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func webhooksOpen(t *testing.T, client gatewayv1.WebhooksServiceClient, req *gatewayv1.StreamWebhookEventsRequest) grpc.ServerStreamingClient[gatewayv1.StreamWebhookEventsResponse] {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	stream, err := client.StreamWebhookEvents(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return stream
}

func webhooksRecv(t *testing.T, stream grpc.ServerStreamingClient[gatewayv1.StreamWebhookEventsResponse]) *gatewayv1.StreamWebhookEventsResponse {
	t.Helper()
	msg, err := stream.Recv()
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return msg
}

// The events every filter test starts from, in publication order.
var webhooksFilterEvents = []string{
	`{"authMode":"OAUTH2","connectionId":"conn-1","from":"nango","operation":"creation","provider":"github","providerConfigKey":"github","success":true,"type":"auth"}`,
	`{"authMode":"OAUTH2","connectionId":"conn-2","from":"nango","operation":"refresh","provider":"slack","providerConfigKey":"slack","success":true,"type":"auth"}`,
	`{"connectionId":"conn-1","from":"nango","model":"GithubIssue","providerConfigKey":"github","success":true,"syncName":"issues","type":"sync"}`,
	`{"connectionId":"conn-1","from":"nango","model":"GithubRepo","providerConfigKey":"github","success":true,"syncName":"repos","type":"sync"}`,
	`{"connectionId":"conn-2","from":"nango","model":"SlackMessage","providerConfigKey":"slack","success":false,"syncName":"messages","type":"sync"}`,
	`{"connectionId":"conn-1","from":"nango","payload":{"id":"a-1","statusUrl":"/action/a-1"},"providerConfigKey":"github","type":"async_action"}`,
	`{"connectionId":"conn-3","from":"hubspot","payload":{"objectId":1},"providerConfigKey":"hubspot","type":"forward"}`,
	`{"zen":"an unattributed provider webhook"}`,
	`{"connectionId":"conn-1","from":"nango","providerConfigKey":"github","type":"brand_new"}`,
}

func TestStreamWebhookEventsFilters(t *testing.T) {
	tests := []struct {
		name string
		req  *gatewayv1.StreamWebhookEventsRequest
		want []int // indexes into webhooksFilterEvents
	}{
		{"no filter", &gatewayv1.StreamWebhookEventsRequest{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"type auth", &gatewayv1.StreamWebhookEventsRequest{Types: []string{"auth"}}, []int{0, 1}},
		{"types sync and async_action", &gatewayv1.StreamWebhookEventsRequest{Types: []string{"sync", "async_action"}}, []int{2, 3, 4, 5}},
		{"type forward includes unattributed forwards", &gatewayv1.StreamWebhookEventsRequest{Types: []string{"forward"}}, []int{6, 7}},
		{"a type the gateway does not know", &gatewayv1.StreamWebhookEventsRequest{Types: []string{"brand_new"}}, []int{8}},
		{"provider_config_key", &gatewayv1.StreamWebhookEventsRequest{ProviderConfigKey: proto.String("github")}, []int{0, 2, 3, 5, 8}},
		{"connection_id", &gatewayv1.StreamWebhookEventsRequest{ConnectionId: proto.String("conn-2")}, []int{1, 4}},
		{"sync_name", &gatewayv1.StreamWebhookEventsRequest{SyncName: proto.String("issues")}, []int{2}},
		{"model", &gatewayv1.StreamWebhookEventsRequest{Model: proto.String("GithubRepo")}, []int{3}},
		{"filters combine", &gatewayv1.StreamWebhookEventsRequest{Types: []string{"sync"}, ProviderConfigKey: proto.String("github"), ConnectionId: proto.String("conn-1"), Model: proto.String("GithubIssue")}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := webhooksMemoryBus(t)
			client := webhooksHarness(t, bus, 0)
			seqs := make([]uint64, len(webhooksFilterEvents))
			for i, body := range webhooksFilterEvents {
				seqs[i] = webhooksPublish(t, bus, body)
			}
			// A last event matching the filters: every unwanted event would come before it.
			var sentinel map[string]any
			_ = json.Unmarshal([]byte(webhooksFilterEvents[tt.want[len(tt.want)-1]]), &sentinel)
			sentinel["sentinel"] = true
			sb, _ := json.Marshal(sentinel)
			sentinelSeq := webhooksPublish(t, bus, string(sb))

			req := proto.Clone(tt.req).(*gatewayv1.StreamWebhookEventsRequest)
			req.Start = &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}
			stream := webhooksOpen(t, client, req)
			var got []int
			for {
				msg := webhooksRecv(t, stream)
				if msg.GetSequence() == sentinelSeq {
					break
				}
				i := int(msg.GetSequence()) - 1
				got = append(got, i)
				var raw any
				_ = json.Unmarshal([]byte(webhooksFilterEvents[i]), &raw)
				if m, ok := raw.(map[string]any); ok {
					gotRaw, _ := msg.GetEvent().GetRaw().MarshalJSON()
					if equal, err := equalJSON(gotRaw, webhooksFilterEvents[i]); err != nil || !equal {
						t.Fatalf("event %d raw = %s, want %s (%v)", i, gotRaw, webhooksFilterEvents[i], err)
					}
					if msg.GetEvent().GetType() != fmt.Sprint(m["type"]) && m["type"] != nil {
						t.Fatalf("event %d type = %q", i, msg.GetEvent().GetType())
					}
				}
				if msg.GetReceivedAt() == nil {
					t.Fatalf("event %d has no received_at", i)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("received events %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStreamWebhookEventsTypedEvent(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := webhooksHarness(t, bus, 0)
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	body := webhooksFilterEvents[2]
	if _, _, err := bus.Publish(t.Context(), "x", []byte(body), at); err != nil {
		t.Fatal(err)
	}
	msg := webhooksRecv(t, webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}))
	want, _ := webhooks.Parse([]byte(body))
	if msg.GetSequence() != 1 || !msg.GetReceivedAt().AsTime().Equal(at) || !proto.Equal(msg.GetEvent(), want) {
		t.Fatalf("message = %v", msg)
	}
	if msg.GetEvent().GetSync().GetSyncName() != "issues" {
		t.Fatalf("typed sync = %v", msg.GetEvent().GetSync())
	}
}

func TestStreamWebhookEventsResumesAfterASequence(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := webhooksHarness(t, bus, 0)
	for i := range 5 {
		webhooksPublish(t, bus, fmt.Sprintf(`{"from":"nango","type":"sync","n":%d}`, i+1))
	}
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: 3}})
	for _, want := range []uint64{4, 5} {
		if got := webhooksRecv(t, stream).GetSequence(); got != want {
			t.Fatalf("sequence %d, want %d", got, want)
		}
	}
	webhooksPublish(t, bus, `{"from":"nango","type":"sync","n":6}`)
	if got := webhooksRecv(t, stream).GetSequence(); got != 6 {
		t.Fatalf("live sequence %d, want 6", got)
	}
}

func TestStreamWebhookEventsStartsFromNowByDefault(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := webhooksHarness(t, bus, 0)
	webhooksPublish(t, bus, `{"from":"nango","type":"auth","old":true}`)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{})
	// The subscription starts when the server runs the call: publish until one arrives.
	got := make(chan uint64, 1)
	go func() {
		msg, err := stream.Recv()
		if err == nil {
			got <- msg.GetSequence()
		}
		close(got)
	}()
	for i := 0; ; i++ {
		webhooksPublish(t, bus, fmt.Sprintf(`{"from":"nango","type":"auth","new":%d}`, i))
		select {
		case seq := <-got:
			if seq <= 1 {
				t.Fatalf("received sequence %d: an event from before the stream", seq)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
		if i > 500 {
			t.Fatal("no event received")
		}
	}
}

// blockedStream is a StreamWebhookEvents stream whose client does not read: Send waits
// until released.
type blockedStream struct {
	grpc.ServerStream
	ctx     context.Context
	entered chan struct{} // closed by the first Send
	once    sync.Once
	release chan struct{}
	sent    []*gatewayv1.StreamWebhookEventsResponse
}

func (s *blockedStream) Context() context.Context { return s.ctx }

// SendHeader goes out at once, as on a real stream: flow control holds messages only.
func (s *blockedStream) SendHeader(metadata.MD) error { return nil }

func (s *blockedStream) Send(m *gatewayv1.StreamWebhookEventsResponse) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	s.sent = append(s.sent, m)
	return nil
}

// subscriptionsBus hands the test each subscription the service makes.
type subscriptionsBus struct {
	eventbus.Bus
	subs chan *eventbus.Subscription
}

func (b *subscriptionsBus) Subscribe(ctx context.Context, from eventbus.Start, buffer int) (*eventbus.Subscription, error) {
	sub, err := b.Bus.Subscribe(ctx, from, buffer)
	if err == nil {
		b.subs <- sub
	}
	return sub, err
}

func TestStreamWebhookEventsSlowSubscriberEndsWithResourceExhausted(t *testing.T) {
	bus := &subscriptionsBus{Bus: webhooksMemoryBus(t), subs: make(chan *eventbus.Subscription, 1)}
	svc := service.NewWebhooksService(service.Deps{Bus: bus, SubscriberBuffer: 3})
	slow := &blockedStream{ctx: t.Context(), entered: make(chan struct{}), release: make(chan struct{})}
	fastCtx, stopFast := context.WithCancel(t.Context())
	fast := &blockedStream{ctx: fastCtx, entered: make(chan struct{}), release: make(chan struct{})}
	close(fast.release)
	slowDone := make(chan error, 1)
	fastDone := make(chan error, 1)
	go func() { slowDone <- svc.StreamWebhookEvents(&gatewayv1.StreamWebhookEventsRequest{}, slow) }()
	slowSub := <-bus.subs
	go func() { fastDone <- svc.StreamWebhookEvents(&gatewayv1.StreamWebhookEventsRequest{}, fast) }()
	<-bus.subs

	// The slow reader is stuck in its first Send (gRPC flow control); publishing goes on,
	// never held up, until its buffer of 3 overflows.
	for i := 0; ; i++ {
		start := time.Now()
		webhooksPublish(t, bus, fmt.Sprintf(`{"from":"nango","type":"sync","n":%d}`, i))
		if time.Since(start) > time.Second {
			t.Fatal("publishing waited for a slow subscriber")
		}
		if i == 0 {
			<-slow.entered
		}
		select {
		case <-slowSub.Done():
		case <-time.After(10 * time.Millisecond):
			if i > 1000 {
				t.Fatal("the slow subscriber never overflowed")
			}
			continue
		}
		break
	}
	close(slow.release) // the reader takes what was buffered, then the stream ends
	err := <-slowDone
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted {
		t.Fatalf("slow subscriber ended with %v, want ResourceExhausted", err)
	}
	info, _ := nangohttp.ErrorInfoFrom(err)
	last, perr := strconv.ParseUint(info.GetMetadata()["last_delivered_sequence"], 10, 64)
	if info.GetReason() != service.ReasonSubscriberTooSlow || perr != nil {
		t.Fatalf("error details = %v", info)
	}
	// Everything up to the named sequence was delivered, from the first, without gaps.
	if len(slow.sent) != 4 || slow.sent[0].GetSequence() != 1 || slow.sent[3].GetSequence() != last {
		t.Fatalf("delivered %v; error names %d", slow.sent, last)
	}
	for i, m := range slow.sent {
		if m.GetSequence() != uint64(i+1) {
			t.Fatalf("delivered sequence %d at %d", m.GetSequence(), i)
		}
	}
	// The other subscriber is unaffected, and ends when its client leaves.
	select {
	case err := <-fastDone:
		t.Fatalf("the fast subscriber ended: %v", err)
	default:
	}
	stopFast()
	if err := <-fastDone; status.Code(err) != codes.Canceled {
		t.Fatalf("fast subscriber ended with %v, want Canceled after its client left", err)
	}
}

func TestStreamWebhookEventsWithoutABus(t *testing.T) {
	client := webhooksHarness(t, nil, 0)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{})
	_, err := stream.Recv()
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || st.Message() != "no event bus configured" {
		t.Fatalf("error = %v", err)
	}
}

func TestStreamWebhookEventsRejectsInvalidFilters(t *testing.T) {
	client := webhooksHarness(t, webhooksMemoryBus(t), 0)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{Types: []string{""}})
	if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
}

func TestVerifyWebhookSignature(t *testing.T) {
	body := []byte(`{"from":"nango","type":"auth"}`)
	tests := []struct {
		name     string
		deps     service.Deps
		req      *gatewayv1.VerifyWebhookSignatureRequest
		want     bool
		wantCode codes.Code
	}{
		{"valid", service.Deps{WebhookSigningKey: "k1"}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body, Signature: webhooks.Sign("k1", body)}, true, codes.OK},
		{"forged", service.Deps{WebhookSigningKey: "k1"}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body, Signature: webhooks.Sign("k2", body)}, false, codes.OK},
		{"previous key during a rotation", service.Deps{WebhookSigningKey: "k1", WebhookSigningKeyPrevious: "k0"}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body, Signature: webhooks.Sign("k0", body)}, true, codes.OK},
		{"previous key after the rotation", service.Deps{WebhookSigningKey: "k1"}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body, Signature: webhooks.Sign("k0", body)}, false, codes.OK},
		{"no key configured", service.Deps{}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body, Signature: webhooks.Sign("k1", body)}, false, codes.FailedPrecondition},
		{"missing signature", service.Deps{WebhookSigningKey: "k1"}, &gatewayv1.VerifyWebhookSignatureRequest{Body: body}, false, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarnessWithDeps(t, simulator.New(simulator.Options{}), tt.deps)
			resp, err := gatewayv1.NewWebhooksServiceClient(h.conn).VerifyWebhookSignature(t.Context(), tt.req)
			if status.Code(err) != tt.wantCode {
				t.Fatalf("error = %v, want %v", err, tt.wantCode)
			}
			if err == nil && resp.GetValid() != tt.want {
				t.Fatalf("valid = %v, want %v", resp.GetValid(), tt.want)
			}
		})
	}
}

// webhooksGateway is one gateway replica: the webhook receiver on HTTP and the gRPC
// services, sharing a JetStream bus.
type webhooksGateway struct {
	bus    *eventbus.JetStream
	url    string
	client gatewayv1.WebhooksServiceClient
}

func startWebhooksGateway(t *testing.T, natsURL string) *webhooksGateway {
	t.Helper()
	bus, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{URL: natsURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	handler, err := webhooks.NewHandler(webhooks.HandlerOptions{Bus: bus, SigningKey: webhooksTestKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &webhooksGateway{bus: bus, url: srv.URL + webhooks.Path, client: webhooksHarness(t, bus, 0)}
}

func (g *webhooksGateway) post(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, g.url, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooks.HeaderSignature, webhooks.Sign(webhooksTestKey, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook answered %d %s", resp.StatusCode, b)
	}
}

func TestWebhooksAcrossTwoGatewaysSharingNATS(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
	nats := natstest.Run(t, t.TempDir())
	a := startWebhooksGateway(t, nats.URL())
	b := startWebhooksGateway(t, nats.URL())

	// A subscriber on b sees a webhook Nango posted to a, once even when Nango retries
	// it on b.
	stream := webhooksOpen(t, b.client, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}})
	first := `{"connectionId":"conn-1","from":"nango","providerConfigKey":"github","success":true,"syncName":"issues","type":"sync","n":1}`
	a.post(t, first)
	b.post(t, first)
	msg := webhooksRecv(t, stream)
	if msg.GetSequence() != 1 || msg.GetEvent().GetSync().GetSyncName() != "issues" {
		t.Fatalf("message = %v", msg)
	}
	a.post(t, `{"from":"nango","type":"sync","n":2}`)
	if got := webhooksRecv(t, stream).GetSequence(); got != 2 {
		t.Fatalf("sequence %d, want 2: the retried webhook was published twice", got)
	}

	// b restarts: its subscriber's stream ends; webhooks keep arriving on a meanwhile.
	if err := b.bus.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Fatalf("stream on the stopped gateway ended with %v, want Unavailable", err)
	}
	for i := 3; i <= 5; i++ {
		a.post(t, fmt.Sprintf(`{"from":"nango","type":"sync","n":%d}`, i))
	}
	restarted := startWebhooksGateway(t, nats.URL())
	resumed := webhooksOpen(t, restarted.client, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: 2}})
	for want := uint64(3); want <= 5; want++ {
		if got := webhooksRecv(t, resumed).GetSequence(); got != want {
			t.Fatalf("resumed sequence %d, want %d", got, want)
		}
	}
	a.post(t, `{"from":"nango","type":"sync","n":6}`)
	if got := webhooksRecv(t, resumed).GetSequence(); got != 6 {
		t.Fatalf("live sequence after resume %d, want 6", got)
	}
}

// Each event is encoded once per wire encoding and shared: subscribers with and without
// compression, live and replaying, all receive every event whole and in order.
func TestStreamWebhookEventsSharedEncodingReachesEverySubscriber(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := webhooksHarness(t, bus, 0)
	tests := []struct {
		name string
		opts []grpc.CallOption
		req  *gatewayv1.StreamWebhookEventsRequest
	}{
		{"plain, from oldest", nil, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}},
		{"plain, from oldest, another", nil, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}},
		{"gzip, from oldest", []grpc.CallOption{grpc.UseCompressor(gzip.Name)}, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}},
		{"plain, filtered to sync", nil, &gatewayv1.StreamWebhookEventsRequest{Types: []string{"sync"}, Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true}}},
	}
	// Half the events are retained before the subscribers start, half arrive live.
	half := len(webhooksFilterEvents) / 2
	for _, body := range webhooksFilterEvents[:half] {
		webhooksPublish(t, bus, body)
	}
	streams := make([]grpc.ServerStreamingClient[gatewayv1.StreamWebhookEventsResponse], len(tests))
	for i, tt := range tests {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		t.Cleanup(cancel)
		s, err := client.StreamWebhookEvents(ctx, tt.req, tt.opts...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		streams[i] = s
	}
	for _, body := range webhooksFilterEvents[half:] {
		webhooksPublish(t, bus, body)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seq := uint64(1); seq <= uint64(len(webhooksFilterEvents)); seq++ {
				body := webhooksFilterEvents[seq-1]
				if len(tt.req.GetTypes()) > 0 && !strings.Contains(body, `"type":"sync"`) {
					continue
				}
				msg := webhooksRecv(t, streams[i])
				if msg.GetSequence() != seq {
					t.Fatalf("received sequence %d, want %d", msg.GetSequence(), seq)
				}
				raw, _ := msg.GetEvent().GetRaw().MarshalJSON()
				if equal, err := equalJSON(raw, body); err != nil || !equal {
					t.Fatalf("event %d raw = %s, want %s (%v)", seq, raw, body, err)
				}
			}
		})
	}
}

// A subscription's headers arrive at once, before any event: a client knows its stream
// stands even when the first event is hours away.
func TestStreamWebhookEventsSendsHeadersBeforeAnyEvent(t *testing.T) {
	client := webhooksHarness(t, webhooksMemoryBus(t), 0)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{})
	got := make(chan error, 1)
	go func() { _, err := stream.Header(); got <- err }()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no headers without an event")
	}
}

// Resuming after a sequence this bus never gave (a restarted gateway's memory) is
// FAILED_PRECONDITION stale_sequence, naming what to do.
func TestStreamWebhookEventsRefusesAStaleSequence(t *testing.T) {
	client := webhooksHarness(t, webhooksMemoryBus(t), 0)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: 42}})
	_, err := stream.Recv()
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "from_oldest") {
		t.Fatalf("err = %v, want FailedPrecondition saying to resume from_oldest", err)
	}
}

// heartbeatHarness serves the webhooks stream with a server-side heartbeat interval.
func heartbeatHarness(t *testing.T, bus eventbus.Bus, interval time.Duration) gatewayv1.WebhooksServiceClient {
	t.Helper()
	h := newHarnessWithDeps(t, simulator.New(simulator.Options{}), service.Deps{Bus: bus, HeartbeatInterval: interval})
	return gatewayv1.NewWebhooksServiceClient(h.conn)
}

// isHeartbeat reports whether msg is a heartbeat and nothing else.
func isHeartbeat(msg *gatewayv1.StreamWebhookEventsResponse) bool {
	return msg.GetHeartbeat() != nil && msg.GetHeartbeat().GetSentAt() != nil &&
		msg.GetSequence() == 0 && msg.GetEvent() == nil && msg.GetReceivedAt() == nil
}

// An idle stream speaks after every interval the caller asked for, with heartbeats that
// carry no event and no sequence to resume from.
func TestStreamWebhookEventsIdleStreamSendsHeartbeatsAtTheRequestedInterval(t *testing.T) {
	client := heartbeatHarness(t, webhooksMemoryBus(t), time.Hour)
	opened := time.Now() // before the server can start counting
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{HeartbeatInterval: durationpb.New(time.Second)})
	var sent []time.Time
	for range 2 {
		msg := webhooksRecv(t, stream)
		if !isHeartbeat(msg) {
			t.Fatalf("idle stream sent %v, want a heartbeat", msg)
		}
		sent = append(sent, msg.GetHeartbeat().GetSentAt().AsTime())
	}
	if first := sent[0].Sub(opened); first < time.Second {
		t.Errorf("first heartbeat %v after opening, before the 1s interval", first)
	}
	if gap := sent[1].Sub(sent[0]); gap < time.Second {
		t.Errorf("heartbeats %v apart, want at least the 1s interval", gap)
	}
}

// Without heartbeat_interval the stream uses the server's interval (Deps.HeartbeatInterval).
func TestStreamWebhookEventsUsesTheServerHeartbeatIntervalByDefault(t *testing.T) {
	client := heartbeatHarness(t, webhooksMemoryBus(t), 50*time.Millisecond)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{})
	if msg := webhooksRecv(t, stream); !isHeartbeat(msg) {
		t.Fatalf("idle stream sent %v, want a heartbeat", msg)
	}
}

// heartbeat_interval 0s turns heartbeats off: the first message is the first event, even
// after many of the server's intervals.
func TestStreamWebhookEventsZeroHeartbeatIntervalSendsNone(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := heartbeatHarness(t, bus, 10*time.Millisecond)
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{HeartbeatInterval: durationpb.New(0)})
	if _, err := stream.Header(); err != nil { // subscribed
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // twenty server intervals of silence, the point of the test
	seq := webhooksPublish(t, bus, webhooksFilterEvents[0])
	if msg := webhooksRecv(t, stream); msg.GetSequence() != seq || msg.GetHeartbeat() != nil {
		t.Fatalf("first message %v, want event %d", msg, seq)
	}
}

// A stream that sends events more often than the interval sends no heartbeat between
// them; the silence after its last event is counted from that event.
func TestStreamWebhookEventsBusyStreamSendsNoHeartbeats(t *testing.T) {
	bus := webhooksMemoryBus(t)
	client := heartbeatHarness(t, bus, time.Hour)
	const interval = 2 * time.Second
	stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{HeartbeatInterval: durationpb.New(interval)})
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	var last time.Time  // when the last event was published: the server sent it later
	for i := range 25 { // 2.5 s of events 100 ms apart: longer than the interval, never silent for it
		last = time.Now()
		seq := webhooksPublish(t, bus, fmt.Sprintf(`{"from":"nango","type":"auth","n":%d}`, i))
		msg := webhooksRecv(t, stream)
		if msg.GetHeartbeat() != nil || msg.GetSequence() != seq {
			t.Fatalf("got %v between events, want event %d", msg, seq)
		}
		time.Sleep(100 * time.Millisecond) // the pace of a busy stream, not synchronisation
	}
	msg := webhooksRecv(t, stream)
	if !isHeartbeat(msg) {
		t.Fatalf("after the events: %v, want a heartbeat", msg)
	}
	if after := msg.GetHeartbeat().GetSentAt().AsTime().Sub(last); after < interval {
		t.Errorf("heartbeat %v after the last event, want the %v interval", after, interval)
	}
}

// heartbeat_interval outside 0s or 1s–10m is refused, naming the field.
func TestStreamWebhookEventsRejectsAnOutOfRangeHeartbeatInterval(t *testing.T) {
	client := heartbeatHarness(t, webhooksMemoryBus(t), 0)
	for _, d := range []time.Duration{500 * time.Millisecond, 11 * time.Minute, -time.Second} {
		stream := webhooksOpen(t, client, &gatewayv1.StreamWebhookEventsRequest{HeartbeatInterval: durationpb.New(d)})
		_, err := stream.Recv()
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "heartbeat_interval") {
			t.Errorf("heartbeat_interval %v: %v, want InvalidArgument naming heartbeat_interval", d, err)
		}
	}
}
