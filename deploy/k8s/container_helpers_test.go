package k8s_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/nango-gateway/nango-gateway/internal/image"
)

// Test values of the Secrets the README asks for.
const (
	testNangoKey    = "test-nango-secret-key"
	testSigningKey  = "test-webhook-signing-key"
	testClientToken = "test-client-token"
)

func testSecrets() map[string]map[string]string {
	sum := sha256.Sum256([]byte(testClientToken))
	return map[string]map[string]string{
		nangoSecret: {"nango-secret-key": testNangoKey + "\n", "webhook-signing-key": testSigningKey + "\n"},
		clientsSecret: {clientsSecretKey: "clients:\n" +
			"  - name: deploy-test\n" +
			"    token_sha256: " + hex.EncodeToString(sum[:]) + "\n" +
			"    allow:\n" +
			"      - nango.gateway.v1.ProvidersService/*\n" +
			"      - nango.gateway.v1.WebhooksService/*\n"},
	}
}

// builtImage is the image `make image` writes, unpacked once for the package's tests.
type builtImage struct {
	rootfs string
	config v1.Config
	err    error
}

var (
	imageOnce sync.Once
	theImage  builtImage
	imageDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if imageDir != "" {
		os.RemoveAll(imageDir)
	}
	os.Exit(code)
}

// unpackedImage runs the Makefile's image command into a temporary archive, opens the
// archive and unpacks its root filesystem.
func unpackedImage(t *testing.T) builtImage {
	t.Helper()
	imageOnce.Do(func() {
		theImage.err = func() error {
			var err error
			if imageDir, err = os.MkdirTemp("", "deploy-image-"); err != nil {
				return err
			}
			// Readable by the image's user once it runs from the unpacked tree.
			if err := os.Chmod(imageDir, 0o755); err != nil {
				return err
			}
			certs := image.DefaultCACerts
			if _, err := os.Stat(certs); err != nil {
				// A build machine without a CA bundle: any PEM stands in, nothing here uses TLS.
				certs = filepath.Join(imageDir, "ca.pem")
				if err := os.WriteFile(certs, selfSignedPEM(), 0o644); err != nil {
					return err
				}
			}
			archive := filepath.Join(imageDir, "image.tar")
			cmd := exec.Command("go", "run", "./internal/image/cmd/build-image", "-o", archive, "-ref", "ghcr.io/nango-gateway/nango-gateway:test", "-ca-certs", certs)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("build-image: %v\n%s", err, out)
			}
			img, err := image.OpenArchive(archive, filepath.Join(imageDir, "layout"))
			if err != nil {
				return err
			}
			cf, err := img.ConfigFile()
			if err != nil {
				return err
			}
			theImage.config = cf.Config
			theImage.rootfs = filepath.Join(imageDir, "rootfs")
			if err := os.Mkdir(theImage.rootfs, 0o755); err != nil {
				return err
			}
			return image.Unpack(img, theImage.rootfs)
		}()
	})
	if theImage.err != nil {
		t.Fatal(theImage.err)
	}
	return theImage
}

// canChroot says whether the test may chroot into the image and switch to its user.
var canChroot = os.Geteuid() == 0

func selfSignedPEM() []byte {
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key))
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// container is one running replica: the image's entrypoint started the way the kubelet
// would start the rendered container.
type container struct {
	name    string
	cmd     *exec.Cmd
	ports   map[int32]int // container port → port on this host
	logs    *lockedBuffer
	exited  chan struct{}
	waitErr error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startContainer runs container c of pod from the unpacked image, as the pod's user, with
// the environment, arguments and mounted files the pod spec gives it. What a pod has that a
// process on this host has not is replaced, and only that:
//   - each pod has its own network, so every address setting naming a container port
//     listens on a free local port instead;
//   - replace swaps values of settings the manifests set (NANGO_HOST, EVENT_BUS_URL) for
//     the in-process stand-ins of Nango and NATS;
//   - secret values are the test's.
//
// As root the process is chrooted into the root filesystem with the mounts' files at
// their mount paths; otherwise it runs the unpacked binary with mount paths moved under
// the root filesystem.
func startContainer(t *testing.T, img builtImage, r *rendered, pod corev1.PodSpec, c *corev1.Container, name string, replace map[string]string) *container {
	t.Helper()
	ctr := &container{name: name, ports: map[int32]int{}, logs: &lockedBuffer{}, exited: make(chan struct{})}
	for _, p := range c.Ports {
		ctr.ports[p.ContainerPort] = freePort(t)
	}

	// The image's environment, then the pod's on top, as the runtime merges them.
	env := map[string]string{}
	var order []string
	setEnv := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, kv := range img.config.Env {
		k, v, _ := strings.Cut(kv, "=")
		setEnv(k, v)
	}
	setEnv("HOSTNAME", name)
	for _, e := range r.podEnv(t, c) {
		setEnv(e.Name, e.Value)
	}
	for k, v := range replace {
		if _, ok := env[k]; !ok {
			t.Fatalf("the container sets no %s to replace", k)
		}
		env[k] = v
	}
	for k, v := range env {
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(port)
		if local, ok := ctr.ports[int32(n)]; ok && (host == "" || host == "0.0.0.0" || host == "::") {
			env[k] = net.JoinHostPort("127.0.0.1", strconv.Itoa(local))
		}
	}

	// The user: the pod's securityContext, else the image's. They must agree, or the
	// image's home directory and passwd entry would belong to someone else.
	uid, gid := userOf(t, img.config.User)
	sc := pod.SecurityContext
	if sc != nil && sc.RunAsUser != nil {
		if uint32(*sc.RunAsUser) != uid {
			t.Errorf("pod runs as user %d, the image's user is %d", *sc.RunAsUser, uid)
		}
		uid = uint32(*sc.RunAsUser)
	}
	if sc != nil && sc.RunAsGroup != nil {
		if uint32(*sc.RunAsGroup) != gid {
			t.Errorf("pod runs as group %d, the image's group is %d", *sc.RunAsGroup, gid)
		}
		gid = uint32(*sc.RunAsGroup)
	}
	if sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && uid == 0 {
		t.Fatal("runAsNonRoot with user 0: the kubelet would refuse to start the container")
	}
	groups := []uint32{gid}
	var fsGroup int64 = -1
	if sc != nil && sc.FSGroup != nil {
		fsGroup = *sc.FSGroup
		groups = append(groups, uint32(fsGroup))
	}

	asRoot := canChroot
	mountPaths := writeMounts(t, img.rootfs, r, pod, c, fsGroup, asRoot)
	if !asRoot {
		for k, v := range env {
			for _, m := range mountPaths {
				if v == m || strings.HasPrefix(v, m+"/") {
					env[k] = filepath.Join(img.rootfs, v)
				}
			}
		}
	}

	argv := img.config.Entrypoint
	if len(c.Command) > 0 {
		argv = c.Command
	}
	args := img.config.Cmd
	if len(c.Args) > 0 || len(c.Command) > 0 {
		args = c.Args
	}
	argv = append(append([]string{}, argv...), args...)
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Stdout: ctr.logs, Stderr: ctr.logs, Dir: img.config.WorkingDir}
	for _, k := range order {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	if asRoot {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Chroot:     img.rootfs,
			Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: groups},
		}
	} else {
		t.Logf("not root: running %s without chroot as the current user", argv[0])
		cmd.Path = filepath.Join(img.rootfs, argv[0])
		cmd.Dir = filepath.Join(img.rootfs, cmd.Dir)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	ctr.cmd = cmd
	go func() {
		ctr.waitErr = cmd.Wait()
		close(ctr.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-ctr.exited
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, ctr.logs)
		}
	})
	if asRoot {
		if got := processUID(t, cmd.Process.Pid); got != uid {
			t.Errorf("%s runs as uid %d, want %d", name, got, uid)
		}
	}
	return ctr
}

// writeMounts writes the files of the container's Secret, ConfigMap and emptyDir volumes
// under rootfs at their mount paths, with the modes and group the kubelet gives them, and
// returns the mount paths.
func writeMounts(t *testing.T, rootfs string, r *rendered, pod corev1.PodSpec, c *corev1.Container, fsGroup int64, asRoot bool) []string {
	t.Helper()
	secrets := testSecrets()
	var paths []string
	for _, m := range c.VolumeMounts {
		var vol *corev1.Volume
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == m.Name {
				vol = &pod.Volumes[i]
			}
		}
		if vol == nil {
			t.Fatalf("mount %s names no volume", m.Name)
		}
		dir := filepath.Join(rootfs, m.MountPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m.MountPath)
		var files map[string]string
		mode := os.FileMode(0o644)
		switch {
		case vol.Secret != nil:
			data, ok := secrets[vol.Secret.SecretName]
			if !ok {
				t.Fatalf("Secret %q is not one the README asks to create", vol.Secret.SecretName)
			}
			files = data
			if vol.Secret.DefaultMode != nil {
				mode = os.FileMode(*vol.Secret.DefaultMode)
			}
		case vol.ConfigMap != nil:
			files = r.configMap(t, vol.ConfigMap.Name).Data
		case vol.EmptyDir != nil:
			if asRoot && fsGroup >= 0 {
				if err := os.Chown(dir, 0, int(fsGroup)); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, 0o2775); err != nil {
					t.Fatal(err)
				}
			}
			continue
		default:
			t.Fatalf("volume %s is of a kind this test cannot provide", vol.Name)
		}
		for k, v := range files {
			p := filepath.Join(dir, k)
			// An earlier test may have left it read-only.
			if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
				t.Fatal(err)
			}
			if asRoot && fsGroup >= 0 {
				if err := os.Chown(p, 0, int(fsGroup)); err != nil {
					t.Fatal(err)
				}
			} else if !asRoot {
				mode |= 0o400
			}
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	return paths
}

func userOf(t *testing.T, user string) (uint32, uint32) {
	t.Helper()
	u, g, _ := strings.Cut(user, ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		t.Fatalf("image user %q is not numeric: the kubelet cannot check runAsNonRoot", user)
	}
	gid := uid
	if g != "" {
		if gid, err = strconv.ParseUint(g, 10, 32); err != nil {
			t.Fatalf("image group %q is not numeric", g)
		}
	}
	return uint32(uid), uint32(gid)
}

func processUID(t *testing.T, pid int) uint32 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			n, _ := strconv.ParseUint(f[1], 10, 32)
			return uint32(n)
		}
	}
	t.Fatal("no Uid in /proc status")
	return 0
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// addr is where this host reaches the container's port.
func (c *container) addr(port int32) string {
	return "127.0.0.1:" + strconv.Itoa(c.ports[port])
}

// probe asks grpc.health.v1 as the kubelet's gRPC probe does: a fresh connection, one
// Check for the probe's service, within the probe's timeout.
func probe(addr string, p *corev1.Probe) error {
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	service := ""
	if p.GRPC.Service != nil {
		service = *p.GRPC.Service
	}
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return err
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("status %s", resp.GetStatus())
	}
	return nil
}

// probeLikeKubelet runs the startup probe until it passes or its failure threshold is
// spent, then the readiness and liveness probes once each.
func (ctr *container) probeLikeKubelet(t *testing.T, c *corev1.Container) {
	t.Helper()
	sp := c.StartupProbe
	deadline := time.Now().Add(time.Duration(sp.PeriodSeconds*sp.FailureThreshold) * time.Second)
	for {
		err := probe(ctr.addr(sp.GRPC.Port), sp)
		if err == nil {
			break
		}
		select {
		case <-ctr.exited:
			t.Fatalf("%s exited before its startup probe passed: %v", ctr.name, ctr.waitErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: startup probe still failing after %ds: %v", ctr.name, sp.PeriodSeconds*sp.FailureThreshold, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if err := probe(ctr.addr(p.GRPC.Port), p); err != nil {
			t.Fatalf("%s: %s probe: %v", ctr.name, name, err)
		}
	}
}

// servicePort is where a call to the Service's named port lands on this container.
func (ctr *container) servicePort(t *testing.T, svc *corev1.Service, c *corev1.Container, name string) string {
	t.Helper()
	for _, p := range svc.Spec.Ports {
		if p.Name != name {
			continue
		}
		target := p.TargetPort.IntVal
		if p.TargetPort.StrVal != "" {
			target = containerPort(t, c, p.TargetPort.StrVal)
		}
		return ctr.addr(target)
	}
	t.Fatalf("Service %s has no port %q", svc.Name, name)
	return ""
}

// stop does what the kubelet does at the end of the preStop sleep: SIGTERM, then waits
// up to the rest of the termination grace period for a clean exit.
func (ctr *container) stop(t *testing.T, pod corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	if err := ctr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	left := time.Duration(*pod.TerminationGracePeriodSeconds-c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	select {
	case <-ctr.exited:
		if ctr.waitErr != nil {
			t.Errorf("%s exited with %v after SIGTERM", ctr.name, ctr.waitErr)
		}
	case <-time.After(left):
		t.Errorf("%s still running %s after SIGTERM: the kubelet would kill it", ctr.name, left)
	}
}
