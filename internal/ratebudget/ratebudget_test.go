package ratebudget

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

var t0 = time.Unix(1_800_000_000, 0)

func known(limit int, reset int64, remaining int) nangohttp.Window {
	return nangohttp.Window{Limit: limit, Reset: reset, Remaining: remaining}
}

func TestDecide(t *testing.T) {
	reset := t0.Unix() + 30
	opened := t0.UnixMilli()
	tests := []struct {
		name      string
		cur       *entry
		w         nangohttp.Window
		want      int
		now       time.Time
		grant     int
		wantEntry entry
	}{
		{"the first lease of a known window starts it and takes a tenth of the limit",
			nil, known(100, reset, -1), 5, t0, 10, entry{Limit: 100, Reset: reset, Opened: opened, Taken: 10}},
		{"Nango's remaining counts points no lease saw",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 10}, known(100, reset, 70), 5, t0, 10,
			entry{Limit: 100, Reset: reset, Opened: opened, Taken: 40}},
		{"a reset one second apart is the same window (Nango rounds it)",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 10}, known(100, reset+1, -1), 1, t0, 10,
			entry{Limit: 100, Reset: reset + 1, Opened: opened, Taken: 20}},
		{"blocks shrink to a quarter of what is left near the end",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 86}, known(100, reset, -1), 50, t0, 3,
			entry{Limit: 100, Reset: reset, Opened: opened, Taken: 89}},
		{"the margin is never leased",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 97}, known(100, reset, -1), 5, t0, 1,
			entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}},
		{"a spent window grants nothing",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}, known(100, reset, -1), 5, t0, 0,
			entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}},
		{"a newer window replaces the stored one",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}, known(100, reset+60, 99), 5, t0.Add(31 * time.Second), 10,
			entry{Limit: 100, Reset: reset + 60, Opened: t0.Add(31 * time.Second).UnixMilli(), Taken: 11}},
		{"a caller still in a window the fleet left gets nothing and learns the new one",
			&entry{Limit: 100, Reset: reset + 60, Opened: opened, Taken: 5}, known(100, reset, -1), 5, t0, 0,
			entry{Limit: 100, Reset: reset + 60, Opened: opened, Taken: 5}},
		{"a rolled caller joins the window another replica started after its old one",
			&entry{Limit: 100, Opened: (reset + 1) * 1000, Taken: 10}, nangohttp.Window{Limit: 100, After: reset, Remaining: -1}, 5, time.Unix(reset+2, 0), 10,
			entry{Limit: 100, Opened: (reset + 1) * 1000, Taken: 20}},
		{"a rolled caller joins the window whose reset another replica learnt",
			&entry{Limit: 100, Reset: reset + 60, Opened: (reset + 1) * 1000, Taken: 10}, nangohttp.Window{Limit: 100, After: reset, Remaining: -1}, 5, time.Unix(reset+2, 0), 10,
			entry{Limit: 100, Reset: reset + 60, Opened: (reset + 1) * 1000, Taken: 20}},
		{"a rolled caller starts afresh over the window it knows is over",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}, nangohttp.Window{Limit: 100, After: reset, Remaining: -1}, 5, time.Unix(reset+1, 0), 10,
			entry{Limit: 100, Opened: (reset + 1) * 1000, Taken: 10}},
		{"before the limit is known each lease is one counted probe",
			nil, nangohttp.Window{Remaining: -1}, 5, t0, 1, entry{Opened: opened, Taken: 1}},
		{"the probes are counted once the limit is learnt",
			&entry{Opened: opened, Taken: 3}, known(30, reset, 28), 5, t0, 3, entry{Limit: 30, Reset: reset, Opened: opened, Taken: 6}},
		{"a new replica joins the live window without probing",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 50}, nangohttp.Window{Remaining: -1}, 5, t0, 10,
			entry{Limit: 100, Reset: reset, Opened: opened, Taken: 60}},
		{"a new replica does not join a window over by the clock",
			&entry{Limit: 100, Reset: reset, Opened: opened, Taken: 98}, nangohttp.Window{Remaining: -1}, 5, time.Unix(reset+1, 0), 1,
			entry{Opened: (reset + 1) * 1000, Taken: 1}},
		{"telling a window takes nothing",
			nil, known(100, reset, 90), 0, t0, 0, entry{Limit: 100, Reset: reset, Opened: opened, Taken: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, grant := decide(tt.cur, tt.w, tt.want, tt.now)
			if grant != tt.grant || *next != tt.wantEntry {
				t.Errorf("decide = %+v, %d; want %+v, %d", *next, grant, tt.wantEntry, tt.grant)
			}
		})
	}
}

func open(t *testing.T, url string, now func() time.Time) *Store {
	t.Helper()
	s, err := Open(Options{URL: url, Bucket: "TEST_BUDGET", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Several replicas racing for the same window through their own connections are
// never granted the same point: together they get exactly the limit less the margin.
func TestConcurrentLeasersNeverShareAPoint(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	now := func() time.Time { return t0 }
	const limit, replicas, goroutines = 200, 3, 4
	w := known(limit, t0.Unix()+30, -1)
	var mu sync.Mutex
	granted, races := 0, 0
	var wg sync.WaitGroup
	for range replicas {
		s := open(t, srv.URL(), now)
		for range goroutines {
			wg.Go(func() {
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					l, err := s.Lease(ctx, w, 1)
					cancel()
					if err != nil {
						mu.Lock()
						races++
						mu.Unlock()
						t.Error(err)
						return
					}
					if l.Points == 0 {
						return
					}
					mu.Lock()
					granted += l.Points
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if want := limit - Margin(limit); granted != want {
		t.Errorf("granted %d points in all, want exactly %d (limit %d less margin %d)", granted, want, limit, Margin(limit))
	}
}

// A replica whose window rolled learns the new window's reset from the fleet.
func TestLeaseTeachesTheWindowAnotherReplicaLearnt(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	clock := time.Unix(t0.Unix()+61, 0)
	now := func() time.Time { return clock }
	a, b := open(t, srv.URL(), now), open(t, srv.URL(), now)
	ctx := context.Background()
	old := t0.Unix() + 60
	if _, err := a.Lease(ctx, nangohttp.Window{Limit: 50, After: old, Remaining: -1}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lease(ctx, known(50, old+60, 40), 0); err != nil {
		t.Fatal(err)
	}
	l, err := b.Lease(ctx, nangohttp.Window{Limit: 50, After: old, Remaining: -1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.Window.Reset != old+60 || l.Points != 5 || l.Window.Remaining != 50-15 {
		t.Errorf("lease = %+v, want 5 points of the window resetting at %d with 35 left", l, old+60)
	}
}

// With NATS away a lease fails at once, so the governor falls back to its local share
// instead of holding calls for the lease's deadline.
func TestLeaseFailsAtOnceWhileNATSIsAway(t *testing.T) {
	srv := natstest.Run(t, t.TempDir())
	disconnected := make(chan struct{}, 1)
	s, err := Open(Options{URL: srv.URL(), Bucket: "TEST_BUDGET", ConnectOptions: []nats.Option{
		nats.DisconnectErrHandler(func(*nats.Conn, error) { disconnected <- struct{}{} }),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Lease(context.Background(), known(10, time.Now().Unix()+30, -1), 1); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	<-disconnected
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began := time.Now()
	if _, err := s.Lease(ctx, known(10, time.Now().Unix()+30, -1), 1); err == nil {
		t.Fatal("lease succeeded with NATS away")
	}
	if waited := time.Since(began); waited > 5*time.Second {
		t.Errorf("lease failed after %v, want at once", waited)
	}
}
