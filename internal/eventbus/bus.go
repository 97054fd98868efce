package eventbus

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults shared by the implementations.
const (
	// DefaultBuffer is a subscription's buffer when Subscribe is given 0.
	DefaultBuffer = 256
	// DefaultDedupeWindow covers Nango's delivery retries (3 attempts within about 10 s)
	// with a wide margin. It is also JetStream's default.
	DefaultDedupeWindow = 2 * time.Minute
)

// Event is one published message. Body is shared by every subscriber: read it, never
// modify it.
type Event struct {
	// Sequence is the event's position on the bus, rising without gaps except where
	// retention removed events: from 1 on JetStream and by default in memory; the gateway's
	// memory bus starts above its start time (MemoryOptions.StartAfter).
	Sequence uint64
	// ID is the de-duplication id given to Publish.
	ID string
	// Body is the exact bytes given to Publish.
	Body []byte
	// ReceivedAt is the time given to Publish.
	ReceivedAt time.Time
}

// HealthChecker is implemented by buses that can be unreachable (JetStream): Healthy is
// nil while they can take events.
type HealthChecker interface {
	Healthy() error
}

// Healthy asks b, when it can tell, whether it can take events now.
func Healthy(b Bus) error {
	if h, ok := b.(HealthChecker); ok {
		return h.Healthy()
	}
	return nil
}

// Bus is an ordered, retained, de-duplicating event log with live subscriptions.
type Bus interface {
	// Publish appends body unless an event with the same id was published within the
	// de-duplication window, in which case it returns that event's sequence and
	// duplicate=true. When it returns without error the event is stored (for JetStream:
	// acknowledged by the server).
	Publish(ctx context.Context, id string, body []byte, receivedAt time.Time) (seq uint64, duplicate bool, err error)
	// Subscribe delivers the events after the start point, then new events as they are
	// published, until ctx ends, the subscription is closed, the bus is closed, or the
	// reader falls more than buffer events behind (buffer <= 0 means DefaultBuffer) or,
	// in memory, behind the retention: its oldest unread event was dropped.
	// Events retained at subscription time are delivered at the reader's pace; only
	// events published later can overflow the buffer (on JetStream, not those stored
	// while the subscription's consumer was being recreated either).
	Subscribe(ctx context.Context, from Start, buffer int) (*Subscription, error)
	// Close ends every subscription with ErrClosed and releases the bus. Publish and
	// Subscribe fail with ErrClosed afterwards.
	Close() error
}

// ErrClosed reports a bus that was closed.
var ErrClosed = errors.New("eventbus: bus closed")

// OverflowError ends a subscription whose reader fell more than its buffer behind.
// Subscribing again with AfterSequence(LastDelivered) loses nothing that is still retained.
type OverflowError struct {
	// LastDelivered is the sequence of the last event put in the subscription's buffer
	// (so also the last one its reader receives), or the start point when none was.
	LastDelivered uint64
	// Buffer is the subscription's buffer size.
	Buffer int
}

func (e *OverflowError) Error() string {
	return fmt.Sprintf("eventbus: subscriber fell more than %d events behind; last delivered sequence %d", e.Buffer, e.LastDelivered)
}

type startKind uint8

const (
	startNow startKind = iota
	startAfter
	startOldest
)

// Start says where a subscription begins. The zero value is FromNow.
type Start struct {
	kind  startKind
	after uint64
}

// FromNow starts with the events published after Subscribe returns.
func FromNow() Start { return Start{kind: startNow} }

// AfterSequence starts with the first retained event whose sequence is greater than seq.
func AfterSequence(seq uint64) Start { return Start{kind: startAfter, after: seq} }

// FromOldest starts with the oldest retained event.
func FromOldest() Start { return Start{kind: startOldest} }

func (s Start) String() string {
	switch s.kind {
	case startAfter:
		return fmt.Sprintf("after sequence %d", s.after)
	case startOldest:
		return "from oldest"
	}
	return "from now"
}

// resolve returns the sequence a subscription starts after, given the bus's last
// sequence and its oldest retained one (0 when it retains nothing).
func (s Start) resolve(last, first uint64) uint64 {
	switch s.kind {
	case startAfter:
		return s.after
	case startOldest:
		if first == 0 {
			return last
		}
		return first - 1
	}
	return last
}

func bufferSize(n int) int {
	if n <= 0 {
		return DefaultBuffer
	}
	return n
}
