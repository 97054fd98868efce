// Package gateway is the gateway's HTTP face, one http.Handler with two parts. At Nango's
// own paths it relays Nango's REST API: each request goes to Nango through the upstream
// client with only the gateway's changes (its key, hop-by-hop headers removed) and Nango's
// answer comes back unchanged, so nothing Nango sends can be lost and routes Nango adds
// work at once; every relayed request is named after the RPC it mirrors, so one policy
// governs both faces. Under /v1/ it serves the gRPC API's own HTTP/JSON mapping
// (grpc-gateway, the streams as NDJSON) through an in-process client connection, so every
// interceptor applies.
package gateway
