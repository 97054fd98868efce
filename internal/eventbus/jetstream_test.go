package eventbus_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
)

var streamCounter atomic.Int64

// newJetStream opens a bus on srv; a name gives every test its own stream.
func newJetStream(t *testing.T, url, stream string, l limits) *eventbus.JetStream {
	t.Helper()
	bus, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{
		URL:          url,
		Stream:       stream,
		Subject:      "nango.webhooks." + strings.ToLower(stream),
		MaxEvents:    int64(l.MaxEvents),
		MaxBytes:     l.MaxBytes,
		MaxAge:       l.MaxAge,
		DedupeWindow: l.DedupeWindow,
	})
	if err != nil {
		t.Fatalf("NewJetStream: %v", err)
	}
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

func TestJetStreamContract(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	runContract(t, func(t *testing.T, l limits) eventbus.Bus {
		return newJetStream(t, srv.URL(), fmt.Sprint("S", streamCounter.Add(1)), l)
	})
}

func TestJetStreamReplicasShareEvents(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	a := newJetStream(t, srv.URL(), "SHARED", limits{})
	b := newJetStream(t, srv.URL(), "SHARED", limits{})

	onB := subscribe(t, b, eventbus.FromNow(), 0)
	onA := subscribe(t, a, eventbus.FromNow(), 0)
	seqA := publish(t, a, "from-a", "published on a")
	seqB := publish(t, b, "from-b", "published on b")
	if seqB != seqA+1 {
		t.Fatalf("sequences %d then %d: replicas do not share one sequence", seqA, seqB)
	}
	for _, sub := range []*eventbus.Subscription{onA, onB} {
		assertBodies(t, sub, "published on a", "published on b")
	}

	// Nango retrying to another replica is still one event.
	seq, dup, err := b.Publish(t.Context(), "from-a", []byte("published on a"), time.Now())
	if err != nil || !dup || seq != seqA {
		t.Fatalf("republish on b = %d, %v, %v; want %d, true", seq, dup, err, seqA)
	}
}

func TestJetStreamReopeningTheStreamIsIdempotent(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	a := newJetStream(t, srv.URL(), "REOPEN", limits{MaxEvents: 10})
	publish(t, a, "1", "e1")
	// Another replica starting with other limits updates the stream and keeps its events.
	b := newJetStream(t, srv.URL(), "REOPEN", limits{MaxEvents: 20})
	assertBodies(t, subscribe(t, b, eventbus.FromOldest(), 0), "e1")
}

func TestJetStreamGatewayRestartResumesWithNothingLost(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	other := newJetStream(t, srv.URL(), "RESTART", limits{}) // another replica, still running
	first, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{URL: srv.URL(), Stream: "RESTART", Subject: "nango.webhooks.restart"})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := first.Subscribe(t.Context(), eventbus.FromNow(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		publish(t, other, fmt.Sprint(i), fmt.Sprint("e", i))
	}
	var last uint64
	for range 3 {
		last = receive(t, sub).Sequence
	}
	// The replica the subscriber used stops; events keep arriving on the other one.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	assertEndedAfterBuffered(t, sub)
	for i := 6; i <= 8; i++ {
		publish(t, other, fmt.Sprint(i), fmt.Sprint("e", i))
	}
	restarted := newJetStream(t, srv.URL(), "RESTART", limits{})
	resumed := subscribe(t, restarted, eventbus.AfterSequence(last), 0)
	assertBodies(t, resumed, "e4", "e5", "e6", "e7", "e8")
}

func TestJetStreamEventsSurviveANATSRestart(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	bus := newJetStream(t, srv.URL(), "DURABLE", limits{})
	publish(t, bus, "1", "e1")
	publish(t, bus, "2", "e2")
	if err := bus.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	bus = newJetStream(t, srv.URL(), "DURABLE", limits{})
	sub := subscribe(t, bus, eventbus.AfterSequence(1), 0)
	assertBodies(t, sub, "e2")
	if seq := publish(t, bus, "3", "e3"); seq != 3 {
		t.Fatalf("sequence after restart = %d, want 3", seq)
	}
	assertBodies(t, sub, "e3")
}

func TestJetStreamRequiresAURL(t *testing.T) {
	if _, err := eventbus.NewJetStream(t.Context(), eventbus.JetStreamOptions{}); err == nil {
		t.Fatal("NewJetStream without a URL succeeded")
	}
}

// assertEndedAfterBuffered drains what the subscription buffered and checks it ended.
func assertEndedAfterBuffered(t *testing.T, sub *eventbus.Subscription) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the subscription did not end")
		}
	}
}

func TestJetStreamSubscriptionSurvivesANATSRestart(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	bus := newJetStream(t, srv.URL(), "RECONNECT", limits{})
	sub := subscribe(t, bus, eventbus.FromNow(), 0)
	publish(t, bus, "1", "e1")
	assertBodies(t, sub, "e1")
	srv.Restart(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Publishing fails until the client has reconnected.
		if _, _, err := bus.Publish(t.Context(), "2", []byte("e2"), time.Now()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("could not publish after the NATS restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	assertBodies(t, sub, "e2")
}
