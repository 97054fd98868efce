package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

const (
	signingKey  = "whsk-current-3a1f"
	previousKey = "whsk-previous-77c2"
	syncBody    = `{"connectionId":"conn-1","from":"nango","model":"GithubIssue","providerConfigKey":"github","success":true,"syncName":"issues","type":"sync"}`
)

type request struct {
	method  string
	body    []byte
	headers map[string]string
	chunked bool // no Content-Length
}

func signed(body string) request {
	return request{method: http.MethodPost, body: []byte(body), headers: map[string]string{webhooks.HeaderSignature: webhooks.Sign(signingKey, []byte(body))}}
}

func serve(t *testing.T, h http.Handler, req request) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader = bytes.NewReader(req.body)
	if req.chunked {
		body = io.MultiReader(body) // hides the length
	}
	r := httptest.NewRequest(req.method, webhooks.Path, body)
	if req.chunked {
		r.ContentLength = -1
	}
	for k, v := range req.headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// retained returns the bodies on the bus.
func retained(t *testing.T, bus eventbus.Bus) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sub, err := bus.Subscribe(ctx, eventbus.FromOldest(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// A live event marks the end of what was retained.
	if _, _, err := bus.Publish(t.Context(), "end-marker", []byte("end"), time.Now()); err != nil {
		t.Fatal(err)
	}
	var out []string
	for ev := range sub.Events() {
		if string(ev.Body) == "end" {
			return out
		}
		out = append(out, string(ev.Body))
	}
	t.Fatalf("subscription ended: %v", sub.Err())
	return nil
}

func newHandler(t *testing.T, opts webhooks.HandlerOptions) (*webhooks.Handler, *eventbus.Memory) {
	t.Helper()
	bus := eventbus.NewMemory(eventbus.MemoryOptions{})
	t.Cleanup(func() { _ = bus.Close() })
	if opts.Bus == nil {
		opts.Bus = bus
	}
	if opts.SigningKey == "" {
		opts.SigningKey = signingKey
	}
	h, err := webhooks.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h, bus
}

func TestHandlerStatuses(t *testing.T) {
	withHeader := func(r request, k, v string) request {
		h := map[string]string{}
		for a, b := range r.headers {
			h[a] = b
		}
		h[k] = v
		r.headers = h
		return r
	}
	legacyOnly := request{method: http.MethodPost, body: []byte(syncBody), headers: map[string]string{webhooks.HeaderLegacySignature: legacySignature(signingKey, []byte(syncBody))}}
	big := `{"from":"nango","type":"forward","payload":"` + strings.Repeat("x", 200) + `"}`
	exact := `{"type":"x","pad":"` + strings.Repeat("y", 256-len(`{"type":"x","pad":""}`)) + `"}`
	tests := []struct {
		name      string
		opts      webhooks.HandlerOptions
		req       request
		status    int
		code      string // error code in the envelope
		published bool
	}{
		{"valid signature", webhooks.HandlerOptions{}, signed(syncBody), 200, "", true},
		{"upper-case hex signature", webhooks.HandlerOptions{}, withHeader(signed(syncBody), webhooks.HeaderSignature, strings.ToUpper(webhooks.Sign(signingKey, []byte(syncBody)))), 200, "", true},
		{"previous key during a rotation", webhooks.HandlerOptions{PreviousSigningKey: previousKey}, withHeader(signed(syncBody), webhooks.HeaderSignature, webhooks.Sign(previousKey, []byte(syncBody))), 200, "", true},
		{"previous key once the rotation is over", webhooks.HandlerOptions{}, withHeader(signed(syncBody), webhooks.HeaderSignature, webhooks.Sign(previousKey, []byte(syncBody))), 401, "invalid_signature", false},
		{"forged signature", webhooks.HandlerOptions{}, withHeader(signed(syncBody), webhooks.HeaderSignature, webhooks.Sign("guess", []byte(syncBody))), 401, "invalid_signature", false},
		{"body changed after signing", webhooks.HandlerOptions{}, withHeader(signed(syncBody), webhooks.HeaderSignature, webhooks.Sign(signingKey, []byte(syncBody+" "))), 401, "invalid_signature", false},
		{"missing signature", webhooks.HandlerOptions{}, request{method: http.MethodPost, body: []byte(syncBody)}, 401, "missing_signature", false},
		{"legacy signature when not enabled", webhooks.HandlerOptions{}, legacyOnly, 401, "missing_signature", false},
		{"legacy signature when enabled", webhooks.HandlerOptions{AllowLegacySignature: true}, legacyOnly, 200, "", true},
		{"forged legacy signature when enabled", webhooks.HandlerOptions{AllowLegacySignature: true}, withHeader(legacyOnly, webhooks.HeaderLegacySignature, legacySignature("guess", []byte(syncBody))), 401, "invalid_signature", false},
		{"over the limit with a Content-Length", webhooks.HandlerOptions{MaxBodyBytes: 100}, signed(big), 413, "payload_too_large", false},
		{"over the limit without a Content-Length", webhooks.HandlerOptions{MaxBodyBytes: 100}, func() request { r := signed(big); r.chunked = true; return r }(), 413, "payload_too_large", false},
		{"exactly at the limit", webhooks.HandlerOptions{MaxBodyBytes: 256}, signed(exact), 200, "", true},
		{"an unsigned oversize body is still 413", webhooks.HandlerOptions{MaxBodyBytes: 100}, request{method: http.MethodPost, body: []byte(big)}, 413, "payload_too_large", false},
		{"signed but not JSON", webhooks.HandlerOptions{}, signed(`type=sync&from=nango`), 400, "invalid_json", false},
		{"signed but truncated JSON", webhooks.HandlerOptions{}, signed(syncBody[:40]), 400, "invalid_json", false},
		// Nango signs the forward webhooks it relays, so a third party picks such a body:
		// stored, it would fail every subscriber that reaches it.
		{"signed but nested 5,000 levels", webhooks.HandlerOptions{MaxBodyBytes: 1 << 20}, signed(`{"from":"nango","type":"forward","payload":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`), 400, "invalid_json", false},
		{"unknown type passes through", webhooks.HandlerOptions{}, signed(`{"from":"nango","type":"brand_new"}`), 200, "", true},
		{"GET is not allowed", webhooks.HandlerOptions{}, request{method: http.MethodGet}, 405, "method_not_allowed", false},
		{"PUT is not allowed", webhooks.HandlerOptions{}, func() request { r := signed(syncBody); r.method = http.MethodPut; return r }(), 405, "method_not_allowed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, bus := newHandler(t, tt.opts)
			w := serve(t, h, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
			var env struct {
				Error *struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
				t.Fatalf("answer is not JSON: %s", w.Body)
			}
			switch {
			case tt.code == "" && env.Error != nil:
				t.Fatalf("unexpected error %+v", env.Error)
			case tt.code != "" && (env.Error == nil || env.Error.Code != tt.code || env.Error.Message == ""):
				t.Fatalf("error envelope = %s, want code %s", w.Body, tt.code)
			}
			if tt.status == 405 && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			got := retained(t, bus)
			if tt.published && (len(got) != 1 || got[0] != string(tt.req.body)) {
				t.Fatalf("bus holds %q, want the exact body", got)
			}
			if !tt.published && len(got) != 0 {
				t.Fatalf("a rejected webhook reached the bus: %q", got)
			}
		})
	}
}

func TestHandlerCountsRejections(t *testing.T) {
	h, _ := newHandler(t, webhooks.HandlerOptions{MaxBodyBytes: 1000})
	forged := signed(syncBody)
	forged.headers[webhooks.HeaderSignature] = webhooks.Sign("guess", []byte(syncBody))
	for _, req := range []request{
		signed(syncBody), signed(syncBody), // a delivery and Nango's retry
		forged, forged,
		{method: http.MethodPost, body: []byte(syncBody)},
		signed("not json"),
		signed(`{"pad":"` + strings.Repeat("x", 1000) + `"}`),
	} {
		serve(t, h, req)
	}
	want := webhooks.Stats{Accepted: 1, Duplicates: 1, MissingSignature: 1, InvalidSignature: 2, TooLarge: 1, InvalidJSON: 1}
	if got := h.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
	if got := h.Stats().RejectedSignatures(); got != 3 {
		t.Fatalf("RejectedSignatures = %d, want 3", got)
	}
}

func TestHandlerPublishesADuplicateDeliveryOnce(t *testing.T) {
	h, bus := newHandler(t, webhooks.HandlerOptions{})
	first := serve(t, h, signed(syncBody))
	second := serve(t, h, signed(syncBody))
	if first.Code != 200 || second.Code != 200 {
		t.Fatalf("statuses %d, %d; Nango must get 2xx for its retry too", first.Code, second.Code)
	}
	var a, b struct {
		Sequence  string
		Duplicate bool
	}
	_ = json.Unmarshal(first.Body.Bytes(), &a)
	_ = json.Unmarshal(second.Body.Bytes(), &b)
	if a.Duplicate || !b.Duplicate || a.Sequence != b.Sequence || a.Sequence != "1" {
		t.Fatalf("answers %s and %s", first.Body, second.Body)
	}
	if got := retained(t, bus); len(got) != 1 {
		t.Fatalf("bus holds %d events, want 1", len(got))
	}
}

func TestHandlerStampsReceivedAt(t *testing.T) {
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	h, bus := newHandler(t, webhooks.HandlerOptions{Now: func() time.Time { return at }})
	serve(t, h, signed(syncBody))
	sub, err := bus.Subscribe(t.Context(), eventbus.FromOldest(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ev := <-sub.Events()
	if !ev.ReceivedAt.Equal(at) || ev.ID == "" {
		t.Fatalf("event = %+v", ev)
	}
}

// blockingBus holds Publish until released, or fails it.
type blockingBus struct {
	eventbus.Bus
	entered chan struct{}
	release chan struct{}
	err     error
}

func (b *blockingBus) Publish(ctx context.Context, id string, body []byte, at time.Time) (uint64, bool, error) {
	if b.entered != nil {
		close(b.entered)
		<-b.release
	}
	if b.err != nil {
		return 0, false, b.err
	}
	return 7, false, nil
}

func TestHandlerAnswersOnlyAfterTheBusHasTheEvent(t *testing.T) {
	bus := &blockingBus{entered: make(chan struct{}), release: make(chan struct{})}
	h, _ := newHandler(t, webhooks.HandlerOptions{Bus: bus})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(t, h, signed(syncBody)) }()
	<-bus.entered
	select {
	case w := <-done:
		t.Fatalf("answered %d before Publish returned", w.Code)
	case <-time.After(50 * time.Millisecond):
	}
	close(bus.release)
	if w := <-done; w.Code != 200 {
		t.Fatalf("status = %d", w.Code)
	}
}

func TestHandlerAnswers503WhenTheBusFails(t *testing.T) {
	h, _ := newHandler(t, webhooks.HandlerOptions{Bus: &blockingBus{err: errors.New("nats: timeout")}})
	w := serve(t, h, signed(syncBody))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "event_bus_unavailable") {
		t.Fatalf("answer %d %s; Nango retries only 5xx", w.Code, w.Body)
	}
	if h.Stats().PublishFailures != 1 {
		t.Fatalf("Stats = %+v", h.Stats())
	}
}

func TestHandlerNeverLogsTheKeyOrTheBody(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, _ := newHandler(t, webhooks.HandlerOptions{Logger: logger, PreviousSigningKey: previousKey, MaxBodyBytes: 300})
	body := `{"from":"nango","secret":"body-marker-91f3","type":"auth"}`
	forged := signed(body)
	forged.headers[webhooks.HeaderSignature] = webhooks.Sign("guess", []byte(body))
	for _, req := range []request{signed(body), forged, signed("body-marker-91f3 not json"), signed(`{"x":"body-marker-91f3` + strings.Repeat("p", 300) + `"}`)} {
		serve(t, h, req)
	}
	out := logs.String()
	if out == "" {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{signingKey, previousKey, "body-marker-91f3", webhooks.Sign(signingKey, []byte(body))} {
		if strings.Contains(out, secret) {
			t.Fatalf("the log holds %q:\n%s", secret, out)
		}
	}
}

func TestNewHandlerRequiresABusAndAKey(t *testing.T) {
	bus := eventbus.NewMemory(eventbus.MemoryOptions{})
	defer bus.Close()
	if _, err := webhooks.NewHandler(webhooks.HandlerOptions{SigningKey: "k"}); err == nil {
		t.Error("no bus accepted")
	}
	if _, err := webhooks.NewHandler(webhooks.HandlerOptions{Bus: bus}); err == nil {
		t.Error("no signing key accepted")
	}
}
