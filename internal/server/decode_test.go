package server

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// rawCodec sends a request's bytes as they are, so a test can send what no client library
// would encode.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

// nestedValue is a google.protobuf.Value holding a Struct holding a Value… depth times,
// built from the inside out so that building it needs no recursion.
func nestedValue(depth int) []byte {
	value := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 0) // null_value
	for range depth {
		entry := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "a")
		entry = protowire.AppendBytes(protowire.AppendTag(entry, 2, protowire.BytesType), value)
		st := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), entry)
		value = protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType), st)
	}
	return value
}

// A request that is not a valid message of its type is the caller's mistake: gRPC callers
// get InvalidArgument, as for any other bad request, on unary calls and on streams,
// whatever the reason protobuf refused it.
func TestUndecodableRequestsAreInvalidArgumentNotInternal(t *testing.T) {
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: testKey, Seed: true}))
	defer upstream.Close()
	conn := dial(t, startConfiguredGateway(t, upstream.URL, nil))

	// TriggerActionRequest.input (4) is a google.protobuf.Value.
	tooDeep := protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), nestedValue(20_000))
	truncated := []byte{0x0a, 0x10, 'g', 'i', 't'} // field 1 says 16 bytes, 3 follow
	badUTF8 := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff, 0xfe})

	tests := []struct {
		name   string
		method string
		stream bool
		body   []byte
	}{
		{"a value nested past protobuf's recursion limit", "/nango.gateway.v1.ActionsService/TriggerAction", false, tooDeep},
		{"a truncated field", "/nango.gateway.v1.ConnectionsService/GetConnection", false, truncated},
		{"a string that is not UTF-8", "/nango.gateway.v1.ConnectionsService/GetConnection", false, badUTF8},
		{"a truncated stream request", "/nango.gateway.v1.RecordsService/StreamRecords", true, truncated},
		{"an event-stream request that is not UTF-8", "/nango.gateway.v1.WebhooksService/StreamWebhookEvents", true, badUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			var reply []byte
			if tt.stream {
				var s grpc.ClientStream
				s, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, tt.method, grpc.ForceCodecV2(rawCodec{}))
				if err == nil {
					if err = s.SendMsg(&tt.body); err == nil {
						_ = s.CloseSend()
						err = s.RecvMsg(&reply)
					}
				}
			} else {
				err = conn.Invoke(ctx, tt.method, &tt.body, &reply, grpc.ForceCodecV2(rawCodec{}))
			}
			if code := status.Code(err); code != codes.InvalidArgument {
				t.Fatalf("code %v (%v), want InvalidArgument", code, err)
			}
		})
	}
}
