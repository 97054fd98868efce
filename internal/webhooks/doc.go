// Package webhooks receives the webhooks Nango sends: it verifies their signature over the
// exact bytes received, parses them into typed events while keeping the raw JSON, and
// publishes them on the event bus before answering, so Nango only sees a 2xx for an event
// that subscribers will get. Nango retries a delivery with the same bytes, so the bus
// de-duplicates by a hash of the body.
package webhooks
