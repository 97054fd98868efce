// Package ratebudget shares Nango's rate-limit window among the replicas of a
// gateway fleet through a NATS JetStream key-value bucket. Nango counts every
// request of the account in one fixed window; each replica learns the window
// from Nango's X-RateLimit-* headers, and before sending it spends a point it
// leased from the fleet. A lease is a compare-and-set on one key that holds
// the window (its limit, its reset) and the points the fleet has taken from
// it, so no two replicas are ever granted the same point; blocks are small
// and shrink near the end of the window, so no replica hoards what the others
// need, and the points never given out are kept as a safety margin for calls
// still in flight and clocks that disagree. Nothing is given back: leases
// lapse with the window.
package ratebudget
