package natstest

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running NATS server.
type Server struct {
	opts *server.Options
	srv  *server.Server
}

// Run starts a JetStream-enabled server on a random local port, storing its streams
// under storeDir (use t.TempDir()). It is shut down when the test ends.
func Run(tb testing.TB, storeDir string) *Server {
	tb.Helper()
	s := &Server{opts: &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  storeDir,
		NoLog:     true,
		NoSigs:    true,
	}}
	s.start(tb)
	// The first start picked the port; restarts reuse it so clients reconnect.
	s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	tb.Cleanup(s.Shutdown)
	return s
}

func (s *Server) start(tb testing.TB) {
	tb.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		tb.Fatalf("nats server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		tb.Fatal("nats server did not become ready")
	}
	s.srv = srv
}

// URL is the server's client URL.
func (s *Server) URL() string {
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// Shutdown stops the server and waits until it has stopped. It may be called twice.
func (s *Server) Shutdown() {
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}

// Restart stops the server and starts it again on the same port and store.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	s.Shutdown()
	s.start(tb)
}
