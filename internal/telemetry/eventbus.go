package telemetry

import (
	"context"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

// Bus wraps an event bus to time its publishes and count its open subscriptions,
// whichever implementation (memory, JetStream) it is.
func (t *Telemetry) Bus(b eventbus.Bus) eventbus.Bus { return &observedBus{Bus: b, m: t.Metrics} }

type observedBus struct {
	eventbus.Bus
	m *Metrics
}

func (b *observedBus) Publish(ctx context.Context, id string, body []byte, receivedAt time.Time) (uint64, bool, error) {
	start := time.Now()
	seq, dup, err := b.Bus.Publish(ctx, id, body, receivedAt)
	result := "ok"
	switch {
	case err != nil:
		result = "error"
	case dup:
		result = "duplicate"
	}
	b.m.publishDuration.WithLabelValues(result).Observe(time.Since(start).Seconds())
	if err == nil && !dup && !receivedAt.IsZero() {
		b.m.publishLag.Observe(time.Since(receivedAt).Seconds())
	}
	return seq, dup, err
}

func (b *observedBus) Subscribe(ctx context.Context, from eventbus.Start, buffer int) (*eventbus.Subscription, error) {
	sub, err := b.Bus.Subscribe(ctx, from, buffer)
	if err != nil {
		return nil, err
	}
	g := b.m.subscribers.WithLabelValues(clientLabel(ctx))
	g.Inc()
	// Done closes whichever way the subscription ends (reader gone, overflow, bus closed).
	go func() {
		<-sub.Done()
		g.Dec()
	}()
	return sub, nil
}

// Healthy passes the wrapped bus's answer on, so readiness still sees it.
func (b *observedBus) Healthy() error { return eventbus.Healthy(b.Bus) }
