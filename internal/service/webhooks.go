package service

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// ReasonSubscriberTooSlow is the ErrorInfo reason of a StreamWebhookEvents stream ended
// because its reader fell behind; metadata "last_delivered_sequence" is where to resume.
const ReasonSubscriberTooSlow = "subscriber_too_slow"

// ReasonStaleSequence is the ErrorInfo reason of a resume from a sequence the event bus no
// longer knows (it restarted); metadata "first_sequence" is where its events start now.
const ReasonStaleSequence = "stale_sequence"

// webhooksService implements gatewayv1.WebhooksServiceServer.
type webhooksService struct {
	gatewayv1.UnimplementedWebhooksServiceServer
	deps     Deps
	prepared *preparedEvents
}

// NewWebhooksService returns the WebhooksService.
func NewWebhooksService(d Deps) *webhooksService {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &webhooksService{deps: d, prepared: d.preparedEvents()}
}

// StreamWebhookEvents subscribes to the event bus and sends the events that pass the
// request's filters. Filtering happens here, so a subscriber pays only for what it asked
// for; the sequence still counts every event, and the stream stays resumable. An event
// is parsed and encoded once, whatever the number of subscribers: each one sends the
// same prepared message, and no lock is held while it does. After each heartbeat interval
// in which it sent nothing, it sends a heartbeat.
func (s *webhooksService) StreamWebhookEvents(req *gatewayv1.StreamWebhookEventsRequest, stream grpc.ServerStreamingServer[gatewayv1.StreamWebhookEventsResponse]) error {
	if s.deps.Bus == nil {
		return status.Error(codes.FailedPrecondition, "no event bus configured")
	}
	ctx := stream.Context()
	start := eventbus.FromNow()
	switch st := req.GetStart().(type) {
	case *gatewayv1.StreamWebhookEventsRequest_AfterSequence:
		start = eventbus.AfterSequence(st.AfterSequence)
	case *gatewayv1.StreamWebhookEventsRequest_FromOldest:
		if st.FromOldest {
			start = eventbus.FromOldest()
		}
	}
	sub, err := s.deps.Bus.Subscribe(ctx, start, s.deps.SubscriberBuffer)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		var stale *eventbus.StaleSequenceError
		if errors.As(err, &stale) {
			// Resuming cannot recover what a restart lost: say so, and how to go on.
			st, _ := status.New(codes.FailedPrecondition, stale.Error()).WithDetails(&errdetails.ErrorInfo{
				Reason: ReasonStaleSequence, Domain: nangohttp.Domain,
				Metadata: map[string]string{"first_sequence": strconv.FormatUint(stale.First, 10)},
			})
			return st.Err()
		}
		return status.Errorf(codes.Unavailable, "subscribe to the event bus: %v", err)
	}
	defer sub.Close()
	// Headers now, not with the first event (which may be hours away): the client learns at
	// once that its subscription stands.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}

	match := newEventFilter(req)
	// Only a handler that calls SetSendCompressor changes a stream's encoding; this one does not.
	enc, encKnown := wireEncoding(ctx)
	// A stream may stay silent for hours between events; proxies that cut idle
	// connections would end it, so it speaks up after each silent interval.
	silence := newSilenceTimer(heartbeatInterval(req.GetHeartbeatInterval(), s.deps))
	defer silence.stop()
	events := sub.Events()
	for {
		var ev eventbus.Event
		select {
		case <-silence.C():
			if !silence.due() {
				continue
			}
			if err := stream.Send(&gatewayv1.StreamWebhookEventsResponse{Heartbeat: heartbeat(s.deps)}); err != nil {
				return err
			}
			continue
		case e, ok := <-events:
			if !ok {
				return subscriptionError(ctx, sub.Err(), "resume with after_sequence")
			}
			ev = e
		}
		p := s.prepared.get(ev)
		if !p.parse() {
			// Only the webhook handler publishes, and it checks the body first; something
			// else wrote to a shared stream.
			s.deps.Logger.Warn("event bus: skipped an event that is not a webhook", "sequence", ev.Sequence)
			continue
		}
		if !match(&p.keys) {
			continue
		}
		var err error
		if m := p.message(stream, enc, encKnown); m != nil {
			err = stream.SendMsg(m)
		} else {
			err = stream.Send(p.response())
		}
		if err != nil {
			return err
		}
		silence.sent()
	}
}

// subscriptionError maps why a subscription ended to the stream's status; resume says
// how the caller goes on after a shutdown.
func subscriptionError(ctx context.Context, err error, resume string) error {
	if o, ok := eventbus.AsOverflow(err); ok {
		st := status.New(codes.ResourceExhausted, "the subscriber fell more than "+strconv.Itoa(o.Buffer)+
			" events behind; resume with after_sequence="+strconv.FormatUint(o.LastDelivered, 10))
		if d, derr := st.WithDetails(&errdetails.ErrorInfo{
			Reason:   ReasonSubscriberTooSlow,
			Domain:   nangohttp.Domain,
			Metadata: map[string]string{"last_delivered_sequence": strconv.FormatUint(o.LastDelivered, 10)},
		}); derr == nil {
			st = d
		}
		return st.Err()
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if errors.Is(err, eventbus.ErrClosed) {
		return status.Error(codes.Unavailable, "the event bus is shutting down; "+resume)
	}
	if err == nil {
		return nil
	}
	return status.Errorf(codes.Unavailable, "event bus: %v", err)
}

// newEventFilter returns the request's filters as one predicate. A forward that Nango
// could not attribute (no type) counts as type "forward". Connection and integration come
// from the typed payload, or from the raw JSON for types this gateway does not know yet.
func newEventFilter(req *gatewayv1.StreamWebhookEventsRequest) func(*eventKeys) bool {
	types := req.GetTypes()
	return func(k *eventKeys) bool {
		if len(types) > 0 && !slices.Contains(types, k.typ) &&
			(!k.forward || !slices.Contains(types, webhooks.TypeForward)) {
			return false
		}
		if req.ProviderConfigKey != nil && k.providerConfigKey != req.GetProviderConfigKey() {
			return false
		}
		if req.ConnectionId != nil && k.connectionID != req.GetConnectionId() {
			return false
		}
		if req.SyncName != nil && k.syncName != req.GetSyncName() {
			return false
		}
		if req.Model != nil && k.model != req.GetModel() {
			return false
		}
		return true
	}
}

// eventKeys are the fields the filters read, taken from an event once.
type eventKeys struct {
	typ                             string
	forward                         bool
	providerConfigKey, connectionID string
	syncName, model                 string
	// Of sync webhooks, for WatchRecords.
	syncSucceeded bool
	syncVariant   string
}

func keysOf(ev *gatewayv1.WebhookEvent) eventKeys {
	return eventKeys{
		typ:               ev.GetType(),
		forward:           ev.GetForward() != nil,
		providerConfigKey: eventField(ev, "providerConfigKey"),
		connectionID:      eventField(ev, "connectionId"),
		syncName:          eventField(ev, "syncName"),
		model:             eventField(ev, "model"),
		syncSucceeded:     ev.GetSync().GetSuccess(),
		syncVariant:       ev.GetSync().GetSyncVariant(),
	}
}

// eventField reads one of the filterable fields, by Nango's JSON key.
func eventField(ev *gatewayv1.WebhookEvent, key string) string {
	switch p := ev.GetPayload().(type) {
	case *gatewayv1.WebhookEvent_Auth:
		switch key {
		case "providerConfigKey":
			return p.Auth.GetProviderConfigKey()
		case "connectionId":
			return p.Auth.GetConnectionId()
		}
		return ""
	case *gatewayv1.WebhookEvent_Sync:
		switch key {
		case "providerConfigKey":
			return p.Sync.GetProviderConfigKey()
		case "connectionId":
			return p.Sync.GetConnectionId()
		case "syncName":
			return p.Sync.GetSyncName()
		case "model":
			return p.Sync.GetModel()
		}
		return ""
	case *gatewayv1.WebhookEvent_AsyncAction:
		switch key {
		case "providerConfigKey":
			return p.AsyncAction.GetProviderConfigKey()
		case "connectionId":
			return p.AsyncAction.GetConnectionId()
		}
		return ""
	case *gatewayv1.WebhookEvent_Forward:
		switch key {
		case "providerConfigKey":
			return p.Forward.GetProviderConfigKey()
		case "connectionId":
			return p.Forward.GetConnectionId()
		}
		return ""
	}
	return ev.GetRaw().GetFields()[key].GetStringValue()
}

// Bounds of the prepared events kept for subscribers: live subscribers read within a few
// events of the newest, so a short window shares nearly all the work; one that replays
// older events prepares them again.
const (
	preparedMaxEvents       = 256
	preparedMaxBytes  int64 = 16 << 20
)

// preparedEvents is the process's cache of prepared events, shared by every service that
// reads the bus (RegisterAll sets it); a service made alone gets its own.
func (d Deps) preparedEvents() *preparedEvents {
	if d.events != nil {
		return d.events
	}
	return newPreparedEvents(preparedMaxEvents, preparedMaxBytes)
}

// preparedEvents keeps the latest events prepared for sending, by sequence, so that every
// subscriber of this process shares one parse and one encoding of each event.
type preparedEvents struct {
	maxEvents int
	maxBytes  int64

	mu      sync.Mutex
	byEvent map[uint64]*preparedEvent
	order   []*preparedEvent // oldest first
	bytes   int64
}

func newPreparedEvents(maxEvents int, maxBytes int64) *preparedEvents {
	return &preparedEvents{maxEvents: maxEvents, maxBytes: maxBytes, byEvent: map[uint64]*preparedEvent{}}
}

// get returns ev's prepared form, creating it (unprepared) when it is not kept.
func (c *preparedEvents) get(ev eventbus.Event) *preparedEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The id and size guard against a stream recreated with the same sequences.
	if p := c.byEvent[ev.Sequence]; p != nil && p.id == ev.ID && p.size == len(ev.Body) {
		return p
	}
	p := &preparedEvent{
		seq: ev.Sequence, id: ev.ID, size: len(ev.Body), body: ev.Body, receivedAt: ev.ReceivedAt,
		// The body and its encoding, which holds the raw JSON and often a typed copy of
		// the payload.
		cost: 4 * int64(len(ev.Body)),
	}
	c.byEvent[ev.Sequence] = p
	c.order = append(c.order, p)
	c.bytes += p.cost
	n := 0
	for len(c.order)-n > 1 && (len(c.order)-n > c.maxEvents || c.bytes > c.maxBytes) {
		old := c.order[n]
		if c.byEvent[old.seq] == old {
			delete(c.byEvent, old.seq)
		}
		c.bytes -= old.cost
		c.order[n] = nil
		n++
	}
	if n > 0 {
		c.order = append(c.order[:0:0], c.order[n:]...)
	}
	return p
}

// preparedEvent is one event made ready to send: parsed once, then encoded once per wire
// encoding (codec and compression) its subscribers use. The parsed tree is dropped once
// encoded (it can be many times the body's size); the body is kept to rebuild it for
// another encoding.
type preparedEvent struct {
	seq        uint64
	id         string
	size       int
	cost       int64
	body       []byte
	receivedAt time.Time

	once sync.Once
	ok   bool // the body is a webhook
	keys eventKeys

	mu   sync.RWMutex
	resp *gatewayv1.StreamWebhookEventsResponse // until encoded
	msgs map[string]*grpc.PreparedMsg           // by wireEncoding
}

// parse reports whether the event is a webhook, parsing it on the first call.
func (p *preparedEvent) parse() bool {
	p.once.Do(func() {
		resp, ok := p.build()
		if !ok {
			return
		}
		p.ok, p.keys = true, keysOf(resp.GetEvent())
		p.mu.Lock()
		p.resp = resp
		p.mu.Unlock()
	})
	return p.ok
}

func (p *preparedEvent) build() (*gatewayv1.StreamWebhookEventsResponse, bool) {
	parsed, err := webhooks.Parse(p.body)
	if err != nil {
		return nil, false
	}
	return &gatewayv1.StreamWebhookEventsResponse{
		Sequence:   p.seq,
		ReceivedAt: timestamppb.New(p.receivedAt),
		Event:      parsed,
	}, true
}

// response is the message to send on a stream whose wire encoding cannot be told. parse
// has returned true.
func (p *preparedEvent) response() *gatewayv1.StreamWebhookEventsResponse {
	p.mu.RLock()
	resp := p.resp
	p.mu.RUnlock()
	if resp == nil {
		resp, _ = p.build()
	}
	return resp
}

// message is the event encoded once for every stream with wire encoding enc (see
// wireEncoding), or nil when that encoding cannot be told: then send response(). parse
// has returned true.
func (p *preparedEvent) message(stream grpc.ServerStream, enc string, known bool) *grpc.PreparedMsg {
	if !known {
		return nil
	}
	p.mu.RLock()
	m := p.msgs[enc]
	p.mu.RUnlock()
	if m != nil {
		return m
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m := p.msgs[enc]; m != nil {
		return m
	}
	resp := p.resp
	if resp == nil {
		resp, _ = p.build()
	}
	m = new(grpc.PreparedMsg)
	if err := m.Encode(stream, resp); err != nil {
		return nil
	}
	if p.msgs == nil {
		p.msgs = map[string]*grpc.PreparedMsg{}
	}
	p.msgs[enc] = m
	p.resp = nil
	return m
}

// wireEncoding names how a server stream encodes its messages: its codec (content
// subtype) and its compressor. Streams with the same name can send the same PreparedMsg.
func wireEncoding(ctx context.Context) (string, bool) {
	st, ok := grpc.ServerTransportStreamFromContext(ctx).(interface {
		ContentSubtype() string
		SendCompress() string
	})
	if !ok {
		return "", false
	}
	codec := strings.ToLower(st.ContentSubtype())
	if codec == "" {
		codec = "proto"
	}
	return codec + "/" + st.SendCompress(), true
}

// VerifyWebhookSignature checks a signature with the gateway's signing keys, the current
// one and, during a rotation, the previous one.
func (s *webhooksService) VerifyWebhookSignature(_ context.Context, req *gatewayv1.VerifyWebhookSignatureRequest) (*gatewayv1.VerifyWebhookSignatureResponse, error) {
	if s.deps.WebhookSigningKey == "" && s.deps.WebhookSigningKeyPrevious == "" {
		return nil, status.Error(codes.FailedPrecondition, "no webhook signing key configured")
	}
	return &gatewayv1.VerifyWebhookSignatureResponse{
		Valid: webhooks.Verify(req.GetBody(), req.GetSignature(), s.deps.WebhookSigningKey, s.deps.WebhookSigningKeyPrevious),
	}, nil
}
