package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// actionsService implements gatewayv1.ActionsServiceServer.
type actionsService struct {
	gatewayv1.UnimplementedActionsServiceServer
	deps Deps
}

// NewActionsService returns the ActionsService.
func NewActionsService(d Deps) *actionsService { return &actionsService{deps: d} }

// MetadataAmbiguous is the ErrorInfo metadata key GetAsyncActionResult adds to
// a 404, whose value "pending_or_unknown" says Nango's answer cannot tell a
// running action from an unknown id.
const MetadataAmbiguous = "ambiguous"

// triggerActionBody is POST /action/trigger's body; input is left out when
// the caller gave none, as the SDK does.
type triggerActionBody struct {
	ActionName string          `json:"action_name"`
	Input      json.RawMessage `json:"input,omitempty"`
}

// TriggerAction is POST /action/trigger; Nango answers the action's output,
// any JSON, once the action has finished.
func (s *actionsService) TriggerAction(ctx context.Context, req *gatewayv1.TriggerActionRequest) (*gatewayv1.TriggerActionResponse, error) {
	up, err := actionTriggerRequest(req.GetProviderConfigKey(), req.GetConnectionId(), req.GetActionName(), req.GetInput())
	if err != nil {
		return nil, err
	}
	resp, err := s.deps.Upstream.Do(ctx, up)
	if err != nil {
		return nil, err
	}
	output, err := actionOutput(resp.Body)
	if err != nil {
		return nil, err
	}
	return &gatewayv1.TriggerActionResponse{Output: output}, nil
}

// TriggerActionAsync is POST /action/trigger with X-Async: true; Nango
// answers 202 {id, statusUrl} at once.
func (s *actionsService) TriggerActionAsync(ctx context.Context, req *gatewayv1.TriggerActionAsyncRequest) (*gatewayv1.TriggerActionAsyncResponse, error) {
	up, err := actionTriggerRequest(req.GetProviderConfigKey(), req.GetConnectionId(), req.GetActionName(), req.GetInput())
	if err != nil {
		return nil, err
	}
	up.Header.Set("X-Async", "true")
	if req.MaxRetries != nil {
		up.Header.Set("X-Max-Retries", strconv.Itoa(int(req.GetMaxRetries())))
	}
	out := &gatewayv1.TriggerActionAsyncResponse{}
	if _, err := doJSON(ctx, s.deps.Upstream, up, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetAsyncActionResult is GET {statusUrl} (verbatim, as the SDK appends it to
// the host) or GET /action/{id}.
func (s *actionsService) GetAsyncActionResult(ctx context.Context, req *gatewayv1.GetAsyncActionResultRequest) (*gatewayv1.GetAsyncActionResultResponse, error) {
	path := req.GetStatusUrl()
	if path == "" {
		path = nangohttp.PathOf("action", req.GetId())
	}
	resp, err := s.deps.Upstream.Do(ctx, &nangohttp.Request{Method: http.MethodGet, Path: path})
	if err != nil {
		return nil, ambiguousActionNotFound(err, path)
	}
	output, err := actionOutput(resp.Body)
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetAsyncActionResultResponse{Output: output}, nil
}

func actionTriggerRequest(providerConfigKey, connectionID, actionName string, input *structpb.Value) (*nangohttp.Request, error) {
	body := triggerActionBody{ActionName: actionName}
	// A Value with no kind set is how an unset input can arrive from some
	// clients; it is treated as absent rather than failing to encode.
	if input.GetKind() != nil {
		b, err := protojson.Marshal(input)
		if err != nil {
			return nil, invalidArgField("input", "cannot be encoded as JSON: %v", err)
		}
		body.Input = b
	}
	h := http.Header{}
	h.Set("Connection-Id", connectionID)
	h.Set("Provider-Config-Key", providerConfigKey)
	return &nangohttp.Request{
		Method: http.MethodPost,
		Path:   "/action/trigger",
		Header: h,
		JSON:   body,
	}, nil
}

// actionOutput reads an action's return value. An empty body (an action that
// returned nothing) is JSON null.
func actionOutput(body []byte) (*structpb.Value, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return structpb.NewNullValue(), nil
	}
	out := &structpb.Value{}
	if err := decodeAnswer(body, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ambiguousActionNotFound rewrites Nango's 404 on an async action's result:
// Nango gives it both while the action is queued or running and for an id it
// does not know, so the message says so and the ErrorInfo gains
// MetadataAmbiguous. The code and every detail are kept.
func ambiguousActionNotFound(err error, path string) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.NotFound {
		return err
	}
	if httpStatus, ok := nangohttp.HTTPStatusFromError(err); !ok || httpStatus != http.StatusNotFound {
		return err
	}
	msg := "nango answered 404 for " + path + ": Nango answers 404 both while an async action is still queued or running " +
		"and for an unknown id, so the result may not be ready yet; poll again later or wait for the async_action webhook"
	if orig := st.Message(); orig != "" {
		msg += " (nango: " + orig + ")"
	}
	details := make([]protoadapt.MessageV1, 0, len(st.Details()))
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			ei := proto.Clone(d).(*errdetails.ErrorInfo)
			if ei.Metadata == nil {
				ei.Metadata = map[string]string{}
			}
			ei.Metadata[MetadataAmbiguous] = "pending_or_unknown"
			details = append(details, ei)
		case protoadapt.MessageV1:
			details = append(details, d)
		}
	}
	out := status.New(codes.NotFound, msg)
	if withDetails, err := out.WithDetails(details...); err == nil {
		out = withDetails
	}
	return out.Err()
}

// ReasonShuttingDown is the ErrorInfo reason of a TriggerActionAndWait ended by the
// gateway's shutdown; metadata "action_id" names the action, which goes on in Nango.
const ReasonShuttingDown = "gateway_shutting_down"

// MetadataActionID is the response header (and trailer) metadata key that carries the id
// of the action TriggerActionAndWait queued. grpc-gateway exposes it over /v1 as
// Grpc-Metadata-Nango-Action-Id.
const MetadataActionID = "nango-action-id"

const (
	// DefaultActionWaitMax bounds a TriggerActionAndWait without a deadline: Nango's own
	// limit on an action's run.
	DefaultActionWaitMax = 15 * time.Minute
	// defaultActionPollInterval is how long the wait trusts the webhook alone before it
	// starts polling.
	defaultActionPollInterval = time.Second
	// actionPollMaxInterval caps the polling backoff: every GET /action/{id} counts against
	// Nango's rate limit, and the webhook usually ends a long wait first.
	actionPollMaxInterval = 30 * time.Second
	// actionWaitBuffer holds the events that arrive while the trigger is in flight and
	// between two reads; a waiter further behind falls back to polling.
	actionWaitBuffer = 256
	// actionWaitMargin is the most a wait ends before the caller's deadline.
	actionWaitMargin = 100 * time.Millisecond
)

// TriggerActionAndWait queues the action, then returns its result as soon as Nango's
// async_action webhook for it reaches any replica (through the event bus), or as soon as
// polling GET /action/{id} finds it, whichever comes first.
//
// The subscription is made before the trigger, so a webhook that beats Nango's 202 is
// not missed. The trigger is sent once: queuing an action is not idempotent. Its id goes
// out at once in the response headers, and again in the trailer, so a caller that gives up
// can fetch the result later with GetAsyncActionResult.
func (s *actionsService) TriggerActionAndWait(ctx context.Context, req *gatewayv1.TriggerActionAndWaitRequest) (*gatewayv1.TriggerActionAndWaitResponse, error) {
	capped := false
	if deadline, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.actionWaitMax())
		defer cancel()
		capped = true
	} else {
		// The wait gives up a moment before the caller does, so that the caller gets
		// this answer, which names the action and how to fetch it, rather than its own
		// bare "deadline exceeded".
		margin := min(time.Until(deadline)/20, actionWaitMargin)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-margin))
		defer cancel()
	}
	// Subscribed before the trigger, so that a webhook faster than Nango's answer is heard.
	sub := s.subscribeActionWebhooks(ctx)
	if sub != nil {
		defer sub.Close()
	}
	queued, err := s.TriggerActionAsync(ctx, &gatewayv1.TriggerActionAsyncRequest{
		ProviderConfigKey: req.GetProviderConfigKey(), ConnectionId: req.GetConnectionId(),
		ActionName: req.GetActionName(), Input: req.GetInput(), MaxRetries: req.MaxRetries,
	})
	if err != nil {
		return nil, err
	}
	id := queued.GetId()
	if id == "" {
		return nil, malformedAnswer("an async action's {id, statusUrl}", errors.New("no id"))
	}
	md := metadata.Pairs(MetadataActionID, id)
	// Headers now: a caller whose deadline passes while the action runs still learns
	// the id. The trailer repeats it for clients that read only trailers.
	if err := grpc.SendHeader(ctx, md); err != nil {
		s.deps.Logger.WarnContext(ctx, "trigger action and wait: cannot send the action id header", "action_id", id, "error", err)
	}
	_ = grpc.SetTrailer(ctx, md)

	interval := defaultActionPollInterval
	if req.GetPollInterval() != nil {
		interval = req.GetPollInterval().AsDuration()
	}
	w := &actionWait{
		s: s, id: id, path: nangohttp.PathOf("action", id), capped: capped, interval: interval,
		providerConfigKey: req.GetProviderConfigKey(), connectionID: req.GetConnectionId(),
	}
	output, err := w.run(ctx, sub)
	if err != nil {
		return nil, err
	}
	return &gatewayv1.TriggerActionAndWaitResponse{Id: id, Output: output}, nil
}

func (s *actionsService) actionWaitMax() time.Duration {
	if s.deps.ActionWaitMax > 0 {
		return s.deps.ActionWaitMax
	}
	return DefaultActionWaitMax
}

// subscribeActionWebhooks subscribes to the events published from now on, or returns nil
// when no webhook can arrive (no bus, or no signing key to verify one) or the bus refuses:
// then the wait polls from the start, which finds the result all the same.
func (s *actionsService) subscribeActionWebhooks(ctx context.Context) *eventbus.Subscription {
	if !s.deps.webhooksArrive() {
		return nil
	}
	sub, err := s.deps.Bus.Subscribe(ctx, eventbus.FromNow(), actionWaitBuffer)
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "trigger action and wait: cannot subscribe to the event bus, polling only", "error", err)
		return nil
	}
	return sub
}

// actionWait is one wait for an async action's result.
type actionWait struct {
	s                               *actionsService
	id, path                        string
	providerConfigKey, connectionID string
	capped                          bool
	interval                        time.Duration
}

// run waits for the webhook naming the action, polling meanwhile: the first poll after
// the poll interval (at once when no webhook can come), then with exponential backoff and
// jitter up to actionPollMaxInterval, never sooner than the poll interval. Nango's 404
// means the action still runs.
func (w *actionWait) run(ctx context.Context, sub *eventbus.Subscription) (*structpb.Value, error) {
	var events <-chan eventbus.Event
	first := w.interval
	if sub != nil {
		events = sub.Events()
	} else {
		first = 0
	}
	maxInterval := max(actionPollMaxInterval, w.interval)
	backoff := w.interval
	timer := time.NewTimer(first)
	defer timer.Stop()
	polls := 0
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			return nil, w.ended(ctx, polls, lastErr)
		case ev, ok := <-events:
			if !ok {
				if errors.Is(sub.Err(), eventbus.ErrClosed) {
					// The gateway is shutting down: end now so it can drain, and say how
					// to get the result, rather than be cut off at the end of the grace.
					return nil, w.shuttingDown()
				}
				// Fell behind: polling alone still finds the result.
				w.s.deps.Logger.WarnContext(ctx, "trigger action and wait: event subscription ended, polling only",
					"action_id", w.id, "error", sub.Err())
				events = nil
				continue
			}
			if !w.isItsWebhook(ev) {
				continue
			}
			// One webhook is enough; should the result still be missing, polling goes on.
			events = nil
		case <-timer.C:
			polls++
		}
		resp, err := w.s.deps.Upstream.Do(ctx, &nangohttp.Request{Method: http.MethodGet, Path: w.path})
		backoff = min(2*backoff, maxInterval)
		next := max(jitter(backoff), w.interval)
		switch {
		case err == nil:
			return actionOutput(resp.Body)
		case ctx.Err() != nil:
			return nil, w.ended(ctx, polls, lastErr)
		case isPending(err):
			lastErr = nil
		case isTransient(err):
			lastErr = err
			// Nango's rate limit says when to come back; polling sooner only burns quota.
			if d, ok := nangohttp.RetryDelayFromError(err); ok && d > next {
				next = d
			}
			w.s.deps.Logger.WarnContext(ctx, "trigger action and wait: transient upstream error, polling again",
				"action_id", w.id, "code", status.Code(err).String(), "retry_in", next)
		default:
			// The action failed: Nango's error, as GetAsyncActionResult gives it.
			return nil, err
		}
		timer.Reset(next)
	}
}

// isItsWebhook reports whether ev is Nango's async_action webhook for this action. Most
// events are not: the id is looked for in the raw body before anything is parsed.
func (w *actionWait) isItsWebhook(ev eventbus.Event) bool {
	if !bytes.Contains(ev.Body, []byte(w.id)) {
		return false
	}
	parsed, err := webhooks.Parse(ev.Body)
	if err != nil || parsed.GetType() != webhooks.TypeAsyncAction {
		return false
	}
	a := parsed.GetAsyncAction()
	return a.GetId() == w.id && a.GetProviderConfigKey() == w.providerConfigKey && a.GetConnectionId() == w.connectionID
}

// isPending reports Nango's 404 on GET /action/{id}: for an id Nango just gave, the
// action is still queued or running.
func isPending(err error) bool {
	httpStatus, ok := nangohttp.HTTPStatusFromError(err)
	return ok && httpStatus == http.StatusNotFound && status.Code(err) == codes.NotFound
}

// shuttingDown is the error of a wait cut short by the gateway's shutdown.
func (w *actionWait) shuttingDown() error {
	return actionWaitStatus(codes.Unavailable, ReasonShuttingDown, w.id, fmt.Sprintf(
		"trigger action and wait: the gateway is shutting down while action %s is still running; %s", w.id, w.later()))
}

// later says how to get the result once the wait is over.
func (w *actionWait) later() string {
	return fmt.Sprintf("fetch its result later with GetAsyncActionResult id %q (GET /v1/action/%s)", w.id, w.id)
}

func actionWaitStatus(code codes.Code, reason, id, msg string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: nangohttp.Domain, Metadata: map[string]string{"action_id": id}}); err == nil {
		st = d
	}
	return st.Err()
}

// ended is the error of a wait whose context ended, with the action's id so the caller
// can fetch the result later (it is in the metadata too).
func (w *actionWait) ended(ctx context.Context, polls int, lastErr error) error {
	later := w.later()
	code, reason := codes.DeadlineExceeded, nangohttp.ReasonDeadlineExceeded
	var msg string
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		code, reason = codes.Canceled, nangohttp.ReasonCanceled
		msg = fmt.Sprintf("trigger action and wait: canceled by the caller while action %s was still running; %s", w.id, later)
	case w.capped:
		msg = fmt.Sprintf("trigger action and wait: action %s did not finish within %s, the longest wait when the caller sets no deadline (ACTION_WAIT_MAX); %s",
			w.id, w.s.actionWaitMax(), later)
	default:
		msg = fmt.Sprintf("trigger action and wait: deadline exceeded after %d poll(s), action %s still running; %s", polls, w.id, later)
	}
	if lastErr != nil {
		msg += "; the last poll failed: " + status.Convert(lastErr).Message()
	}
	return actionWaitStatus(code, reason, w.id, msg)
}
