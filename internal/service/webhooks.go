package service

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
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

// webhooksService implements gatewayv1.WebhooksServiceServer.
type webhooksService struct {
	gatewayv1.UnimplementedWebhooksServiceServer
	deps Deps
}

// NewWebhooksService returns the WebhooksService.
func NewWebhooksService(d Deps) *webhooksService {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &webhooksService{deps: d}
}

// StreamWebhookEvents subscribes to the event bus and sends the events that pass the
// request's filters. Filtering happens here, so a subscriber pays only for what it asked
// for; the sequence still counts every event, and the stream stays resumable.
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
		return status.Errorf(codes.Unavailable, "subscribe to the event bus: %v", err)
	}
	defer sub.Close()

	match := newEventFilter(req)
	for ev := range sub.Events() {
		parsed, err := webhooks.Parse(ev.Body)
		if err != nil {
			// Only the webhook handler publishes, and it checks the body first; something
			// else wrote to a shared stream.
			s.deps.Logger.Warn("event bus: skipped an event that is not a webhook", "sequence", ev.Sequence)
			continue
		}
		if !match(parsed) {
			continue
		}
		if err := stream.Send(&gatewayv1.StreamWebhookEventsResponse{
			Sequence:   ev.Sequence,
			ReceivedAt: timestamppb.New(ev.ReceivedAt),
			Event:      parsed,
		}); err != nil {
			return err
		}
	}
	return subscriptionError(ctx, sub.Err())
}

// subscriptionError maps why a subscription ended to the stream's status.
func subscriptionError(ctx context.Context, err error) error {
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
		return status.Error(codes.Unavailable, "the event bus is shutting down; resume with after_sequence")
	}
	if err == nil {
		return nil
	}
	return status.Errorf(codes.Unavailable, "event bus: %v", err)
}

// newEventFilter returns the request's filters as one predicate. A forward that Nango
// could not attribute (no type) counts as type "forward". Connection and integration come
// from the typed payload, or from the raw JSON for types this gateway does not know yet.
func newEventFilter(req *gatewayv1.StreamWebhookEventsRequest) func(*gatewayv1.WebhookEvent) bool {
	types := req.GetTypes()
	return func(ev *gatewayv1.WebhookEvent) bool {
		if len(types) > 0 && !slices.Contains(types, ev.GetType()) &&
			(ev.GetForward() == nil || !slices.Contains(types, webhooks.TypeForward)) {
			return false
		}
		if req.ProviderConfigKey != nil && eventField(ev, "providerConfigKey") != req.GetProviderConfigKey() {
			return false
		}
		if req.ConnectionId != nil && eventField(ev, "connectionId") != req.GetConnectionId() {
			return false
		}
		if req.SyncName != nil && eventField(ev, "syncName") != req.GetSyncName() {
			return false
		}
		if req.Model != nil && eventField(ev, "model") != req.GetModel() {
			return false
		}
		return true
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
