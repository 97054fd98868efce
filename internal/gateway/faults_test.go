package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// faultRoute is a call on the HTTP face: relayed at Nango's path, or a /v1 stream.
type faultRoute struct {
	name, method, target, body string
	idempotent                 bool // may reach Nango more than once under a fault
}

var faultRoutes = []faultRoute{
	{name: "relayed read", method: http.MethodGet, target: "/connections", idempotent: true},
	{name: "relayed write", method: http.MethodPost, target: "/sync/trigger", body: `{"syncs":[],"provider_config_key":"github","connection_id":"conn-github-1"}`},
	{name: "relayed records page", method: http.MethodGet, target: "/records?model=GithubIssue", idempotent: true},
	{name: "relayed proxy", method: http.MethodGet, target: "/proxy/user/repos", idempotent: true},
	{name: "/v1 records stream", method: http.MethodGet, target: "/v1/records/stream?model=GithubIssue", idempotent: true},
}

// faultWant is how the HTTP face answers a route under a fault: the status and, when set,
// Nango's error code, or a 200 stream that ends with an error line.
type faultWant struct {
	status    int
	code      string
	errorLine bool
}

// The same upstream faults as the gRPC matrix, through the simulator's fault hooks, on
// each face of HTTP: the relay hands back what Nango answered (its 429, its 5xx, its HTML
// page, a body it did not check) and says what Nango did not answer in Nango's envelope
// (503 unreachable, 504 too slow, 502 too large); the /v1 record stream answers like a
// call before its first record and with an error line after it. No write that is not
// idempotent reaches Nango twice, and no call is left talking to Nango.
func TestHTTPFacesAnswerEachUpstreamFaultWithASensibleStatus(t *testing.T) {
	relayed := func(w faultWant) func(faultRoute) faultWant { return func(faultRoute) faultWant { return w } }
	tests := []struct {
		name  string
		fault simulator.Fault
		want  func(faultRoute) faultWant
	}{
		{"429 storm", simulator.Fault{Status: 429, Header: http.Header{"Retry-After": {"0"}}},
			relayed(faultWant{status: 429, code: "too_many_request"})},
		{"503 burst", simulator.Fault{Status: 503, Code: "server_error"},
			relayed(faultWant{status: 503, code: "server_error"})},
		{"HTML error page", simulator.Fault{Status: 502, Body: []byte(`<html><body><h1>502 Bad Gateway</h1></body></html>`), Header: http.Header{"Content-Type": {"text/html"}}},
			relayed(faultWant{status: 502})}, // the page itself, handed back; Nango's status on /v1
		{"reset", simulator.Fault{Reset: true},
			relayed(faultWant{status: 503, code: "service_unavailable"})},
		{"truncated JSON", simulator.Fault{Malformed: true},
			func(r faultRoute) faultWant {
				if r.name == "/v1 records stream" {
					return faultWant{status: 500, code: "server_error"} // the gateway reads this one
				}
				return faultWant{status: 200} // relayed as Nango sent it
			}},
		{"headers slower than the deadline", simulator.Fault{Latency: time.Minute, Status: 500},
			relayed(faultWant{status: 504, code: "timeout"})},
		{"body slower than the deadline", simulator.Fault{SlowBody: 20 * time.Millisecond},
			relayed(faultWant{status: 504, code: "timeout"})},
		{"answer far beyond the body limit", simulator.Fault{HugeBody: 4 << 20},
			relayed(faultWant{status: 502, code: "response_too_large"})},
		{"records cursors A B A", simulator.Fault{Method: http.MethodGet, PathPrefix: "/records", RecordPages: func(n int) (int, string) {
			return 1, []string{"A", "B"}[n%2]
		}}, func(r faultRoute) faultWant {
			if r.name == "/v1 records stream" {
				return faultWant{status: 200, errorLine: true} // two records, then why it stopped
			}
			return faultWant{status: 200} // one page, or not a records route at all
		}},
		{"records empty pages with ever-new cursors", simulator.Fault{Method: http.MethodGet, PathPrefix: "/records", RecordPages: func(n int) (int, string) {
			return 0, "empty-" + strconv.Itoa(n)
		}}, func(r faultRoute) faultWant {
			if r.name == "/v1 records stream" {
				return faultWant{status: 500, code: "server_error"} // nothing to stream before it stopped
			}
			return faultWant{status: 200}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wg sync.WaitGroup
			for _, route := range faultRoutes {
				wg.Go(func() { checkHTTPFault(t, tt.fault, route, tt.want(route)) })
			}
			wg.Wait()
		})
	}
}

func checkHTTPFault(t *testing.T, fault simulator.Fault, route faultRoute, want faultWant) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	fault.Times = 1 << 20
	sim.InjectFault(fault)
	var sent, running atomic.Int32
	upstreamServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		running.Add(1)
		defer running.Add(-1)
		sim.ServeHTTP(w, r)
	}))
	defer upstreamServer.Close()
	// The caller of the relay sets no deadline: the gateway's own default for a call to
	// Nango bounds it, short here for the slow faults.
	up, err := nangohttp.New(nangohttp.Config{BaseURL: upstreamServer.URL, SecretKey: testKey, DefaultTimeout: time.Second,
		MaxResponseBytes: 256 << 10, Retry: nangohttp.RetryConfig{MaxAttempts: 3, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Error(err)
		return
	}
	defer up.CloseIdleConnections()
	base := startGatewayWithUpstream(t, up, 256<<10)

	var body io.Reader
	if route.body != "" {
		body = strings.NewReader(route.body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), route.method, base+route.target, body)
	req.Header.Set("Connection-Id", "conn-github-1")
	req.Header.Set("Provider-Config-Key", "github")
	if route.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s: %v", route.name, err)
		return
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Errorf("%s: reading the answer: %v", route.name, err)
	}
	if resp.StatusCode != want.status {
		t.Errorf("%s: status %d (%.200s), want %d", route.name, resp.StatusCode, got, want.status)
	}
	if want.code != "" {
		var e nangoError
		if json.Unmarshal(got, &e) != nil || e.Error.Code != want.code {
			t.Errorf("%s: body %.200s, want Nango's envelope with code %q", route.name, got, want.code)
		}
	}
	if want.errorLine {
		lines := bufio.NewScanner(bytes.NewReader(got))
		var last string
		for lines.Scan() {
			last = lines.Text()
		}
		if !strings.HasPrefix(last, `{"error":`) || !strings.Contains(last, "next_cursor") {
			t.Errorf("%s: last line %q, want the error that ended the stream", route.name, last)
		}
	}
	if n := sent.Load(); n == 0 {
		t.Errorf("%s: never reached Nango, so the fault was not met", route.name)
	} else if !route.idempotent && n > 1 && fault.Status != 429 {
		t.Errorf("%s: not idempotent, reached Nango %d times", route.name, n)
	}
	for deadline := time.Now().Add(5 * time.Second); running.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // the upstream handler learns from its connection that the call ended
	}
	if n := running.Load(); n > 0 {
		t.Errorf("%s: %d requests to Nango still running after the answer", route.name, n)
	}
}
