package service

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/eventbus"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
)

// Only a successful sync of the watched integration, connection and model (and variant,
// when the webhook names one) makes a watcher fetch.
func TestWatcherFetchesOnlyForSuccessfulSyncsOfItsModel(t *testing.T) {
	base := &gatewayv1.WatchRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "GithubIssue"}
	eu := &gatewayv1.WatchRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "GithubIssue", Variant: new("eu")}
	tests := []struct {
		name string
		req  *gatewayv1.WatchRecordsRequest
		body string
		want bool
	}{
		{"the watched model", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","syncVariant":"base","success":true}`, true},
		{"no variant named", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","success":true}`, true},
		{"a failed sync", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","success":false}`, false},
		{"no success key", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue"}`, false},
		{"another model", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubRepo","success":true}`, false},
		{"another connection", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c2","model":"GithubIssue","success":true}`, false},
		{"another integration", base, `{"type":"sync","providerConfigKey":"gitlab","connectionId":"c1","model":"GithubIssue","success":true}`, false},
		{"another variant", base, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","syncVariant":"eu","success":true}`, false},
		{"the watched variant", eu, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","syncVariant":"eu","success":true}`, true},
		{"the base of a watched variant", eu, `{"type":"sync","providerConfigKey":"github","connectionId":"c1","model":"GithubIssue","syncVariant":"base","success":true}`, false},
		{"an auth webhook", base, `{"type":"auth","providerConfigKey":"github","connectionId":"c1","success":true}`, false},
		{"not JSON", base, `{"type":"sync",`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &watcher{deps: Deps{events: newPreparedEvents(preparedMaxEvents, preparedMaxBytes)}, req: tt.req, variant: baseVariant(tt.req.GetVariant())}
			if got := w.matches(eventbus.Event{Sequence: 1, Body: []byte(tt.body)}); got != tt.want {
				t.Errorf("matches = %t, want %t", got, tt.want)
			}
		})
	}
}

// Polls that find nothing double the wait up to sixteen intervals; one that finds changes
// brings it back to the interval.
func TestPollWaitDoublesWhileNothingChangesAndResetsOnChange(t *testing.T) {
	const interval = time.Second
	wait := interval
	var got []time.Duration
	for range 6 {
		wait = nextPollWait(wait, interval, false)
		got = append(got, wait)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 16 * time.Second, 16 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	if w := nextPollWait(wait, interval, true); w != interval {
		t.Errorf("after a poll that found changes the wait is %v, want %v", w, interval)
	}
	for range 1000 {
		if j := jitter(wait); j < wait/2 || j > wait {
			t.Fatalf("jitter(%v) = %v, want within [%v, %v]", wait, j, wait/2, wait)
		}
	}
}

// The cursor-progress guard of StreamRecords applies to a watch's catch-up: a next_cursor
// that comes back, or a record without a cursor to go on from, ends the watch with
// Internal instead of fetching for ever.
func TestWatchCatchUpEndsOnACursorThatGoesNowhere(t *testing.T) {
	tests := []struct {
		name, page string
		sent       int
	}{
		{"next_cursor repeated", `{"records":[{"id":"1","_nango_metadata":{"cursor":"same"}}],"next_cursor":"same"}`, 1},
		{"the request's cursor back", `{"records":[],"next_cursor":"start"}`, 0},
		{"a record without a cursor", `{"records":[{"id":"1"}],"next_cursor":null}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) })
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(tt.page))
			}))
			t.Cleanup(srv.Close)
			upstream, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(upstream.CloseIdleConnections)
			sent := 0
			w := &watcher{
				deps:  Deps{Upstream: upstream, Now: time.Now},
				pages: newSharedPages(),
				req:   &gatewayv1.WatchRecordsRequest{ProviderConfigKey: "github", ConnectionId: "c1", Model: "GithubIssue"},
				send: func(m *gatewayv1.WatchRecordsResponse) error {
					sent += len(m.GetRecords().GetRecords())
					return nil
				},
				limit: 10, cursor: "start", hasCursor: true,
			}
			err = w.catchUp(t.Context(), freshness{since: time.Now()})
			if status.Code(err) != codes.Internal || sent != tt.sent {
				t.Fatalf("error = %v after %d records; want Internal after %d", err, sent, tt.sent)
			}
		})
	}
}
