package nangohttp

import (
	"encoding/json"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Nango adds response fields over time; an unknown one must not break a call.
var unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}

// Decode unmarshals a Nango JSON body into out, ignoring unknown fields. A
// body that is not the JSON of out gives codes.Internal with reason
// "malformed_upstream_response". The message names the type, never the
// body's content, which may hold credentials.
func Decode(body []byte, out proto.Message) error {
	if err := unmarshalOptions.Unmarshal(body, out); err != nil {
		return newStatus(codes.Internal, ReasonMalformedResponse, nil,
			"nango answered a body that is not valid JSON for %s", out.ProtoReflect().Descriptor().FullName())
	}
	return nil
}

// DecodeArray decodes a top-level JSON array (GET /environment-variables,
// /scripts/config), which protojson cannot read into one message, element by
// element with newT. JSON null gives an empty slice. Errors are those of
// Decode.
func DecodeArray[T proto.Message](body []byte, newT func() T) ([]T, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, newStatus(codes.Internal, ReasonMalformedResponse, nil,
			"nango answered a body that is not a JSON array")
	}
	out := make([]T, 0, len(items))
	for i, raw := range items {
		m := newT()
		if err := unmarshalOptions.Unmarshal(raw, m); err != nil {
			return nil, newStatus(codes.Internal, ReasonMalformedResponse, nil,
				"nango answered an array whose element %d is not valid JSON for %s", i, m.ProtoReflect().Descriptor().FullName())
		}
		out = append(out, m)
	}
	return out, nil
}
