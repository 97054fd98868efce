package eventbus_test

import (
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

func TestMemoryContract(t *testing.T) {
	runContract(t, func(t *testing.T, l limits) eventbus.Bus {
		bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxEvents: l.MaxEvents, MaxAge: l.MaxAge, DedupeWindow: l.DedupeWindow})
		t.Cleanup(func() { _ = bus.Close() })
		return bus
	})
}

func TestMemoryRetentionFollowsTheClock(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxAge: time.Hour, DedupeWindow: time.Minute, Now: func() time.Time { return now }})
	t.Cleanup(func() { _ = bus.Close() })
	publish(t, bus, "a", "e1")
	now = now.Add(30 * time.Minute)
	publish(t, bus, "b", "e2")
	if _, dup, _ := bus.Publish(t.Context(), "b", []byte("e2"), now); !dup {
		t.Fatal("a repeat within the window is not a duplicate")
	}
	now = now.Add(45 * time.Minute) // e1 is 75 minutes old, e2 45
	publish(t, bus, "b", "e3")      // the window has passed: b is new again
	assertBodies(t, subscribe(t, bus, eventbus.FromOldest(), 0), "e2", "e3")
}

func TestMemoryUnlimitedRetention(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxEvents: -1, MaxAge: -1})
	t.Cleanup(func() { _ = bus.Close() })
	for range eventbus.DefaultMemoryMaxEvents + 10 {
		if _, _, err := bus.Publish(t.Context(), "", []byte("x"), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	sub := subscribe(t, bus, eventbus.FromOldest(), 0)
	if ev := receive(t, sub); ev.Sequence != 1 {
		t.Fatalf("oldest = %d, want 1", ev.Sequence)
	}
}
