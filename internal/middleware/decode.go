package middleware

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	protobuf "google.golang.org/protobuf/proto"
)

// A request that cannot be decoded (bytes that are not the message, or a message nested
// past protobuf's recursion limit) is the caller's mistake, but grpc-go answers a codec
// error Internal, on the wire at once, before any handler or interceptor runs. So for the
// gateway's own API the server's codec does not fail: it hands over an empty message
// marked with the reason, and the handlers of the services registered through
// DecodeErrorsAsInvalidArgument answer a marked request InvalidArgument. Requests of other
// services (health, reflection) fail as grpc-go makes them fail.

// apiPackage is the proto package whose requests are marked rather than refused.
const apiPackage = "nango.gateway.v1."

// undecodableField is the unknown field, never part of a request, that carries why a
// request could not be decoded: the largest field number protobuf allows.
const undecodableField protowire.Number = protowire.MaxValidNumber

// RequestCodec is the server's codec: protobuf, marking the API requests it cannot decode.
func RequestCodec() encoding.CodecV2 {
	return requestCodec{encoding.GetCodecV2(proto.Name)}
}

type requestCodec struct{ encoding.CodecV2 }

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(protobuf.Message)
	if err == nil || !ok || !strings.HasPrefix(string(m.ProtoReflect().Descriptor().FullName()), apiPackage) {
		return err
	}
	// The mark lives in the message itself: no state outlives the call.
	protobuf.Reset(m)
	m.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, undecodableField, protowire.BytesType), []byte(err.Error())))
	return nil
}

// undecodable returns why the codec could not decode m, if it could not.
func undecodable(m any) (string, bool) {
	pm, ok := m.(protobuf.Message)
	if !ok {
		return "", false
	}
	b := pm.ProtoReflect().GetUnknown()
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != undecodableField || typ != protowire.BytesType {
		return "", false
	}
	cause, m2 := protowire.ConsumeBytes(b[n:])
	if m2 < 0 {
		return "", false
	}
	return string(cause), true
}

// requestError answers a request the codec marked as undecodable with InvalidArgument and
// leaves every other outcome as it is.
func requestError(m any, err error) error {
	if err != nil {
		return err
	}
	if cause, ok := undecodable(m); ok {
		return status.Errorf(codes.InvalidArgument, "request: not a valid message of its type: %s", cause)
	}
	return nil
}

// DecodeErrorsAsInvalidArgument registers services on r with handlers that answer an
// undecodable request InvalidArgument.
func DecodeErrorsAsInvalidArgument(r grpc.ServiceRegistrar) grpc.ServiceRegistrar {
	return decodeRegistrar{r}
}

type decodeRegistrar struct{ grpc.ServiceRegistrar }

func (r decodeRegistrar) RegisterService(desc *grpc.ServiceDesc, impl any) {
	wrapped := *desc
	wrapped.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, md := range desc.Methods {
		handler := md.Handler
		md.Handler = func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			return handler(srv, ctx, func(m any) error { return requestError(m, dec(m)) }, interceptor)
		}
		wrapped.Methods[i] = md
	}
	wrapped.Streams = make([]grpc.StreamDesc, len(desc.Streams))
	for i, sd := range desc.Streams {
		handler := sd.Handler
		sd.Handler = func(srv any, stream grpc.ServerStream) error {
			return handler(srv, decodeStream{stream})
		}
		wrapped.Streams[i] = sd
	}
	r.ServiceRegistrar.RegisterService(&wrapped, impl)
}

type decodeStream struct{ grpc.ServerStream }

func (s decodeStream) RecvMsg(m any) error { return requestError(m, s.ServerStream.RecvMsg(m)) }
