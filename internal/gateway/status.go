package gateway

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// successStatus lists the calls Nango answers with something other than 200.
var successStatus = map[string]int{
	"/nango.gateway.v1.MetadataService/SetMetadata":                   http.StatusCreated,
	"/nango.gateway.v1.ConnectSessionsService/CreateConnectSession":   http.StatusCreated,
	"/nango.gateway.v1.ConnectSessionsService/CreateReconnectSession": http.StatusCreated,
	"/nango.gateway.v1.ActionsService/TriggerActionAsync":             http.StatusAccepted,
}

// forwardStatus sets Nango's success status (and Location for async actions).
func forwardStatus(ctx context.Context, w http.ResponseWriter, resp proto.Message) error {
	method, ok := runtime.RPCMethod(ctx)
	if !ok {
		return nil
	}
	code, ok := successStatus[method]
	if !ok {
		return nil
	}
	if async, ok := resp.(*gatewayv1.TriggerActionAsyncResponse); ok && async.GetStatusUrl() != "" {
		w.Header().Set("Location", async.GetStatusUrl())
	}
	w.WriteHeader(code)
	return nil
}

type requestKey struct{}

// withRequest keeps the HTTP request reachable from grpc-gateway's callbacks, whose context
// derives from it.
func withRequest(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), requestKey{}, r))
}

// rewriteResponse gives replies whose JSON shape depends on the request their Nango shape:
// /scripts/config?format=openai is {"data": [...]}, not the bare array of format=nango.
func rewriteResponse(ctx context.Context, resp proto.Message) (any, error) {
	scripts, ok := resp.(interface {
		GetData() []*gatewayv1.OpenAIFunction
		GetConfigs() []*structpb.Struct
	})
	if !ok {
		return resp, nil
	}
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	if r == nil || r.URL.Query().Get("format") != "openai" {
		return resp, nil
	}
	data := scripts.GetData()
	if data == nil {
		data = []*gatewayv1.OpenAIFunction{}
	}
	return map[string]any{"data": data}, nil
}
