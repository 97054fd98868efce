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
// error Internal, on the wire at once, before any interceptor runs. So for the gateway's
// own API the server's codec does not fail: it hands over an empty message marked with
// the reason, and the chain's decode interceptors answer a marked request InvalidArgument,
// where logging and metrics see it. Requests of other services (health, reflection) fail
// as grpc-go makes them fail.

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

// requestError is InvalidArgument for a request the codec marked as undecodable.
func requestError(m any) error {
	if cause, ok := undecodable(m); ok {
		return status.Errorf(codes.InvalidArgument, "request: not a valid message of its type: %s", cause)
	}
	return nil
}

// decodedUnary refuses a unary request the codec could not decode.
func decodedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := requestError(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// decodedStream refuses a stream's request the codec could not decode.
func decodedStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, decodeStream{ss})
}

type decodeStream struct{ grpc.ServerStream }

func (s decodeStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return requestError(m)
}
