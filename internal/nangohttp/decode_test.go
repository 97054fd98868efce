package nangohttp

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestDoProto(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		wantCode   codes.Code
		wantReason string
		want       *descriptorpb.FieldDescriptorProto
	}{
		{
			name: "proto and JSON names, unknown fields ignored", status: 200,
			body:     `{"name":"x","typeName":".a.B","json_name":"y","added_by_nango_later":{"k":[1,2]}}`,
			wantCode: codes.OK,
			want:     &descriptorpb.FieldDescriptorProto{Name: proto.String("x"), TypeName: proto.String(".a.B"), JsonName: proto.String("y")},
		},
		{name: "204 resets the message", status: 204, body: "", wantCode: codes.OK, want: &descriptorpb.FieldDescriptorProto{}},
		{name: "truncated JSON", status: 200, body: `{"name":"x"`, wantCode: codes.Internal, wantReason: ReasonMalformedResponse},
		{name: "HTML body", status: 200, body: `<html>ok</html>`, wantCode: codes.Internal, wantReason: ReasonMalformedResponse},
		{name: "empty 200 body", status: 200, body: "", wantCode: codes.Internal, wantReason: ReasonMalformedResponse},
		{name: "wrong field type", status: 200, body: `{"name":42}`, wantCode: codes.Internal, wantReason: ReasonMalformedResponse},
		{name: "upstream error passes through", status: 404, body: `{"error":{"code":"not_found"}}`, wantCode: codes.NotFound, wantReason: "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, &recorder{status: tt.status, body: []byte(tt.body)})
			c := newTestClient(t, srv.URL)
			out := &descriptorpb.FieldDescriptorProto{Name: proto.String("stale")}
			resp, err := c.DoProto(context.Background(), &Request{Path: "/x"}, out)
			if got := status.Code(err); got != tt.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.wantCode)
			}
			if resp == nil || resp.Status != tt.status {
				t.Errorf("response = %+v, want status %d", resp, tt.status)
			}
			if tt.wantCode == codes.OK {
				if !proto.Equal(out, tt.want) {
					t.Errorf("decoded %v, want %v", out, tt.want)
				}
				return
			}
			if ei, ok := ErrorInfoFrom(err); !ok || ei.Reason != tt.wantReason {
				t.Errorf("ErrorInfo = %v, want reason %q", ei, tt.wantReason)
			}
		})
	}
}

func TestMalformedBodyIsNotEchoedInTheError(t *testing.T) {
	err := Decode([]byte(`{"name": {"access_token": "tok-abc"}}`), &descriptorpb.FieldDescriptorProto{})
	if status.Code(err) != codes.Internal {
		t.Fatalf("code = %v, want Internal", status.Code(err))
	}
	if msg := status.Convert(err).Message(); msg != "nango answered a body that is not valid JSON for google.protobuf.FieldDescriptorProto" {
		t.Errorf("message = %q", msg)
	}
}

func TestDecodeArray(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []map[string]any
		wantErr bool
	}{
		{name: "array of objects", body: `[{"name":"A","value":"1"},{"name":"B","value":"2"}]`,
			want: []map[string]any{{"name": "A", "value": "1"}, {"name": "B", "value": "2"}}},
		{name: "empty array", body: `[]`, want: []map[string]any{}},
		{name: "null", body: `null`, want: []map[string]any{}},
		{name: "object instead of array", body: `{"data":[]}`, wantErr: true},
		{name: "element of the wrong type", body: `[{"a":1}, 7]`, wantErr: true},
		{name: "truncated", body: `[{"a":1}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeArray([]byte(tt.body), func() *structpb.Struct { return &structpb.Struct{} })
			if tt.wantErr {
				if ei, ok := ErrorInfoFrom(err); status.Code(err) != codes.Internal || !ok || ei.Reason != ReasonMalformedResponse {
					t.Fatalf("error = %v, want Internal %s", err, ReasonMalformedResponse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d elements, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				ws, _ := structpb.NewStruct(w)
				if !proto.Equal(got[i], ws) {
					t.Errorf("element %d = %v, want %v", i, got[i], ws)
				}
			}
		})
	}
}
