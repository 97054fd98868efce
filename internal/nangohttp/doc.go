// Package nangohttp is the only code that speaks HTTP to Nango. It builds the
// exact request each call needs (escaped path, query, headers, JSON body),
// authenticates with the gateway's own secret key, never forwards a caller's
// credentials, and turns Nango's answers into gRPC status errors carrying a
// google.rpc.ErrorInfo (reason = Nango's error code, domain "nango.dev",
// metadata = HTTP status and the raw upstream error object) so the REST face
// can give back the same envelope. Retries live in exactly one place,
// Client.roundTrip, which loops around Client.send: it sees the raw transport
// error (to tell whether a request provably never left) and the raw status
// and headers of every attempt, and can resend because the body is held as
// bytes; nothing above the package may retry. What is retried depends on
// Request.Class (reads and ClassIdempotentWrite on network errors, 5xx and
// 429; other writes only on Nango's own 429 or a failed dial), so services
// mark the writes that are safe to repeat as ClassIdempotentWrite and set
// Request.NangoRetries on proxy calls that asked Nango to retry. Every
// attempt first passes the rate governor, one per Client, which learns
// Nango's window from X-RateLimit-* and holds calls that would meet a certain
// 429 until the window resets; the calls it holds wait per client and are
// served by weight (Config.Caller, Config.CallerShare), and with a
// SharedBudget each admission spends a point the fleet leased to this
// replica, so replicas together stay within the account's limit. A wait
// that cannot end before the call's
// deadline is not made: the call fails at once with ResourceExhausted and a
// google.rpc.RetryInfo, which PushbackUnaryInterceptor and
// PushbackStreamInterceptor turn into the grpc-retry-pushback-ms trailer.
// Each attempt is a client span, a child of the call's, covering the
// governor's admission (a wait is an event) and the exchange; a retry is an
// event on the attempt that failed, and Nango receives the attempt's
// traceparent. Metrics that implement CallMetrics get each attempt with the
// call's context and route name, never its path.
package nangohttp
