package service

import (
	"testing"

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
