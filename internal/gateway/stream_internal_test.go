package gateway

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// The REST stream decodes only the JSON of a record, and anything else in full.
func TestJSONFieldFindsTheRecordJSONOrAsksForAFullDecode(t *testing.T) {
	payload, _ := structpb.NewStruct(map[string]any{"id": "1"})
	tests := []struct {
		name     string
		msg      *gatewayv1.StreamRecordsResponse
		wantJSON string
		wantOK   bool
	}{
		{"json with id and metadata", &gatewayv1.StreamRecordsResponse{Json: []byte(`{"id":"1"}`), Id: "1", Metadata: &gatewayv1.RecordMetadata{Cursor: "c"}}, `{"id":"1"}`, true},
		{"json alone", &gatewayv1.StreamRecordsResponse{Json: []byte(`{}`)}, `{}`, true},
		{"protobuf values", &gatewayv1.StreamRecordsResponse{Payload: payload, Id: "1"}, "", false},
		{"no json", &gatewayv1.StreamRecordsResponse{Id: "1"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.Marshal(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := jsonField(b)
			if ok != tt.wantOK || string(got) != tt.wantJSON {
				t.Fatalf("jsonField = %q %v, want %q %v", got, ok, tt.wantJSON, tt.wantOK)
			}
		})
	}
	if _, ok := jsonField([]byte{0x22, 0x05, '{'}); ok {
		t.Fatal("a truncated message was taken as JSON")
	}
}
