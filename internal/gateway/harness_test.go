package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/nango-gateway/nango-gateway/internal/gateway"
	"github.com/nango-gateway/nango-gateway/internal/middleware"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const testKey = "rest-test-key"

// twin runs two identical seeded simulators: one behind the gateway, one called directly.
// A REST call through the gateway and the same call sent straight to Nango must give the
// same answer, and Nango must receive the same request both times.
type twin struct {
	gatewayURL string
	behind     *simulator.Simulator
	direct     *simulator.Simulator
	directURL  string
}

func fixedClock() func() time.Time {
	base := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	return func() time.Time { return base }
}

func newTwin(t *testing.T) *twin {
	t.Helper()
	opts := simulator.Options{APIKey: testKey, Seed: true, Now: fixedClock(), AsyncActionDelay: -1}
	tw := &twin{behind: simulator.New(opts), direct: simulator.New(opts)}
	directServer := httptest.NewServer(tw.direct)
	t.Cleanup(directServer.Close)
	tw.directURL = directServer.URL
	tw.gatewayURL = startGateway(t, tw.behind, 1<<20)
	return tw
}

// startGateway serves the HTTP face over a real gRPC server with every service, in front of sim.
func startGateway(t *testing.T, sim *simulator.Simulator, maxBody int64) string {
	t.Helper()
	upstreamServer := httptest.NewServer(sim)
	t.Cleanup(upstreamServer.Close)
	return startGatewayAt(t, upstreamServer.URL, maxBody)
}

// startGatewayAt serves the HTTP face in front of the Nango at upstreamURL.
func startGatewayAt(t *testing.T, upstreamURL string, maxBody int64) string {
	t.Helper()
	return startGatewayWithKey(t, upstreamURL, testKey, maxBody)
}

// startGatewayWithKey is startGatewayAt with the gateway's Nango key given.
func startGatewayWithKey(t *testing.T, upstreamURL, key string, maxBody int64) string {
	t.Helper()
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: upstreamURL, SecretKey: key, Retry: nangohttp.RetryConfig{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return startGatewayWithUpstream(t, upstream, maxBody)
}

// startGatewayWithUpstream serves the HTTP face in front of the Nango that upstream calls.
func startGatewayWithUpstream(t *testing.T, upstream *nangohttp.Client, maxBody int64) string {
	t.Helper()
	chain, err := middleware.ServerOptions(slog.New(slog.DiscardHandler), middleware.Extra{})
	if err != nil {
		t.Fatal(err)
	}
	grpcServer := grpc.NewServer(chain...)
	service.RegisterAll(grpcServer, service.Deps{Upstream: upstream, MaxProxyBodyBytes: int(maxBody)})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = grpcServer.Serve(lis) }()
	t.Cleanup(grpcServer.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), append(gateway.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	handler, err := gateway.New(context.Background(), gateway.Options{Conn: conn, Upstream: upstream, MaxBodyBytes: maxBody, ProxyMaxBodyBytes: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	rest := httptest.NewServer(handler)
	t.Cleanup(rest.Close)
	return rest.URL
}

type restCall struct {
	method  string
	target  string // path and query
	headers map[string]string
	body    string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, base string, c restCall, withKey bool) answer {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, base+c.target, body)
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+testKey)
	}
	return do(t, req)
}

// relevantHeaders are the request headers Nango acts on.
var relevantHeaders = []string{"Connection-Id", "Provider-Config-Key", "X-Async", "X-Max-Retries",
	"Base-Url-Override", "Nango-Activity-Log-Id", "Retries", "Retry-On", "Decompress", "Forward-Headers-On-Redirect"}

// sameRequest reports how two requests Nango received differ, if they do.
func sameRequest(a, b simulator.RecordedRequest) string {
	var diffs []string
	if a.Method != b.Method || a.Path != b.Path {
		diffs = append(diffs, "line: "+a.Method+" "+a.Path+" vs "+b.Method+" "+b.Path)
	}
	if !reflect.DeepEqual(normQuery(a.Query), normQuery(b.Query)) {
		diffs = append(diffs, "query: "+a.RawQuery+" vs "+b.RawQuery)
	}
	for _, h := range relevantHeaders {
		if a.Header.Get(h) != b.Header.Get(h) || len(a.Header.Values(h)) != len(b.Header.Values(h)) {
			diffs = append(diffs, "header "+h+": "+a.Header.Get(h)+" vs "+b.Header.Get(h))
		}
	}
	for k := range mergeKeys(a.Header, b.Header) {
		if strings.HasPrefix(k, "Nango-Proxy-") && a.Header.Get(k) != b.Header.Get(k) {
			diffs = append(diffs, "header "+k+": "+a.Header.Get(k)+" vs "+b.Header.Get(k))
		}
	}
	if mt(a.Header.Get("Content-Type")) != mt(b.Header.Get("Content-Type")) {
		diffs = append(diffs, "content-type: "+a.Header.Get("Content-Type")+" vs "+b.Header.Get("Content-Type"))
	}
	if !sameBody(a.Body, b.Body) {
		diffs = append(diffs, "body: "+string(a.Body)+" vs "+string(b.Body))
	}
	if a.Header.Get("Authorization") != "Bearer "+testKey {
		diffs = append(diffs, "authorization not the gateway's key")
	}
	return strings.Join(diffs, "; ")
}

func normQuery(q map[string][]string) map[string][]string {
	if len(q) == 0 {
		return nil
	}
	return q
}

func mergeKeys(a, b http.Header) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func mt(ct string) string {
	m, _, _ := mime.ParseMediaType(ct)
	return m
}

// sameBody compares JSON by value and anything else by bytes.
func sameBody(a, b []byte) bool {
	var ja, jb any
	if json.Unmarshal(a, &ja) == nil && json.Unmarshal(b, &jb) == nil {
		return reflect.DeepEqual(ja, jb)
	}
	return bytes.Equal(a, b)
}
