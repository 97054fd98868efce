package k8s_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// The dev overlay's pod, run from the image: it starts as the image's non-root user, passes
// the kubelet's gRPC probes, answers through both Service ports with the Nango key read
// from its mounted file, and exits cleanly within the grace period on SIGTERM.
func TestDevOverlayPodRunsFromTheImage(t *testing.T) {
	img := unpackedImage(t)
	sim, err := simulator.Start(simulator.Options{APIKey: testNangoKey})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	r := render(t, "overlays/dev")
	d, c := r.gateway(t)
	pod := d.Spec.Template.Spec
	ctr := startContainer(t, img, r, pod, c, "nango-gateway-dev-0", map[string]string{"NANGO_HOST": sim.URL()})
	ctr.probeLikeKubelet(t, c)
	callThroughService(t, r.services[gatewayName], ctr, c)
	ctr.stop(t, pod, c)
}

// callThroughService makes gRPC calls through the Service's grpc port and one HTTP
// request through its http port. The gateway admits only the token of the mounted clients
// file and the simulator only the test's Nango key, so an answer proves both files were read.
func callThroughService(t *testing.T, svc *corev1.Service, ctr *container, c *corev1.Container) {
	t.Helper()
	conn, err := grpc.NewClient(ctr.servicePort(t, svc, c, "grpc"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	providers := gatewayv1.NewProvidersServiceClient(conn)
	// Only the clients of the mounted clients file get in.
	if _, err := providers.ListProviders(ctx, &gatewayv1.ListProvidersRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("%s: ListProviders without a token: %v, want Unauthenticated", ctr.name, err)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testClientToken)
	resp, err := providers.ListProviders(ctx, &gatewayv1.ListProvidersRequest{})
	if err != nil {
		t.Fatalf("%s: ListProviders through the Service's grpc port: %v", ctr.name, err)
	}
	if len(resp.GetData()) == 0 {
		t.Errorf("%s: ListProviders answered no provider", ctr.name)
	}

	res, err := http.Get("http://" + ctr.servicePort(t, svc, c, "http") + "/readyz")
	if err != nil {
		t.Fatalf("%s: /readyz through the Service's http port: %v", ctr.name, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("%s: /readyz answered %d %s", ctr.name, res.StatusCode, body)
	}
}
