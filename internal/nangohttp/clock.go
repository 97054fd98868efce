package nangohttp

import "time"

// Clock is the time source of the retry layer: backoff and rate-limit waits,
// the governor's window and deadline arithmetic. Tests replace it to make
// timing deterministic.
type Clock interface {
	Now() time.Time
	// After delivers once d has passed. An abandoned wait must not hold
	// resources for long (time.After's timers are collected since Go 1.23).
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
