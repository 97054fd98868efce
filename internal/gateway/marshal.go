package gateway

import (
	"bytes"
	"encoding/json"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// nangoJSON prints the messages with their proto field names (Nango's keys) and every
// always-present key, compacted: protojson deliberately varies its whitespace, which clients
// must not depend on, but byte-stable output keeps logs, tests and caches simple.
type nangoJSON struct {
	runtime.JSONPb
}

func newNangoJSON() *nangoJSON {
	return &nangoJSON{JSONPb: runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{},
	}}
}

func (m *nangoJSON) Marshal(v any) ([]byte, error) {
	b, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Delimiter separates the messages of a stream: newline-delimited JSON.
func (m *nangoJSON) Delimiter() []byte { return []byte("\n") }
