// Package jsonvalue is the one mapping between Nango's JSON and the gateway's messages:
// Decode reads an answer into a message by its descriptor, keeping the keys the proto does
// not know in the message's extra field and null apart from absent; Encode writes it back
// as Nango sent it. ScalarString reads a plain string out of open JSON (webhook payloads,
// record ids) by one rule.
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
