package eventbus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of JetStreamOptions.
const (
	DefaultStream             = "NANGO_WEBHOOKS"
	DefaultSubject            = "nango.webhooks"
	DefaultJetStreamMaxEvents = 100_000
	DefaultJetStreamMaxAge    = 72 * time.Hour
	// DefaultJetStreamMaxBytes is the stream's default size limit.
	DefaultJetStreamMaxBytes int64 = 1 << 30
)

// headerReceivedAt carries Event.ReceivedAt; the stream's own timestamp is when the
// server stored the message, which is later.
const headerReceivedAt = "Nango-Gateway-Received-At"

// JetStreamOptions configures NewJetStream. Zero values take the defaults; a negative
// MaxEvents, MaxBytes or MaxAge means no limit.
type JetStreamOptions struct {
	// URL is the NATS server list, e.g. "nats://nats:4222" (comma-separated for several).
	URL string
	// Stream is the JetStream stream's name; default DefaultStream.
	Stream string
	// Subject is the subject events are published on; default DefaultSubject.
	Subject string
	// MaxEvents is the stream's message limit; default DefaultJetStreamMaxEvents.
	MaxEvents int64
	// MaxBytes is the stream's size limit (the oldest events go first); default
	// DefaultJetStreamMaxBytes.
	MaxBytes int64
	// MaxAge is the stream's age limit; default DefaultJetStreamMaxAge.
	MaxAge time.Duration
	// DedupeWindow is the stream's duplicate window; default DefaultDedupeWindow,
	// lowered to MaxAge when that is shorter (JetStream requires it).
	DedupeWindow time.Duration
	// Replicas is the stream's replica count in a NATS cluster; default 1.
	Replicas int
	// ConnectOptions are added to the connection's options (credentials, TLS...).
	ConnectOptions []nats.Option
}

// JetStream is a Bus on a NATS JetStream stream shared by every replica: the stream
// sequence is the event sequence and the stream's duplicate window de-duplicates
// publications by Nats-Msg-Id, whichever replica makes them.
type JetStream struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  string
	subject string
	subs    registry
	// background counts the goroutines that read and release consumers; Close waits for
	// them once the connection is closed, which ends their requests at once.
	background goroutines
}

// Conn is the bus's NATS connection, for other state the replicas share (the rate
// budget) on the same connection. It closes with the bus.
func (b *JetStream) Conn() *nats.Conn { return b.nc }

// goroutines counts running goroutines. Unlike a WaitGroup it may gain one while wait
// runs (a Subscribe racing Close), which wait then need not see.
type goroutines struct {
	mu   sync.Mutex
	n    int
	none *sync.Cond
}

func (g *goroutines) add() {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
}

func (g *goroutines) done() {
	g.mu.Lock()
	if g.n--; g.n == 0 && g.none != nil {
		g.none.Broadcast()
	}
	g.mu.Unlock()
}

// wait returns once none runs.
func (g *goroutines) wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.none == nil {
		g.none = sync.NewCond(&g.mu)
	}
	for g.n > 0 {
		g.none.Wait()
	}
}

var _ Bus = (*JetStream)(nil)

// NewJetStream connects to NATS and creates the stream, or updates it to opts' limits
// when it exists, so that every replica can start with the same options.
func NewJetStream(ctx context.Context, opts JetStreamOptions) (*JetStream, error) {
	if opts.URL == "" {
		return nil, errors.New("eventbus: a NATS URL is required")
	}
	if opts.Stream == "" {
		opts.Stream = DefaultStream
	}
	if opts.Subject == "" {
		opts.Subject = DefaultSubject
	}
	cfg := jetstream.StreamConfig{
		Name:      opts.Stream,
		Subjects:  []string{opts.Subject},
		Retention: jetstream.LimitsPolicy,
		Discard:   jetstream.DiscardOld,
		Storage:   jetstream.FileStorage,
		MaxMsgs:   limit(opts.MaxEvents, DefaultJetStreamMaxEvents),
		MaxBytes:  limit(opts.MaxBytes, DefaultJetStreamMaxBytes),
		MaxAge:    time.Duration(limit(int64(opts.MaxAge), int64(DefaultJetStreamMaxAge))),
		Replicas:  max(opts.Replicas, 1),
	}
	cfg.Duplicates = opts.DedupeWindow
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = DefaultDedupeWindow
	}
	if cfg.MaxAge > 0 && cfg.Duplicates > cfg.MaxAge {
		cfg.Duplicates = cfg.MaxAge
	}
	if cfg.MaxAge < 0 {
		cfg.MaxAge = 0 // JetStream's "no limit"
	}

	connect := append([]nats.Option{
		nats.Name("nango-gateway"),
		nats.MaxReconnects(-1), // a NATS restart must not leave the gateway without its bus
	}, opts.ConnectOptions...)
	nc, err := nats.Connect(opts.URL, connect...)
	if err != nil {
		// The URL may hold credentials: it is not repeated here.
		return nil, fmt.Errorf("eventbus: connect to NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("eventbus: JetStream: %w", err)
	}
	if err := createStream(ctx, js, cfg); err != nil {
		nc.Close()
		return nil, fmt.Errorf("eventbus: create or update stream %q: %w", opts.Stream, err)
	}
	return &JetStream{nc: nc, js: js, stream: opts.Stream, subject: opts.Subject}, nil
}

// streamSetupTimeout bounds how long start-up waits for JetStream to take the stream. A
// NATS cluster starting beside the gateway (pods of one release) elects its JetStream
// leader only once a quorum of servers is up; until then every request times out.
const streamSetupTimeout = 30 * time.Second

// createStream creates or updates the stream, trying again until JetStream answers or
// streamSetupTimeout has passed; the last error is returned.
func createStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) error {
	ctx, cancel := context.WithTimeout(ctx, streamSetupTimeout)
	defer cancel()
	for {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		_, err := js.CreateOrUpdateStream(attemptCtx, cfg)
		cancelAttempt()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Healthy reports whether the bus can take events now: its NATS connection is up. While
// NATS is away a publish would only wait for its deadline.
func (b *JetStream) Healthy() error {
	if st := b.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("eventbus: NATS connection %s", strings.ToLower(st.String()))
	}
	return nil
}

// limit maps 0 to the default and a negative value to JetStream's "no limit" (-1).
func limit(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return -1
	}
	return v
}

// Publish implements Bus: the event is stored once the server acknowledges it. An
// attempt that gets no answer is made again under the same id until ctx ends.
func (b *JetStream) Publish(ctx context.Context, id string, body []byte, receivedAt time.Time) (uint64, bool, error) {
	if b.subs.isClosed() {
		return 0, false, ErrClosed
	}
	msg := nats.NewMsg(b.subject)
	msg.Data = body
	msg.Header.Set(headerReceivedAt, receivedAt.UTC().Format(time.RFC3339Nano))
	opts := []jetstream.PublishOpt{jetstream.WithExpectStream(b.stream)}
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, publishAttemptTimeout)
		ack, err := b.js.PublishMsg(attemptCtx, msg, opts...)
		cancel()
		if err == nil {
			return ack.Sequence, ack.Duplicate, nil
		}
		if errors.Is(err, nats.ErrConnectionClosed) {
			return 0, false, ErrClosed
		}
		// Without an id a second attempt could store the event twice.
		if id == "" || ctx.Err() != nil || !unanswered(err) {
			return 0, false, fmt.Errorf("eventbus: publish: %w", err)
		}
		select {
		case <-ctx.Done():
			return 0, false, fmt.Errorf("eventbus: publish: %w", err)
		case <-time.After(publishRetryPause):
		}
	}
}

// publishAttemptTimeout bounds one attempt of a publish. A stream's leader answers in
// milliseconds; when it stops with a publish in flight the answer never comes, and the
// servers left elect another in a second or two. Trying again under the same message id
// then reaches the new leader, which stores the event, or names the sequence it already
// has (the stream de-duplicates), well within the caller's deadline.
const publishAttemptTimeout = 2 * time.Second

// publishRetryPause spaces attempts that found no leader at once.
const publishRetryPause = 100 * time.Millisecond

// unanswered reports a publish that got no answer (the stream had no leader, or lost it
// with the publish in flight), as opposed to one the stream refused.
func unanswered(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

// Subscribe implements Bus with an ordered consumer, which JetStream recreates from
// the last delivered sequence after a reconnection.
func (b *JetStream) Subscribe(ctx context.Context, from Start, buffer int) (*Subscription, error) {
	if b.subs.isClosed() {
		return nil, ErrClosed
	}
	st, err := b.js.Stream(ctx, b.stream)
	if err != nil {
		return nil, fmt.Errorf("eventbus: stream %q: %w", b.stream, err)
	}
	state := st.CachedInfo().State
	first := state.FirstSeq
	if state.Msgs == 0 {
		first = 0
	}
	after := from.resolve(state.LastSeq, first)
	cfg := jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.subject},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    after + 1,
		// Consumers of closed subscriptions are deleted; this only bounds the ones a
		// crash leaves behind.
		InactiveThreshold: time.Minute,
	}
	cons, err := b.js.OrderedConsumer(ctx, b.stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("eventbus: consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullHeartbeat(consumerHeartbeat))
	if err != nil {
		return nil, fmt.Errorf("eventbus: consume: %w", err)
	}
	src := &jetStreamSource{bus: b, cons: cons, it: it, msgs: make(chan nextMsg), stop: make(chan struct{})}
	if info := cons.CachedInfo(); info != nil {
		src.consumers.name = info.Name
	}
	b.background.add()
	go src.read()
	return b.subs.start(ctx, src, after, state.LastSeq, bufferSize(buffer))
}

// consumerHeartbeat is how often the server says a subscription's consumer is alive when
// there is nothing to deliver. Two missed heartbeats recreate the consumer after the last
// delivered event: with the client's default (5s), a subscriber whose consumer was on a
// NATS server that went away heard nothing for 10s while its replica took events.
const consumerHeartbeat = time.Second

// Close implements Bus: it ends the subscriptions, then closes the connection.
func (b *JetStream) Close() error {
	if !b.subs.close() {
		return nil
	}
	b.nc.Close()
	b.background.wait()
	return nil
}

// jetStreamSource reads a consumer in a goroutine of its own. The iterator's Next
// cannot always be interrupted: while it recreates its consumer (after a NATS server
// went away) it waits up to 10s per attempt, and meanwhile even Stop blocks. A
// subscription that ends, or a bus that closes during a shutdown, must not wait for it.
type jetStreamSource struct {
	bus  *JetStream
	cons jetstream.Consumer
	it   jetstream.MessagesContext
	msgs chan nextMsg
	stop chan struct{} // closed by close

	consumers consumerRestarts
}

// consumerRestarts notices that the ordered consumer was recreated (after a reconnection
// or a lost NATS server: its name changes) and remembers the last sequence the stream
// then held. Those events were stored while nothing was delivered; they arrive at once,
// and a reader that kept up must take them at its pace, as it takes the events retained
// when it subscribed, rather than be cut off as too slow.
type consumerRestarts struct {
	name   string
	stored uint64
}

// observe records a message's consumer, its stream sequence and the events pending after it.
func (c *consumerRestarts) observe(consumer string, seq, pending uint64) {
	if consumer != c.name {
		c.name = consumer
		c.stored = max(c.stored, seq+pending)
	}
}

// storedAtRestart implements restartingSource.
func (s *jetStreamSource) storedAtRestart() uint64 { return s.consumers.stored }

type nextMsg struct {
	msg jetstream.Msg
	err error
}

// read hands the iterator's messages to next until the iterator fails or close is called.
func (s *jetStreamSource) read() {
	defer s.bus.background.done()
	for {
		msg, err := s.it.Next()
		select {
		case s.msgs <- nextMsg{msg, err}:
		case <-s.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *jetStreamSource) next(ctx context.Context) (Event, error) {
	var msg jetstream.Msg
	select {
	case <-ctx.Done():
		return Event{}, ctx.Err()
	case m := <-s.msgs:
		if err := m.err; err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, nats.ErrConnectionClosed) {
				return Event{}, ErrClosed
			}
			return Event{}, fmt.Errorf("eventbus: receive: %w", err)
		}
		msg = m.msg
	}
	meta, err := msg.Metadata()
	if err != nil {
		return Event{}, fmt.Errorf("eventbus: message metadata: %w", err)
	}
	s.consumers.observe(meta.Consumer, meta.Sequence.Stream, meta.NumPending)
	ev := Event{
		Sequence:   meta.Sequence.Stream,
		ID:         msg.Headers().Get(jetstream.MsgIDHeader),
		Body:       msg.Data(),
		ReceivedAt: meta.Timestamp,
	}
	if t, err := time.Parse(time.RFC3339Nano, msg.Headers().Get(headerReceivedAt)); err == nil {
		ev.ReceivedAt = t
	}
	return ev, nil
}

// close stops the reader and deletes the consumer in the background (see jetStreamSource).
func (s *jetStreamSource) close() {
	close(s.stop)
	s.bus.background.add()
	go func() {
		defer s.bus.background.done()
		s.it.Stop()
		if s.bus.nc.IsClosed() {
			return
		}
		// Delete the consumer now rather than let it linger until InactiveThreshold.
		if info := s.cons.CachedInfo(); info != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = s.bus.js.DeleteConsumer(ctx, s.bus.stream, info.Name)
			cancel()
		}
	}()
}
