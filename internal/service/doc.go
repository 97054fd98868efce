// Package service implements the gateway's gRPC services, one file per service: each RPC
// turns its request into the exact upstream call the Node SDK would make through nangohttp
// and maps Nango's answer back into the response message with jsonvalue's one rule, so
// keys the proto does not know, nulls and absences all reach the caller (a corpus of
// Nango's answers replayed over gRPC proves it). Field formats and limits are
// checked before a service runs (protovalidate, in the interceptor chain); a service checks
// only what rules cannot express, such as the shape of a JSON union Nango accepts.
package service
