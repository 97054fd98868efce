package simulator

import (
	"net/http"
	"strconv"
	"time"
)

// rlBucket is one fixed window of Nango's limiter (rate-limiter-flexible with
// blockDuration 0): it opens on the first request after the previous expired.
type rlBucket struct {
	start time.Time
	used  int
}

// peekRateLimit sets X-RateLimit-* from the current window without spending
// a point, for answers given before the limiter runs.
func (s *Simulator) peekRateLimit(h http.Header, r *http.Request) {
	limit := s.opts.RateLimit
	if limit < 0 {
		return
	}
	now := s.now()
	s.rlMu.Lock()
	used, end := 0, now.Add(s.opts.Window)
	if b := s.buckets[bucketKey(r)]; b != nil && now.Before(b.start.Add(s.opts.Window)) {
		used, end = b.used, b.start.Add(s.opts.Window)
	}
	s.rlMu.Unlock()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(limit-used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Duration(end.Sub(now).Milliseconds())*time.Millisecond).Unix(), 10))
}

// bucketKey is the limiter bucket of a request: script calls have their own.
func bucketKey(r *http.Request) string {
	if r.Header.Get("Nango-Is-Script") == "true" {
		return "account-secret-script"
	}
	return "account-secret"
}

// rateLimit consumes one point and sets X-RateLimit-* on the answer. It
// answers 429 itself and returns false when the window is spent.
func (s *Simulator) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	limit := s.opts.RateLimit
	if limit < 0 {
		return true
	}
	key := bucketKey(r)
	now := s.now()

	s.rlMu.Lock()
	b := s.buckets[key]
	if b == nil || !now.Before(b.start.Add(s.opts.Window)) {
		b = &rlBucket{start: now}
		s.buckets[key] = b
	}
	b.used++
	used := b.used
	end := b.start.Add(s.opts.Window)
	s.rlMu.Unlock()

	msBeforeNext := end.Sub(now).Milliseconds()
	remaining := limit - used
	if remaining < 0 {
		remaining = 0
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Duration(msBeforeNext)*time.Millisecond).Unix(), 10))
	if used <= limit {
		return true
	}
	s.limited.Add(1)
	h.Set("Retry-After", strconv.FormatInt(msBeforeNext/1000, 10))
	writeJSON(w, http.StatusTooManyRequests, obj{{"error", obj{
		{"code", "too_many_request"},
		{"method", r.Method},
		{"path", r.URL.Path},
	}}})
	return false
}

// RateLimited is how many requests the limiter refused with 429 so far.
func (s *Simulator) RateLimited() int { return int(s.limited.Load()) }
