package eventbus_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

func TestMemoryContract(t *testing.T) {
	runContract(t, func(t *testing.T, l limits) eventbus.Bus {
		bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxEvents: l.MaxEvents, MaxBytes: l.MaxBytes, MaxAge: l.MaxAge, DedupeWindow: l.DedupeWindow})
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

func TestMemoryRetentionByBytes(t *testing.T) {
	tests := []struct {
		name      string
		maxBytes  int64
		bodies    []int // sizes, in publication order
		wantFirst uint64
		wantBytes int64
	}{
		{name: "under the bound everything is kept", maxBytes: 100, bodies: []int{10, 10, 10}, wantFirst: 1, wantBytes: 30},
		{name: "over the bound the oldest go first", maxBytes: 25, bodies: []int{10, 10, 10, 10}, wantFirst: 3, wantBytes: 20},
		{name: "one large event pushes out several small ones", maxBytes: 100, bodies: []int{30, 30, 30, 90}, wantFirst: 4, wantBytes: 90},
		{name: "an event larger than the bound is still kept while it is the newest", maxBytes: 5, bodies: []int{3, 10}, wantFirst: 2, wantBytes: 10},
		{name: "a negative bound means no limit", maxBytes: -1, bodies: []int{1 << 20, 1 << 20}, wantFirst: 1, wantBytes: 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxBytes: tt.maxBytes})
			t.Cleanup(func() { _ = bus.Close() })
			for i, n := range tt.bodies {
				publish(t, bus, fmt.Sprint(i), strings.Repeat("x", n))
			}
			if got := bus.RetainedBytes(); got != tt.wantBytes {
				t.Errorf("retained bytes = %d, want %d", got, tt.wantBytes)
			}
			if ev := receive(t, subscribe(t, bus, eventbus.FromOldest(), 0)); ev.Sequence != tt.wantFirst {
				t.Errorf("oldest retained = %d, want %d", ev.Sequence, tt.wantFirst)
			}
		})
	}
}

// 300 webhooks of 1 MB under an 8 MiB bound: the heap stays near the bound instead of
// growing by 300 MB, a live reader still gets every event, and a reader resuming from a
// dropped sequence starts at the oldest retained one (the jump shows the loss).
func TestMemoryRetentionByBytesBoundsTheHeapFor1MBWebhooks(t *testing.T) {
	const maxBytes = 8 << 20
	bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxBytes: maxBytes})
	t.Cleanup(func() { _ = bus.Close() })
	live := subscribe(t, bus, eventbus.FromNow(), 4)

	before := heapInUse()
	body := []byte(strings.Repeat("x", 1<<20))
	for i := range 300 {
		if _, _, err := bus.Publish(t.Context(), fmt.Sprint(i), body, time.Now()); err != nil {
			t.Fatal(err)
		}
		if ev := receive(t, live); ev.Sequence != uint64(i+1) {
			t.Fatalf("live reader got %d, want %d", ev.Sequence, i+1)
		}
		if got := bus.RetainedBytes(); got > maxBytes {
			t.Fatalf("after %d events %d bytes retained, more than %d", i+1, got, maxBytes)
		}
	}
	if grown := int64(heapInUse()) - int64(before); grown > 3*maxBytes {
		t.Errorf("heap grew by %d MiB for an %d MiB bound", grown>>20, maxBytes>>20)
	}

	resumed := subscribe(t, bus, eventbus.AfterSequence(1), 0)
	if ev := receive(t, resumed); ev.Sequence != 300-maxBytes/(1<<20)+1 {
		t.Fatalf("resuming after sequence 1 starts at %d, want the oldest retained %d", ev.Sequence, 300-maxBytes/(1<<20)+1)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// A reader that does not read keeps no more than the retention allows: once its oldest
// unread event is dropped it is cut off, however large its buffer, and resuming from the
// sequence it names starts at the oldest event still retained.
func TestMemorySubscriberBehindTheRetentionIsCutOff(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.MemoryOptions{MaxBytes: 3000})
	t.Cleanup(func() { _ = bus.Close() })
	slow := subscribe(t, bus, eventbus.FromNow(), 100)
	fast := subscribe(t, bus, eventbus.FromNow(), 100)
	body := strings.Repeat("x", 1000)
	for i := 1; i <= 6; i++ {
		publish(t, bus, fmt.Sprint(i), body)
		if ev := receive(t, fast); ev.Sequence != uint64(i) {
			t.Fatalf("fast reader got %d, want %d", ev.Sequence, i)
		}
	}
	select {
	case <-slow.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the reader behind the retention was not cut off")
	}
	o, ok := eventbus.AsOverflow(slow.Err())
	if !ok || o.LastDelivered != 3 {
		t.Fatalf("error = %v, want an overflow naming sequence 3", slow.Err())
	}
	if err := fast.Err(); err != nil {
		t.Fatalf("the reader keeping up was cut off: %v", err)
	}
	if ev := receive(t, subscribe(t, bus, eventbus.AfterSequence(o.LastDelivered), 0)); ev.Sequence != 4 {
		t.Fatalf("resuming after %d starts at %d, want the oldest retained 4", o.LastDelivered, ev.Sequence)
	}
}

// A memory bus numbers after the time it started, so a restarted gateway never hands out
// a sequence again; a subscriber resuming after a sequence from the previous process (or
// from another replica's memory) is told, instead of silently waiting past events it will
// never see.
func TestMemoryRefusesToResumeAfterASequenceItNeverGave(t *testing.T) {
	start := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	before := eventbus.NewMemory(eventbus.MemoryOptions{StartAfter: eventbus.EpochBase(start)})
	var lastBefore uint64
	for i := range 10 {
		seq, _, err := before.Publish(t.Context(), fmt.Sprint("e", i), []byte(`{}`), start)
		if err != nil {
			t.Fatal(err)
		}
		lastBefore = seq
	}
	_ = before.Close()

	after := eventbus.NewMemory(eventbus.MemoryOptions{StartAfter: eventbus.EpochBase(start.Add(time.Second))})
	t.Cleanup(func() { _ = after.Close() })
	first, _, err := after.Publish(t.Context(), "new", []byte(`{}`), start)
	if err != nil {
		t.Fatal(err)
	}
	if first <= lastBefore {
		t.Fatalf("the restarted bus gave %d, not above the previous process's %d", first, lastBefore)
	}
	tests := []struct {
		name  string
		after uint64
		stale bool
	}{
		{"a sequence from before the restart", lastBefore, true},
		{"a sequence beyond the newest", first + 100, true},
		{"the bus's own sequence", first, false},
		{"the start of this bus", eventbus.EpochBase(start.Add(time.Second)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := after.Subscribe(t.Context(), eventbus.AfterSequence(tt.after), 0)
			var stale *eventbus.StaleSequenceError
			if got := errors.As(err, &stale); got != tt.stale {
				t.Fatalf("err = %v, want stale=%v", err, tt.stale)
			}
			if sub != nil {
				sub.Close()
			}
			if tt.stale && !strings.Contains(err.Error(), "from_oldest") {
				t.Errorf("error %q does not say what to do", err)
			}
		})
	}
}
