// Package server wires the gateway together: configuration in, the gRPC server (interceptor
// chain, services, health, reflection) and the HTTP server (REST face, webhooks, health,
// OpenAPI) out, with an orderly shutdown: NOT_SERVING first, then the event bus closes (ending
// the endless webhook-event streams), then HTTP drains, then gRPC drains, forced after the
// grace period.
package server
