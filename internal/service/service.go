package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"google.golang.org/grpc"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// Deps is what the services share.
type Deps struct {
	// Upstream is the client of Nango's REST API; the only way to reach Nango.
	Upstream *nangohttp.Client
	// Logger never receives secrets.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WaitPollInterval is how often WaitForConnection asks Nango; 0 means 2 s.
	WaitPollInterval time.Duration
	// MaxProxyBodyBytes bounds proxied request and response bodies; 0 means 32 MiB.
	MaxProxyBodyBytes int
	// Bus carries the webhooks Nango sent; nil disables StreamWebhookEvents.
	Bus eventbus.Bus
	// WebhookSigningKey and WebhookSigningKeyPrevious (during a rotation) verify
	// webhook signatures; never logged.
	WebhookSigningKey         string
	WebhookSigningKeyPrevious string
	// SubscriberBuffer is each StreamWebhookEvents subscriber's buffer in events; 0 means
	// eventbus.DefaultBuffer. A subscriber further behind is ended with ResourceExhausted.
	SubscriberBuffer int

	// events is the one parse of each bus event that StreamWebhookEvents subscribers and
	// WatchRecords watchers share; set by RegisterAll.
	events *preparedEvents
	// ActionWaitMax bounds a TriggerActionAndWait whose caller set no deadline; 0 means
	// DefaultActionWaitMax.
	ActionWaitMax time.Duration
	// HeartbeatInterval is how long a long-lived stream (StreamWebhookEvents, WatchRecords)
	// stays silent before it sends a heartbeat, when the request does not say; 0 means 15 s.
	HeartbeatInterval time.Duration
	// WatchPollInterval is how often WatchRecords polls Nango when no webhook can tell it
	// of changes (no event bus or no signing key); 0 means 30 s.
	WatchPollInterval time.Duration
}

// webhooksArrive reports whether Nango's webhooks can reach the services: a bus carries
// them and a signing key lets the gateway verify them. Without, waits poll.
func (d Deps) webhooksArrive() bool {
	return d.Bus != nil && (d.WebhookSigningKey != "" || d.WebhookSigningKeyPrevious != "")
}

// RegisterAll registers every service on the gRPC server.
func RegisterAll(s grpc.ServiceRegistrar, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.events = d.preparedEvents()
	gatewayv1.RegisterProvidersServiceServer(s, NewProvidersService(d))
	gatewayv1.RegisterIntegrationsServiceServer(s, NewIntegrationsService(d))
	gatewayv1.RegisterConnectionsServiceServer(s, NewConnectionsService(d))
	gatewayv1.RegisterMetadataServiceServer(s, NewMetadataService(d))
	gatewayv1.RegisterScriptsServiceServer(s, NewScriptsService(d))
	gatewayv1.RegisterRecordsServiceServer(s, NewRecordsService(d))
	gatewayv1.RegisterSyncsServiceServer(s, NewSyncsService(d))
	gatewayv1.RegisterEnvironmentServiceServer(s, NewEnvironmentService(d))
	gatewayv1.RegisterActionsServiceServer(s, NewActionsService(d))
	gatewayv1.RegisterProxyServiceServer(s, NewProxyService(d))
	gatewayv1.RegisterConnectSessionsServiceServer(s, NewConnectSessionsService(d))
	gatewayv1.RegisterWebhooksServiceServer(s, NewWebhooksService(d))
}

// doJSON sends req and decodes Nango's answer into out with the one rule of
// jsonvalue.Decode: keys the proto does not know land in extra, null and absent stay
// apart, and an answer of another shape is an error rather than an empty success.
func doJSON(ctx context.Context, up *nangohttp.Client, req *nangohttp.Request, out proto.Message) (*nangohttp.Response, error) {
	resp, err := up.Do(ctx, req)
	if err != nil {
		return resp, err
	}
	if resp.Status == http.StatusNoContent {
		proto.Reset(out)
		return resp, nil
	}
	return resp, decodeAnswer(resp.Body, out)
}

// decodeAnswer is jsonvalue.Decode with a failure as Internal, reason
// malformed_upstream_response, naming the message and where the shape differs (never a
// value: answers hold credentials).
func decodeAnswer(body []byte, out proto.Message) error {
	if err := jsonvalue.Decode(body, out); err != nil {
		return malformedAnswer(string(out.ProtoReflect().Descriptor().FullName()), err)
	}
	return nil
}

// decodeArrayAnswer reads a top-level JSON array (GET /environment-variables,
// /scripts/config), element by element with newT.
func decodeArrayAnswer[T proto.Message](body []byte, newT func() T) ([]T, error) {
	var items []json.RawMessage
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' || json.Unmarshal(trimmed, &items) != nil {
		return nil, malformedAnswer("a JSON array", &jsonvalue.ShapeError{Path: "$", Want: "an array", Got: jsonKind(trimmed)})
	}
	out := make([]T, 0, len(items))
	for i, raw := range items {
		m := newT()
		if err := jsonvalue.Decode(raw, m); err != nil {
			var se *jsonvalue.ShapeError
			if errors.As(err, &se) {
				se.Path = "$[" + strconv.Itoa(i) + "]" + strings.TrimPrefix(se.Path, "$")
			}
			return nil, malformedAnswer(string(m.ProtoReflect().Descriptor().FullName()), err)
		}
		out = append(out, m)
	}
	return out, nil
}

func malformedAnswer(what string, err error) error {
	st := status.Newf(codes.Internal, "nango answered a body that is not the JSON of %s: %v", what, err)
	if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: nangohttp.ReasonMalformedResponse, Domain: nangohttp.Domain}); derr == nil {
		st = d
	}
	return st.Err()
}

// jsonKind names the kind of JSON value raw starts with, for an error message.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "an empty body"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number or invalid JSON"
}
