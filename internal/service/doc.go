// Package service implements the gateway's gRPC services, one file per service: each RPC
// validates nothing itself (the interceptor chain already did), turns its request into the
// exact upstream call the Node SDK would make through nangohttp, and maps Nango's answer
// back into the response message.
package service
