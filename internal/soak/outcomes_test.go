package soak

import (
	"encoding/json"
	"errors"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/service"
)

// A subscriber cut off for falling behind is the one failure the soak allows; anything
// else that ends a stream must still count as unexpected.
func TestOnlyASubscriberCutOffAsTooSlowIsAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		line string
		want bool
	}{
		{"the gateway's answer to a reader that fell behind",
			`{"error":{"code":8,"message":"the subscriber fell more than 256 events behind; resume with after_sequence=117714638209450","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"subscriber_too_slow","domain":"nango.dev","metadata":{"last_delivered_sequence":"117714638209450"}}]}}`, true},
		{"resource exhausted for another reason", `{"error":{"code":8,"message":"rate limited","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"too_many_request"}]}}`, false},
		{"another code", `{"error":{"code":14,"message":"unavailable"}}`, false},
		{"an event", `{"result":{"sequence":"42"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l eventLine
			if err := json.Unmarshal([]byte(tc.line), &l); err != nil {
				t.Fatal(err)
			}
			if got := l.tooSlow(); got != tc.want {
				t.Errorf("tooSlow() = %v, want %v", got, tc.want)
			}
		})
	}

	tooSlowStatus, _ := status.New(codes.ResourceExhausted, "behind").WithDetails(&errdetails.ErrorInfo{
		Reason: service.ReasonSubscriberTooSlow, Metadata: map[string]string{"last_delivered_sequence": "42"},
	})
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"gRPC: the gateway's answer to a reader that fell behind", tooSlowStatus.Err(), true},
		{"gRPC: resource exhausted without the reason", status.Error(codes.ResourceExhausted, "behind"), false},
		{"gRPC: unavailable", status.Error(codes.Unavailable, "gone"), false},
		{"not a status", errors.New("broken pipe"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tooSlow(tc.err); got != tc.want {
				t.Errorf("tooSlow(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
