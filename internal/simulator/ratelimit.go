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

// rateLimit consumes one point and sets X-RateLimit-* on the answer. It
// answers 429 itself and returns false when the window is spent.
func (s *Simulator) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	limit := s.opts.RateLimit
	if limit < 0 {
		return true
	}
	key := "account-secret"
	if r.Header.Get("Nango-Is-Script") == "true" {
		key += "-script"
	}
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
	h.Set("Retry-After", strconv.FormatInt(msBeforeNext/1000, 10))
	writeJSON(w, http.StatusTooManyRequests, obj{{"error", obj{
		{"code", "too_many_request"},
		{"method", r.Method},
		{"path", r.URL.Path},
	}}})
	return false
}
