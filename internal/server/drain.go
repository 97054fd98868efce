package server

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// drainGate lets HTTP work in progress finish while the gateway shuts down, and answers
// what arrives meanwhile with 503 instead of a refused connection: a webhook Nango
// sends then is delivered again later, to a replica that is up, and any other caller
// gets an answer it can retry on. Probes pass, so readiness can say "not ready".
type drainGate struct {
	draining atomic.Bool
	active   atomic.Int64
}

func (d *drainGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		d.active.Add(1)
		defer d.active.Add(-1)
		if d.draining.Load() {
			w.Header().Set("Connection", "close")
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"shutting_down","message":"this gateway is shutting down; retry"}}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// wait returns once no request is in progress, or when ctx ends.
func (d *drainGate) wait(ctx context.Context) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for d.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
