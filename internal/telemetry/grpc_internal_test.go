package telemetry

import (
	"testing"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

// records_streamed_total counts records, not messages: each record of a batch, none for a
// watch's caught_up or heartbeat.
func TestRecordsStreamedCountsTheRecordsEachMessageCarries(t *testing.T) {
	three := []*gatewayv1.Record{{}, {}, {}}
	tests := []struct {
		name string
		msg  any
		want int
	}{
		{"one record", &gatewayv1.StreamRecordsResponse{Id: "1"}, 1},
		{"a batch", &gatewayv1.StreamRecordsResponse{Records: three}, 3},
		{"a watch batch", &gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Records{Records: &gatewayv1.RecordBatch{Records: three}}}, 3},
		{"caught up", &gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_CaughtUp{CaughtUp: &gatewayv1.WatchCaughtUp{}}}, 0},
		{"a heartbeat", &gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Heartbeat{Heartbeat: &gatewayv1.Heartbeat{}}}, 0},
	}
	for _, tt := range tests {
		if got := recordsIn(tt.msg); got != tt.want {
			t.Errorf("%s: %d records, want %d", tt.name, got, tt.want)
		}
	}
}
