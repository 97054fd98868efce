package jsonvalue

import (
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
)

func TestScalarStringWritesScalarsAsJSONDoes(t *testing.T) {
	tests := []struct {
		in   *structpb.Value
		want string
	}{
		{structpb.NewStringValue("1001"), "1001"},
		{structpb.NewNumberValue(1001), "1001"},
		{structpb.NewNumberValue(1.5), "1.5"},
		{structpb.NewNumberValue(12345678901234), "12345678901234"},
		{structpb.NewBoolValue(true), "true"},
		{structpb.NewNullValue(), ""},
		{structpb.NewListValue(&structpb.ListValue{}), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := ScalarString(tt.in); got != tt.want {
			t.Errorf("ScalarString(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
