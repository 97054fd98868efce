package gateway

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/nango-gateway/nango-gateway/internal/access"
	"github.com/nango-gateway/nango-gateway/internal/certs"
)

// Nango reads these request values from headers; /v1 accepts them there too.
// Each header fills the request field of the same meaning when the body or query left it empty.
var headerFields = map[string]protoreflect.Name{
	"connection-id":       "connection_id",
	"provider-config-key": "provider_config_key",
	"x-max-retries":       "max_retries",
}

// incomingHeaders passes the headers above to gRPC metadata, besides grpc-gateway's defaults.
func incomingHeaders(key string) (string, bool) {
	if _, ok := headerFields[strings.ToLower(key)]; ok {
		return strings.ToLower(key), true
	}
	name, ok := runtime.DefaultHeaderMatcher(key)
	if ok && strings.EqualFold(name, access.CertificateIdentityMetadata) {
		// Only the gateway states which certificate a caller presented.
		return "", false
	}
	return name, ok
}

// certificateMetadata tells the gRPC server which verified client certificate the
// HTTPS caller presented, so mutual TLS names the client on /v1 as it does on gRPC.
func certificateMetadata(_ context.Context, r *http.Request) metadata.MD {
	ids := certs.Identities(r.TLS)
	if len(ids) == 0 {
		return nil
	}
	return metadata.MD{access.CertificateIdentityMetadata: ids}
}

// DialOptions are the options the /v1 mapping's own client connection needs: interceptors
// that copy header values into empty request fields before the call leaves, so the server's
// validation sees the complete request.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			fillFromHeaders(ctx, req)
			return invoker(ctx, method, req, reply, cc, opts...)
		}),
		grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			cs, err := streamer(ctx, desc, cc, method, opts...)
			if err != nil {
				return nil, err
			}
			return &headerFillingStream{ClientStream: cs, ctx: ctx}, nil
		}),
	}
}

type headerFillingStream struct {
	grpc.ClientStream
	ctx context.Context
}

func (s *headerFillingStream) SendMsg(m any) error {
	fillFromHeaders(s.ctx, m)
	return s.ClientStream.SendMsg(m)
}

func fillFromHeaders(ctx context.Context, req any) {
	msg, ok := req.(proto.Message)
	if !ok {
		return
	}
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		return
	}
	m := msg.ProtoReflect()
	for header, field := range headerFields {
		values := md.Get(header)
		if len(values) == 0 || values[0] == "" {
			continue
		}
		fd := m.Descriptor().Fields().ByName(field)
		if fd == nil || fd.IsList() || fd.IsMap() || m.Has(fd) {
			continue
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString(values[0]))
		case protoreflect.Int32Kind:
			// A malformed number is left for validation to report as the field.
			if n, err := strconv.ParseInt(values[0], 10, 32); err == nil {
				m.Set(fd, protoreflect.ValueOfInt32(int32(n)))
			} else {
				m.Set(fd, protoreflect.ValueOfInt32(-1))
			}
		}
	}
}
