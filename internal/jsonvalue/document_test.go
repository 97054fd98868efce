package jsonvalue

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckDocumentAcceptsOneValueWithinTheDepthBound(t *testing.T) {
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"object", `{"a":[1,{"b":"}]{["}],"c":null}`, ""},
		{"scalar", ` "x" `, ""},
		{"number", `12.5e3`, ""},
		{"at the bound", nested(MaxDepth), ""},
		{"past the bound", nested(MaxDepth + 1), "deeper than"},
		{"hostile depth", nested(9999), "deeper than"},
		{"trailing garbage", `{"a":1} x`, "data after the value"},
		{"two values", `{"a":1}{"b":2}`, "data after the value"},
		{"trailing scalar", `1 2`, "data after the value"},
		{"unclosed", `{"a":[1`, "not valid JSON"},
		{"empty", ``, "empty document"},
		{"not JSON", `{a:1}`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDocument([]byte(tt.doc))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr == "deeper than" && !errors.Is(err, ErrTooDeep) {
				t.Errorf("err = %v, want ErrTooDeep", err)
			}
		})
	}
}

func FuzzCheckDocumentNeverPanicsAndAgreesWithTheDecoder(f *testing.F) {
	for _, s := range []string{`{}`, `[1,"a",{"b":null}]`, `{"a":1} x`, `[[[[`, `"\u00e9"`, `1e999`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckDocument(b) == nil && !jsonValid(b) {
			t.Fatalf("accepted invalid JSON %q", b)
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
