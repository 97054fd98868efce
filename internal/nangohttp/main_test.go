package nangohttp

import (
	"testing"

	"go.uber.org/goleak"
)

// The transport keeps connection goroutines; every test closes its servers
// and idle connections, and goleak proves it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
