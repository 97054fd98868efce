package eventbus

import (
	"context"
	"sync"
	"time"
)

// Defaults of MemoryOptions.
const (
	DefaultMemoryMaxEvents       = 10_000
	DefaultMemoryMaxAge          = 24 * time.Hour
	DefaultMemoryMaxBytes  int64 = 256 << 20
)

// MemoryOptions configures NewMemory. Zero values take the defaults; a negative
// MaxEvents, MaxBytes or MaxAge means no limit.
type MemoryOptions struct {
	// MaxEvents is how many events are retained; default DefaultMemoryMaxEvents.
	MaxEvents int
	// MaxBytes bounds the retained bodies' total size; default DefaultMemoryMaxBytes.
	// The newest event is kept even when it alone is larger, so that live subscribers
	// still receive it.
	MaxBytes int64
	// MaxAge is how long an event is retained; default DefaultMemoryMaxAge.
	MaxAge time.Duration
	// DedupeWindow is how long a published id is remembered; default DefaultDedupeWindow.
	DedupeWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Memory is a Bus held in this process: events are lost when it stops and other
// replicas do not see them.
type Memory struct {
	opts MemoryOptions
	subs registry

	// Readers (one per subscription) only take the read lock, so that a publication
	// wakes every subscriber without them queueing on one another.
	mu      sync.RWMutex
	log     []stored // retained events, ascending and contiguous sequences
	bytes   int64    // total size of the retained bodies
	last    uint64   // last sequence assigned
	seen    map[string]seen
	order   []seenID      // ids in publication order, to expire seen
	changed chan struct{} // closed and replaced by every publish and by Close
	closed  bool
}

type stored struct {
	Event
	at time.Time // when it was stored, for MaxAge
}

type seen struct {
	seq uint64
	at  time.Time
}

type seenID struct {
	id string
	at time.Time
}

var _ Bus = (*Memory)(nil)

// NewMemory returns an in-memory bus.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxEvents == 0 {
		opts.MaxEvents = DefaultMemoryMaxEvents
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMemoryMaxAge
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMemoryMaxBytes
	}
	if opts.DedupeWindow <= 0 {
		opts.DedupeWindow = DefaultDedupeWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Memory{opts: opts, seen: map[string]seen{}, changed: make(chan struct{})}
}

// Publish implements Bus. It never waits for subscribers.
func (m *Memory) Publish(ctx context.Context, id string, body []byte, receivedAt time.Time) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, false, ErrClosed
	}
	m.forget(now)
	if id != "" {
		if s, ok := m.seen[id]; ok {
			return s.seq, true, nil
		}
	}
	m.last++
	ev := Event{Sequence: m.last, ID: id, Body: append([]byte(nil), body...), ReceivedAt: receivedAt}
	m.log = append(m.log, stored{Event: ev, at: now})
	m.bytes += int64(len(ev.Body))
	if id != "" {
		m.seen[id] = seen{seq: ev.Sequence, at: now}
		m.order = append(m.order, seenID{id: id, at: now})
	}
	m.evict(now)
	close(m.changed)
	m.changed = make(chan struct{})
	return ev.Sequence, false, nil
}

// forget drops the ids older than the de-duplication window. m.mu is held.
func (m *Memory) forget(now time.Time) {
	n := 0
	for n < len(m.order) && now.Sub(m.order[n].at) >= m.opts.DedupeWindow {
		if s, ok := m.seen[m.order[n].id]; ok && s.at.Equal(m.order[n].at) {
			delete(m.seen, m.order[n].id)
		}
		n++
	}
	m.order = compact(m.order, n)
}

// evict applies the retention limits. m.mu is held.
func (m *Memory) evict(now time.Time) {
	n := 0
	if m.opts.MaxEvents > 0 && len(m.log) > m.opts.MaxEvents {
		n = len(m.log) - m.opts.MaxEvents
	}
	if m.opts.MaxAge > 0 {
		for n < len(m.log) && now.Sub(m.log[n].at) >= m.opts.MaxAge {
			n++
		}
	}
	bytes := m.bytes
	for i := range n {
		bytes -= int64(len(m.log[i].Body))
	}
	if m.opts.MaxBytes > 0 {
		for n < len(m.log)-1 && bytes > m.opts.MaxBytes {
			bytes -= int64(len(m.log[n].Body))
			n++
		}
	}
	if n == 0 {
		return
	}
	// The dropped entries must not keep their bodies alive through the backing array.
	clear(m.log[:n])
	m.bytes = bytes
	m.log = compact(m.log, n)
}

// RetainedBytes is the total size of the bodies the bus retains.
func (m *Memory) RetainedBytes() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.bytes
}

// firstLive is the index of the oldest retained event younger than MaxAge, or len(m.log)
// when none is. m.mu is held, for reading at least.
func (m *Memory) firstLive(now time.Time) int {
	if m.opts.MaxAge <= 0 {
		return 0
	}
	i := 0
	for i < len(m.log) && now.Sub(m.log[i].at) >= m.opts.MaxAge {
		i++
	}
	return i
}

// compact drops the first n elements, copying when the dropped prefix would otherwise
// keep a large backing array alive.
func compact[T any](s []T, n int) []T {
	if n == 0 {
		return s
	}
	s = s[n:]
	if cap(s) > 64 && len(s) < cap(s)/4 {
		s = append(make([]T, 0, 2*len(s)), s...)
	}
	return s
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(ctx context.Context, from Start, buffer int) (*Subscription, error) {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return nil, ErrClosed
	}
	var first uint64
	if i := m.firstLive(m.opts.Now()); i < len(m.log) {
		first = m.log[i].Sequence
	}
	last := m.last
	m.mu.RUnlock()
	after := from.resolve(last, first)
	return m.subs.start(ctx, &memorySource{m: m, after: after}, after, last, bufferSize(buffer))
}

// Close implements Bus.
func (m *Memory) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.changed)
	}
	m.mu.Unlock()
	m.subs.close()
	return nil
}

// memorySource reads the log from a position, waiting for publications.
type memorySource struct {
	m     *Memory
	after uint64
}

func (s *memorySource) next(ctx context.Context) (Event, error) {
	m := s.m
	for {
		m.mu.RLock()
		if m.closed {
			m.mu.RUnlock()
			return Event{}, ErrClosed
		}
		if len(m.log) > 0 && m.log[len(m.log)-1].Sequence > s.after {
			i := 0
			if first := m.log[0].Sequence; s.after >= first {
				i = int(s.after - first + 1)
			}
			// Events past MaxAge are skipped as if evicted: readers do not evict, so
			// they need only the read lock.
			if i = max(i, m.firstLive(m.opts.Now())); i < len(m.log) {
				ev := m.log[i].Event
				m.mu.RUnlock()
				s.after = ev.Sequence
				return ev, nil
			}
		}
		changed := m.changed
		m.mu.RUnlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

func (s *memorySource) close() {}
