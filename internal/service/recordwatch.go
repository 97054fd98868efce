package service

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

// Defaults of WatchRecords when neither the request nor the Deps set them.
const (
	defaultWatchPollInterval = 30 * time.Second
	// maxPollBackoff is how far polls that find nothing stretch the interval.
	maxPollBackoff = 16
	// sharedPageKeep is how long a fetched page stays available to the other watchers of
	// the same model and cursor that were told of the same webhook: they read the bus
	// within milliseconds of each other, but not at the same instant.
	sharedPageKeep = 5 * time.Second
)

// WatchRecords sends every record from the cursor on, then the changes each matching sync
// webhook announces (see watcher).
func (s *recordsService) WatchRecords(req *gatewayv1.WatchRecordsRequest, stream grpc.ServerStreamingServer[gatewayv1.WatchRecordsResponse]) error {
	w := &watcher{
		deps:    s.deps,
		pages:   s.pages,
		req:     req,
		send:    stream.Send,
		limit:   defaultStreamPageSize,
		beat:    heartbeatInterval(req.GetHeartbeatInterval(), s.deps),
		poll:    s.deps.WatchPollInterval,
		variant: baseVariant(req.GetVariant()),
	}
	if w.poll <= 0 {
		w.poll = defaultWatchPollInterval
	}
	if d := req.GetPollInterval(); d != nil {
		w.poll = d.AsDuration()
	}
	if req.PageSize != nil {
		w.limit = req.GetPageSize()
	}
	w.cursor, w.hasCursor = req.GetCursor(), req.Cursor != nil
	ctx := stream.Context()
	if !s.deps.webhooksArrive() {
		// No webhook can arrive: poll instead.
		if err := stream.SendHeader(metadata.MD{}); err != nil {
			return err
		}
		return w.runPolling(ctx)
	}
	return w.runWebhooks(ctx, func() error { return stream.SendHeader(metadata.MD{}) })
}

// watcher is one WatchRecords stream. Its one goroutine fetches and sends, so the cursor
// it keeps is always the last one sent.
type watcher struct {
	deps    Deps
	pages   *sharedPages
	req     *gatewayv1.WatchRecordsRequest
	send    func(*gatewayv1.WatchRecordsResponse) error
	limit   int32
	beat    time.Duration // 0: no heartbeats
	poll    time.Duration
	variant string

	cursor    string
	hasCursor bool
}

// runWebhooks subscribes before the first fetch, so a sync that ends while the catch-up
// runs still triggers a fetch; each matching webhook then triggers one fetch from the last
// cursor sent. Webhooks that arrive during a fetch are read after it, together: one more
// fetch covers them all.
func (w *watcher) runWebhooks(ctx context.Context, sendHeader func() error) error {
	sub, err := w.deps.Bus.Subscribe(ctx, eventbus.FromNow(), w.deps.SubscriberBuffer)
	if err != nil {
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
		return status.Errorf(codes.Unavailable, "subscribe to the event bus: %v", err)
	}
	defer func() {
		if sub != nil {
			sub.Close()
		}
	}()
	if err := sendHeader(); err != nil {
		return err
	}
	if err := w.catchUp(ctx, freshness{since: time.Now()}); err != nil {
		return err
	}
	beat := newSilenceTimer(w.beat)
	defer beat.stop()
	for {
		var need uint64
		pending := false
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-beat.C():
			if !beat.due() {
				continue
			}
			if err := w.heartbeat(); err != nil {
				return err
			}
			continue
		case ev, ok := <-sub.Events():
			if !ok {
				if _, overflow := eventbus.AsOverflow(sub.Err()); !overflow || ctx.Err() != nil {
					return subscriptionError(ctx, sub.Err(), watchResume)
				}
				// Fallen behind the bus: only "something changed" matters here, so start
				// again from now and fetch once.
				sub.Close() // closing twice is harmless
				since := time.Now()
				next, err := w.deps.Bus.Subscribe(ctx, eventbus.FromNow(), w.deps.SubscriberBuffer)
				if err != nil {
					sub = nil
					return subscriptionError(ctx, err, watchResume)
				}
				sub = next
				if err := w.catchUp(ctx, freshness{since: since}); err != nil {
					return err
				}
				beat.sent()
				continue
			}
			if w.matches(ev) {
				pending, need = true, ev.Sequence
			}
		}
		// Coalesce what else is already waiting: one fetch covers every webhook so far.
		for drained := false; !drained; {
			select {
			case ev, ok := <-sub.Events():
				if !ok {
					drained = true
				} else if w.matches(ev) {
					pending, need = true, ev.Sequence
				}
			default:
				drained = true
			}
		}
		if !pending {
			continue
		}
		if err := w.catchUp(ctx, freshness{seq: need}); err != nil {
			return err
		}
		beat.sent()
	}
}

// runPolling fetches from the last cursor every poll interval. Polls that find nothing,
// or fail in a way worth retrying, double the wait (with jitter) up to maxPollBackoff
// times the interval; a poll that finds records brings it back to the interval.
func (w *watcher) runPolling(ctx context.Context) error {
	if err := w.catchUp(ctx, freshness{since: time.Now()}); err != nil {
		return err
	}
	wait := w.poll
	pollTimer := time.NewTimer(jitter(wait))
	defer pollTimer.Stop()
	beat := newSilenceTimer(w.beat)
	defer beat.stop()
	for {
		select {
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-beat.C():
			if !beat.due() {
				continue
			}
			if err := w.heartbeat(); err != nil {
				return err
			}
			continue
		case <-pollTimer.C:
		}
		before := w.cursor
		err := w.catchUp(ctx, freshness{since: time.Now()})
		if err != nil && !retryable(ctx, err) {
			return err
		}
		if err == nil {
			beat.sent()
		}
		wait = nextPollWait(wait, w.poll, err == nil && w.cursor != before)
		pollTimer.Reset(jitter(wait))
	}
}

// nextPollWait is the wait after a poll: the interval after one that found changes, else
// twice the last wait, at most maxPollBackoff intervals.
func nextPollWait(last, interval time.Duration, found bool) time.Duration {
	if found {
		return interval
	}
	return min(2*last, maxPollBackoff*interval)
}

// watchResume is how a watcher goes on after the gateway shut its stream.
const watchResume = "reconnect with the last cursor received"

// jitter spreads polls over [d/2, d] so that those started together (watchers, action
// waits) do not poll together for ever.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// retryable reports whether a failed poll is worth repeating later: Nango busy, rate
// limited or away, not a request it refuses.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted:
		return true
	}
	return false
}

// catchUp pages from the last cursor sent until next_cursor is null, sending every record,
// then says caught_up.
func (w *watcher) catchUp(ctx context.Context, fresh freshness) error {
	var progress cursorProgress
	if w.hasCursor {
		progress.remember(w.cursor) // the cursor coming back is a loop too
	}
	for {
		page, err := w.pages.fetch(ctx, w.deps, w.pageKey(), fresh)
		if err != nil {
			if ctx.Err() != nil {
				return status.FromContextError(ctx.Err()).Err()
			}
			if isTooLarge(err) && w.limit > 1 {
				// As in StreamRecords: the same page, smaller, and smaller pages from now on.
				w.limit /= 2
				continue
			}
			return pageTooLarge(err, "page_size", "a single record is larger than that")
		}
		if page.hasNextCursor {
			if err := progress.next(page.nextCursor, len(page.records)); err != nil {
				return err
			}
		}
		if len(page.records) > 0 {
			last := page.records[len(page.records)-1].meta.cursor
			if last == "" {
				last = page.nextCursor
			}
			if last == "" {
				return status.Error(codes.Internal, "Nango returned a record without a cursor: the watch could not go on from it")
			}
			perMessage := max(int(w.req.GetRecordsPerMessage()), 1)
			if err := sendBatches(ctx, page.records, perMessage, false, func(batch []*gatewayv1.Record) error {
				return w.send(&gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Records{
					Records: &gatewayv1.RecordBatch{Records: batch},
				}})
			}); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return status.FromContextError(ctx.Err()).Err()
			}
			w.cursor, w.hasCursor = last, true
		}
		if !page.hasNextCursor {
			break
		}
	}
	caught := &gatewayv1.WatchCaughtUp{At: timestamppb.New(w.deps.Now())}
	if w.hasCursor {
		caught.Cursor = proto.String(w.cursor)
	}
	return w.send(&gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_CaughtUp{CaughtUp: caught}})
}

func (w *watcher) heartbeat() error {
	return w.send(&gatewayv1.WatchRecordsResponse{Event: &gatewayv1.WatchRecordsResponse_Heartbeat{Heartbeat: heartbeat(w.deps)}})
}

func (w *watcher) pageKey() pageKey {
	return pageKey{
		providerConfigKey: w.req.GetProviderConfigKey(),
		connectionID:      w.req.GetConnectionId(),
		model:             w.req.GetModel(),
		variant:           w.req.Variant,
		cursor:            w.cursor,
		hasCursor:         w.hasCursor,
		limit:             w.limit,
	}
}

// syncHook is what a webhook must say for a watcher to fetch.
// matches reports whether body is a successful sync webhook for the watched model: a
// failed run changed nothing, and other models and connections are not watched. A
// webhook that names no variant matches every variant.
func (w *watcher) matches(ev eventbus.Event) bool {
	p := w.deps.events.get(ev)
	if !p.parse() {
		return false
	}
	k := p.keys
	return k.typ == "sync" && k.syncSucceeded &&
		k.providerConfigKey == w.req.GetProviderConfigKey() && k.connectionID == w.req.GetConnectionId() &&
		k.model == w.req.GetModel() && (k.syncVariant == "" || baseVariant(k.syncVariant) == w.variant)
}

// baseVariant is Nango's name of a variant: "" is the base sync.
func baseVariant(v string) string {
	if v == "" {
		return "base"
	}
	return v
}

// pageKey names one upstream page request.
type pageKey struct {
	providerConfigKey, connectionID, model string
	variant                                *string
	cursor                                 string
	hasCursor                              bool
	limit                                  int32
}

func (k pageKey) comparable() pageMapKey {
	m := pageMapKey{k.providerConfigKey, k.connectionID, k.model, "", false, k.cursor, k.hasCursor, k.limit}
	if k.variant != nil {
		m.variant, m.hasVariant = *k.variant, true
	}
	return m
}

type pageMapKey struct {
	providerConfigKey, connectionID, model string
	variant                                string
	hasVariant                             bool
	cursor                                 string
	hasCursor                              bool
	limit                                  int32
}

// freshness says which fetches a watcher may take the page of: one started after it was
// told of webhook seq (or of a later one), and not before since.
type freshness struct {
	seq   uint64
	since time.Time
}

// sharedPages lets the watchers of one replica share upstream fetches: watchers of the
// same model at the same cursor that need the same change get the page of one request,
// the same immutable bytes for each.
type sharedPages struct {
	mu    sync.Mutex
	calls map[pageMapKey][]*sharedPage
}

func newSharedPages() *sharedPages { return &sharedPages{calls: map[pageMapKey][]*sharedPage{}} }

// sharedPage is one fetch, in flight or done.
type sharedPage struct {
	done    chan struct{}
	page    rawPage
	err     error
	seq     uint64
	started time.Time
	// Guarded by sharedPages.mu.
	finished  time.Time // zero while in flight
	waiters   int
	abandoned bool
	cancel    context.CancelFunc
}

func (p *sharedPage) serves(f freshness) bool {
	return !p.abandoned && p.seq >= f.seq && !p.started.Before(f.since)
}

// fetch returns the page of key: from a fetch another watcher started that is fresh
// enough, or from a new one. The request runs until every watcher waiting for it has
// left, whichever of them started it.
func (s *sharedPages) fetch(ctx context.Context, d Deps, key pageKey, fresh freshness) (rawPage, error) {
	mk := key.comparable()
	now := time.Now()
	s.mu.Lock()
	s.sweepLocked(now)
	var call *sharedPage
	for _, c := range s.calls[mk] {
		if c.serves(fresh) {
			call = c
			break
		}
	}
	if call == nil {
		// The request keeps the caller's values (trace, client) but not its end: another
		// watcher may still need the page.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		call = &sharedPage{done: make(chan struct{}), seq: fresh.seq, started: now, cancel: cancel}
		s.calls[mk] = append(s.calls[mk], call)
		go s.run(fctx, d, key, mk, call)
	}
	call.waiters++
	s.mu.Unlock()

	select {
	case <-call.done:
		s.mu.Lock()
		call.waiters--
		s.mu.Unlock()
		return call.page, call.err
	case <-ctx.Done():
		s.mu.Lock()
		call.waiters--
		if call.waiters == 0 && call.finished.IsZero() {
			call.abandoned = true
			call.cancel()
		}
		s.mu.Unlock()
		return rawPage{}, ctx.Err()
	}
}

func (s *sharedPages) run(ctx context.Context, d Deps, key pageKey, mk pageMapKey, call *sharedPage) {
	req := &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: key.providerConfigKey,
		ConnectionId:      key.connectionID,
		Model:             key.model,
		Variant:           key.variant,
		Limit:             proto.Int32(key.limit),
	}
	if key.hasCursor {
		req.Cursor = proto.String(key.cursor)
	}
	page, err := fetchRecordsPage(ctx, d, req)
	call.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	call.page, call.err = page, err
	call.finished = time.Now()
	if err != nil || call.abandoned {
		s.removeLocked(mk, call) // a failure is not kept: the next watcher asks again
	}
	close(call.done)
}

// sweepLocked forgets pages kept longer than sharedPageKeep.
func (s *sharedPages) sweepLocked(now time.Time) {
	for mk, calls := range s.calls {
		for _, c := range calls {
			if !c.finished.IsZero() && now.Sub(c.finished) > sharedPageKeep {
				s.removeLocked(mk, c)
			}
		}
	}
}

func (s *sharedPages) removeLocked(mk pageMapKey, call *sharedPage) {
	calls := s.calls[mk]
	for i, c := range calls {
		if c == call {
			calls = append(calls[:i:i], calls[i+1:]...)
			break
		}
	}
	if len(calls) == 0 {
		delete(s.calls, mk)
	} else {
		s.calls[mk] = calls
	}
}
