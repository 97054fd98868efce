package gateway

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictQueryParser refuses query parameters that name no request field, as Nango does
// (400 invalid_query_params), instead of silently dropping them. Names may be snake_case or
// camelCase (connectionId); map entries are written key[entry] (tags[email]).
type strictQueryParser struct {
	runtime.DefaultQueryParser
}

const unknownQueryPrefix = "unknown query parameter"

func (p *strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	var unknown []string
	fields := msg.ProtoReflect().Descriptor().Fields()
	for key := range values {
		name := key
		if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
			name = name[:i]
		}
		if j := strings.IndexByte(name, '.'); j > 0 {
			name = name[:j]
		}
		if fieldByQueryName(fields, name) == nil {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s %s", unknownQueryPrefix, strings.Join(quoteAll(unknown), ", "))
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}

func fieldByQueryName(fields protoreflect.FieldDescriptors, name string) protoreflect.FieldDescriptor {
	if fd := fields.ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return fields.ByJSONName(name)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
