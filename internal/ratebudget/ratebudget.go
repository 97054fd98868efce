package ratebudget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// Defaults of Options.
const (
	DefaultBucket = "NANGO_RATE_BUDGET"
	// key is the one key of the bucket: the account's window.
	key = "window"
	// maxCAS bounds the compare-and-set attempts of one lease; each lost race
	// means another replica got points, so many in a row is a store in
	// trouble, not contention.
	maxCAS = 32
	// maxWindow bounds a window whose reset is not known yet: Nango's is 60s.
	maxWindow = 61 * time.Second
)

// Options configures Open and New.
type Options struct {
	// URL is the NATS server list, as EVENT_BUS_URL; Open only.
	URL string
	// Bucket is the key-value bucket's name; default DefaultBucket. Gateways
	// in front of different Nango accounts need different buckets.
	Bucket string
	// Replicas is the bucket's replica count in a NATS cluster; default 1.
	Replicas int
	// ConnectOptions are added to the connection's options; Open only.
	ConnectOptions []nats.Option
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is a nangohttp.SharedBudget on a JetStream key-value bucket.
type Store struct {
	nc     *nats.Conn
	owned  bool // Open made nc, so Close closes it
	js     jetstream.JetStream
	bucket jetstream.KeyValueConfig
	now    func() time.Time

	mu sync.Mutex
	kv jetstream.KeyValue // nil until the bucket is created
}

var _ nangohttp.SharedBudget = (*Store)(nil)

// Open connects to NATS. The bucket is created on first use, so a NATS that
// is away at start only sends the first leases to the local fallback.
func Open(opts Options) (*Store, error) {
	if opts.URL == "" {
		return nil, errors.New("ratebudget: a NATS URL is required")
	}
	connect := append([]nats.Option{
		nats.Name("nango-gateway rate budget"),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
	}, opts.ConnectOptions...)
	nc, err := nats.Connect(opts.URL, connect...)
	if err != nil {
		// The URL may hold credentials: it is not repeated here.
		return nil, fmt.Errorf("ratebudget: connect to NATS: %w", err)
	}
	s, err := New(nc, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New keeps the budget on a connection the caller already holds (the event bus's):
// one connection, one reconnect loop per replica. Closing the Store leaves nc open.
func New(nc *nats.Conn, opts Options) (*Store, error) {
	if opts.Bucket == "" {
		opts.Bucket = DefaultBucket
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("ratebudget: JetStream: %w", err)
	}
	return &Store{nc: nc, js: js, now: opts.Now, bucket: jetstream.KeyValueConfig{
		Bucket:      opts.Bucket,
		Description: "Nango's rate-limit window shared by the gateway's replicas",
		History:     1,
		// The key is rewritten at every lease; a bucket left alone is stale.
		TTL:      10 * time.Minute,
		Storage:  jetstream.MemoryStorage,
		Replicas: max(opts.Replicas, 1),
	}}, nil
}

// Close closes the connection Open made.
func (s *Store) Close() {
	if s.owned {
		s.nc.Close()
	}
}

// errDisconnected fails a lease at once while NATS is away, instead of
// letting it wait for its deadline in the reconnect buffer.
var errDisconnected = errors.New("ratebudget: NATS connection is not up")

func (s *Store) kvBucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, s.bucket)
	if err != nil {
		return nil, fmt.Errorf("ratebudget: create bucket %q: %w", s.bucket.Bucket, err)
	}
	s.kv = kv
	return kv, nil
}

// Lease implements nangohttp.SharedBudget: read the window, decide, and
// write it back only if no other replica wrote in between.
func (s *Store) Lease(ctx context.Context, w nangohttp.Window, want int) (nangohttp.Lease, error) {
	if st := s.nc.Status(); st != nats.CONNECTED {
		return nangohttp.Lease{}, fmt.Errorf("%w (%s)", errDisconnected, strings.ToLower(st.String()))
	}
	kv, err := s.kvBucket(ctx)
	if err != nil {
		return nangohttp.Lease{}, err
	}
	for range maxCAS {
		var cur *entry
		var rev uint64
		got, err := kv.Get(ctx, key)
		switch {
		case err == nil:
			rev = got.Revision()
			var e entry
			if json.Unmarshal(got.Value(), &e) == nil {
				cur = &e
			}
		case errors.Is(err, jetstream.ErrKeyNotFound):
		default:
			return nangohttp.Lease{}, fmt.Errorf("ratebudget: read the window: %w", err)
		}
		next, grant := decide(cur, w, want, s.now())
		if cur != nil && *next == *cur {
			return nangohttp.Lease{Points: grant, Window: next.window()}, nil
		}
		b, _ := json.Marshal(next)
		if rev == 0 {
			_, err = kv.Create(ctx, key, b)
		} else {
			_, err = kv.Update(ctx, key, b, rev)
		}
		switch {
		case err == nil:
			return nangohttp.Lease{Points: grant, Window: next.window()}, nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another replica leased first: decide again on its write
		default:
			return nangohttp.Lease{}, fmt.Errorf("ratebudget: write the window: %w", err)
		}
	}
	return nangohttp.Lease{}, fmt.Errorf("ratebudget: %d lost compare-and-set races in a row", maxCAS)
}

// entry is the stored window.
type entry struct {
	Limit int   `json:"limit,omitempty"` // 0 while unknown
	Reset int64 `json:"reset,omitempty"` // Unix seconds; 0 while unknown
	// Opened is when the entry was started (Unix ms): a window whose reset
	// is not known yet began at or after it.
	Opened int64 `json:"opened_ms"`
	Taken  int   `json:"taken"`
}

func (e *entry) window() nangohttp.Window {
	if e == nil {
		return nangohttp.Window{Remaining: -1}
	}
	w := nangohttp.Window{Limit: e.Limit, Reset: e.Reset, Remaining: -1}
	if e.Limit > 0 {
		w.Remaining = max(e.Limit-e.Taken, 0)
	}
	return w
}

// Margin is the points of a window of limit never leased: room for calls
// admitted in one window that reach Nango in the next, and for the second of
// rounding in Nango's reset.
func Margin(limit int) int { return max(1, limit/50) }

// decide is one lease on the stored window cur (nil when none): the entry to
// store and the points granted. When in doubt whether cur and the caller's
// view are the same window, they are taken to be: counting points twice only
// costs throughput, counting them in the wrong window costs 429s.
func decide(cur *entry, w nangohttp.Window, want int, now time.Time) (next *entry, grant int) {
	nowMS := now.UnixMilli()
	fresh := &entry{Limit: w.Limit, Reset: w.Reset, Opened: nowMS}
	var e entry
	switch {
	case cur == nil, stale(cur, w, now):
		e = *fresh
	case older(w, cur):
		// The fleet has moved on from the caller's window: nothing to take
		// from it, and the caller learns the current one.
		c := *cur
		return &c, 0
	default:
		e = *cur
		if w.Limit > 0 {
			e.Limit = w.Limit
		}
		if w.Reset > e.Reset {
			e.Reset = w.Reset
		}
	}
	if w.Remaining >= 0 && e.Limit > 0 {
		// Nango's own count: points spent that no lease saw.
		e.Taken = max(e.Taken, e.Limit-w.Remaining)
	}
	if want > 0 {
		if e.Limit == 0 {
			grant = 1 // the limit is not known yet: one probe at a time, counted
		} else if left := e.Limit - Margin(e.Limit) - e.Taken; left > 0 {
			// A tenth of the limit at most, a quarter of what is left near
			// the end, so the last points go to whoever needs them.
			grant = min(left, max(1, min(e.Limit/10, left/4)))
		}
	}
	e.Taken += grant
	return &e, grant
}

// stale reports that cur is a window over by the caller's view, so a new one
// starts from nothing.
func stale(cur *entry, w nangohttp.Window, now time.Time) bool {
	switch {
	case w.Reset > 0 && cur.Reset > 0:
		return w.Reset > cur.Reset+1 // ±1: Nango's reset is rounded
	case w.Reset > 0:
		return now.UnixMilli() >= cur.Opened+maxWindow.Milliseconds()
	case w.After > 0 && cur.Reset > 0:
		return cur.Reset <= w.After+1
	case w.After > 0:
		// Started a second or more before the caller's old window surely
		// ended: it counted points of that window, or of an earlier one.
		return cur.Opened < w.After*1000
	}
	// The caller knows nothing yet: only the clock can tell.
	if cur.Reset > 0 {
		return now.Unix() > cur.Reset
	}
	return now.UnixMilli() >= cur.Opened+maxWindow.Milliseconds()
}

// older reports that the caller's window is over by the fleet's count: the
// stored window began after it ended.
func older(w nangohttp.Window, cur *entry) bool {
	switch {
	case w.Reset > 0 && cur.Reset > 0:
		return w.Reset < cur.Reset-1
	case w.Reset > 0:
		return cur.Opened >= (w.Reset+2)*1000
	}
	return false
}
