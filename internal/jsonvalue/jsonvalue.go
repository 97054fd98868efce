// Package jsonvalue reads values out of Nango's open JSON (google.protobuf.Value) by one
// rule wherever the gateway needs a plain string from them: webhook payloads, record ids.
package jsonvalue

import (
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

// ScalarString is a JSON string as it is, and a number or boolean as JSON writes it;
// anything else is "". Nango's payloads and records hold ids that a script may have
// stored as numbers, so the gateway reads such fields with this one rule.
func ScalarString(v *structpb.Value) string {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64)
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue)
	}
	return ""
}
