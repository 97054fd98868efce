package natstest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a NATS cluster of JetStream servers in this process: the smallest one that
// keeps an R3 stream writable with a node down.
type Cluster struct {
	nodes []*Server
}

// clusterReadyTimeout bounds the wait for a JetStream meta leader; elections take a few
// seconds at most, more on a loaded machine.
const clusterReadyTimeout = 30 * time.Second

// RunCluster starts n (three for an R3 stream) clustered JetStream servers on free
// loopback ports, each storing its streams in its own directory under storeDir (use
// t.TempDir()), and waits until JetStream has a leader and every server is current. They
// are shut down when the test ends.
func RunCluster(tb testing.TB, n int, storeDir string) *Cluster {
	tb.Helper()
	// Every server lists every route, so the cluster ports are chosen first. Each node
	// keeps its ports across restarts, so routes and clients find it again.
	clusterPorts := freePorts(tb, n)
	c := &Cluster{}
	for i := range n {
		var routes []*url.URL
		for j, p := range clusterPorts {
			if j != i {
				routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
			}
		}
		name := fmt.Sprintf("n%d", i+1)
		c.nodes = append(c.nodes, &Server{opts: &server.Options{
			ServerName: name,
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   filepath.Join(storeDir, name),
			Cluster:    server.ClusterOpts{Name: "natstest", Host: "127.0.0.1", Port: clusterPorts[i]},
			Routes:     routes,
			NoLog:      true,
			NoSigs:     true,
		}})
	}
	tb.Cleanup(c.Shutdown)
	for _, s := range c.nodes {
		s.start(tb)
		s.opts.Port = s.srv.Addr().(*net.TCPAddr).Port
	}
	c.WaitReady(tb)
	return c
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("free port: %v", err)
		}
		// Held until all are chosen, so the n ports differ.
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// URLs are the client URLs of every node, running or not.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		urls[i] = s.URL()
	}
	return urls
}

// URL is the comma-separated server list a NATS client is given (EVENT_BUS_URL).
func (c *Cluster) URL() string { return strings.Join(c.URLs(), ",") }

// Stop shuts node i down and waits until it has stopped; its store stays for Restart.
func (c *Cluster) Stop(i int) { c.nodes[i].Shutdown() }

// Restart starts node i again on its ports and store. It rejoins the cluster in the
// background: WaitReady waits until it has caught up.
func (c *Cluster) Restart(tb testing.TB, i int) {
	tb.Helper()
	c.nodes[i].Restart(tb)
}

// Shutdown stops every node. It may be called twice.
func (c *Cluster) Shutdown() {
	for _, s := range c.nodes {
		s.Shutdown()
	}
}

// WaitReady waits until the running nodes have a JetStream meta leader that knows every
// node, and every running node is current with it.
func (c *Cluster) WaitReady(tb testing.TB) {
	tb.Helper()
	waitFor(tb, "the NATS cluster to elect a JetStream leader", func() bool {
		var leader *server.Server
		for _, s := range c.nodes {
			if s.srv != nil && s.srv.JetStreamIsLeader() {
				leader = s.srv
			}
		}
		if leader == nil || len(leader.JetStreamClusterPeers()) != len(c.nodes) {
			return false
		}
		for _, s := range c.nodes {
			if s.srv != nil && !s.srv.JetStreamIsCurrent() {
				return false
			}
		}
		return true
	})
}

// StreamLeader is the index of the node leading the stream of the global account, or -1
// while it has none.
func (c *Cluster) StreamLeader(stream string) int {
	for i, s := range c.nodes {
		if s.srv != nil && s.srv.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// ClientNode is the index of a running node that has a client connection (a bus
// connects once), or -1 when none has.
func (c *Cluster) ClientNode() int {
	for i, s := range c.nodes {
		if s.srv != nil && s.srv.NumClients() > 0 {
			return i
		}
	}
	return -1
}

// WaitStreamLeader waits until the stream has a leader and returns its index.
func (c *Cluster) WaitStreamLeader(tb testing.TB, stream string) int {
	tb.Helper()
	leader := -1
	waitFor(tb, "stream "+stream+" to have a leader", func() bool {
		leader = c.StreamLeader(stream)
		return leader >= 0
	})
	return leader
}

// waitFor polls cond: the server offers no notification of these states.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(clusterReadyTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
