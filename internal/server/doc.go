// Package server wires the gateway together: configuration in, the gRPC server (interceptor
// chain, services, health, reflection) and the HTTP server (REST face, health, OpenAPI) out,
// with an orderly shutdown: NOT_SERVING first, then HTTP drains, then gRPC drains, forced
// after the grace period.
package server
