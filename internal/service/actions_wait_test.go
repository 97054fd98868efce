package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/durationpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// arrival is one request Nango received: when, and what it answered.
type arrival struct {
	method, path string
	at           time.Time
	status       int
}

// arrivals records every upstream request with its time and answer status, which the
// simulator's own record leaves out and the polling rules are about.
type arrivals struct {
	// onPost, when set before the first request, runs as a POST arrives; afterPost once
	// Nango has answered it, before the answer goes back.
	onPost, afterPost func()

	mu   sync.Mutex
	list []arrival
}

func (a *arrivals) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if r.Method == http.MethodPost && a.onPost != nil {
			a.onPost()
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if r.Method == http.MethodPost && a.afterPost != nil {
			a.afterPost()
		}
		a.mu.Lock()
		a.list = append(a.list, arrival{method: r.Method, path: r.URL.EscapedPath(), at: at, status: sw.status})
		a.mu.Unlock()
	})
}

func (a *arrivals) all() []arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]arrival(nil), a.list...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// waitSetup says how the gateway in front of the simulator hears of finished actions.
type waitSetup struct {
	// webhooks: the simulator posts its webhooks to the gateway's webhook handler, which
	// publishes them on the bus (Nango's on_async_action_completion setting on).
	webhooks bool
	// asyncWebhooksOff: on_async_action_completion is off, so no async_action webhook comes
	// (other webhooks still do).
	asyncWebhooksOff bool
	// noBus: the gateway has no event bus at all, so it cannot expect a webhook.
	noBus         bool
	actionDelay   time.Duration
	actionWaitMax time.Duration
}

type waitHarness struct {
	*harness
	client   gatewayv1.ActionsServiceClient
	bus      *eventbus.Memory
	arrivals *arrivals
}

// newWaitHarness is a seeded gateway whose event bus is fed the way production feeds it:
// Nango (the simulator) posts signed webhooks to the webhook handler, which publishes them.
func newWaitHarness(t *testing.T, setup waitSetup) *waitHarness {
	t.Helper()
	bus := webhooksMemoryBus(t)
	handler, err := webhooks.NewHandler(webhooks.HandlerOptions{Bus: bus, SigningKey: webhooksTestKey})
	if err != nil {
		t.Fatal(err)
	}
	hookServer := httptest.NewServer(handler)
	t.Cleanup(hookServer.Close)
	opts := simulator.Options{
		APIKey: testAPIKey, Seed: true, AsyncActionDelay: setup.actionDelay, WebhookSigningKey: webhooksTestKey,
		AsyncActionWebhooksOff: setup.asyncWebhooksOff,
	}
	if setup.webhooks {
		opts.WebhookURL = hookServer.URL
	}
	sim := simulator.New(opts)
	t.Cleanup(sim.Close) // waits for its deliveries
	rec := &arrivals{}
	upstreamServer := httptest.NewServer(rec.wrap(sim))
	t.Cleanup(upstreamServer.Close)
	upstream, err := nangohttp.New(nangohttp.Config{BaseURL: upstreamServer.URL, SecretKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	deps := service.Deps{Upstream: upstream, Bus: bus, WebhookSigningKey: webhooksTestKey, ActionWaitMax: setup.actionWaitMax}
	if setup.noBus {
		deps.Bus = nil
	}
	h := newHarnessWithDeps(t, sim, deps)
	return &waitHarness{harness: h, client: gatewayv1.NewActionsServiceClient(h.conn), bus: bus, arrivals: rec}
}

func waitRequest(t *testing.T, action, input string, pollInterval time.Duration) *gatewayv1.TriggerActionAndWaitRequest {
	t.Helper()
	req := &gatewayv1.TriggerActionAndWaitRequest{ProviderConfigKey: sarpIntegration, ConnectionId: sarpConnection, ActionName: action}
	if pollInterval > 0 {
		req.PollInterval = durationpb.New(pollInterval)
	}
	if input != "" {
		req.Input = actionsValue(t, input)
	}
	return req
}

// wantTriggeredOnce checks the one POST /action/trigger that queued the action: the SDK's
// async request, sent once.
func wantTriggeredOnce(t *testing.T, h *waitHarness, wantBody string) {
	t.Helper()
	var posts []simulator.RecordedRequest
	for _, r := range h.sim.Requests() {
		if r.Method == http.MethodPost {
			posts = append(posts, r)
		}
	}
	if len(posts) != 1 {
		t.Fatalf("Nango got %d POSTs, want exactly 1", len(posts))
	}
	wantRoute(t, posts[0], "POST", "/action/trigger", "")
	sarpHeader(t, posts[0], "X-Async", "true", true)
	sarpHeader(t, posts[0], "Connection-Id", sarpConnection, true)
	sarpHeader(t, posts[0], "Provider-Config-Key", sarpIntegration, true)
	wantGatewayKey(t, posts[0])
	wantJSON(t, posts[0].Body, wantBody)
}

func TestTriggerActionAndWaitReturnsTheResultOnceTheWebhookArrives(t *testing.T) {
	h := newWaitHarness(t, waitSetup{webhooks: true, actionDelay: 300 * time.Millisecond})
	const pollInterval = 5 * time.Minute // no poll can explain the answer
	var header, trailer metadata.MD
	start := time.Now()
	got, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "create-issue", `{"title":"Awaited"}`, pollInterval),
		grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("TriggerActionAndWait: %v", err)
	}
	if time.Since(start) >= pollInterval {
		t.Fatal("answered no sooner than the first poll")
	}
	id := got.GetId()
	if id == "" || got.GetOutput().GetStructValue().GetFields()["title"].GetStringValue() != "Awaited" {
		t.Fatalf("answer = %v", got)
	}
	if v := header.Get(service.MetadataActionID); len(v) != 1 || v[0] != id {
		t.Errorf("header %s = %v, want [%s]", service.MetadataActionID, v, id)
	}
	if v := trailer.Get(service.MetadataActionID); len(v) != 1 || v[0] != id {
		t.Errorf("trailer %s = %v, want [%s]", service.MetadataActionID, v, id)
	}

	wantTriggeredOnce(t, h, `{"action_name":"create-issue","input":{"title":"Awaited"}}`)
	reqs := h.sim.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Nango got %d requests, want the trigger and one GET after the webhook", len(reqs))
	}
	wantRoute(t, reqs[1], "GET", "/action/"+id, "")
	wantGatewayKey(t, reqs[1])
	if a := h.arrivals.all(); a[1].status != http.StatusOK || a[1].at.Sub(a[0].at) < 300*time.Millisecond {
		t.Errorf("the GET came %s after the trigger and got %d; want after the action finished, answered 200", a[1].at.Sub(a[0].at), a[1].status)
	}
}

// The wait subscribes before it triggers: a webhook published before Nango's 202 reaches
// the gateway is not missed.
func TestTriggerActionAndWaitHearsAWebhookThatBeatsNangosAnswer(t *testing.T) {
	h := newWaitHarness(t, waitSetup{webhooks: true, actionDelay: -1})
	published, err := h.bus.Subscribe(rpcCtx(t), eventbus.FromNow(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer published.Close()
	h.arrivals.afterPost = func() {
		for ev := range published.Events() {
			if strings.Contains(string(ev.Body), `"async_action"`) {
				return
			}
		}
	}
	got, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "echo", `{"fast":true}`, 5*time.Minute))
	if err != nil {
		t.Fatalf("TriggerActionAndWait: %v", err)
	}
	wantJSON(t, []byte(actionsJSON(t, got.GetOutput())), `{"fast":true}`)
	if n := len(h.sim.Requests()); n != 2 {
		t.Errorf("Nango got %d requests, want the trigger and one GET", n)
	}
}

func TestTriggerActionAndWaitPollsWhenNoWebhookComes(t *testing.T) {
	tests := []struct {
		name  string
		setup waitSetup
		// firstPollAfter is the least time between the trigger and the first poll.
		firstPollAfter time.Duration
	}{
		{"on_async_action_completion off", waitSetup{webhooks: true, asyncWebhooksOff: true, actionDelay: 700 * time.Millisecond}, 100 * time.Millisecond},
		{"webhook URL elsewhere", waitSetup{actionDelay: 700 * time.Millisecond}, 100 * time.Millisecond},
		{"no event bus: polls from the start", waitSetup{noBus: true, actionDelay: 700 * time.Millisecond}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newWaitHarness(t, tt.setup)
			var header metadata.MD
			got, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "echo", `{"n":1}`, 100*time.Millisecond), grpc.Header(&header))
			if err != nil {
				t.Fatalf("TriggerActionAndWait: %v", err)
			}
			wantJSON(t, []byte(actionsJSON(t, got.GetOutput())), `{"n":1}`)
			if v := header.Get(service.MetadataActionID); len(v) != 1 || v[0] != got.GetId() {
				t.Errorf("header %s = %v, want [%s]", service.MetadataActionID, v, got.GetId())
			}
			wantTriggeredOnce(t, h, `{"action_name":"echo","input":{"n":1}}`)

			a := h.arrivals.all()
			polls := a[1:]
			if len(polls) < 2 {
				t.Fatalf("%d poll(s), want 404s then 200", len(polls))
			}
			if gap := polls[0].at.Sub(a[0].at); gap < tt.firstPollAfter {
				t.Errorf("first poll %s after the trigger, want at least %s", gap, tt.firstPollAfter)
			}
			for i, p := range polls {
				want := http.StatusNotFound
				if i == len(polls)-1 {
					want = http.StatusOK
				}
				if p.method != "GET" || p.path != "/action/"+got.GetId() || p.status != want {
					t.Errorf("poll %d = %s %s → %d, want GET /action/%s → %d", i, p.method, p.path, p.status, got.GetId(), want)
				}
				if i > 0 {
					// Backoff: never sooner than the poll interval; 7 s bounds the doubling.
					if gap := p.at.Sub(polls[i-1].at); gap < 100*time.Millisecond || gap > 7*time.Second {
						t.Errorf("poll %d came %s after the previous one", i, gap)
					}
				}
			}
			if len(polls) > 6 {
				t.Errorf("%d polls in about 700ms: no backoff", len(polls))
			}
		})
	}
}

func TestTriggerActionAndWaitPastItsDeadlineLeavesTheIDToFetchTheResultLater(t *testing.T) {
	h := newWaitHarness(t, waitSetup{webhooks: true, actionDelay: 1500 * time.Millisecond})
	finished, err := h.bus.Subscribe(rpcCtx(t), eventbus.FromNow(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer finished.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var header metadata.MD
	_, err = h.client.TriggerActionAndWait(ctx, waitRequest(t, "create-issue", `{"title":"Later"}`, 0), grpc.Header(&header))
	wantCode(t, err, codes.DeadlineExceeded, "")
	ids := header.Get(service.MetadataActionID)
	if len(ids) != 1 || ids[0] == "" {
		t.Fatalf("header %s = %v, want the action's id", service.MetadataActionID, ids)
	}
	wantTriggeredOnce(t, h, `{"action_name":"create-issue","input":{"title":"Later"}}`)

	// The action goes on; its webhook says when the result is there.
	heard := false
	for ev := range finished.Events() {
		if heard = strings.Contains(string(ev.Body), ids[0]); heard {
			break
		}
	}
	if !heard {
		t.Fatalf("no webhook for action %s: %v", ids[0], finished.Err())
	}
	got, err := h.client.GetAsyncActionResult(rpcCtx(t), &gatewayv1.GetAsyncActionResultRequest{Id: ids[0]})
	if err != nil {
		t.Fatalf("GetAsyncActionResult: %v", err)
	}
	if got.GetOutput().GetStructValue().GetFields()["title"].GetStringValue() != "Later" {
		t.Fatalf("output = %v", got.GetOutput())
	}
}

func TestTriggerActionAndWaitWithoutADeadlineStopsAtTheServerCap(t *testing.T) {
	h := newWaitHarness(t, waitSetup{actionDelay: time.Minute, actionWaitMax: 300 * time.Millisecond})
	var header metadata.MD
	_, err := h.client.TriggerActionAndWait(t.Context(), waitRequest(t, "echo", `{}`, 0), grpc.Header(&header))
	st := wantCode(t, err, codes.DeadlineExceeded, nangohttp.ReasonDeadlineExceeded)
	ids := header.Get(service.MetadataActionID)
	if len(ids) != 1 || !strings.Contains(st.Message(), ids[0]) || !strings.Contains(st.Message(), "ACTION_WAIT_MAX") {
		t.Fatalf("message %q, header %v: want the id and the cap named", st.Message(), ids)
	}
	ei, _ := nangohttp.ErrorInfoFrom(err)
	if ei.GetMetadata()["action_id"] != ids[0] {
		t.Errorf("ErrorInfo metadata = %v, want action_id %s", ei.GetMetadata(), ids[0])
	}
}

func TestTriggerActionAndWaitReturnsTheErrorOfAFailedAction(t *testing.T) {
	tests := []struct {
		name, input string
		code        codes.Code
		reason      string
		httpStatus  int
	}{
		{"script failure", `{"message":"boom"}`, codes.Internal, "action_script_failure", http.StatusInternalServerError},
		{"provider HTTP error", `{"message":"boom","status":424}`, codes.FailedPrecondition, "script_http_error", http.StatusFailedDependency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newWaitHarness(t, waitSetup{webhooks: true, actionDelay: 100 * time.Millisecond})
			var trailer metadata.MD
			_, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "fail", tt.input, 5*time.Minute), grpc.Trailer(&trailer))
			wantUpstreamError(t, err, tt.code, tt.reason, tt.httpStatus)
			if len(trailer.Get(service.MetadataActionID)) != 1 {
				t.Errorf("trailer = %v, want the action's id", trailer)
			}
			wantTriggeredOnce(t, h, `{"action_name":"fail","input":`+tt.input+`}`)
			// A GET answered 5xx may be retried by the upstream client, as for any read.
			for _, r := range h.sim.Requests()[1:] {
				if r.Method != "GET" || !strings.HasPrefix(r.Path, "/action/") {
					t.Errorf("request %s %s, want only GET /action/{id} after the trigger", r.Method, r.Path)
				}
			}
		})
	}
}

func TestTriggerActionAndWaitIgnoresWebhooksOfOtherActions(t *testing.T) {
	h := newWaitHarness(t, waitSetup{actionDelay: 400 * time.Millisecond})
	// Published while Nango queues the action, so after the gateway subscribed: another
	// action's webhook and a sync webhook, neither of which may end the wait.
	h.arrivals.onPost = func() {
		for _, body := range []string{
			`{"connectionId":"` + sarpConnection + `","from":"nango","payload":{"id":"` + actionsUnknownID + `","statusUrl":"/action/` + actionsUnknownID + `"},"providerConfigKey":"` + sarpIntegration + `","type":"async_action"}`,
			`{"connectionId":"` + sarpConnection + `","from":"nango","model":"M","providerConfigKey":"` + sarpIntegration + `","success":true,"syncName":"s","type":"sync"}`,
		} {
			webhooksPublish(t, h.bus, body)
		}
	}
	const pollInterval = 200 * time.Millisecond
	got, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "echo", `{}`, pollInterval))
	if err != nil {
		t.Fatalf("TriggerActionAndWait: %v", err)
	}
	a := h.arrivals.all()
	for _, p := range a[1:] {
		if p.path != "/action/"+got.GetId() {
			t.Errorf("polled %s, want only /action/%s", p.path, got.GetId())
		}
	}
	if gap := a[1].at.Sub(a[0].at); gap < pollInterval {
		t.Errorf("first GET %s after the trigger: a webhook of another action ended the wait for the poll interval", gap)
	}
}

func TestTriggerActionAndWaitEndsWithTheIDWhenTheGatewayShutsDown(t *testing.T) {
	h := newWaitHarness(t, waitSetup{actionDelay: time.Minute})
	// The bus closes, as on shutdown, once the wait has subscribed and Nango queues the action.
	h.arrivals.onPost = func() { _ = h.bus.Close() }
	var header metadata.MD
	_, err := h.client.TriggerActionAndWait(rpcCtx(t), waitRequest(t, "echo", `{}`, 5*time.Minute), grpc.Header(&header))
	st := wantCode(t, err, codes.Unavailable, service.ReasonShuttingDown)
	ids := header.Get(service.MetadataActionID)
	if len(ids) != 1 || !strings.Contains(st.Message(), ids[0]) {
		t.Fatalf("message %q, header %v: want the action's id in both", st.Message(), ids)
	}
	wantTriggeredOnce(t, h, `{"action_name":"echo","input":{}}`)
	if n := len(h.sim.Requests()); n != 1 {
		t.Errorf("Nango got %d requests, want only the trigger", n)
	}
}
