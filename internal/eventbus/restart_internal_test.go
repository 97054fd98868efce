package eventbus

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// restartedSource hands out events 1..n as a JetStream consumer recreated while they were
// stored would: all at once, reporting stored as the last sequence held at the restart.
type restartedSource struct {
	n, stored uint64
	sent      uint64
	full      chan struct{} // closed once it has handed out more events than the buffer holds
	buffer    uint64
}

func (s *restartedSource) next(ctx context.Context) (Event, error) {
	if s.sent == s.n {
		<-ctx.Done()
		return Event{}, ctx.Err()
	}
	s.sent++
	if s.sent == s.buffer+1 {
		close(s.full)
	}
	return Event{Sequence: s.sent, Body: fmt.Appendf(nil, "e%d", s.sent)}, nil
}

func (s *restartedSource) close()                  {}
func (s *restartedSource) storedAtRestart() uint64 { return s.stored }

// Events stored while a consumer was being recreated reach an idle reader at its pace once
// it reads; a source that never restarted still cuts off a reader that falls behind live
// events.
func TestEventsStoredWhileTheConsumerRestartedWaitForTheReader(t *testing.T) {
	const buffer, n = 2, 10
	tests := []struct {
		name         string
		stored       uint64
		wantOverflow bool
	}{
		{"recreated consumer, events stored meanwhile", n, false},
		{"no restart, live events", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r registry
			src := &restartedSource{n: n, stored: tt.stored, buffer: buffer, full: make(chan struct{})}
			sub, err := r.start(t.Context(), src, 0, 0, buffer)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			// The reader starts once the source has handed out more than the buffer holds.
			select {
			case <-src.full:
			case <-time.After(10 * time.Second):
				t.Fatal("the source was not read")
			}
			if tt.wantOverflow {
				<-sub.Done()
				if o, ok := AsOverflow(sub.Err()); !ok || o.LastDelivered != buffer {
					t.Fatalf("err = %v, want an overflow after sequence %d", sub.Err(), buffer)
				}
				return
			}
			for i := uint64(1); i <= n; i++ {
				select {
				case ev, ok := <-sub.Events():
					if !ok {
						t.Fatalf("subscription ended before event %d: %v", i, sub.Err())
					}
					if ev.Sequence != i {
						t.Fatalf("event %d has sequence %d", i, ev.Sequence)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("no event %d", i)
				}
			}
		})
	}
}

func TestConsumerRestartsRememberWhatTheStreamHeld(t *testing.T) {
	c := consumerRestarts{name: "c_1"}
	steps := []struct {
		consumer      string
		seq, pending  uint64
		wantStoredNow uint64
	}{
		{"c_1", 1, 0, 0},   // the first consumer: no restart
		{"c_1", 2, 5, 0},   // pending events on the same consumer are live ones
		{"c_2", 3, 40, 43}, // recreated: everything up to 43 was stored meanwhile
		{"c_2", 4, 39, 43},
		{"c_3", 50, 0, 50}, // recreated again
		{"c_3", 51, 0, 50},
	}
	for _, s := range steps {
		c.observe(s.consumer, s.seq, s.pending)
		if c.stored != s.wantStoredNow {
			t.Fatalf("after %s seq %d pending %d: stored = %d, want %d", s.consumer, s.seq, s.pending, c.stored, s.wantStoredNow)
		}
	}
}
