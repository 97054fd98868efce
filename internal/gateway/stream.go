package gateway

import (
	"context"

	"google.golang.org/grpc/status"
)

// streamError keeps a stream's final error as the gRPC status, so the last NDJSON line
// carries its code and message.
func streamError(_ context.Context, err error) *status.Status {
	return status.Convert(err)
}
