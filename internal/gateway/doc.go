// Package gateway is the REST face: an http.Handler that speaks Nango's own REST API (paths,
// verbs, query names, headers, JSON and status codes) by calling the gateway's gRPC services
// through a real client connection, so every interceptor applies and streams work. A small
// front handler fixes what annotations cannot express (trailing slashes, X-Async, Nango's
// 415 rule, body limits) and sends /proxy/** to a plain handler that keeps raw bytes.
package gateway
