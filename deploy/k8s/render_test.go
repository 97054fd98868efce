package k8s_test

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// overlays are the deployable kustomizations and what sets them apart.
var overlays = []struct {
	dir        string
	components []string
	replicas   int32 // at least
	nats       bool  // EVENT_BUS_URL points at the overlay's NATS cluster
}{
	{dir: "overlays/dev", replicas: 1},
	{dir: "overlays/ha", replicas: 3, nats: true},
	{dir: "overlays/ha", components: []string{"components/monitoring"}, replicas: 3, nats: true},
	{dir: "overlays/dev", components: []string{"components/monitoring"}, replicas: 1},
}

func overlayName(dir string, components []string) string {
	return strings.Join(append([]string{dir}, components...), "+")
}

// Every overlay renders, decodes strictly, and its gateway pod has the security context,
// probes, shutdown timing, resources and image a production cluster expects.
func TestOverlaysRenderAHardenedGatewayPod(t *testing.T) {
	for _, o := range overlays {
		t.Run(overlayName(o.dir, o.components), func(t *testing.T) {
			r := render(t, o.dir, o.components...)
			d, c := r.gateway(t)
			pod := d.Spec.Template.Spec

			if d.Spec.Replicas == nil || *d.Spec.Replicas < o.replicas {
				t.Errorf("replicas = %v, want at least %d", d.Spec.Replicas, o.replicas)
			}
			if o.dir == "overlays/dev" && *d.Spec.Replicas != 1 {
				t.Errorf("dev runs %d replicas; its in-memory bus is not shared", *d.Spec.Replicas)
			}
			if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
				t.Errorf("rolling update may take a ready pod away first: %+v", d.Spec.Strategy)
			}

			// No Kubernetes API access.
			sa, ok := r.serviceAccounts[pod.ServiceAccountName]
			if !ok || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Errorf("ServiceAccount %q must exist and not mount a token", pod.ServiceAccountName)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Error("pod mounts a service account token")
			}

			// Security context, pod and container.
			psc, csc := pod.SecurityContext, c.SecurityContext
			if psc == nil || csc == nil {
				t.Fatal("pod or container has no securityContext")
			}
			if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
				t.Errorf("pod may run as root: %+v", psc)
			}
			if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod seccomp = %+v, want RuntimeDefault", psc.SeccompProfile)
			}
			if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
				t.Error("root filesystem is writable")
			}
			if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
				t.Error("privilege escalation allowed")
			}
			if csc.Capabilities == nil || len(csc.Capabilities.Drop) != 1 || csc.Capabilities.Drop[0] != "ALL" || len(csc.Capabilities.Add) > 0 {
				t.Errorf("capabilities = %+v, want drop ALL and add none", csc.Capabilities)
			}
			if csc.Privileged != nil && *csc.Privileged {
				t.Error("privileged container")
			}

			// Native gRPC probes on the gRPC port.
			grpcPort := containerPort(t, c, "grpc")
			for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
				if p == nil || p.GRPC == nil {
					t.Errorf("%s probe is not a gRPC probe: %+v", name, p)
					continue
				}
				if p.GRPC.Port != grpcPort {
					t.Errorf("%s probe asks port %d, the gRPC port is %d", name, p.GRPC.Port, grpcPort)
				}
			}

			// The pod drains before SIGKILL: preStop pause, then SHUTDOWN_GRACE.
			env := r.podEnv(t, c)
			grace := 15 * time.Second // the setting's default
			if v, ok := envValue(env, "SHUTDOWN_GRACE"); ok {
				var err error
				if grace, err = time.ParseDuration(v); err != nil {
					t.Fatalf("SHUTDOWN_GRACE %q: %v", v, err)
				}
			}
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
				t.Fatalf("no preStop sleep (the image has no shell to run one): %+v", c.Lifecycle)
			}
			pause := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
			if tg := pod.TerminationGracePeriodSeconds; tg == nil || time.Duration(*tg)*time.Second <= pause+grace {
				t.Errorf("terminationGracePeriodSeconds = %v, want more than preStop %s + SHUTDOWN_GRACE %s", tg, pause, grace)
			}

			// Requests and limits, CPU and memory.
			for _, q := range []struct {
				list corev1.ResourceList
				name corev1.ResourceName
			}{
				{c.Resources.Requests, corev1.ResourceCPU}, {c.Resources.Requests, corev1.ResourceMemory},
				{c.Resources.Limits, corev1.ResourceCPU}, {c.Resources.Limits, corev1.ResourceMemory},
			} {
				if v, ok := q.list[q.name]; !ok || v.IsZero() {
					t.Errorf("no %s in requests or limits", q.name)
				}
			}
			if c.Resources.Limits.Memory().Cmp(*c.Resources.Requests.Memory()) < 0 {
				t.Error("memory limit below the request")
			}
			if c.Resources.Requests.Memory().Cmp(resource.MustParse("64Mi")) < 0 {
				t.Errorf("memory request %s is below the measured peak", c.Resources.Requests.Memory())
			}

			// The image is pinned.
			if !imagePinned(c.Image) {
				t.Errorf("image %q is not pinned by tag or digest", c.Image)
			}
		})
	}
}

var tagged = regexp.MustCompile(`^[^@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func imagePinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	last := image[strings.LastIndex(image, "/")+1:]
	return tagged.MatchString(last) && !strings.HasSuffix(last, ":latest")
}

func TestImagePinnedAcceptsOnlyATagOrADigest(t *testing.T) {
	for _, tc := range []struct {
		image string
		want  bool
	}{
		{"ghcr.io/nango-gateway/nango-gateway:0.1.0", true},
		{"registry:5000/nango-gateway@sha256:0123", true},
		{"ghcr.io/nango-gateway/nango-gateway", false},
		{"registry:5000/nango-gateway", false},
		{"ghcr.io/nango-gateway/nango-gateway:latest", false},
	} {
		if got := imagePinned(tc.image); got != tc.want {
			t.Errorf("imagePinned(%q) = %t, want %t", tc.image, got, tc.want)
		}
	}
}

func containerPort(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %q has no port %q", c.Name, name)
	return 0
}

// The Service exposes the gRPC and HTTP ports by name, with their application protocols,
// and reaches the gateway's pods.
func TestServiceNamesTheGRPCAndHTTPPortsWithTheirProtocols(t *testing.T) {
	for _, o := range overlays {
		t.Run(overlayName(o.dir, o.components), func(t *testing.T) {
			r := render(t, o.dir, o.components...)
			d, c := r.gateway(t)
			svc, ok := r.services[gatewayName]
			if !ok {
				t.Fatalf("no Service %q", gatewayName)
			}
			if !selects(svc.Spec.Selector, d.Spec.Template.Labels) {
				t.Errorf("Service selector %v misses the pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
			}
			want := map[string]string{"grpc": "kubernetes.io/h2c", "http": "http"}
			for _, p := range svc.Spec.Ports {
				proto, ok := want[p.Name]
				if !ok {
					t.Errorf("unexpected Service port %q", p.Name)
					continue
				}
				delete(want, p.Name)
				if p.AppProtocol == nil || *p.AppProtocol != proto {
					t.Errorf("port %s appProtocol = %v, want %s", p.Name, p.AppProtocol, proto)
				}
				if p.TargetPort.Type != intstr.String || p.TargetPort.StrVal != p.Name {
					t.Errorf("port %s targets %v, want the container port named %s", p.Name, p.TargetPort, p.Name)
				}
				containerPort(t, c, p.Name)
			}
			if len(want) > 0 {
				t.Errorf("Service lacks ports %v", want)
			}
		})
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Secrets reach the gateway only as mounted files named by the _FILE settings; the
// manifests hold no secret value, and every environment variable is a documented setting.
func TestSecretsAreMountedFilesAndEveryEnvironmentVariableIsDocumented(t *testing.T) {
	documented := documentedSettings(t)
	for _, o := range overlays {
		t.Run(overlayName(o.dir, o.components), func(t *testing.T) {
			r := render(t, o.dir, o.components...)
			d, c := r.gateway(t)
			env := r.podEnv(t, c)
			for _, e := range env {
				if !documented[e.Name] {
					t.Errorf("%s is not a setting of the README's configuration table", e.Name)
				}
			}
			for _, secret := range []string{"NANGO_SECRET_KEY", "NANGO_WEBHOOK_SIGNING_KEY", "NANGO_WEBHOOK_SIGNING_KEY_PREVIOUS"} {
				if _, ok := envValue(env, secret); ok {
					t.Errorf("%s is set as a value; mount it and set %s_FILE", secret, secret)
				}
			}

			mounts := secretMounts(t, d.Spec.Template.Spec.Volumes, c.VolumeMounts)
			for _, f := range []struct{ env, secret, key string }{
				{"NANGO_SECRET_KEY_FILE", nangoSecret, ""},
				{"NANGO_WEBHOOK_SIGNING_KEY_FILE", nangoSecret, ""},
				{"CLIENTS_FILE", clientsSecret, clientsSecretKey},
			} {
				path, ok := envValue(env, f.env)
				if !ok {
					t.Errorf("%s is not set", f.env)
					continue
				}
				m, ok := mounts[dirOf(path)]
				if !ok || m.secret != f.secret {
					t.Errorf("%s = %s is not in a mount of Secret %q (mounts: %v)", f.env, path, f.secret, mounts)
					continue
				}
				if f.key != "" && path[len(dirOf(path))+1:] != f.key {
					t.Errorf("%s = %s, want key %s of Secret %s", f.env, path, f.key, f.secret)
				}
				if !m.readOnly {
					t.Errorf("the mount of %s is writable", f.secret)
				}
			}
			for name, cm := range r.configMaps {
				for k := range cm.Data {
					if strings.Contains(k, "SECRET") || strings.Contains(k, "SIGNING_KEY") && !strings.HasSuffix(k, "_FILE") {
						t.Errorf("ConfigMap %s holds %s, a secret", name, k)
					}
				}
			}
		})
	}
}

type secretMount struct {
	secret   string
	readOnly bool
}

// secretMounts maps each mount path of a Secret volume to the Secret.
func secretMounts(t *testing.T, volumes []corev1.Volume, mounts []corev1.VolumeMount) map[string]secretMount {
	t.Helper()
	out := map[string]secretMount{}
	for _, m := range mounts {
		for _, v := range volumes {
			if v.Name == m.Name && v.Secret != nil {
				if m.SubPath != "" {
					t.Errorf("mount %s uses subPath: a rotated Secret would never reach it", m.MountPath)
				}
				out[m.MountPath] = secretMount{secret: v.Secret.SecretName, readOnly: m.ReadOnly}
			}
		}
	}
	return out
}

func dirOf(path string) string { return path[:strings.LastIndex(path, "/")] }

// dev keeps events in memory with demo mode off; ha points the bus at its own NATS
// Service on the client port.
func TestEventBusIsInMemoryForDevAndTheNATSServiceForHA(t *testing.T) {
	for _, o := range overlays {
		t.Run(overlayName(o.dir, o.components), func(t *testing.T) {
			r := render(t, o.dir, o.components...)
			_, c := r.gateway(t)
			env := r.podEnv(t, c)
			if v, _ := envValue(env, "DEMO"); v == "true" {
				t.Error("demo mode is on")
			}
			busURL, _ := envValue(env, "EVENT_BUS_URL")
			if !o.nats {
				if busURL != "" {
					t.Errorf("EVENT_BUS_URL = %q, want the in-memory bus", busURL)
				}
				return
			}
			u, err := url.Parse(busURL)
			if err != nil || u.Scheme != "nats" {
				t.Fatalf("EVENT_BUS_URL = %q, want nats://…", busURL)
			}
			svc, ok := r.services[u.Hostname()]
			if !ok {
				t.Fatalf("EVENT_BUS_URL names %q, which is no Service of the overlay", u.Hostname())
			}
			sts := r.statefulSets[natsName]
			if sts == nil || !selects(svc.Spec.Selector, sts.Spec.Template.Labels) {
				t.Fatalf("Service %s does not select the NATS StatefulSet", svc.Name)
			}
			if !servicePortIs(svc, u.Port(), "client") {
				t.Errorf("EVENT_BUS_URL port %s is not the Service's client port", u.Port())
			}
		})
	}
}

func servicePortIs(svc *corev1.Service, port, name string) bool {
	for _, p := range svc.Spec.Ports {
		if strconv.Itoa(int(p.Port)) == port && p.Name == name {
			return true
		}
	}
	return false
}

// The NetworkPolicy admits only the gateway's two ports and lets it reach only DNS, Nango
// over HTTPS and (ha) the NATS client port.
func TestNetworkPolicyAllowsOnlyTheGatewayPortsInAndDNSNangoAndNATSOut(t *testing.T) {
	for _, o := range overlays {
		t.Run(overlayName(o.dir, o.components), func(t *testing.T) {
			r := render(t, o.dir, o.components...)
			d, _ := r.gateway(t)
			np, ok := r.networkPolicies[gatewayName]
			if !ok {
				t.Fatalf("no NetworkPolicy %q", gatewayName)
			}
			if !selects(np.Spec.PodSelector.MatchLabels, d.Spec.Template.Labels) {
				t.Fatalf("the NetworkPolicy does not select the gateway's pods")
			}
			if len(np.Spec.PolicyTypes) != 2 {
				t.Errorf("policyTypes = %v, want Ingress and Egress", np.Spec.PolicyTypes)
			}
			in := map[string]bool{}
			for _, rule := range np.Spec.Ingress {
				for _, p := range rule.Ports {
					in[portString(p)] = true
				}
			}
			if want := map[string]bool{"TCP/grpc": true, "TCP/http": true}; !equalSets(in, want) {
				t.Errorf("ingress ports = %v, want %v", in, want)
			}

			out := map[string]bool{}
			for _, rule := range np.Spec.Egress {
				if len(rule.To) == 0 || len(rule.Ports) == 0 {
					t.Errorf("egress rule %+v opens every destination or port", rule)
				}
				for _, p := range rule.Ports {
					out[portString(p)] = true
				}
				for _, peer := range rule.To {
					if peer.PodSelector != nil && peer.NamespaceSelector == nil {
						for _, p := range rule.Ports {
							if portString(p) != "TCP/4222" {
								t.Errorf("egress to pods %v on %s", peer.PodSelector.MatchLabels, portString(p))
							}
						}
						if sts := r.statefulSets[natsName]; sts == nil || !selects(peer.PodSelector.MatchLabels, sts.Spec.Template.Labels) {
							t.Errorf("egress to pods %v that are not the NATS servers", peer.PodSelector.MatchLabels)
						}
					}
				}
			}
			want := map[string]bool{"UDP/53": true, "TCP/53": true, "TCP/443": true}
			if o.nats {
				want["TCP/4222"] = true
			}
			if !equalSets(out, want) {
				t.Errorf("egress ports = %v, want %v", out, want)
			}
		})
	}
}

func portString(p networkingv1.NetworkPolicyPort) string {
	proto := "TCP"
	if p.Protocol != nil {
		proto = string(*p.Protocol)
	}
	if p.Port == nil {
		return proto + "/*"
	}
	return proto + "/" + p.Port.String()
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// ha survives losing a node or a zone: an autoscaler that never goes below three, a
// disruption budget, and replicas spread over zones and nodes.
func TestHAScalesAndSpreadsTheGateway(t *testing.T) {
	r := render(t, "overlays/ha")
	d, _ := r.gateway(t)
	hpa, ok := r.hpas[gatewayName]
	if !ok {
		t.Fatal("no HorizontalPodAutoscaler")
	}
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
		t.Errorf("HPA scales %+v", ref)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 3 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas {
		t.Errorf("HPA min %v max %d, want min at least 3", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas)
	}
	pdb, ok := r.pdbs[gatewayName]
	if !ok || pdb.Spec.Selector == nil || !selects(pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Fatal("no PodDisruptionBudget selecting the gateway's pods")
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Error("the PodDisruptionBudget sets no bound")
	}
	keys := map[string]bool{}
	for _, sc := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if sc.LabelSelector == nil || !selects(sc.LabelSelector.MatchLabels, d.Spec.Template.Labels) {
			t.Errorf("spread constraint on %s does not count the gateway's pods", sc.TopologyKey)
		}
		keys[sc.TopologyKey] = true
	}
	for _, k := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
		if !keys[k] {
			t.Errorf("replicas are not spread over %s", k)
		}
	}
}

// The NATS cluster of ha: three servers with stable names through a headless Service,
// routes to each of them, JetStream on a volume of each, a disruption budget that keeps a
// quorum, and a policy that admits only the gateway and the peers.
func TestHARunsAThreeNodeJetStreamClusterOnVolumes(t *testing.T) {
	r := render(t, "overlays/ha")
	sts, ok := r.statefulSets[natsName]
	if !ok {
		t.Fatalf("no StatefulSet %q", natsName)
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 3 {
		t.Errorf("NATS replicas = %v, want 3", sts.Spec.Replicas)
	}
	headless, ok := r.services[sts.Spec.ServiceName]
	if !ok || headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		t.Fatalf("serviceName %q is not a headless Service publishing unready pods", sts.Spec.ServiceName)
	}
	if !selects(headless.Spec.Selector, sts.Spec.Template.Labels) {
		t.Error("the headless Service does not select the NATS pods")
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("volumeClaimTemplates = %d, want 1", len(sts.Spec.VolumeClaimTemplates))
	}
	pdb, ok := r.pdbs[natsName]
	if !ok || pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Error("no PodDisruptionBudget keeping two of three NATS servers")
	}
	if np, ok := r.networkPolicies[natsName]; !ok || !selects(np.Spec.PodSelector.MatchLabels, sts.Spec.Template.Labels) {
		t.Error("no NetworkPolicy for the NATS servers")
	}

	node := natsNodeOf(t, r)
	conf := node.config
	for _, want := range []string{"jetstream", "store_dir: " + node.dataMount, "cluster"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %q", want)
		}
	}
	for i := range 3 {
		route := "nats://" + natsName + "-" + strconv.Itoa(i) + "." + headless.Name + ":" + strconv.Itoa(int(node.clusterPort))
		if !strings.Contains(conf, route) {
			t.Errorf("nats.conf has no route %s", route)
		}
	}
	listen := regexp.MustCompile(`(?m)^listen: (\S+)`).FindStringSubmatch(conf)
	if listen == nil {
		t.Fatal("nats.conf has no listen address")
	}
	if _, port, _ := net.SplitHostPort(listen[1]); port != strconv.Itoa(int(node.clientPort)) {
		t.Errorf("nats.conf listens on %s, the client port is %d", port, node.clientPort)
	}

	// The NATS servers are as locked down as the gateway.
	psc, csc := sts.Spec.Template.Spec.SecurityContext, node.container.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("NATS pod securityContext = %+v", psc)
	}
	if csc == nil || csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || len(csc.Capabilities.Drop) != 1 || csc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("NATS container securityContext = %+v", csc)
	}
	if !imagePinned(node.container.Image) {
		t.Errorf("NATS image %q is not pinned", node.container.Image)
	}
}

// The monitoring component scrapes /metrics on the Service's http port, by annotations
// and by a ServiceMonitor.
func TestMonitoringComponentScrapesTheHTTPPort(t *testing.T) {
	r := render(t, "overlays/ha", "components/monitoring")
	d, c := r.gateway(t)
	a := d.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(int(containerPort(t, c, "http"))) {
		t.Errorf("scrape annotations = %v", a)
	}
	sm, ok := r.serviceMonitors[gatewayName]
	if !ok {
		t.Fatal("no ServiceMonitor")
	}
	if !selects(sm.Spec.Selector.MatchLabels, r.services[gatewayName].Labels) {
		t.Error("the ServiceMonitor does not select the gateway's Service")
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "http" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("endpoints = %+v", sm.Spec.Endpoints)
	}
	// Without the component, nothing scrapes.
	plain, _ := render(t, "overlays/ha").gateway(t)
	if len(plain.Spec.Template.Annotations) > 0 || len(render(t, "overlays/ha").serviceMonitors) > 0 {
		t.Error("scraping is on without the monitoring component")
	}
}
