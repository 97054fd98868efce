// Package middleware is the gRPC server's interceptor chain, listed in one place and
// identical for unary calls and streams: panic recovery, structured logging that never
// prints a request or response (they carry credentials), and protovalidate rules.
// REST calls reach the same chain through the gateway's own client connection.
package middleware
