package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

type nangoError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Path    []string `json:"path"`
		} `json:"errors"`
	} `json:"error"`
}

func decodeError(t *testing.T, a answer) nangoError {
	t.Helper()
	var e nangoError
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("answer %d is not Nango's error envelope: %s", a.status, a.body)
	}
	return e
}

// What Nango refuses, the relay hands back as Nango wrote it: status, body bytes and the
// headers (rate limit, CORS, content type), for routes it knows and routes it does not.
func TestRelayGivesBackNangosRefusalsByteForByte(t *testing.T) {
	tw := newTwin(t)
	calls := []struct {
		name string
		call restCall
	}{
		{"unknown route", restCall{method: "GET", target: "/nope"}},
		{"wrong method on a known route", restCall{method: "PUT", target: "/integrations"}},
		{"non-JSON content type", restCall{method: "POST", target: "/integrations", headers: map[string]string{"Content-Type": "text/plain"}, body: "x"}},
		{"unknown query parameter", restCall{method: "GET", target: "/integrations?page=2"}},
		{"invalid path id", restCall{method: "GET", target: "/integrations/bad%21key"}},
		{"invalid body field", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"bad key!"}`}},
		{"unknown body field", restCall{method: "POST", target: "/integrations", body: `{"provider":"github","unique_key":"k","nope":1}`}},
		{"malformed JSON", restCall{method: "POST", target: "/integrations", body: `{"provider":`}},
		{"missing headers on records", restCall{method: "GET", target: "/records?model=GithubIssue"}},
		{"async action id that is not a UUID", restCall{method: "GET", target: "/action/abc"}},
		{"preflight", restCall{method: "OPTIONS", target: "/connections", headers: map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			viaGateway := send(t, tw.gatewayURL, tt.call, false)
			direct := send(t, tw.directURL, tt.call, true)
			assertSameAnswer(t, viaGateway, direct)
		})
	}
}

// assertSameAnswer requires Nango's status, body bytes and every end-to-end header.
func assertSameAnswer(t *testing.T, got, want answer) {
	t.Helper()
	if got.status != want.status {
		t.Errorf("status %d through the gateway, %d from Nango", got.status, want.status)
	}
	if !bytes.Equal(got.body, want.body) {
		t.Errorf("body differs:\n gateway %s\n nango   %s", got.body, want.body)
	}
	for name := range mergeKeys(got.header, want.header) {
		if name == "Date" {
			continue
		}
		if g, w := strings.Join(got.header.Values(name), ","), strings.Join(want.header.Values(name), ","); g != w {
			t.Errorf("header %s = %q through the gateway, %q from Nango", name, g, w)
		}
	}
}

// Bodies over the limits are refused before anything is sent: Nango never sees part of a
// request.
func TestRelayRefusesBodiesOverTheLimitWithoutCallingNango(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 4096)
	big := `{"provider":"github","unique_key":"` + strings.Repeat("a", 5000) + `"}`
	tests := []struct {
		name    string
		call    restCall
		chunked bool
	}{
		{"announced length", restCall{method: "POST", target: "/integrations", body: big}, false},
		{"chunked body", restCall{method: "POST", target: "/integrations", body: big}, true},
		{"proxy body", restCall{method: "POST", target: "/proxy/x", headers: conn("conn-github-1", "github"), body: big}, false},
		{"v1 mapping body", restCall{method: "POST", target: "/v1/integrations", body: big}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetRequests()
			var got answer
			if tt.chunked {
				got = sendChunked(t, base, tt.call)
			} else {
				got = send(t, base, tt.call, false)
			}
			if got.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status = %d (%s), want 413", got.status, got.body)
			}
			if e := decodeError(t, got); e.Error.Code != "payload_too_large" || !strings.Contains(e.Error.Message, "4096 bytes") {
				t.Errorf("error = %+v, want payload_too_large naming the limit", e.Error)
			}
			if n := len(sim.Requests()); n != 0 {
				t.Errorf("Nango received %d requests, want none", n)
			}
		})
	}
}

func sendChunked(t *testing.T, base string, c restCall) answer {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.target, struct{ *strings.Reader }{strings.NewReader(c.body)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// A provider's answer over the proxy limit is the gateway's failure to relay it (502),
// not the caller's mistake.
func TestRelayProxyAnswerOverTheLimitIs502(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 4096)
	got := send(t, base, restCall{method: "GET", target: "/proxy/bytes/5000", headers: conn("conn-github-1", "github")}, false)
	if got.status != http.StatusBadGateway {
		t.Fatalf("status = %d (%s), want 502", got.status, got.body)
	}
	if e := decodeError(t, got); e.Error.Code != "response_too_large" {
		t.Errorf("code = %q, want response_too_large", e.Error.Code)
	}
}

// Only the gateway's changes reach Nango: its own key instead of the caller's credentials,
// without the caller's hop-by-hop headers; everything else, unknown headers included, as sent.
func TestRelaySendsTheCallersRequestWithOnlyTheGatewaysKey(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	req, err := http.NewRequest("GET", base+"/providers?search=git%20hub", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer caller-token")
	req.Header.Set("Cookie", "session=caller")
	req.Header.Set("Proxy-Authorization", "Basic Y2FsbGVy")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "1")
	req.Header.Set("X-Custom", "kept")
	req.Header.Set("User-Agent", "nango-node-client/0.71.10")
	got := do(t, req)
	if got.status != http.StatusOK {
		t.Fatalf("status %d: %s", got.status, got.body)
	}
	reqs := sim.Requests()
	last := reqs[len(reqs)-1]
	if last.RawQuery != "search=git%20hub" {
		t.Errorf("query = %q, want it byte for byte", last.RawQuery)
	}
	wantHeaders := map[string]string{
		"Authorization": "Bearer " + testKey, "Cookie": "", "Proxy-Authorization": "", "X-Hop": "",
		"X-Custom": "kept", "User-Agent": "nango-node-client/0.71.10",
	}
	for name, want := range wantHeaders {
		if g := last.Header.Get(name); g != want {
			t.Errorf("Nango received %s = %q, want %q", name, g, want)
		}
	}
}

// When Nango cannot be reached the caller gets an answer in Nango's envelope, not a hang.
func TestRelayAnswersInNangosEnvelopeWhenNangoIsUnreachable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	base := startGatewayAt(t, deadURL, 1<<20)
	got := send(t, base, restCall{method: "GET", target: "/integrations"}, false)
	if got.status != http.StatusServiceUnavailable {
		t.Fatalf("status = %d (%s), want 503", got.status, got.body)
	}
	decodeError(t, got)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

// Routes the gateway has no RPC for — ones Nango adds after this release, old singular
// paths — are relayed like any other: the request as sent, Nango's answer as answered.
func TestRelayForwardsRoutesNoRPCKnows(t *testing.T) {
	tests := []struct {
		name, method, target, contentType, body string
		status                                  int
		answerHeaders                           map[string]string
		answer                                  string
	}{
		{"new write route", "POST", "/some/new/feature?dry_run=true", "application/json", `{"a":{"b":[1,null]}}`,
			201, map[string]string{"Location": "/some/new/feature/7", "X-Nango-New": "yes", "Content-Type": "application/json; charset=utf-8"}, `{"id":7,"unheard_of":{"k":null}}`},
		{"old singular path", "GET", "/connection/conn-1?provider_config_key=github", "", "",
			200, map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"id":1,"credentials":{}}`},
		{"text body and answer", "PUT", "/some/new/blob", "text/plain", "raw text\x00bytes",
			200, map[string]string{"Content-Type": "text/plain"}, "ok\n"},
		{"Nango's 500 for a route it does not have", "DELETE", "/nope/at/all", "", "",
			500, map[string]string{"Content-Type": "application/json; charset=utf-8"}, `{"error":{"code":"generic_error_support","message":"An unexpected error occurred","payload":"x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotMethod, gotURI, gotType, gotBody, gotAuth string
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotMethod, gotURI, gotType, gotBody, gotAuth = r.Method, r.RequestURI, r.Header.Get("Content-Type"), string(b), r.Header.Get("Authorization")
				for k, v := range tt.answerHeaders {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.answer)
			}))
			t.Cleanup(upstream.Close)
			base := startGatewayAt(t, upstream.URL, 1<<20)
			req, err := http.NewRequest(tt.method, base+tt.target, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			req.Header.Set("Authorization", "Bearer caller")
			got := do(t, req)

			if gotMethod != tt.method || gotURI != tt.target || gotType != tt.contentType || gotBody != tt.body || gotAuth != "Bearer "+testKey {
				t.Errorf("Nango received %s %s (%q, %q, auth %q), want %s %s (%q, %q, the gateway's key)",
					gotMethod, gotURI, gotType, gotBody, gotAuth, tt.method, tt.target, tt.contentType, tt.body)
			}
			if got.status != tt.status || string(got.body) != tt.answer {
				t.Errorf("answer %d %q, Nango sent %d %q", got.status, got.body, tt.status, tt.answer)
			}
			for k, v := range tt.answerHeaders {
				if got.header.Get(k) != v {
					t.Errorf("header %s = %q, Nango sent %q", k, got.header.Get(k), v)
				}
			}
		})
	}
}

// A dot segment in a relayed path is refused before it leaves: an intermediary that
// normalises URLs would otherwise send the gateway's key to another route.
func TestRelayRefusesDotSegments(t *testing.T) {
	sim := simulator.New(simulator.Options{APIKey: testKey, Seed: true})
	base := startGateway(t, sim, 1<<20)
	for _, target := range []string{"/proxy/%2e%2e/integrations", "/connections/..?provider_config_key=github", "/proxy/a/%2E/b"} {
		t.Run(target, func(t *testing.T) {
			before := len(sim.Requests())
			got := send(t, base, restCall{method: "DELETE", target: target, headers: map[string]string{"Connection-Id": "conn-github-1", "Provider-Config-Key": "github"}}, false)
			if got.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", got.status, got.body)
			}
			decodeError(t, got)
			if len(sim.Requests()) != before {
				t.Error("Nango received the request")
			}
		})
	}
}
