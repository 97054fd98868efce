package eventbus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

// limits are the retention settings a contract test asks for.
type limits struct {
	MaxEvents    int
	MaxBytes     int64
	MaxAge       time.Duration
	DedupeWindow time.Duration
}

// newBusFunc opens a fresh, empty bus; it is closed when the test ends.
type newBusFunc func(t *testing.T, l limits) eventbus.Bus

// runContract checks the behaviour every Bus implementation promises.
func runContract(t *testing.T, newBus newBusFunc) {
	t.Run("publish numbers events from 1 in order", func(t *testing.T) {
		bus := newBus(t, limits{})
		for i := uint64(1); i <= 3; i++ {
			seq, dup, err := bus.Publish(t.Context(), fmt.Sprint("id-", i), []byte(`{"n":1}`), time.Now())
			if err != nil || dup || seq != i {
				t.Fatalf("publish %d = %d, %v, %v; want %d, false, nil", i, seq, dup, err, i)
			}
		}
	})

	t.Run("a duplicate id is stored once and returns the first sequence", func(t *testing.T) {
		bus := newBus(t, limits{})
		publish(t, bus, "a", "1")
		first := publish(t, bus, "b", "2")
		seq, dup, err := bus.Publish(t.Context(), "b", []byte("2"), time.Now())
		if err != nil || !dup || seq != first {
			t.Fatalf("second publish of b = %d, %v, %v; want %d, true, nil", seq, dup, err, first)
		}
		publish(t, bus, "c", "3")
		sub := subscribe(t, bus, eventbus.FromOldest(), 0)
		assertBodies(t, sub, "1", "2", "3")
	})

	t.Run("from now skips earlier events", func(t *testing.T) {
		bus := newBus(t, limits{})
		publish(t, bus, "a", "old")
		sub := subscribe(t, bus, eventbus.FromNow(), 0)
		publish(t, bus, "b", "new1")
		publish(t, bus, "c", "new2")
		assertBodies(t, sub, "new1", "new2")
	})

	t.Run("after a sequence resumes with the next one, then follows live events", func(t *testing.T) {
		bus := newBus(t, limits{})
		for i := range 5 {
			publish(t, bus, fmt.Sprint(i), fmt.Sprint("e", i+1))
		}
		sub := subscribe(t, bus, eventbus.AfterSequence(3), 0)
		assertBodies(t, sub, "e4", "e5")
		publish(t, bus, "x", "e6")
		ev := receive(t, sub)
		if ev.Sequence != 6 || string(ev.Body) != "e6" || ev.ID != "x" {
			t.Fatalf("live event = %+v", ev)
		}
	})

	t.Run("after sequence zero and from oldest deliver everything retained", func(t *testing.T) {
		bus := newBus(t, limits{})
		publish(t, bus, "a", "1")
		publish(t, bus, "b", "2")
		assertBodies(t, subscribe(t, bus, eventbus.FromOldest(), 0), "1", "2")
		assertBodies(t, subscribe(t, bus, eventbus.AfterSequence(0), 0), "1", "2")
	})

	t.Run("events keep their id and received time", func(t *testing.T) {
		bus := newBus(t, limits{})
		at := time.Date(2026, 5, 1, 10, 11, 12, 123456789, time.UTC)
		publish(t, bus, "x", "body")
		if _, _, err := bus.Publish(t.Context(), "y", []byte("body2"), at); err != nil {
			t.Fatal(err)
		}
		sub := subscribe(t, bus, eventbus.AfterSequence(1), 0)
		ev := receive(t, sub)
		if ev.ID != "y" || !ev.ReceivedAt.Equal(at) || string(ev.Body) != "body2" || ev.Sequence != 2 {
			t.Fatalf("event = %+v", ev)
		}
	})

	t.Run("retention by count keeps the newest events", func(t *testing.T) {
		bus := newBus(t, limits{MaxEvents: 3})
		for i := range 5 {
			publish(t, bus, fmt.Sprint(i), fmt.Sprint("e", i+1))
		}
		sub := subscribe(t, bus, eventbus.FromOldest(), 0)
		assertBodies(t, sub, "e3", "e4", "e5")
		// A sequence already gone resumes at the oldest retained: the jump shows the loss.
		sub = subscribe(t, bus, eventbus.AfterSequence(1), 0)
		if ev := receive(t, sub); ev.Sequence != 3 {
			t.Fatalf("first event after sequence 1 = %d, want 3", ev.Sequence)
		}
	})

	t.Run("retention by bytes keeps the newest events that fit", func(t *testing.T) {
		// 1,000-byte bodies under a 3,600-byte bound: three fit, with room for the
		// per-message overhead a server may count.
		bus := newBus(t, limits{MaxBytes: 3600})
		var bodies []string
		for i := range 6 {
			body := fmt.Sprintf("%d%s", i+1, strings.Repeat("x", 999))
			bodies = append(bodies, body)
			publish(t, bus, fmt.Sprint(i), body)
		}
		sub := subscribe(t, bus, eventbus.FromOldest(), 0)
		assertBodies(t, sub, bodies[3:]...)
		// A sequence already gone resumes at the oldest retained, as with the count bound.
		sub = subscribe(t, bus, eventbus.AfterSequence(1), 0)
		if ev := receive(t, sub); ev.Sequence != 4 {
			t.Fatalf("first event after sequence 1 = %d, want 4", ev.Sequence)
		}
	})

	t.Run("retention by age drops old events", func(t *testing.T) {
		bus := newBus(t, limits{MaxAge: 300 * time.Millisecond})
		publish(t, bus, "a", "old1")
		publish(t, bus, "b", "old2")
		deadline := time.Now().Add(5 * time.Second)
		for {
			time.Sleep(100 * time.Millisecond)
			sub := subscribe(t, bus, eventbus.FromOldest(), 0)
			publish(t, bus, fmt.Sprint("probe-", time.Now().UnixNano()), "probe")
			if string(receive(t, sub).Body) == "probe" {
				break
			}
			sub.Close()
			if time.Now().After(deadline) {
				t.Fatal("events older than MaxAge are still delivered")
			}
		}
	})

	t.Run("the dedupe window expires", func(t *testing.T) {
		bus := newBus(t, limits{DedupeWindow: 200 * time.Millisecond})
		first := publish(t, bus, "same", "1")
		deadline := time.Now().Add(5 * time.Second)
		for {
			time.Sleep(100 * time.Millisecond)
			seq, dup, err := bus.Publish(t.Context(), "same", []byte("1"), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !dup {
				if seq <= first {
					t.Fatalf("republished after the window got sequence %d, want > %d", seq, first)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("an id is still a duplicate long after the window")
			}
		}
	})

	t.Run("a slow subscriber overflows alone and names its last delivered sequence", func(t *testing.T) {
		bus := newBus(t, limits{})
		publish(t, bus, "before", "e1")
		slow := subscribe(t, bus, eventbus.FromNow(), 2)
		fast := subscribe(t, bus, eventbus.FromNow(), 100)
		for i := 2; i <= 11; i++ {
			start := time.Now()
			publish(t, bus, fmt.Sprint(i), fmt.Sprint("e", i))
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("publish took %v: a slow subscriber blocked it", d)
			}
		}
		select {
		case <-slow.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the slow subscription did not end")
		}
		assertBodies(t, slow, "e2", "e3")
		assertEnded(t, slow)
		o, ok := eventbus.AsOverflow(slow.Err())
		if !ok || o.LastDelivered != 3 || o.Buffer != 2 {
			t.Fatalf("slow subscriber error = %v, want overflow after sequence 3", slow.Err())
		}
		// The others got everything.
		var want []string
		for i := 2; i <= 11; i++ {
			want = append(want, fmt.Sprint("e", i))
		}
		assertBodies(t, fast, want...)
		// Resuming after the named sequence loses nothing.
		resumed := subscribe(t, bus, eventbus.AfterSequence(o.LastDelivered), 100)
		assertBodies(t, resumed, want[2:]...)
	})

	t.Run("an overflow before any delivery names the start point", func(t *testing.T) {
		bus := newBus(t, limits{})
		publish(t, bus, "a", "e1")
		publish(t, bus, "b", "e2")
		slow := subscribe(t, bus, eventbus.FromNow(), 1)
		publish(t, bus, "c", "e3")
		publish(t, bus, "d", "e4")
		<-slow.Done()
		assertBodies(t, slow, "e3")
		assertEnded(t, slow)
		if o, ok := eventbus.AsOverflow(slow.Err()); !ok || o.LastDelivered != 3 {
			t.Fatalf("error = %v, want overflow with last delivered 3", slow.Err())
		}
	})

	t.Run("retained events are replayed at the reader's pace without overflow", func(t *testing.T) {
		bus := newBus(t, limits{})
		var want []string
		for i := 1; i <= 20; i++ {
			publish(t, bus, fmt.Sprint(i), fmt.Sprint("e", i))
			want = append(want, fmt.Sprint("e", i))
		}
		sub := subscribe(t, bus, eventbus.FromOldest(), 2)
		for _, w := range want {
			time.Sleep(5 * time.Millisecond)
			if ev := receive(t, sub); string(ev.Body) != w {
				t.Fatalf("got %s, want %s", ev.Body, w)
			}
		}
		if err := sub.Err(); err != nil {
			t.Fatalf("subscription ended: %v", err)
		}
	})

	t.Run("concurrent publishers get distinct sequences delivered in order", func(t *testing.T) {
		bus := newBus(t, limits{})
		sub := subscribe(t, bus, eventbus.FromNow(), 1000)
		var wg sync.WaitGroup
		seqs := make(chan uint64, 100)
		for w := range 4 {
			wg.Go(func() {
				for i := range 25 {
					seq, _, err := bus.Publish(context.Background(), fmt.Sprint(w, "-", i), []byte("x"), time.Now())
					if err != nil {
						t.Error(err)
						return
					}
					seqs <- seq
				}
			})
		}
		wg.Wait()
		close(seqs)
		seen := map[uint64]bool{}
		for s := range seqs {
			if seen[s] {
				t.Fatalf("sequence %d given twice", s)
			}
			seen[s] = true
		}
		for want := uint64(1); want <= 100; want++ {
			if ev := receive(t, sub); ev.Sequence != want {
				t.Fatalf("received sequence %d, want %d", ev.Sequence, want)
			}
		}
	})

	t.Run("cancelling the context ends the subscription", func(t *testing.T) {
		bus := newBus(t, limits{})
		ctx, cancel := context.WithCancel(t.Context())
		sub, err := bus.Subscribe(ctx, eventbus.FromNow(), 0)
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		assertEnded(t, sub)
		if !errors.Is(sub.Err(), context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", sub.Err())
		}
	})

	t.Run("closing a subscription ends it", func(t *testing.T) {
		bus := newBus(t, limits{})
		sub := subscribe(t, bus, eventbus.FromNow(), 0)
		sub.Close()
		assertEnded(t, sub)
		if !errors.Is(sub.Err(), context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", sub.Err())
		}
		publish(t, bus, "a", "after close") // the bus still works
	})

	t.Run("closing the bus ends subscriptions and refuses new work", func(t *testing.T) {
		bus := newBus(t, limits{})
		sub := subscribe(t, bus, eventbus.FromNow(), 0)
		if err := bus.Close(); err != nil {
			t.Fatal(err)
		}
		assertEnded(t, sub)
		if !errors.Is(sub.Err(), eventbus.ErrClosed) {
			t.Fatalf("subscription error = %v, want ErrClosed", sub.Err())
		}
		if _, _, err := bus.Publish(t.Context(), "a", []byte("x"), time.Now()); !errors.Is(err, eventbus.ErrClosed) {
			t.Fatalf("publish after close = %v, want ErrClosed", err)
		}
		if _, err := bus.Subscribe(t.Context(), eventbus.FromNow(), 0); !errors.Is(err, eventbus.ErrClosed) {
			t.Fatalf("subscribe after close = %v, want ErrClosed", err)
		}
		if err := bus.Close(); err != nil {
			t.Fatalf("second close = %v", err)
		}
	})
}

func publish(t *testing.T, bus eventbus.Bus, id, body string) uint64 {
	t.Helper()
	seq, dup, err := bus.Publish(t.Context(), id, []byte(body), time.Now())
	if err != nil {
		t.Fatalf("publish %s: %v", id, err)
	}
	if dup {
		t.Fatalf("publish %s: unexpected duplicate", id)
	}
	return seq
}

func subscribe(t *testing.T, bus eventbus.Bus, from eventbus.Start, buffer int) *eventbus.Subscription {
	t.Helper()
	sub, err := bus.Subscribe(t.Context(), from, buffer)
	if err != nil {
		t.Fatalf("subscribe %v: %v", from, err)
	}
	t.Cleanup(sub.Close)
	return sub
}

func receive(t *testing.T, sub *eventbus.Subscription) eventbus.Event {
	t.Helper()
	select {
	case ev, ok := <-sub.Events():
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return eventbus.Event{}
}

func assertBodies(t *testing.T, sub *eventbus.Subscription, want ...string) {
	t.Helper()
	for i, w := range want {
		if ev := receive(t, sub); string(ev.Body) != w {
			t.Fatalf("event %d body = %q, want %q", i, ev.Body, w)
		}
	}
}

func assertEnded(t *testing.T, sub *eventbus.Subscription) {
	t.Helper()
	select {
	case ev, ok := <-sub.Events():
		if ok {
			t.Fatalf("unexpected event %d %q", ev.Sequence, ev.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription did not end")
	}
}
