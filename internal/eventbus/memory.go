package eventbus

import (
	"context"
	"fmt"
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
	// StartAfter is the sequence the first event follows; 0 numbers events from 1. The
	// gateway passes EpochBase(time.Now()), so that after a restart (see EpochBase for the
	// bounds) no sequence repeats and one given before it is recognised (StaleSequenceError).
	StartAfter uint64
}

// Memory is a Bus held in this process: events are lost when it stops and other
// replicas do not see them.
type Memory struct {
	opts MemoryOptions
	subs registry

	mu     sync.RWMutex
	log    []stored // retained events, ascending and contiguous sequences
	bytes  int64    // total size of the retained bodies
	last   uint64   // last sequence assigned
	base   uint64   // the sequence this bus started after (epochBase); set once
	seen   map[string]seen
	order  []seenID   // ids in publication order, to expire seen
	live   []*liveSub // subscriptions that caught up; replaced, never modified in place
	closed bool

	// deliver is taken while m.mu is held and kept after releasing it, so that
	// publications reach live subscriptions in sequence order without holding m.mu.
	deliver sync.Mutex
}

// liveSub is a subscription that receives new events from Publish directly, without a
// goroutine of its own waking up for each one. Its fields are guarded by Memory.deliver.
type liveSub struct {
	s    *Subscription
	last uint64        // sequence of the last event put in the buffer
	stop chan struct{} // closed when the subscription overflowed
	err  error         // why stop was closed
	gone bool          // removed: no event may be sent any more
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
	return &Memory{opts: opts, seen: map[string]seen{}, base: opts.StartAfter, last: opts.StartAfter}
}

// EpochBase is where a memory bus started at now numbers from: its start time in
// seconds, shifted so that each second leaves room for 65,536 events. A gateway that
// restarts in a later second continues above every sequence its previous process gave,
// unless that process averaged more than 65,536 events a second, so a sequence from
// before the restart is not mistaken for one of this process, and is recognised.
func EpochBase(now time.Time) uint64 {
	return uint64(max(now.Unix(), 1)) << 16
}

// StaleSequenceError refuses to resume after a sequence this bus never gave: one from
// before the gateway restarted, or from another gateway's memory. The events after it
// that were kept in memory are gone; the subscriber can only start again.
type StaleSequenceError struct {
	After, First uint64
}

func (e *StaleSequenceError) Error() string {
	return fmt.Sprintf("after_sequence %d is not from this gateway's event log, which starts after %d (the gateway restarted, and events kept in memory before it are gone): resume with from_oldest", e.After, e.First)
}

// Publish implements Bus. It never waits for subscribers: an event that does not fit
// in a live subscription's buffer ends that subscription with an *OverflowError.
func (m *Memory) Publish(ctx context.Context, id string, body []byte, receivedAt time.Time) (uint64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	now := m.opts.Now()
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, false, ErrClosed
	}
	m.forget(now)
	if id != "" {
		if s, ok := m.seen[id]; ok {
			m.mu.Unlock()
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
	oldest := m.log[0].Sequence
	live := m.live
	m.deliver.Lock()
	m.mu.Unlock()
	for _, l := range live {
		if l.gone || l.err != nil {
			continue
		}
		// A reader whose unread events are no longer retained is as far behind as one
		// whose buffer is full: cut off, it stops holding bodies the bus has let go.
		unread := uint64(len(l.s.events))
		if unread > 0 && l.last-unread+1 < oldest {
			l.err = &OverflowError{LastDelivered: l.last, Buffer: l.s.buffer}
			close(l.stop)
			continue
		}
		select {
		case l.s.events <- ev:
			l.last = ev.Sequence
		default:
			l.err = &OverflowError{LastDelivered: l.last, Buffer: l.s.buffer}
			close(l.stop)
		}
	}
	m.deliver.Unlock()
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

// Subscribe implements Bus. Retained events are read from the log at the reader's pace
// by the subscription's goroutine; once it has caught up, the subscription is live and
// Publish puts new events straight into its buffer.
func (m *Memory) Subscribe(ctx context.Context, from Start, buffer int) (*Subscription, error) {
	s, subCtx, err := m.subs.open(ctx, bufferSize(buffer))
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		// Close may be waiting for this subscription already: end it the usual way.
		s.run(subCtx, &m.subs, func(context.Context) error { return ErrClosed }, func() {})
		return nil, ErrClosed
	}
	if from.kind == startAfter && from.after != 0 && (from.after < m.base || from.after > m.last) {
		// A sequence this bus never gave: from before a restart, or another process.
		m.mu.Unlock()
		err := &StaleSequenceError{After: from.after, First: m.base}
		s.run(subCtx, &m.subs, func(context.Context) error { return err }, func() {})
		return nil, err
	}
	var first uint64
	if i := m.firstLive(m.opts.Now()); i < len(m.log) {
		first = m.log[i].Sequence
	}
	backlog := m.last
	after := from.resolve(backlog, first)
	var l *liveSub
	if after >= backlog {
		l = m.join(s, after) // nothing to replay: live at once
	}
	m.mu.Unlock()
	s.run(subCtx, &m.subs, func(ctx context.Context) error { return m.feed(ctx, s, l, after, backlog) }, func() {})
	return s, nil
}

// join makes s live after sequence last. m.mu is held for writing.
func (m *Memory) join(s *Subscription, last uint64) *liveSub {
	l := &liveSub{s: s, last: last, stop: make(chan struct{})}
	m.live = append(m.live[:len(m.live):len(m.live)], l)
	return l
}

// leave removes l from the live subscriptions; once it returns, Publish no longer
// touches l's buffer.
func (m *Memory) leave(l *liveSub) {
	m.mu.Lock()
	live := make([]*liveSub, 0, len(m.live))
	for _, o := range m.live {
		if o != l {
			live = append(live, o)
		}
	}
	m.live = live
	m.mu.Unlock()
	// A publication that took the old list holds deliver until it is done with it.
	m.deliver.Lock()
	l.gone = true
	m.deliver.Unlock()
}

// feed replays the retained events after `after`, waiting for the reader, until it has
// caught up, then lets Publish deliver and waits for the end. Events up to backlog were
// retained at subscription time; later ones must find room in the buffer.
func (m *Memory) feed(ctx context.Context, s *Subscription, l *liveSub, after, backlog uint64) error {
	for l == nil {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return ErrClosed
		}
		ev, ok := m.nextAfter(after)
		if !ok {
			l = m.join(s, after)
			m.mu.Unlock()
			break
		}
		m.mu.Unlock()
		if ev.Sequence <= backlog {
			select {
			case s.events <- ev:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		} else {
			select {
			case s.events <- ev:
			default:
				return &OverflowError{LastDelivered: after, Buffer: s.buffer}
			}
		}
		after = ev.Sequence
	}
	var err error
	select {
	case <-ctx.Done():
		err = context.Cause(ctx)
	case <-l.stop:
	}
	m.leave(l)
	if l.err != nil { // written before stop was closed, or under deliver, taken by leave
		return l.err
	}
	return err
}

// nextAfter returns the first retained, unexpired event after seq. m.mu is held.
func (m *Memory) nextAfter(seq uint64) (Event, bool) {
	if len(m.log) == 0 || m.log[len(m.log)-1].Sequence <= seq {
		return Event{}, false
	}
	i := 0
	if first := m.log[0].Sequence; seq >= first {
		i = int(seq - first + 1)
	}
	if i = max(i, m.firstLive(m.opts.Now())); i < len(m.log) {
		return m.log[i].Event, true
	}
	return Event{}, false
}

// Close implements Bus.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.subs.close()
	return nil
}
