package eventbus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// An R3 stream on three NATS servers loses nothing when the server leading it stops: a
// publish acknowledged before is kept, publishing goes on once another server leads, and a
// live subscription on each replica (on whichever server its consumer was) carries on
// with every event once, in order.
func TestJetStreamR3StreamOutlivesItsLeader(t *testing.T) {
	cluster := natstest.RunCluster(t, 3, t.TempDir())
	open := func() *eventbus.JetStream {
		bus, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{URL: cluster.URL(), Stream: "R3", Subject: "nango.webhooks.r3", Replicas: 3})
		if err != nil {
			t.Fatalf("NewJetStream: %v", err)
		}
		t.Cleanup(func() { _ = bus.Close() })
		return bus
	}
	a, b := open(), open()
	subs := []*eventbus.Subscription{subscribe(t, a, eventbus.FromOldest(), 0), subscribe(t, b, eventbus.FromOldest(), 0)}
	for i := 1; i <= 3; i++ {
		publish(t, a, fmt.Sprint(i), fmt.Sprint("e", i))
	}

	cluster.Stop(cluster.WaitStreamLeader(t, "R3"))
	for i := 4; i <= 6; i++ {
		publishUntilTaken(t, b, fmt.Sprint(i), fmt.Sprint("e", i))
	}
	for _, sub := range subs {
		for i := 1; i <= 6; i++ {
			ev := receiveWithin(t, sub, 30*time.Second)
			if ev.Sequence != uint64(i) || string(ev.Body) != fmt.Sprint("e", i) {
				t.Fatalf("event %d = %d %q, want %d e%d", i, ev.Sequence, ev.Body, i, i)
			}
		}
	}
}

// publishUntilTaken publishes until the bus takes the event: while the stream elects a
// leader a publish fails, and retrying with the same id is what Nango's redelivery does.
func publishUntilTaken(t *testing.T, bus eventbus.Bus, id, body string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, _, err := bus.Publish(t.Context(), id, []byte(body), time.Now())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish %s: %v", id, err)
		}
		time.Sleep(50 * time.Millisecond) // Nango's redelivery backoff, much shortened
	}
}

// receiveWithin is receive with room for a consumer to notice its server went away
// (missed heartbeats) and be recreated.
func receiveWithin(t *testing.T, sub *eventbus.Subscription, d time.Duration) eventbus.Event {
	t.Helper()
	select {
	case ev, ok := <-sub.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %s", d)
	}
	return eventbus.Event{}
}

// Publishes made one after another while the server leading an R3 stream stops all
// succeed within the webhook handler's deadline, and each is stored once: the one in
// flight at the stop (its answer lost with the server) and those that find no leader
// while the others elect one are tried again, under the same id, until one leads.
func TestJetStreamPublishesAcrossALeaderLossAllSucceedOnce(t *testing.T) {
	cluster := natstest.RunCluster(t, 3, t.TempDir())
	bus, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{URL: cluster.URL(), Stream: "LEADERLOSS", Subject: "nango.webhooks.leaderloss", Replicas: 3})
	if err != nil {
		t.Fatalf("NewJetStream: %v", err)
	}
	t.Cleanup(func() { _ = bus.Close() })

	const before, after = 20, 40
	stop := make(chan struct{})
	published := make(chan error, before+after)
	go func() {
		defer close(published)
		for i := 0; i < before+after; i++ {
			if i == before {
				close(stop) // and go on publishing while the leader stops
			}
			ctx, cancel := context.WithTimeout(t.Context(), webhooks.DefaultPublishTimeout)
			_, dup, err := bus.Publish(ctx, fmt.Sprint(i), fmt.Appendf(nil, "e%d", i), time.Now())
			cancel()
			if err == nil && dup {
				err = fmt.Errorf("publish %d: a duplicate", i)
			}
			published <- err
		}
	}()
	<-stop
	cluster.Stop(cluster.WaitStreamLeader(t, "LEADERLOSS"))
	n := 0
	for err := range published {
		if err != nil {
			t.Errorf("publish %d: %v", n, err)
		}
		n++
	}
	sub := subscribe(t, bus, eventbus.FromOldest(), 0)
	for i := range before + after {
		ev := receiveWithin(t, sub, 30*time.Second)
		if ev.Sequence != uint64(i+1) || string(ev.Body) != fmt.Sprint("e", i) {
			t.Fatalf("event %d = %d %q, want %d e%d", i, ev.Sequence, ev.Body, i+1, i)
		}
	}
}
