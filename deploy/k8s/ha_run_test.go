package k8s_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

// Two replicas of the ha overlay's pod, run from the image against a three-node NATS
// cluster configured by the overlay's nats.conf: both pass their probes and answer through
// the Service, a webhook taken by one reaches a subscriber of the other, and both exit
// cleanly on SIGTERM.
func TestHAOverlayReplicasShareEventsThroughTheNATSCluster(t *testing.T) {
	img := unpackedImage(t)
	r := render(t, "overlays/ha")
	d, c := r.gateway(t)
	pod := d.Spec.Template.Spec
	clientURLs := runNATSCluster(t, r)

	sim, err := simulator.Start(simulator.Options{APIKey: testNangoKey})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	// The Service hands each replica's connection to one NATS server; the client learns
	// the others from it.
	var replicas []*container
	for i := range 2 {
		replicas = append(replicas, startContainer(t, img, r, pod, c, "nango-gateway-ha-"+strconv.Itoa(i), map[string]string{
			"NANGO_HOST":    sim.URL(),
			"EVENT_BUS_URL": clientURLs[i],
		}))
	}
	svc := r.services[gatewayName]
	for _, ctr := range replicas {
		ctr.probeLikeKubelet(t, c)
		callThroughService(t, svc, ctr, c)
	}

	// A subscriber on the second replica, then Nango's webhook to the first.
	conn, err := grpc.NewClient(replicas[1].servicePort(t, svc, c, "grpc"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testClientToken)
	stream, err := gatewayv1.NewWebhooksServiceClient(conn).StreamWebhookEvents(ctx, &gatewayv1.StreamWebhookEventsRequest{
		Start: &gatewayv1.StreamWebhookEventsRequest_FromOldest{FromOldest: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"from":"nango","type":"auth","connectionId":"c9","providerConfigKey":"github","authMode":"OAUTH2","provider":"github","environment":"dev","operation":"creation","success":true}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+replicas[0].servicePort(t, svc, c, "http")+webhooks.Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Nango-Hmac-Sha256", webhooks.Sign(testSigningKey, []byte(body)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("webhook to the first replica answered %d: is the signing key file read?", res.StatusCode)
	}
	ev, err := stream.Recv()
	for err == nil && ev.GetHeartbeat() != nil { // the stream's sign of life, not an event
		ev, err = stream.Recv()
	}
	if err != nil {
		t.Fatalf("the second replica's subscriber got no event: %v", err)
	}
	if ev.GetSequence() != 1 || ev.GetEvent().GetAuth() == nil {
		t.Errorf("event = %v, want the auth webhook as sequence 1", ev)
	}
	cancel()

	reportStreamReplicas(t, clientURLs[0], r)
	for _, ctr := range replicas {
		ctr.stop(t, pod, c)
	}
}

// runNATSCluster starts three NATS servers in this process from the overlay's nats.conf,
// with what only a pod has replaced: $POD_NAME set per server, the routes' DNS names
// (<pod>.<headless Service>) mapped to local ports, the volume mount to a temporary
// directory. It returns each server's client URL once JetStream has a leader.
func runNATSCluster(t *testing.T, r *rendered) []string {
	t.Helper()
	node := natsNodeOf(t, r)
	sts := r.statefulSets[natsName]
	replicas := int(*sts.Spec.Replicas)
	clientPorts, clusterPorts := make([]int, replicas), make([]int, replicas)
	for i := range replicas {
		clientPorts[i], clusterPorts[i] = freePort(t), freePort(t)
	}
	dir := t.TempDir()
	confPath := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(confPath, []byte(node.config), 0o600); err != nil {
		t.Fatal(err)
	}
	var podNameEnv string
	for _, e := range node.container.Env {
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
			podNameEnv = e.Name
		}
	}
	if podNameEnv == "" || !strings.Contains(node.config, "$"+podNameEnv) {
		t.Fatal("nats.conf does not name each server after its pod")
	}

	servers := make([]*server.Server, replicas)
	for i := range replicas {
		podName := sts.Name + "-" + strconv.Itoa(i)
		t.Setenv(podNameEnv, podName)
		opts, err := server.ProcessConfigFile(confPath)
		if err != nil {
			t.Fatalf("nats.conf: %v", err)
		}
		if opts.ServerName != podName || !opts.JetStream || opts.StoreDir != node.dataMount || opts.Cluster.Name == "" {
			t.Fatalf("nats.conf gives server %q, JetStream %t, store %q, cluster %q", opts.ServerName, opts.JetStream, opts.StoreDir, opts.Cluster.Name)
		}
		if opts.Port != int(node.clientPort) || opts.Cluster.Port != int(node.clusterPort) {
			t.Fatalf("nats.conf listens on %d and %d, the container ports are %d and %d", opts.Port, opts.Cluster.Port, node.clientPort, node.clusterPort)
		}
		if len(opts.Routes) != replicas {
			t.Fatalf("nats.conf has %d routes for %d servers", len(opts.Routes), replicas)
		}
		for j, route := range opts.Routes {
			want := fmt.Sprintf("%s-%d.%s", sts.Name, j, sts.Spec.ServiceName)
			if route.Hostname() != want || route.Port() != strconv.Itoa(int(node.clusterPort)) {
				t.Fatalf("route %s, want %s:%d", route, want, node.clusterPort)
			}
			opts.Routes[j] = &url.URL{Scheme: "nats", Host: "127.0.0.1:" + strconv.Itoa(clusterPorts[j])}
		}
		opts.Host, opts.Port = "127.0.0.1", clientPorts[i]
		opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", clusterPorts[i]
		opts.HTTPHost, opts.HTTPPort = "127.0.0.1", 0
		opts.StoreDir = filepath.Join(dir, podName)
		opts.PidFile = filepath.Join(dir, podName+".pid")
		opts.NoLog, opts.NoSigs = true, true
		srv, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		srv.Start()
		servers[i] = srv
		t.Cleanup(func() {
			srv.Shutdown()
			srv.WaitForShutdown()
		})
	}
	urls := make([]string, replicas)
	for i, srv := range servers {
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatalf("NATS server %d not ready", i)
		}
		urls[i] = "nats://127.0.0.1:" + strconv.Itoa(clientPorts[i])
	}

	// JetStream answers once the cluster has elected its meta leader.
	nc, err := nats.Connect(urls[0])
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := js.AccountInfo(ctx)
		cancel()
		if err == nil && info != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster has no leader: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return urls
}

// reportStreamReplicas checks the gateway created its stream on the cluster with the
// replicas the overlay asks for (EVENT_BUS_STREAM_REPLICAS).
func reportStreamReplicas(t *testing.T, natsURL string, r *rendered) {
	t.Helper()
	_, c := r.gateway(t)
	name := "NANGO_WEBHOOKS" // EVENT_BUS_STREAM's default
	if v, ok := envValue(r.podEnv(t, c), "EVENT_BUS_STREAM"); ok {
		name = v
	}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info := st.CachedInfo()
	if info.Cluster == nil || info.Cluster.Name == "" {
		t.Errorf("stream %s is not placed in the NATS cluster", name)
	}
	want := 1
	if v, ok := envValue(r.podEnv(t, c), "EVENT_BUS_STREAM_REPLICAS"); ok {
		want, _ = strconv.Atoi(v)
	}
	if want != 3 || info.Config.Replicas != want {
		t.Errorf("stream %s has %d replica(s), want the overlay's %d (and three for ha)", name, info.Config.Replicas, want)
	}
}
