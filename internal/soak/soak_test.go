package soak

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const (
	secretKey  = "soak-secret-key"
	signingKey = "soak-webhook-signing-key"

	// defaultDuration keeps plain `go test ./...` quick; make test and make soak set
	// SOAK_DURATION.
	defaultDuration = 20 * time.Second
	// defaultRate is calls started per second: enough to exercise every path many
	// times per sample on a shared two-core machine without saturating it.
	defaultRate = 100
	// retainedEvents caps the event bus low, so its retention fills during warm-up and
	// eviction runs throughout: what it holds is then steady, not a slow climb to the
	// production default.
	retainedEvents = 200
	// idleConns caps the keep-alive pools, the gateway's to the simulator and the
	// driver's to the gateway. A pool keeps as many connections (and their goroutines)
	// as the largest burst so far needed, for minutes: a burst late in the run, when the
	// shared machine stalls, would pass for growth. Beyond the cap connections close and
	// open again, which the soak then exercises too.
	idleConns = 8
	// holdLimit bounds the wait for calls under way at each sample; a call that takes
	// longer is counted in the sample (the summary shows how many).
	holdLimit = 5 * time.Second
)

// settings reads SOAK_DURATION and SOAK_RATE.
func settings(t *testing.T) (time.Duration, int) {
	t.Helper()
	d, rate := defaultDuration, defaultRate
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d < 5*time.Second {
			t.Fatalf("SOAK_DURATION %q: want a Go duration of at least 5s", v)
		}
	}
	if v := os.Getenv("SOAK_RATE"); v != "" {
		var err error
		if rate, err = strconv.Atoi(v); err != nil || rate < 1 || rate > 10000 {
			t.Fatalf("SOAK_RATE %q: want calls per second, 1 to 10000", v)
		}
	}
	// Shutdown, the leak check and the wait for the last webhooks need time after the load.
	if dl, ok := t.Deadline(); ok && time.Until(dl) < d+2*time.Minute {
		t.Fatalf("SOAK_DURATION %v does not fit in go test's -timeout (%v left): raise -timeout", d, time.Until(dl).Round(time.Second))
	}
	return d, rate
}

// sampleInterval gives about thirty samples per run, at most five seconds apart.
func sampleInterval(d time.Duration) time.Duration {
	return min(max(d/30, 500*time.Millisecond), 5*time.Second)
}

// TestSoakHoldsSteadyUnderMixedTraffic runs the whole gateway under a fixed rate of
// mixed traffic for SOAK_DURATION and proves it holds: every call answers as it should,
// no handler panics, every accepted webhook reaches a subscriber that stayed for the
// whole run, goroutines, live heap, RSS and open files are flat after warm-up, Nango
// only ever sees the gateway's key, and nothing outlives shutdown.
func TestSoakHoldsSteadyUnderMixedTraffic(t *testing.T) {
	duration, rate := settings(t)
	h := startHarness(t)
	tr := &traffic{conn: h.conn, http: h.http, base: "http://" + h.srv.HTTPAddr(), signingKey: signingKey, accepted: map[[sha256.Size]byte]struct{}{}}
	loyal := subscribeForTheWholeRun(t, h.conn)

	start := time.Now()
	startSample := takeSample()
	loadCtx, stopLoad := context.WithTimeout(context.Background(), duration)
	defer stopLoad()
	readings := make(chan readings, 1)
	go func() { readings <- sampleWhileLoading(loadCtx, sampleInterval(duration), tr, h.sim) }()
	tl := newTally()
	due := tr.drive(loadCtx, rate, tl)
	r := <-readings
	loaded := time.Since(start)

	// Events reach a subscriber in order, so a count is enough.
	seen := loyal.waitFor(tr.acceptedEvents(), 30*time.Second)
	endSample := takeSample()
	loyalErr := loyal.stop()
	h.stop()
	leakErr := goleak.Find()

	// The summary first, whatever failed.
	var out strings.Builder
	writeSummary(&out, summary{
		load: duration, duration: loaded, rate: rate, due: due, tally: tl, start: startSample, end: endSample, samples: r.samples,
		upstream: r.upstream, upstreamBad: len(r.upstreamBad), posts: tr.posts, accepted: tr.acceptedEvents(), loyal: seen, events: tr.events.Load(), logs: h.logs,
	})
	t.Log("\n" + out.String())

	tl.mu.Lock()
	for _, k := range sortedKeys(tl.errors) {
		t.Errorf("unexpected answers: %s × %d", k, tl.errors[k])
	}
	for _, m := range tl.first {
		t.Errorf("  e.g. %s", m)
	}
	tl.mu.Unlock()
	if panics, errs, _, first := h.logs.counts(); panics > 0 || errs > 0 {
		t.Errorf("the gateway logged %d panics and %d errors, first: %q", panics, errs, first)
	}
	if seen != tr.acceptedEvents() {
		t.Errorf("the subscriber that stayed saw %d events, the gateway accepted %d distinct webhooks", seen, tr.acceptedEvents())
	}
	if loyalErr != nil {
		t.Errorf("the subscriber that stayed was cut off: %v", loyalErr)
	}
	if tr.acceptedEvents() == 0 || tr.events.Load() == 0 {
		t.Errorf("no webhook traffic: %d accepted, %d events to short-lived subscribers", tr.acceptedEvents(), tr.events.Load())
	}
	if r.upstream == 0 {
		t.Error("no request reached the simulator")
	}
	for i, b := range r.upstreamBad {
		if i == 5 {
			t.Errorf("… and %d more requests like these", len(r.upstreamBad)-i)
			break
		}
		t.Errorf("a request reached Nango: %s", b)
	}
	for _, c := range flatChecks(r.samples) {
		if c.err != nil {
			t.Errorf("%s: %v", c.name, c.err)
		} else if !c.v.flat {
			t.Errorf("%s grew: last third %s, middle third %s, limit %s", c.name, c.format(c.v.last), c.format(c.v.mid), c.format(c.v.limit))
		}
	}
	if leakErr != nil {
		t.Errorf("goroutines outlived shutdown: %v", leakErr)
	}
}

// harness is the gateway on loopback in front of the seeded simulator, and the clients.
type harness struct {
	sim      *simulator.Simulator
	upstream *httptest.Server
	srv      *server.Server
	conn     *grpc.ClientConn
	http     *http.Client
	logs     *logWatch
	stopOnce sync.Once
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{logs: &logWatch{}}
	// Nango's rate limit is off: the soak measures the gateway, not rate-limit waits.
	h.sim = simulator.New(simulator.Options{APIKey: secretKey, Seed: true, RateLimit: -1})
	h.upstream = httptest.NewServer(h.sim)
	t.Cleanup(h.upstream.Close)
	env := map[string]string{
		"NANGO_HOST": h.upstream.URL, "NANGO_SECRET_KEY": secretKey, "NANGO_WEBHOOK_SIGNING_KEY": signingKey,
		"EVENT_RETENTION_MAX_EVENTS": strconv.Itoa(retainedEvents), "SHUTDOWN_GRACE": "10s",
		"UPSTREAM_MAX_IDLE_CONNS": strconv.Itoa(idleConns),
	}
	cfg, err := config.Load([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--insecure-no-auth=true"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if h.srv, err = server.New(context.Background(), cfg, slog.New(h.logs)); err != nil {
		t.Fatal(err)
	}
	h.srv.Start()
	h.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: idleConns}}
	if h.conn, err = grpc.NewClient(h.srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
		h.srv.Shutdown()
		t.Fatal(err)
	}
	t.Cleanup(h.stop) // also after an early failure
	return h
}

// stop shuts the gateway down and closes every client and the upstream.
func (h *harness) stop() {
	h.stopOnce.Do(func() {
		h.srv.Shutdown()
		_ = h.conn.Close()
		h.http.CloseIdleConnections()
		h.upstream.Close()
		h.sim.Close()
	})
}

// loyalSubscriber stays subscribed to every event for the whole run.
type loyalSubscriber struct {
	cancel context.CancelFunc
	seen   atomic.Int64
	news   chan struct{} // a nudge after each event
	done   chan error    // why the stream ended
}

func subscribeForTheWholeRun(t *testing.T, conn *grpc.ClientConn) *loyalSubscriber {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &loyalSubscriber{cancel: cancel, news: make(chan struct{}, 1), done: make(chan error, 1)}
	stream, err := gatewayv1.NewWebhooksServiceClient(conn).StreamWebhookEvents(ctx, &gatewayv1.StreamWebhookEventsRequest{})
	if err == nil {
		_, err = stream.Header() // the subscription stands once headers arrive
	}
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		for {
			msg, err := stream.Recv()
			if err != nil {
				l.done <- err
				return
			}
			if msg.GetSequence() == 0 {
				continue // a heartbeat, not an event
			}
			l.seen.Add(1)
			select {
			case l.news <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

// waitFor waits, at most limit, until the subscriber has seen n events, and returns how
// many it saw.
func (l *loyalSubscriber) waitFor(n int64, limit time.Duration) int64 {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for l.seen.Load() < n {
		select {
		case <-l.news:
		case <-timer.C:
			return l.seen.Load()
		case err := <-l.done:
			l.done <- err // for stop
			return l.seen.Load()
		}
	}
	return l.seen.Load()
}

// stop ends the subscription and returns why it had ended if not by stop.
func (l *loyalSubscriber) stop() error {
	l.cancel()
	if err := <-l.done; status.Code(err) != codes.Canceled {
		return err
	}
	return nil
}

// readings are what the sampler gathered while the load ran.
type readings struct {
	samples     []sample
	upstream    int      // upstream requests checked
	upstreamBad []string // those without the gateway's key, or with the caller's token
}

// sampleWhileLoading reads the process at rest every interval until ctx ends, and
// checks the requests that reached the simulator since the last sample.
func sampleWhileLoading(ctx context.Context, interval time.Duration, tr *traffic, sim *simulator.Simulator) readings {
	var r readings
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return r
		case <-tick.C:
		}
		heldAt := time.Now()
		calls, subs := tr.gate.hold(holdLimit)
		// The driver's own idle connections would only add noise to the reading.
		tr.http.CloseIdleConnections()
		smp := takeSample()
		tr.gate.release()
		smp.calls, smp.subs, smp.held = calls, subs, time.Since(heldAt)
		r.samples = append(r.samples, smp)
		// Reading then forgetting keeps the simulator's record of requests small; the
		// few that land in between go unchecked.
		reqs := sim.Requests()
		sim.ResetRequests()
		n, bad := upstreamCheck(reqs, secretKey)
		r.upstream += n
		r.upstreamBad = append(r.upstreamBad, bad...)
	}
}

// flatCheck is one of the series judged flat.
type flatCheck struct {
	name   string
	v      verdict
	err    error
	format func(float64) string
}

func flatChecks(samples []sample) []flatCheck {
	count := func(f float64) string { return strconv.Itoa(int(f)) }
	var checks []flatCheck
	add := func(name string, f func(sample) float64, a allowance, format func(float64) string) {
		v, err := judgeFlat(series(samples, f), a)
		checks = append(checks, flatCheck{name: name, v: v, err: err, format: format})
	}
	add("goroutines", func(s sample) float64 { return float64(s.goroutines) }, goroutineAllowance, count)
	add("live heap", func(s sample) float64 { return float64(s.heap) }, memoryAllowance, mib)
	if len(samples) > 0 && samples[0].rss > 0 { // no /proc: no RSS, no descriptors
		add("RSS", func(s sample) float64 { return float64(s.rss) }, memoryAllowance, mib)
		add("open files", func(s sample) float64 { return float64(s.fds) }, fdAllowance, count)
	}
	return checks
}

type summary struct {
	load        time.Duration // SOAK_DURATION
	duration    time.Duration // until the last call ended
	rate, due   int
	tally       *tally
	start, end  sample
	samples     []sample
	upstream    int
	upstreamBad int
	posts       int
	accepted    int64
	loyal       int64
	events      int64
	logs        *logWatch
}

// writeSummary prints what the run did and how the process held up.
func writeSummary(w io.Writer, s summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	s.tally.mu.Lock()
	total, errs := 0, 0
	for _, n := range s.tally.byKind {
		total += n
	}
	for _, n := range s.tally.errors {
		errs += n
	}
	fmt.Fprintf(tw, "duration\t%v of load at %d calls/s, then %v for the last calls to end\n",
		s.load, s.rate, (s.duration - s.load).Round(100*time.Millisecond))
	fmt.Fprintf(tw, "calls\t%d made (%.1f/s) of %d due; %d skipped for want of a free slot\n",
		total, float64(total)/s.load.Seconds(), s.due, s.tally.skipped.Load())
	for _, k := range kindsInOrder(s.tally.byKind) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.tally.byKind[k])
	}
	fmt.Fprintf(tw, "subscribers cut off\t%d, as too slow, told where to resume (allowed: see errCutOff)\n", s.tally.cutOff)
	fmt.Fprintf(tw, "unexpected answers\t%d\n", errs)
	for _, k := range sortedKeys(s.tally.errors) {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.tally.errors[k])
	}
	s.tally.mu.Unlock()
	fmt.Fprintf(tw, "webhooks\t%d accepted (%d distinct, the rest redelivered); %d seen by the subscriber that stayed; %d events to short-lived ones\n",
		s.posts, s.accepted, s.loyal, s.events)
	fmt.Fprintf(tw, "upstream\t%d requests checked, %d without the gateway's key or with the caller's token\n", s.upstream, s.upstreamBad)
	panics, logErrs, warns, _ := s.logs.counts()
	fmt.Fprintf(tw, "gateway logs\t%d panics, %d errors, %d warnings\n", panics, logErrs, warns)
	tw.Flush()
	msgs := s.logs.byMessage()
	for _, k := range sortedKeys(msgs) {
		fmt.Fprintf(w, "  %5d × %s\n", msgs[k], k)
	}

	third := len(s.samples) / 3
	mid := func(f func(sample) float64) float64 {
		if third == 0 {
			return 0
		}
		return median(series(s.samples[third:2*third], f))
	}
	peak := func(f func(sample) float64) float64 {
		p := 0.0
		for _, x := range s.samples {
			p = max(p, f(x))
		}
		return p
	}
	g := func(x sample) float64 { return float64(x.goroutines) }
	h := func(x sample) float64 { return float64(x.heap) }
	r := func(x sample) float64 { return float64(x.rss) }
	var held, longest time.Duration
	for _, x := range s.samples {
		held += x.held
		longest = max(longest, x.held)
	}
	fmt.Fprintf(w, "\n%d samples, every %v, each at rest (new calls held %v in all, at most %v); the first third is warm-up\n",
		len(s.samples), sampleInterval(s.load).Round(time.Millisecond), held.Round(time.Millisecond), longest.Round(time.Millisecond))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tstart\tmiddle third\tlast third\tlimit\tpeak\tend, load over\t\n")
	checks := map[string]flatCheck{}
	for _, c := range flatChecks(s.samples) {
		checks[c.name] = c
	}
	row := func(name string, f func(sample) float64, format func(float64) string) {
		last, limit := "-", "-"
		if third > 0 {
			last = format(median(series(s.samples[2*third:], f)))
		}
		if c, ok := checks[name]; ok && c.err == nil {
			limit = format(c.v.limit)
			if !c.v.flat {
				last += " GREW"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, format(f(s.start)), format(mid(f)), last, limit, format(peak(f)), format(f(s.end)))
	}
	count := func(f float64) string { return strconv.Itoa(int(f)) }
	row("goroutines", g, count)
	row("live heap", h, mib)
	if s.start.rss > 0 {
		row("RSS", r, mib)
		row("open files", func(x sample) float64 { return float64(x.fds) }, count)
	}
	row("calls under way", func(x sample) float64 { return float64(x.calls) }, count)
	row("subscribers", func(x sample) float64 { return float64(x.subs) }, count)
	tw.Flush()
}
