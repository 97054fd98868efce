package simulator

import (
	"context"
	"time"
)

// RunDemoSyncs runs the seeded syncs in turn, one every interval, until Close: each run
// changes records as a real sync would and, when Options.WebhookURL is set, posts the
// signed sync webhook Nango would send. It gives a demo live records and live events.
func (s *Simulator) RunDemoSyncs(interval time.Duration) {
	s.background(func(ctx context.Context) {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for next := 0; ; next++ {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			s.mu.Lock()
			var hook obj
			if n := len(s.st.syncs); n > 0 {
				hook = s.executeSync(s.st.syncs[next%n], false, false)
			}
			s.mu.Unlock()
			if hook != nil {
				s.sendWebhookAsync(hook)
			}
		}
	})
}
