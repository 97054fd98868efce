package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// gatewayProcess is cmd/server running as its own process, so its memory is its own.
type gatewayProcess struct {
	cmd      *exec.Cmd
	GRPCAddr string
	HTTPAddr string
	stderr   bytes.Buffer
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// gatewayBinary builds cmd/server once per run.
func gatewayBinary(ctx context.Context) (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nango-gateway-bench-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "nango-gateway")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", buildPath, "./cmd/server")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build the gateway: %v\n%s", err, out)
		}
	})
	return buildPath, buildErr
}

// moduleRoot is the repository root, found from this file's location.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// startGateway runs the gateway against upstream and waits until it is ready.
func startGateway(ctx context.Context, upstream string, extraEnv ...string) (*gatewayProcess, error) {
	bin, err := gatewayBinary(ctx)
	if err != nil {
		return nil, err
	}
	grpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	g := &gatewayProcess{GRPCAddr: grpcAddr, HTTPAddr: httpAddr}
	g.cmd = exec.Command(bin)
	g.cmd.Env = append(os.Environ(),
		"NANGO_HOST="+upstream,
		"NANGO_SECRET_KEY="+benchSecretKey,
		"GRPC_ADDR="+grpcAddr,
		"HTTP_ADDR="+httpAddr,
		"LOG_LEVEL=warn",
		"SHUTDOWN_GRACE=1s",
		// Access control costs a SHA-256 of the token per call, far below what is
		// measured here; the clients then need no token.
		"INSECURE_NO_AUTH=true",
	)
	g.cmd.Env = append(g.cmd.Env, extraEnv...)
	g.cmd.Stderr = &g.stderr
	dieWithParent(g.cmd)
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return g, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			g.Stop()
			return nil, fmt.Errorf("the gateway did not become ready: %s", g.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the gateway with SIGTERM, then SIGKILL if it does not stop.
func (g *gatewayProcess) Stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = g.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = g.cmd.Process.Kill()
		<-done
	}
}

// Memory reads the process's resident set now and its peak (VmRSS, VmHWM), in bytes.
func (g *gatewayProcess) Memory() (rss, peak int64, err error) {
	return procMemory(g.cmd.Process.Pid)
}

func procMemory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, value, ok := strings.Cut(s.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %v", key, err)
		}
		if key == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, s.Err()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

const mib = 1 << 20
