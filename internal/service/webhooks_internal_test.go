package service

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

func TestPreparedEventsShareAndStayBounded(t *testing.T) {
	event := func(seq uint64, id string, size int) eventbus.Event {
		return eventbus.Event{Sequence: seq, ID: id, Body: []byte(strings.Repeat("x", size)), ReceivedAt: time.Now()}
	}
	tests := []struct {
		name      string
		maxEvents int
		maxBytes  int64
		events    []eventbus.Event
		kept      []uint64 // sequences kept afterwards, oldest first
	}{
		{"every subscriber of one event shares one entry", 8, 1 << 20, []eventbus.Event{event(1, "a", 10), event(1, "a", 10), event(1, "a", 10)}, []uint64{1}},
		{"a count bound drops the oldest", 2, 1 << 20, []eventbus.Event{event(1, "a", 10), event(2, "b", 10), event(3, "c", 10)}, []uint64{2, 3}},
		{"a byte bound drops the oldest", 8, 100, []eventbus.Event{event(1, "a", 10), event(2, "b", 10), event(3, "c", 10)}, []uint64{2, 3}},
		{"the newest is kept even alone over the byte bound", 8, 100, []eventbus.Event{event(1, "a", 10), event(2, "b", 1000)}, []uint64{2}},
		{"a sequence reused by another event is prepared anew", 8, 1 << 20, []eventbus.Event{event(1, "a", 10), event(1, "other", 10)}, []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newPreparedEvents(tt.maxEvents, tt.maxBytes)
			got := map[string]*preparedEvent{}
			for _, ev := range tt.events {
				p := c.get(ev)
				key := fmt.Sprint(ev.Sequence, ev.ID)
				if prev, ok := got[key]; ok && prev != p && c.byEvent[ev.Sequence] == prev {
					t.Fatalf("event %s prepared twice while kept", key)
				}
				got[key] = p
				if p.id != ev.ID {
					t.Fatalf("event %s got the entry of %q", key, p.id)
				}
			}
			var kept []uint64
			for _, p := range c.order {
				if c.byEvent[p.seq] == p {
					kept = append(kept, p.seq)
				}
			}
			if fmt.Sprint(kept) != fmt.Sprint(tt.kept) {
				t.Fatalf("kept %v, want %v", kept, tt.kept)
			}
		})
	}
}
