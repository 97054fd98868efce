package nangohttp

import (
	"context"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// PushbackTrailerKey is the trailer through which a gRPC server tells a
// client with a retry policy when to retry (gRFC A6): a number of
// milliseconds.
const PushbackTrailerKey = "grpc-retry-pushback-ms"

// PushbackTrailer returns the grpc-retry-pushback-ms trailer for an error
// carrying a google.rpc.RetryInfo (a 429 or 503 from Nango, a rate-limit
// wait that would pass the deadline), or nil. The delay is rounded up to a
// whole millisecond, so a client never comes back early.
func PushbackTrailer(err error) metadata.MD {
	d, ok := RetryDelayFromError(err)
	if !ok || d < 0 {
		return nil
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	return metadata.Pairs(PushbackTrailerKey, strconv.FormatInt(int64(ms), 10))
}

// PushbackUnaryInterceptor sets the grpc-retry-pushback-ms trailer when a
// handler's error carries a RetryInfo, so gRPC clients with a retry policy
// wait as long as Nango asked instead of their own backoff. Place it where
// it sees the error the client will see (outside anything that rewrites
// errors).
func PushbackUnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if md := PushbackTrailer(err); md != nil {
			_ = grpc.SetTrailer(ctx, md) // fails only outside a gRPC call
		}
		return resp, err
	}
}

// PushbackStreamInterceptor is PushbackUnaryInterceptor for streams.
func PushbackStreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		err := handler(srv, ss)
		if md := PushbackTrailer(err); md != nil {
			ss.SetTrailer(md)
		}
		return err
	}
}
