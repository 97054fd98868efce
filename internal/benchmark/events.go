package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

func init() {
	Register(Scenario{Name: "webhook fan-out", Run: runFanOut})
	Register(Scenario{Name: "webhook ingest", Run: runIngest})
	Register(Scenario{Name: "webhook retention", Run: runRetention})
}

// benchSigningKey signs the benchmark's webhooks; it is not a secret.
const benchSigningKey = "bench-webhook-signing-key"

// startEventGateway runs a gateway in this process on loopback ports, with env on top of
// settings that need no Nango (webhooks never reach the upstream).
func startEventGateway(ctx context.Context, env map[string]string) (*server.Server, error) {
	settings := map[string]string{
		"NANGO_HOST":                "http://127.0.0.1:9",
		"NANGO_SECRET_KEY":          "bench-secret-key",
		"NANGO_WEBHOOK_SIGNING_KEY": benchSigningKey,
		"GRPC_ADDR":                 "127.0.0.1:0",
		"HTTP_ADDR":                 "127.0.0.1:0",
		"LOG_LEVEL":                 "error",
		"SHUTDOWN_GRACE":            "2s",
		"INSECURE_NO_AUTH":          "true", // subscribers measure fan-out, not token checks
	}
	for k, v := range env {
		settings[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return settings[k] })
	if err != nil {
		return nil, err
	}
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	srv.Start()
	return srv, nil
}

// syncWebhook is a typical Nango sync webhook, numbered so that no two are duplicates.
func syncWebhook(n int) []byte {
	return fmt.Appendf(nil, `{"type":"sync","from":"nango","connectionId":"conn-%d","providerConfigKey":"github","syncName":"issues","syncVariant":"base","model":"GithubIssue","syncType":"INCREMENTAL","success":true,"modifiedAfter":"2026-12-01T10:00:00.000Z","responseResults":{"added":%d,"updated":3,"deleted":0},"startedAt":"2026-12-01T10:00:00.000Z"}`, n%97, n)
}

// poster sends signed webhooks over keep-alive connections.
type poster struct {
	url    string
	client *http.Client
}

func newPoster(httpAddr string, conns int) *poster {
	return &poster{
		url: "http://" + httpAddr + webhooks.Path,
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			DisableCompression:  true,
		}, Timeout: 30 * time.Second},
	}
}

// post sends one webhook and returns the sequence the gateway gave it.
func (p *poster) post(ctx context.Context, body []byte, signature string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set(webhooks.HeaderSignature, signature)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("webhook answered %d: %s", resp.StatusCode, answer)
	}
	var ok struct {
		Sequence uint64 `json:"sequence,string"`
	}
	if err := json.Unmarshal(answer, &ok); err != nil {
		return 0, fmt.Errorf("webhook answer %s: %w", answer, err)
	}
	return ok.Sequence, nil
}

func (p *poster) close() { p.client.CloseIdleConnections() }

// runFanOut measures the time from posting one webhook to its receipt by each of many
// StreamWebhookEvents subscribers on one gateway, spread over several client connections
// as separate programs would be. Events are posted one at a time, each once the previous
// one reached every subscriber.
func runFanOut(ctx context.Context, env Env) ([]Figure, error) {
	subscribers, conns, events := 1000, 100, 40
	if env.Size == Tiny {
		subscribers, conns, events = 10, 2, 5
	}

	srv, err := startEventGateway(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()

	clients := make([]*grpc.ClientConn, conns)
	for i := range clients {
		if clients[i], err = grpc.NewClient("passthrough:///"+srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
			return nil, err
		}
		defer clients[i].Close()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		posted   atomic.Int64  // UnixNano of the current event's POST
		current  atomic.Uint64 // the current event's sequence
		received = make(chan time.Duration, subscribers)
		failed   = make(chan error, subscribers)
		ready    sync.WaitGroup
		streams  sync.WaitGroup
	)
	ready.Add(subscribers)
	for i := range subscribers {
		conn := clients[i%conns]
		streams.Go(func() {
			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, gatewayv1.WebhooksService_StreamWebhookEvents_FullMethodName,
				grpc.ForceCodecV2(receiptCodec{}), grpc.CallContentSubtype("proto"))
			if err == nil {
				err = stream.SendMsg(&gatewayv1.StreamWebhookEventsRequest{})
			}
			if err == nil {
				err = stream.CloseSend()
			}
			if err != nil {
				failed <- err
				ready.Done()
				return
			}
			first := true
			for {
				var seq uint64
				err := stream.RecvMsg(&seq)
				if err != nil {
					if ctx.Err() == nil {
						failed <- err
					}
					if first {
						ready.Done()
					}
					return
				}
				at := time.Now()
				if first {
					// Warm-up events tell that the subscription is in place.
					first = false
					ready.Done()
				}
				if seq == current.Load() {
					received <- at.Sub(time.Unix(0, posted.Load()))
				}
			}
		})
	}
	defer streams.Wait()
	defer cancel()

	p := newPoster(srv.HTTPAddr(), 1)
	defer p.close()
	// Subscriptions start when each stream's handler runs: post warm-ups until all are in.
	allReady := make(chan struct{})
	go func() { ready.Wait(); close(allReady) }()
	var last uint64 // sequence of the last event posted
	for n := 1_000_000; ; n++ {
		body := syncWebhook(n)
		if last, err = p.post(ctx, body, webhooks.Sign(benchSigningKey, body)); err != nil {
			return nil, err
		}
		select {
		case <-allReady:
		case err := <-failed:
			return nil, err
		case <-time.After(100 * time.Millisecond):
			continue
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		break
	}
	time.Sleep(200 * time.Millisecond) // let the warm-up deliveries settle

	latencies := make([]time.Duration, 0, subscribers*events)
	cpu := processCPU()
	for n := range events {
		body := syncWebhook(n)
		sig := webhooks.Sign(benchSigningKey, body)
		// The bus is this gateway's own, in memory: sequences follow one another.
		current.Store(last + uint64(n) + 1)
		posted.Store(time.Now().UnixNano())
		if _, err := p.post(ctx, body, sig); err != nil {
			return nil, err
		}
		for range subscribers {
			select {
			case d := <-received:
				latencies = append(latencies, d)
			case err := <-failed:
				return nil, err
			case <-time.After(30 * time.Second):
				return nil, errors.New("an event did not reach every subscriber within 30 s")
			}
		}
		time.Sleep(20 * time.Millisecond) // events apart, as webhooks arrive
	}
	cpu = processCPU() - cpu
	slices.Sort(latencies)
	p50, p99 := percentile(latencies, 0.50), percentile(latencies, 0.99)
	fmt.Fprintf(env.Log, "fan-out: %d subscribers on %d connections, %d events: p50 %v p99 %v max %v; CPU (gateway and subscribers) %.1f µs per delivery\n",
		subscribers, conns, events, p50, p99, latencies[len(latencies)-1], float64(cpu.Microseconds())/float64(len(latencies)))
	name := fmt.Sprintf("webhook fan-out to %d subscribers on %d connections, POST to receipt", subscribers, conns)
	return []Figure{
		{Name: name + ", p50", Unit: "ms", Gateway: ms(p50), Better: LowerIsBetter, Target: 20},
		{Name: name + ", p99", Unit: "ms", Gateway: ms(p99), Better: LowerIsBetter, Target: 20},
	}, nil
}

// receiptCodec is the subscribers' codec: it sends requests as protobuf and reads of each
// StreamWebhookEventsResponse only its sequence. A receipt is the message's arrival;
// decoding the rest is each subscriber's own work, done on its own machine.
type receiptCodec struct{}

func (receiptCodec) Name() string { return "proto" }

func (receiptCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (receiptCodec) Unmarshal(data mem.BufferSlice, v any) error {
	seq, ok := v.(*uint64)
	if !ok {
		return fmt.Errorf("receiptCodec reads into *uint64, not %T", v)
	}
	var b []byte
	if len(data) == 1 {
		b = data[0].ReadOnlyData()
	} else {
		b = data.Materialize()
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.VarintType {
			*seq, n = protowire.ConsumeVarint(b)
			return protowire.ParseError(min(n, 0))
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return errors.New("no sequence in the message")
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runIngest measures signed webhooks accepted per second, with events kept in memory and
// on JetStream (a NATS server embedded in this process, storing on disk).
func runIngest(ctx context.Context, env Env) ([]Figure, error) {
	duration := 3 * time.Second
	if env.Size == Tiny {
		duration = 300 * time.Millisecond
	}
	memory, err := measureIngest(ctx, env.Log, nil, duration)
	if err != nil {
		return nil, fmt.Errorf("in memory: %w", err)
	}
	fmt.Fprintf(env.Log, "ingest in memory: %.0f events/s\n", memory)

	dir, err := os.MkdirTemp("", "bench-jetstream-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	nats, err := startNATS(dir)
	if err != nil {
		return nil, err
	}
	defer func() { nats.Shutdown(); nats.WaitForShutdown() }()
	jetstream, err := measureIngest(ctx, env.Log, map[string]string{"EVENT_BUS_URL": nats.ClientURL()}, duration)
	if err != nil {
		return nil, fmt.Errorf("on JetStream: %w", err)
	}
	fmt.Fprintf(env.Log, "ingest on JetStream: %.0f events/s\n", jetstream)
	return []Figure{
		{Name: "signed-webhook ingest, in memory", Unit: "events/s", Gateway: memory, Better: HigherIsBetter, Target: 10_000},
		{Name: "signed-webhook ingest, JetStream", Unit: "events/s", Gateway: jetstream, Better: HigherIsBetter, Target: 2_000},
	}, nil
}

// ingestConcurrency is how many webhooks are in flight at once, as from Nango's workers.
const ingestConcurrency = 32

func measureIngest(ctx context.Context, log io.Writer, env map[string]string, duration time.Duration) (float64, error) {
	srv, err := startEventGateway(ctx, env)
	if err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	p := newPoster(srv.HTTPAddr(), ingestConcurrency)
	defer p.close()

	// Bodies are signed beforehand: signing is Nango's work, not the gateway's.
	const distinct = 1 << 14
	bodies := make([][]byte, distinct)
	sigs := make([]string, distinct)
	for i := range bodies {
		bodies[i] = syncWebhook(i)
		sigs[i] = webhooks.Sign(benchSigningKey, bodies[i])
	}
	// Warm the connections up before the clock starts.
	for i := range ingestConcurrency {
		if _, err := p.post(ctx, bodies[i], sigs[i]); err != nil {
			return 0, err
		}
	}
	var next atomic.Int64
	next.Store(ingestConcurrency)
	var (
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
	)
	cpu := processCPU()
	start := time.Now()
	deadline := start.Add(duration)
	for range ingestConcurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				// Past the distinct bodies, a number in the body keeps each one new.
				body, sig := bodies[i%distinct], sigs[i%distinct]
				if i >= distinct {
					body = syncWebhook(int(i))
					sig = webhooks.Sign(benchSigningKey, body)
				}
				if _, err := p.post(ctx, body, sig); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu
	if firstErr != nil {
		return 0, firstErr
	}
	n := float64(next.Load() - ingestConcurrency)
	fmt.Fprintf(log, "ingest: %.0f events in %v; CPU (gateway, bus and posters) %.1f µs per event\n", n, elapsed.Round(time.Millisecond), float64(cpu.Microseconds())/n)
	return n / elapsed.Seconds(), nil
}

// startNATS runs a JetStream-enabled NATS server in this process on a loopback port.
func startNATS(storeDir string) (*natsserver.Server, error) {
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host:      "127.0.0.1",
		Port:      natsserver.RANDOM_PORT,
		JetStream: true,
		StoreDir:  storeDir,
		NoLog:     true,
		NoSigs:    true,
	})
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("the NATS server did not start")
	}
	return ns, nil
}

// runRetention posts 300 webhooks of 1 MB to a gateway whose in-memory retention is
// bounded to 32 MiB, with one subscriber reading along, and reports how much the Go heap
// grew: it must stay near the bound, not near the 300 MB posted.
func runRetention(ctx context.Context, env Env) ([]Figure, error) {
	const (
		bodySize = 1_000_000
		bound    = 32 << 20
	)
	count := 300
	if env.Size == Tiny {
		count = 10
	}
	srv, err := startEventGateway(ctx, map[string]string{
		"EVENT_RETENTION_MAX_BYTES": strconv.Itoa(bound),
		"WEBHOOK_MAX_BODY_BYTES":    strconv.Itoa(2 << 20),
	})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	conn, err := grpc.NewClient("passthrough:///"+srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The subscriber resumes after its last sequence whenever it is cut off for falling
	// behind, as a client should.
	var (
		lastSeen atomic.Uint64
		cutOffs  atomic.Int64
		subErr   = make(chan error, 1)
		started  = make(chan struct{})
	)
	go func() {
		req := &gatewayv1.StreamWebhookEventsRequest{}
		for first := true; ; first = false {
			stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, gatewayv1.WebhooksService_StreamWebhookEvents_FullMethodName,
				grpc.ForceCodecV2(receiptCodec{}), grpc.CallContentSubtype("proto"))
			if err == nil {
				err = stream.SendMsg(req)
			}
			if first {
				close(started)
			}
			for err == nil {
				var seq uint64
				if err = stream.RecvMsg(&seq); err == nil {
					lastSeen.Store(seq)
				}
			}
			if status.Code(err) != codes.ResourceExhausted {
				subErr <- err
				return
			}
			cutOffs.Add(1)
			req = &gatewayv1.StreamWebhookEventsRequest{Start: &gatewayv1.StreamWebhookEventsRequest_AfterSequence{AfterSequence: lastSeen.Load()}}
		}
	}()
	<-started

	p := newPoster(srv.HTTPAddr(), 1)
	defer p.close()
	records := forwardRecords(bodySize)
	before := heapInUse()
	var peak atomic.Uint64
	sampled := make(chan struct{})
	sampling, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(sampled)
		for sampling.Err() == nil {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var last uint64
	for i := range count {
		body := forwardWebhook(i, records)
		if last, err = p.post(ctx, body, webhooks.Sign(benchSigningKey, body)); err != nil {
			stopSampling()
			return nil, err
		}
	}
	for deadline := time.Now().Add(2 * time.Minute); lastSeen.Load() < last; {
		select {
		case err := <-subErr:
			stopSampling()
			return nil, fmt.Errorf("subscriber: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stopSampling()
			return nil, errors.New("the subscriber did not reach the last event within 2 minutes")
		}
	}
	stopSampling()
	<-sampled
	peakGrown := float64(int64(peak.Load())-int64(before)) / (1 << 20)
	grown := float64(int64(heapInUse())-int64(before)) / (1 << 20)
	fmt.Fprintf(env.Log, "retention: %d webhooks of %d bytes, bound %d MiB: heap %.1f MiB above the start after GC, peak %.1f MiB (garbage included); subscriber cut off and resumed %d times\n",
		count, bodySize, bound>>20, grown, peakGrown, cutOffs.Load())
	return []Figure{{
		Name: fmt.Sprintf("heap kept after %d webhooks of 1 MB, EVENT_RETENTION_MAX_BYTES=32 MiB", count),
		// The bound, the window of prepared events the subscribers share, and slack.
		Unit: "MiB", Gateway: max(grown, 0.01), Better: LowerIsBetter, Target: 2 * bound >> 20,
	}}, nil
}

// forwardRecords is the payload of a large forward: records up to about size bytes.
func forwardRecords(size int) []byte {
	b := []byte{'['}
	for i := 0; len(b) < size-200; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"objectId":%d,"propertyName":"lifecyclestage","propertyValue":"customer","changeSource":"CRM_UI"}`, i)
	}
	return append(b, ']')
}

// forwardWebhook is a provider webhook forwarded by Nango with records as its payload,
// numbered so that no two are duplicates.
func forwardWebhook(n int, records []byte) []byte {
	b := fmt.Appendf(nil, `{"type":"forward","from":"hubspot","connectionId":"conn-%d","providerConfigKey":"hubspot","payload":`, n)
	b = append(b, records...)
	return append(b, '}')
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
