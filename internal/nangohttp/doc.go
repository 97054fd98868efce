// Package nangohttp is the only code that speaks HTTP to Nango. It builds the
// exact request each call needs (escaped path, query, headers, JSON body),
// authenticates with the gateway's own secret key, never forwards a caller's
// credentials, and turns Nango's answers into gRPC status errors carrying a
// google.rpc.ErrorInfo (reason = Nango's error code, domain "nango.dev",
// metadata = HTTP status and the raw upstream error object) so the REST face
// can give back the same envelope. Retries belong in exactly one place: the
// loop around Client.send in Client.roundTrip, which sees the raw transport
// error (to tell whether a request provably never left) and the raw status and
// headers (Retry-After, X-RateLimit-Reset) of every attempt, and can resend
// because the request body is held as bytes. Nothing else in the package or
// above it may retry.
package nangohttp
