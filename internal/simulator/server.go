package simulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Server is a Simulator listening on a loopback port.
type Server struct {
	*Simulator
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// Start serves a new Simulator on 127.0.0.1 at a free port.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sim := New(opts)
	s := &Server{
		Simulator: sim,
		srv:       &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		ln:        ln,
		done:      make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed; Close still returns cleanly
		}
	}()
	return s, nil
}

// URL is the base URL of the simulated API, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, dropping open connections, and the simulator's
// background work.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	s.Simulator.Close()
}
