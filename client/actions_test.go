package client

import (
	"testing"

	"google.golang.org/grpc/metadata"

	"github.com/nango-gateway/nango-gateway/internal/service"
)

func TestActionIDReadsTheHeaderThenTheTrailer(t *testing.T) {
	if ActionIDMetadata != service.MetadataActionID {
		t.Fatalf("ActionIDMetadata = %q, the gateway sends %q", ActionIDMetadata, service.MetadataActionID)
	}
	tests := []struct {
		name            string
		header, trailer metadata.MD
		want            string
	}{
		{"header", metadata.Pairs(ActionIDMetadata, "a-1"), metadata.Pairs(ActionIDMetadata, "a-1"), "a-1"},
		{"trailer only", nil, metadata.Pairs(ActionIDMetadata, "a-2"), "a-2"},
		{"neither: the action was never queued", metadata.Pairs("other", "x"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ActionID(tt.header, tt.trailer); got != tt.want {
				t.Errorf("ActionID = %q, want %q", got, tt.want)
			}
		})
	}
}
