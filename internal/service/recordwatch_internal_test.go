package service

import (
	"testing"
	"time"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
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
			w := &watcher{req: tt.req, variant: baseVariant(tt.req.GetVariant())}
			if got := w.matches([]byte(tt.body)); got != tt.want {
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
