// Package soak holds the gateway's soak test. It starts the real gateway in process, on
// loopback ports, in front of the built-in Nango simulator, and drives it for
// SOAK_DURATION at a fixed rate with a mix of unary calls on both faces (gRPC, the relay
// at Nango's paths, /v1), record streams read to the end or cancelled part-way, webhook
// subscribers that come and go, and signed webhooks. Goroutines, heap and RSS are sampled
// throughout. It passes when every call answered as it should, no handler panicked, every
// accepted webhook reached a subscriber, the three samples stayed flat after warm-up, and
// no goroutine outlived shutdown. It ends with a summary table.
//
// `make soak` runs it for ten minutes, `make test` for one; plain `go test` gives it twenty
// seconds so the suite stays quick.
package soak
