package service

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
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
