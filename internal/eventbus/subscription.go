package eventbus

import (
	"context"
	"errors"
	"sync"
)

// source yields a subscription's events in sequence order.
type source interface {
	// next blocks until the next event, or returns an error (ctx's when it ends).
	next(ctx context.Context) (Event, error)
	// close releases the source; it is called once, from the subscription's goroutine.
	close()
}

// restartingSource is a source that can start again (a JetStream consumer recreated
// after a reconnection): storedAtRestart is the last sequence the bus held when it last
// did, 0 if it never did. Those events are handed over at the reader's pace, like the
// ones retained at subscription time.
type restartingSource interface {
	storedAtRestart() uint64
}

// Subscription is a stream of events. Read Events until it is closed, then Err says why.
type Subscription struct {
	events chan Event
	done   chan struct{} // closed when the subscription stops taking events
	exited chan struct{} // closed when its goroutine and source are gone
	cancel context.CancelCauseFunc
	err    error // written before done is closed
	buffer int
}

// start runs the goroutine that moves events from src to the buffer. Events up to
// backlog are handed over at the reader's pace; later ones must find room in the buffer
// or the subscription ends with an *OverflowError. after is the sequence the
// subscription begins after.
func (r *registry) start(ctx context.Context, src source, after, backlog uint64, buffer int) (*Subscription, error) {
	s, ctx, err := r.open(ctx, buffer)
	if err != nil {
		src.close()
		return nil, err
	}
	s.run(ctx, r, func(ctx context.Context) error { return s.pump(ctx, src, after, backlog) }, src.close)
	return s, nil
}

// open registers a new subscription; run must follow. ctx is the subscription's own.
func (r *registry) open(ctx context.Context, buffer int) (*Subscription, context.Context, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	s := &Subscription{
		events: make(chan Event, buffer),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
		cancel: cancel,
		buffer: buffer,
	}
	if !r.add(s) {
		cancel(ErrClosed)
		return nil, nil, ErrClosed
	}
	return s, ctx, nil
}

// run starts the goroutine that feeds the subscription until feed returns, then closes
// Events and calls release. feed must not send on Events once it has returned.
func (s *Subscription) run(ctx context.Context, r *registry, feed func(context.Context) error, release func()) {
	go func() {
		defer r.remove(s)
		defer close(s.exited)
		defer release()
		defer close(s.events)
		s.err = feed(ctx)
		s.cancel(s.err)
		close(s.done)
	}()
}

func (s *Subscription) pump(ctx context.Context, src source, last, backlog uint64) error {
	for {
		ev, err := src.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
		if ev.Sequence <= last {
			continue // already delivered
		}
		if r, ok := src.(restartingSource); ok {
			backlog = max(backlog, r.storedAtRestart())
		}
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
				return &OverflowError{LastDelivered: last, Buffer: s.buffer}
			}
		}
		last = ev.Sequence
	}
}

// Events delivers the events in sequence order. It is closed when the subscription
// ends, after the events already buffered.
func (s *Subscription) Events() <-chan Event { return s.events }

// Done is closed when the subscription stops taking events; events already buffered
// can still be read from Events.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err is nil while the subscription runs. Once Done is closed it says why it ended: an
// *OverflowError, ErrClosed, the context's error (context.Canceled also after Close),
// or a failure of the bus.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the subscription and waits until it has released its resources.
func (s *Subscription) Close() {
	s.cancel(context.Canceled)
	<-s.exited
}

// AsOverflow returns err's *OverflowError, if it is one.
func AsOverflow(err error) (*OverflowError, bool) {
	var o *OverflowError
	ok := errors.As(err, &o)
	return o, ok
}

// registry tracks a bus's live subscriptions so that Close can end them.
type registry struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

func (r *registry) add(s *Subscription) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	if r.subs == nil {
		r.subs = map[*Subscription]struct{}{}
	}
	r.subs[s] = struct{}{}
	return true
}

func (r *registry) remove(s *Subscription) {
	r.mu.Lock()
	delete(r.subs, s)
	r.mu.Unlock()
}

// close ends every subscription with ErrClosed and waits for them. It reports false
// when the registry was already closed.
func (r *registry) close() bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	r.closed = true
	subs := make([]*Subscription, 0, len(r.subs))
	for s := range r.subs {
		subs = append(subs, s)
	}
	r.mu.Unlock()
	for _, s := range subs {
		s.cancel(ErrClosed)
	}
	for _, s := range subs {
		<-s.exited
	}
	return true
}

func (r *registry) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
