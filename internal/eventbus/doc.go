// Package eventbus carries verified Nango webhooks from the replica that received them to
// every subscriber, in order, each event numbered by a sequence that a subscriber can resume
// after. Two implementations share one contract: Memory for a single replica (the default)
// and JetStream (NATS) when several replicas must see each other's events. Publishing never
// waits for subscribers: each subscription has a bounded buffer and ends with an
// *OverflowError naming the last sequence it delivered when its reader falls too far behind.
package eventbus
