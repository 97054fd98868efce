// Package server wires the gateway together: configuration in, the gRPC server (interceptor
// chain, services, health, reflection) and the HTTP server (Nango's REST API relayed, /v1,
// webhooks, health, metrics, OpenAPI) out. Shutdown stops taking work on both at once —
// NOT_SERVING, gRPC refusing new calls, HTTP answering 503, the event bus closing the
// endless webhook-event streams — and lets what is in progress drain within the grace
// period before cutting it off.
package server
