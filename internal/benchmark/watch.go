package benchmark

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

func init() {
	Register(Scenario{Name: "watch", Run: runWatch})
}

// watchers is how many WatchRecords streams follow the same model: they share one
// upstream fetch per change.
const watchers = 10

// runWatch measures how long a change takes to reach WatchRecords watchers: from posting
// Nango's sync webhook to the gateway until every watcher has the changed records. The
// target is 1 s plus one page fetch, measured here as a ListRecords of the same page
// straight from the upstream.
func runWatch(ctx context.Context, env Env) ([]Figure, error) {
	rounds := 50
	if env.Size == Tiny {
		rounds = 3
	}
	sim := simulator.New(simulator.Options{APIKey: "bench-secret-key", Seed: true})
	upstream := httptest.NewServer(sim)
	defer upstream.Close()
	srv, err := startEventGateway(ctx, map[string]string{"NANGO_HOST": upstream.URL})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	records := gatewayv1.NewRecordsServiceClient(conn)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arrivals := make(chan time.Time, watchers*4)
	errs := make(chan error, watchers)
	for range watchers {
		stream, err := records.WatchRecords(ctx, &gatewayv1.WatchRecordsRequest{ProviderConfigKey: simulator.SeedIntegrationGitHub,
			ConnectionId: simulator.SeedConnectionGitHub, Model: simulator.SeedModelGithubRepo})
		if err != nil {
			return nil, err
		}
		go func() {
			// A change is one or more record messages and then caught_up: its arrival is
			// the first record message, reported once caught_up closes the change.
			caughtUp := false
			var first time.Time
			for {
				msg, err := stream.Recv()
				if err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				switch {
				case len(msg.GetRecords().GetRecords()) > 0 && caughtUp && first.IsZero():
					first = time.Now()
				case msg.GetCaughtUp() != nil && !caughtUp:
					caughtUp = true // the initial catch-up; changes come after it
					arrivals <- time.Time{}
				case msg.GetCaughtUp() != nil && !first.IsZero():
					arrivals <- first
					first = time.Time{}
				}
			}
		}()
	}
	if err := awaitArrivals(arrivals, errs); err != nil {
		return nil, fmt.Errorf("initial catch-up: %w", err)
	}

	post := &http.Client{Timeout: 10 * time.Second}
	var latencies, fetches []time.Duration
	for range rounds {
		hook, err := sim.ChangeRecords(simulator.SeedIntegrationGitHub, simulator.SeedConnectionGitHub, simulator.SeedSyncGithubRepos, "",
			simulator.RecordChanges{Add: 2, Update: 1})
		if err != nil {
			return nil, err
		}
		body, err := simulator.WebhookBody(hook)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+srv.HTTPAddr()+webhooks.Path, strings.NewReader(string(body)))
		req.Header.Set(webhooks.HeaderSignature, webhooks.Sign(benchSigningKey, body))
		posted := time.Now()
		resp, err := post.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("webhook answered %d", resp.StatusCode)
		}
		for range watchers {
			select {
			case at := <-arrivals:
				latencies = append(latencies, at.Sub(posted))
			case err := <-errs:
				return nil, err
			case <-time.After(30 * time.Second):
				return nil, fmt.Errorf("a watcher did not receive the change within 30 s")
			}
		}
		// One page fetch, straight from the upstream: the part of the target that is Nango's.
		fetchStart := time.Now()
		freq, _ := http.NewRequestWithContext(ctx, http.MethodGet, upstream.URL+"/records/?model="+simulator.SeedModelGithubRepo+"&limit=1000", nil)
		freq.Header.Set("Authorization", "Bearer bench-secret-key")
		freq.Header.Set("Connection-Id", simulator.SeedConnectionGitHub)
		freq.Header.Set("Provider-Config-Key", simulator.SeedIntegrationGitHub)
		fresp, err := post.Do(freq)
		if err != nil {
			return nil, err
		}
		fresp.Body.Close()
		fetches = append(fetches, time.Since(fetchStart))
	}
	slices.Sort(latencies)
	slices.Sort(fetches)
	fetch := ms(percentile(fetches, 0.5))
	fmt.Fprintf(env.Log, "  %d changes to %d watchers: p50 %v, p99 %v; one page fetch p50 %.2f ms\n",
		rounds, watchers, percentile(latencies, 0.5), percentile(latencies, 0.99), fetch)
	name := fmt.Sprintf("WatchRecords, sync webhook to %d watchers, p99 (target 1 s + one page fetch)", watchers)
	return []Figure{
		{Name: name, Unit: "ms", Gateway: ms(percentile(latencies, 0.99)), Better: LowerIsBetter, Target: 1000 + fetch},
	}, nil
}

// awaitArrivals waits for every watcher's initial catch-up.
func awaitArrivals(arrivals <-chan time.Time, errs <-chan error) error {
	for range watchers {
		select {
		case <-arrivals:
		case err := <-errs:
			return err
		case <-time.After(60 * time.Second):
			return fmt.Errorf("a watcher did not catch up within 60 s")
		}
	}
	return nil
}
