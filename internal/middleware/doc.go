// Package middleware is the gRPC server's interceptor chain, listed in one place and
// identical for unary calls and streams: tracing (a stats handler) and metrics outermost,
// panic recovery, structured logging that never prints a request or response (they carry
// credentials), then access control, the refusal of requests that are not valid protobuf,
// and protovalidate rules. REST calls reach the same
// chain through the gateway's own client connection; the relay at Nango's paths gets the
// same policy, in the same order, from HTTP, and the whole HTTP listener its trace from
// Tracing.
package middleware
