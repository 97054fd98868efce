package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

func init() {
	Register(Scenario{Name: "unary", Run: runUnary})
	Register(Scenario{Name: "request-body", Run: runRequestBody})
}

// unaryConcurrency is how many calls every client keeps in flight.
const unaryConcurrency = 32

// unaryPageSize is the call every client makes: listRecords of ten records, a small read
// that is all round trip.
const unaryPageSize = 10

// load is what one client achieved.
type load struct {
	rps float64
	p50 time.Duration
}

// runUnary compares, at the same concurrency and against the same upstream, a bare
// httputil.ReverseProxy (what a team would put in front of Nango in ten lines) with the
// gateway's gRPC API and its REST face. Each runs twice, best kept.
func runUnary(ctx context.Context, env Env) ([]Figure, error) {
	duration, rounds := 4*time.Second, 2
	if env.Size == Tiny {
		duration, rounds = 300*time.Millisecond, 1
	}
	up, err := startRecordsUpstream(1000)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	target, err := url.Parse(up.URL)
	if err != nil {
		return nil, err
	}
	proxyLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	proxy := &http.Server{Handler: httputil.NewSingleHostReverseProxy(target), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = proxy.Serve(proxyLis) }()
	defer proxy.Close()

	gw, err := startGateway(ctx, up.URL)
	if err != nil {
		return nil, err
	}
	defer gw.Stop()
	conn, err := grpc.NewClient(gw.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	records := gatewayv1.NewRecordsServiceClient(conn)
	grpcReq := &gatewayv1.ListRecordsRequest{
		ProviderConfigKey: benchIntegration, ConnectionId: benchConnection, Model: benchModel,
		Limit: proto.Int32(unaryPageSize),
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: unaryConcurrency, MaxConnsPerHost: unaryConcurrency}}
	defer client.CloseIdleConnections()
	restCall := func(addr string) func(context.Context) error {
		u := fmt.Sprintf("http://%s/records/?model=%s&limit=%d", addr, benchModel, unaryPageSize)
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+benchSecretKey)
			req.Header.Set("Connection-Id", benchConnection)
			req.Header.Set("Provider-Config-Key", benchIntegration)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			return err
		}
	}
	clients := []struct {
		name string
		call func(context.Context) error
	}{
		{"bare reverse proxy", restCall(proxyLis.Addr().String())},
		{"gateway gRPC", func(ctx context.Context) error {
			page, err := records.ListRecords(ctx, grpcReq)
			if err == nil && len(page.GetRecords()) != unaryPageSize {
				err = fmt.Errorf("%d records, want %d", len(page.GetRecords()), unaryPageSize)
			}
			return err
		}},
		{"gateway REST face", restCall(gw.HTTPAddr)},
	}
	best := make([]load, len(clients))
	for round := 0; round < rounds; round++ {
		for i, c := range clients {
			l, err := runLoad(ctx, c.call, duration)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.name, err)
			}
			fmt.Fprintf(env.Log, "  %s: %.0f req/s, p50 %v\n", c.name, l.rps, l.p50)
			if l.rps > best[i].rps {
				best[i] = l
			}
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	const anchor = "reverse proxy"
	return []Figure{
		{Name: "unary ListRecords, gRPC", Unit: "req/s", Gateway: best[1].rps, AnchorName: anchor, Anchor: best[0].rps, Target: 1.2},
		{Name: "unary ListRecords, REST face", Unit: "req/s", Gateway: best[2].rps, AnchorName: anchor, Anchor: best[0].rps, Target: 1.0},
		{Name: "unary p50 latency, gRPC", Unit: "ms", Gateway: ms(best[1].p50), AnchorName: anchor, Anchor: ms(best[0].p50), Better: LowerIsBetter, Target: 1.0},
		{Name: "unary p50 latency, REST face", Unit: "ms", Gateway: ms(best[2].p50), AnchorName: anchor, Anchor: ms(best[0].p50), Better: LowerIsBetter, Target: 1.0},
	}, nil
}

// runLoad keeps unaryConcurrency calls in flight for d (after a short warm-up) and
// returns the rate and the median latency.
func runLoad(ctx context.Context, call func(context.Context) error, d time.Duration) (load, error) {
	if err := loadFor(ctx, call, d/4, nil); err != nil {
		return load{}, err
	}
	var latencies []time.Duration
	start := time.Now()
	if err := loadFor(ctx, call, d, &latencies); err != nil {
		return load{}, err
	}
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return load{}, fmt.Errorf("no call finished")
	}
	slices.Sort(latencies)
	return load{rps: float64(len(latencies)) / elapsed.Seconds(), p50: latencies[len(latencies)/2]}, nil
}

func loadFor(ctx context.Context, call func(context.Context) error, d time.Duration, latencies *[]time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range unaryConcurrency {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				t := time.Now()
				if err := call(ctx); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			if latencies != nil {
				*latencies = append(*latencies, mine...)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return firstErr
}

// runRequestBody posts one large body to a relayed route of a fresh gateway process and
// measures how much its peak memory rises above where it stood.
func runRequestBody(ctx context.Context, env Env) ([]Figure, error) {
	size := 60 * mib // under the 64 MiB default limit
	if env.Size == Tiny {
		size = 4 * mib
	}
	up, err := startRecordsUpstream(1)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	gw, err := startGateway(ctx, up.URL)
	if err != nil {
		return nil, err
	}
	defer gw.Stop()
	before, _, err := gw.Memory()
	if err != nil {
		return nil, err
	}
	body := bytes.Repeat([]byte("x"), size)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+gw.HTTPAddr+"/bench/upload", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("relayed body answered %d", resp.StatusCode)
	}
	_, peak, err := gw.Memory()
	if err != nil {
		return nil, err
	}
	rise := float64(peak-before) / mib
	fmt.Fprintf(env.Log, "  %d MiB body: RSS %.1f MiB before, peak %.1f MiB after\n", size/mib, float64(before)/mib, float64(peak)/mib)
	return []Figure{{
		Name: "gateway memory rise per relayed request body", Unit: "MiB", Gateway: max(rise, 0.01),
		AnchorName: "body size", Anchor: float64(size) / mib, Better: LowerIsBetter, Target: 2.0,
	}}, nil
}
