package service_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Services start goroutines (stream page fetchers, subscriptions, waits): none may outlive a test run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}
