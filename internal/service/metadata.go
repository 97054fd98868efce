package service

import (
	"context"
	"fmt"
	"net/http"
	"regexp"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// metadataService implements gatewayv1.MetadataServiceServer.
type metadataService struct {
	gatewayv1.UnimplementedMetadataServiceServer
	deps Deps
}

// NewMetadataService returns the MetadataService.
func NewMetadataService(d Deps) *metadataService { return &metadataService{deps: d} }

// GetMetadata is the SDK's getMetadata: the connection, no refresh, reduced to its metadata.
func (s *metadataService) GetMetadata(ctx context.Context, req *gatewayv1.GetMetadataRequest) (*gatewayv1.GetMetadataResponse, error) {
	conn, err := getConnectionFull(ctx, s.deps.Upstream, req.GetProviderConfigKey(), req.GetConnectionId(), false, false, false)
	if err != nil {
		return nil, err
	}
	return &gatewayv1.GetMetadataResponse{Metadata: conn.GetMetadata()}, nil
}

// SetMetadata sends POST /connections/metadata; Nango replaces the metadata wholesale and
// answers 201 with the request echoed.
func (s *metadataService) SetMetadata(ctx context.Context, req *gatewayv1.SetMetadataRequest) (*gatewayv1.SetMetadataResponse, error) {
	out := &gatewayv1.SetMetadataResponse{}
	if err := s.send(ctx, http.MethodPost, req.GetMetadata(), req.GetConnectionId(), req.GetProviderConfigKey(), out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateMetadata sends PATCH /connections/metadata; Nango shallow-merges the keys and
// answers 200 with the request echoed.
func (s *metadataService) UpdateMetadata(ctx context.Context, req *gatewayv1.UpdateMetadataRequest) (*gatewayv1.UpdateMetadataResponse, error) {
	out := &gatewayv1.UpdateMetadataResponse{}
	if err := s.send(ctx, http.MethodPatch, req.GetMetadata(), req.GetConnectionId(), req.GetProviderConfigKey(), out); err != nil {
		return nil, err
	}
	return out, nil
}

// send writes the body in the SDK's key order and decodes Nango's echo into out.
func (s *metadataService) send(ctx context.Context, method string, metadata *structpb.Struct, connectionID *structpb.Value, providerConfigKey string, out proto.Message) error {
	if err := checkMetadataConnectionID(connectionID); err != nil {
		return err
	}
	body := &jsonObject{}
	body.set("metadata", metadata)
	body.set("connection_id", connectionID)
	body.set("provider_config_key", providerConfigKey)
	raw, err := body.bytes()
	if err != nil {
		return err
	}
	_, err = doJSON(ctx, s.deps.Upstream, &nangohttp.Request{
		Method: method,
		Path:   nangohttp.PathOf("connections", "metadata"),
		JSON:   raw,
		// Setting or merging the same metadata twice leaves the same state: safe to retry.
		Class: nangohttp.ClassIdempotentWrite,
	}, out)
	return err
}

// connectionIDPattern is Nango's connection id rule (connectionIdSchema).
var connectionIDPattern = regexp.MustCompile(`^[a-zA-Z0-9,.;:=+~\[\]|@${}"'\\/_ -]+$`)

// checkMetadataConnectionID accepts what Nango's connection_id takes: a connection id or a
// non-empty list of them, each by Nango's rule. A google.protobuf.Value could hold anything.
func checkMetadataConnectionID(v *structpb.Value) error {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return checkConnectionID("connection_id", k.StringValue)
	case *structpb.Value_ListValue:
		items := k.ListValue.GetValues()
		if len(items) == 0 {
			return status.Error(codes.InvalidArgument, "connection_id: the list must hold at least one connection id")
		}
		for i, item := range items {
			sv, ok := item.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return status.Errorf(codes.InvalidArgument, "connection_id[%d]: must be a string", i)
			}
			if err := checkConnectionID(fmt.Sprintf("connection_id[%d]", i), sv.StringValue); err != nil {
				return err
			}
		}
		return nil
	}
	return status.Error(codes.InvalidArgument, "connection_id: must be a string or a list of strings")
}

func checkConnectionID(field, id string) error {
	switch {
	case id == "":
		return status.Errorf(codes.InvalidArgument, "%s: must not be empty", field)
	case len([]rune(id)) > 255:
		return status.Errorf(codes.InvalidArgument, "%s: must be at most 255 characters", field)
	case !connectionIDPattern.MatchString(id):
		return status.Errorf(codes.InvalidArgument, "%s: holds a character Nango does not allow in a connection id", field)
	}
	return nil
}
