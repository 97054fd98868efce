package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus/natstest"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// The shape of the failover run: how often webhooks are sent, and when the faults come,
// counted in webhooks sent, so they fall while webhooks arrive whatever the machine's
// speed. The producer goes on until failoverTail webhooks after the last fault.
const (
	failoverInterval       = 8 * time.Millisecond
	failoverResumeAt       = 40  // a subscriber of A disconnects and resumes
	failoverLateAt         = 80  // a subscriber joins B after a sequence it was given
	failoverNodeStopAt     = 110 // the NATS server leading the stream stops
	failoverGatewayAt      = 200 // gateway B shuts down
	failoverNodeReturnAt   = 260 // that NATS server comes back
	failoverClientNodeAt   = 320 // the NATS server gateway A is connected to stops
	failoverTail           = 100
	failoverStream         = "FAILOVER"
	failoverGrace          = 3 * time.Second
	failoverUnlimitedSends = 1 << 30
)

// Two gateways on a three-node NATS cluster with an R3 stream lose one NATS server (the
// stream's leader), then gateway B, then — once the first server is back — the NATS
// server gateway A is connected to, while webhooks arrive and subscribers stream. Every
// webhook answered 2xx reaches every subscriber exactly once past where it started or
// resumed, with the sequence its answer named: the subscriber that disconnects and
// resumes, the one that starts after a given sequence, and B's subscribers, which resume
// on A after their last sequence. None of them, reading as fast as it can, is cut off as
// too slow when its consumer is recreated. A webhook answered otherwise may be missing
// (its sender knows and delivers it again), but is never delivered twice.
func TestFailoverDeliversEveryAcceptedWebhookOnceToEverySubscriber(t *testing.T) {
	cluster := natstest.RunCluster(t, 3, t.TempDir())
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: testKey}))
	defer upstream.Close()
	startReplica := func() *failoverReplica {
		cfg := testConfig(t, upstream.URL, testKey)
		cfg.ShutdownGrace = failoverGrace
		cfg.EventBusURL, cfg.EventBusStream, cfg.EventBusStreamReplicas = cluster.URL(), failoverStream, 3
		srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		srv.Start()
		return &failoverReplica{srv: srv, conn: dial(t, srv), down: make(chan struct{})}
	}
	a, b := startReplica(), startReplica()
	defer a.srv.Shutdown()
	bStopped := false
	defer func() {
		if !bStopped {
			b.srv.Shutdown()
		}
	}()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var subsDone sync.WaitGroup
	defer subsDone.Wait()
	defer cancel()
	subscribe := func(name string, home *failoverReplica, after uint64) *failoverSubscriber {
		s := &failoverSubscriber{name: name, home: home, fallback: a, start: after, last: after,
			seen: map[string]uint64{}, stands: make(chan struct{}), notify: make(chan struct{}, 1)}
		subsDone.Add(1)
		go func() { defer subsDone.Done(); s.run(ctx) }()
		waitClosed(t, s.stands, name+"'s subscription to stand")
		return s
	}
	subs := []*failoverSubscriber{
		subscribe("a1", a, 0),
		subscribe("a-resumer", a, 0),
		subscribe("b1", b, 0),
		subscribe("b2", b, 0),
	}
	resumer := subs[1]

	p := newFailoverProducer(a, b)
	defer p.client.CloseIdleConnections()
	go p.run()
	defer func() { p.sendUntil(0); <-p.done }() // also when the test stops early

	waitClosed(t, p.sentAtLeast(failoverResumeAt), "webhooks to arrive")
	resumer.disconnect()

	waitClosed(t, p.sentAtLeast(failoverLateAt), "webhooks to arrive")
	lateAfter := p.highestAccepted()
	subs = append(subs, subscribe("late-on-b", b, lateAfter))

	waitClosed(t, p.sentAtLeast(failoverNodeStopAt), "webhooks to arrive")
	stopped := cluster.WaitStreamLeader(t, failoverStream)
	cluster.Stop(stopped)

	waitClosed(t, p.sentAtLeast(failoverGatewayAt), "webhooks to arrive")
	// Marked down first, so B's subscribers go to A when their streams end.
	close(b.down)
	began := time.Now()
	b.srv.Shutdown()
	bStopped = true
	// The grace period bounds a shutdown (the orchestrator kills the process after its
	// own): not even a subscription whose consumer is being recreated may hold it up.
	if took := time.Since(began); took > failoverGrace+5*time.Second {
		t.Errorf("gateway B took %s to shut down, grace %s", took, failoverGrace)
	}

	waitClosed(t, p.sentAtLeast(failoverNodeReturnAt), "webhooks to arrive")
	cluster.Restart(t, stopped)
	cluster.WaitReady(t)

	waitClosed(t, p.sentAtLeast(failoverClientNodeAt), "webhooks to arrive")
	// B is gone: the one client connection left is A's.
	aNode := cluster.ClientNode()
	if aNode < 0 {
		t.Fatal("gateway A has no NATS connection")
	}
	cluster.Stop(aNode)
	p.sendUntil(p.sentCount() + failoverTail)

	waitClosed(t, p.done, "the producer to finish")
	accepted, refused := p.outcome()
	t.Logf("%d webhooks answered 2xx, %d refused, %d deliveries failed and were made again; highest sequence %d",
		len(accepted), len(refused), p.redeliveries, p.highestAccepted())
	if p.redeliveries == 0 {
		t.Error("no delivery failed: the faults came after the webhooks")
	}
	if sent := p.sentCount(); len(accepted) < sent/2 {
		t.Fatalf("only %d of %d webhooks were answered 2xx: %v", len(accepted), sent, refused)
	}

	// Each subscriber must end up with every accepted webhook past its start.
	for _, s := range subs {
		s.waitFor(t, accepted)
	}
	cancel()
	subsDone.Wait()

	for _, s := range subs {
		s.check(t, accepted, p.sent())
	}
	if resumer.connections() < 2 {
		t.Errorf("a-resumer connected %d times, want a resumption", resumer.connections())
	}
	for _, s := range subs[2:] { // B's subscribers
		if s.connectionsTo(a) == 0 {
			t.Errorf("%s never resumed on A after B stopped", s.name)
		}
	}
}

// failoverReplica is one gateway of the run.
type failoverReplica struct {
	srv  *Server
	conn *grpc.ClientConn
	down chan struct{} // closed before it shuts down
}

func (r *failoverReplica) isDown() bool {
	select {
	case <-r.down:
		return true
	default:
		return false
	}
}

// failoverSubscriber streams webhook events the way a client of the gateway should:
// when a stream ends it resumes after the last sequence it received, on its home
// replica, or on the fallback once home is down.
type failoverSubscriber struct {
	name           string
	home, fallback *failoverReplica
	start          uint64 // the resume point it was started with

	stands chan struct{} // closed once its first subscription stands
	notify chan struct{} // signalled after each event

	mu         sync.Mutex
	last       uint64
	seen       map[string]uint64 // webhook id → sequence
	violations []string          // duplicates and sequences out of order
	conns      map[*failoverReplica]int
	dropStream context.CancelFunc
	cutOff     []string // streams ended as too slow
}

func (s *failoverSubscriber) run(ctx context.Context) {
	standing := sync.OnceFunc(func() { close(s.stands) })
	for ctx.Err() == nil {
		target := s.home
		if target.isDown() {
			target = s.fallback
		}
		s.stream(ctx, target, standing)
		select { // a stream refused while the bus elects a leader is tried again shortly
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stream runs one StreamWebhookEvents call until it ends.
func (s *failoverSubscriber) stream(ctx context.Context, r *failoverReplica, standing func()) {
	streamCtx, drop := context.WithCancel(ctx)
	defer drop()
	s.mu.Lock()
	after := s.last
	s.dropStream = drop
	s.mu.Unlock()
	stream, err := gatewayv1.NewWebhooksServiceClient(r.conn).StreamWebhookEvents(streamCtx, &gatewayv1.StreamWebhookEventsRequest{
		Start: &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: after},
	})
	if err != nil {
		return
	}
	if _, err := stream.Header(); err != nil {
		return
	}
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*failoverReplica]int{}
	}
	s.conns[r]++
	s.mu.Unlock()
	standing()
	for {
		resp, err := stream.Recv()
		if err != nil {
			if status.Code(err) == codes.ResourceExhausted {
				s.mu.Lock()
				s.cutOff = append(s.cutOff, err.Error())
				s.mu.Unlock()
			}
			return
		}
		if resp.GetSequence() == 0 {
			continue // no event: sequences start at 1 (a heartbeat, where streams send them)
		}
		id := resp.GetEvent().GetRaw().GetFields()["connectionId"].GetStringValue()
		s.mu.Lock()
		if seq := resp.GetSequence(); seq <= s.last {
			s.violations = append(s.violations, fmt.Sprintf("sequence %d (%s) after %d", seq, id, s.last))
		} else {
			s.last = seq
		}
		if prev, ok := s.seen[id]; ok {
			s.violations = append(s.violations, fmt.Sprintf("%s delivered twice, at %d and %d", id, prev, resp.GetSequence()))
		} else {
			s.seen[id] = resp.GetSequence()
		}
		s.mu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// disconnect ends the current stream as a client going away would; run resumes.
func (s *failoverSubscriber) disconnect() {
	s.mu.Lock()
	drop := s.dropStream
	s.mu.Unlock()
	drop()
}

func (s *failoverSubscriber) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		n += c
	}
	return n
}

func (s *failoverSubscriber) connectionsTo(r *failoverReplica) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[r]
}

// missing lists the accepted webhooks past the subscriber's start it has not received.
func (s *failoverSubscriber) missing(accepted map[string]uint64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for id, seq := range accepted {
		if _, ok := s.seen[id]; !ok && seq > s.start {
			missing = append(missing, id)
		}
	}
	return missing
}

// failoverCatchUp bounds the wait for a subscriber to receive everything: a consumer on
// the stopped NATS server is only replaced after two missed heartbeats (10s).
const failoverCatchUp = 45 * time.Second

// waitFor waits until the subscriber has received every accepted webhook past its start.
func (s *failoverSubscriber) waitFor(t *testing.T, accepted map[string]uint64) {
	t.Helper()
	deadline := time.After(failoverCatchUp)
	for {
		missing := s.missing(accepted)
		if len(missing) == 0 {
			return
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("%s is missing %d accepted webhooks after %s: %v", s.name, len(missing), failoverCatchUp, missing)
		}
	}
}

// check asserts what the subscriber received: every accepted webhook past its start, at
// the sequence its answer named, nothing before its start, nothing twice, nothing
// unknown, in sequence order.
func (s *failoverSubscriber) check(t *testing.T, accepted map[string]uint64, sent map[string]bool) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.violations {
		t.Errorf("%s: %s", s.name, v)
	}
	// After a consumer is recreated the events stored meanwhile arrive at once; they must
	// wait for the reader, not cut it off.
	for _, c := range s.cutOff {
		t.Errorf("%s was cut off as too slow although it reads as fast as it can: %s", s.name, c)
	}
	for id, seq := range accepted {
		got, ok := s.seen[id]
		switch {
		case seq <= s.start && ok:
			t.Errorf("%s: received %s (sequence %d), which is not past its start %d", s.name, id, got, s.start)
		case seq > s.start && got != seq:
			t.Errorf("%s: %s at sequence %d, answered with %d", s.name, id, got, seq)
		}
	}
	for id, seq := range s.seen {
		if !sent[id] {
			t.Errorf("%s: received %q (sequence %d), which nobody sent", s.name, id, seq)
		}
	}
}

// failoverProducer posts signed webhooks at a steady rate, each to one replica in turn,
// and delivers each again (to the other replica) until it is answered 2xx, as Nango does,
// for a while.
type failoverProducer struct {
	replicas []*failoverReplica
	client   *http.Client
	done     chan struct{}

	mu       sync.Mutex
	limit    int // webhooks to send
	sentN    int
	sentIDs  map[string]bool
	accepted map[string]uint64 // id → sequence of the 2xx answer
	refused  map[string]string // id → the last answer
	// redeliveries counts answers other than 2xx (and failed requests).
	redeliveries int
	waiters      []failoverWaiter
}

type failoverWaiter struct {
	n  int
	ch chan struct{}
}

func newFailoverProducer(replicas ...*failoverReplica) *failoverProducer {
	return &failoverProducer{
		replicas: replicas,
		client:   &http.Client{Timeout: 15 * time.Second},
		done:     make(chan struct{}),
		limit:    failoverUnlimitedSends,
		sentIDs:  map[string]bool{},
		accepted: map[string]uint64{},
		refused:  map[string]string{},
	}
}

func (p *failoverProducer) run() {
	defer close(p.done)
	var wg sync.WaitGroup
	tick := time.NewTicker(failoverInterval)
	defer tick.Stop()
	for i := 0; i < p.limitNow(); i++ {
		<-tick.C
		wg.Add(1)
		go func() { defer wg.Done(); p.deliver(i) }()
	}
	wg.Wait()
}

// sendUntil ends the run once n webhooks have been sent (at once if they have).
func (p *failoverProducer) sendUntil(n int) {
	p.mu.Lock()
	p.limit = n
	p.mu.Unlock()
}

func (p *failoverProducer) limitNow() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.limit
}

func (p *failoverProducer) sentCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sentN
}

// failoverRedeliveries bounds how long a webhook is delivered again.
const (
	failoverRedeliveries    = 100
	failoverRedeliveryPause = 100 * time.Millisecond
)

func (p *failoverProducer) deliver(i int) {
	id := fmt.Sprintf("failover-%04d", i)
	body := []byte(`{"from":"nango","type":"sync","connectionId":"` + id + `","providerConfigKey":"github","syncName":"s","model":"M","success":true}`)
	p.mu.Lock()
	p.sentIDs[id] = true
	p.sentN++
	for _, w := range p.waiters {
		if p.sentN == w.n {
			close(w.ch)
		}
	}
	p.mu.Unlock()

	var last string
	for attempt := range failoverRedeliveries {
		r := p.replicas[(i+attempt)%len(p.replicas)]
		seq, answer := p.post(r, body)
		if seq > 0 {
			p.mu.Lock()
			p.accepted[id] = seq
			p.mu.Unlock()
			return
		}
		last = answer
		p.mu.Lock()
		p.redeliveries++
		p.mu.Unlock()
		time.Sleep(failoverRedeliveryPause) // the sender's backoff, not synchronisation
	}
	p.mu.Lock()
	p.refused[id] = last
	p.mu.Unlock()
}

// post delivers body once; it returns the sequence of a 2xx answer, or 0 and what came back.
func (p *failoverProducer) post(r *failoverReplica, body []byte) (uint64, string) {
	req, err := http.NewRequest(http.MethodPost, "http://"+r.srv.HTTPAddr()+webhooks.Path, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooks.HeaderSignature, webhooks.Sign(testSigningKey, body))
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return 0, resp.Status + " " + string(answer)
	}
	var ok struct {
		Sequence string `json:"sequence"`
	}
	if err := json.Unmarshal(answer, &ok); err != nil {
		return 0, "2xx without a sequence: " + string(answer)
	}
	seq, err := strconv.ParseUint(ok.Sequence, 10, 64)
	if err != nil || seq == 0 {
		return 0, "2xx without a sequence: " + string(answer)
	}
	return seq, ""
}

// sentAtLeast is closed once n webhooks have been sent a first time.
func (p *failoverProducer) sentAtLeast(n int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{})
	if p.sentN >= n {
		close(ch)
	} else {
		p.waiters = append(p.waiters, failoverWaiter{n: n, ch: ch})
	}
	return ch
}

func (p *failoverProducer) highestAccepted() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var high uint64
	for _, seq := range p.accepted {
		high = max(high, seq)
	}
	return high
}

func (p *failoverProducer) outcome() (accepted map[string]uint64, refused map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	accepted, refused = map[string]uint64{}, map[string]string{}
	for id, seq := range p.accepted {
		accepted[id] = seq
	}
	for id, why := range p.refused {
		refused[id] = why
	}
	return accepted, refused
}

func (p *failoverProducer) sent() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	sent := make(map[string]bool, len(p.sentIDs))
	for id := range p.sentIDs {
		sent[id] = true
	}
	return sent
}

// waitClosed waits for ch, within a bound generous enough for a loaded machine.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
