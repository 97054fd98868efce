package examples_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

const (
	nangoKey   = "examples-nango-key"
	signingKey = "examples-signing-key"
)

// summary is what every example prints once it has checked its own results.
type summary struct {
	Connection     string   `json:"connection"`
	Provider       string   `json:"provider"`
	Records        int      `json:"records"`
	ResumedAt      int      `json:"resumed_at"`
	ResumedRecords int      `json:"resumed_records"`
	Events         []string `json:"events"`
	ResumedEvents  []string `json:"resumed_events"`
	Missing        string   `json:"missing"`
}

// startGateway runs a gateway over a seeded simulator on free loopback ports. Its clients
// file allows the token exactly the three RPCs the examples call, as a real service's entry
// would, and returns the environment an example reads.
func startGateway(t *testing.T) []string {
	t.Helper()
	upstream := httptest.NewServer(simulator.New(simulator.Options{APIKey: nangoKey, Seed: true}))
	t.Cleanup(upstream.Close)

	token := "tok-example-" + filepath.Base(t.Name())
	sum := sha256.Sum256([]byte(token))
	clients := filepath.Join(t.TempDir(), "clients.yaml")
	if err := os.WriteFile(clients, []byte("clients:\n  - name: example\n    token_sha256: "+hex.EncodeToString(sum[:])+"\n"+
		"    allow: [\"nango.gateway.v1.ConnectionsService/GetConnection\", \"nango.gateway.v1.RecordsService/StreamRecords\", "+
		"\"nango.gateway.v1.WebhooksService/StreamWebhookEvents\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Heartbeats as often as allowed: an example whose event stream idles sees them, and
	// must not count them as events.
	env := map[string]string{"NANGO_HOST": upstream.URL, "NANGO_SECRET_KEY": nangoKey, "NANGO_WEBHOOK_SIGNING_KEY": signingKey,
		"STREAM_HEARTBEAT_INTERVAL": "1s"}
	cfg, err := config.Load([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clients-file", clients},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return append(os.Environ(),
		"GATEWAY_ADDR="+srv.GRPCAddr(),
		"GATEWAY_TOKEN="+token,
		"GATEWAY_WEBHOOK_URL=http://"+srv.HTTPAddr()+"/webhooks/nango",
		"NANGO_WEBHOOK_SIGNING_KEY="+signingKey,
	)
}

// runExample runs cmd against a fresh gateway and checks the summary it prints against
// the simulator's seed.
func runExample(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Env = append(startGateway(t), cmd.Env...)
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, stderr.String())
	}
	var got summary
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("summary %q: %v\n%s", out, err, stderr.String())
	}
	want := summary{
		Connection: "conn-github-1", Provider: "github",
		Records: simulator.SeedGithubIssueCount, ResumedAt: 1000, ResumedRecords: simulator.SeedGithubIssueCount - 1000,
		Events: []string{"e1", "e2"}, ResumedEvents: []string{"e3", "e4"},
	}
	// Each language names the gRPC code its own way; Nango's code and status are the same.
	code, rest, _ := strings.Cut(got.Missing, " ")
	if !strings.EqualFold(strings.ReplaceAll(code, "_", ""), "notfound") || rest != "not_found 404" {
		t.Errorf("missing connection gave %q, want NotFound with Nango's not_found and HTTP 404", got.Missing)
	}
	got.Missing = ""
	if g, w := mustJSON(got), mustJSON(want); g != w {
		t.Fatalf("summary\n got %s\nwant %s", g, w)
	}
}

func TestGoExampleCallsStreamsAndResumes(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("install Go to run the Go example")
	}
	bin := filepath.Join(t.TempDir(), "example")
	if out, err := exec.Command(goBin, "build", "-o", bin, "./go").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	runExample(t, exec.CommandContext(t.Context(), bin))
}

func TestNodeExampleCallsStreamsAndResumes(t *testing.T) {
	const install = "install Node.js 20+ and run: npm ci --prefix clients/node && npm ci --prefix examples/node"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip(install)
	}
	for _, dir := range []string{"../clients/node/node_modules/@grpc/grpc-js", "node/node_modules/@nango-gateway/client"} {
		if _, err := os.Stat(dir); err != nil {
			t.Skip(install)
		}
	}
	buildNodeClient(t, node)
	runExample(t, exec.CommandContext(t.Context(), node, "node/example.mjs"))
}

func TestNodeClientPackageTests(t *testing.T) {
	const install = "install Node.js 20+ and run: npm ci --prefix clients/node"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip(install)
	}
	if _, err := os.Stat("../clients/node/node_modules/typescript"); err != nil {
		t.Skip(install)
	}
	buildNodeClient(t, node)
	cmd := exec.CommandContext(t.Context(), node, "--test", "dist/test/client.test.js")
	cmd.Dir = "../clients/node"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestPythonExampleCallsStreamsAndResumes(t *testing.T) {
	python := pythonWithGRPC(t)
	cmd := exec.CommandContext(t.Context(), python, "python/example.py")
	cmd.Env = []string{"PYTHONPATH=" + absPath(t, "../clients/python")}
	runExample(t, cmd)
}

func TestPythonClientPackageTests(t *testing.T) {
	python := pythonWithGRPC(t)
	cmd := exec.CommandContext(t.Context(), python, "-m", "unittest", "discover", "-s", "tests", "-t", ".")
	cmd.Dir = "../clients/python"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// pythonWithGRPC finds a python3 that can import grpc and protobuf, or skips.
func pythonWithGRPC(t *testing.T) string {
	t.Helper()
	const install = "install Python 3 with gRPC: apt-get install python3-grpcio python3-protobuf"
	// The first python3 on PATH may be one without Debian's packages (a virtualenv, pyenv).
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		if python, err := exec.LookPath(name); err == nil && exec.Command(python, "-c", "import grpc, google.protobuf").Run() == nil {
			return python
		}
	}
	t.Skip(install)
	return ""
}

var nodeBuild struct {
	sync.Mutex
	done bool
}

// buildNodeClient compiles clients/node (src to dist) unless dist is newer than every source;
// npm ci already built it through the package's prepare script.
func buildNodeClient(t *testing.T, node string) {
	t.Helper()
	nodeBuild.Lock()
	defer nodeBuild.Unlock()
	if nodeBuild.done {
		return
	}
	built, err := os.Stat("../clients/node/dist/test/client.test.js")
	stale := err != nil
	_ = filepath.WalkDir("../clients/node/src", func(path string, d fs.DirEntry, err error) error {
		if info, ierr := d.Info(); err == nil && ierr == nil && !stale && info.ModTime().After(built.ModTime()) {
			stale = true
		}
		return err
	})
	if stale {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "node_modules/typescript/bin/tsc", "-p", "tsconfig.json")
		cmd.Dir = "../clients/node"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build clients/node: %v\n%s", err, out)
		}
	}
	nodeBuild.done = true
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// limitedBuffer keeps the first 64 KiB an example writes to stderr.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 64<<10 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
