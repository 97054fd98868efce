package benchmark

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
)

//go:embed js/*.mjs
var scripts embed.FS

func init() {
	Register(Scenario{Name: "records", Run: runRecords})
}

// recordsPageSize is the page every reader asks for.
const recordsPageSize = 1000

// runRecords reads every record of one model, side by side in one run, through: the
// official SDK's listRecords loop in Node directly against the upstream (the anchor), and
// through the gateway (a separate process) a Go gRPC client, a Node @grpc/grpc-js client
// and curl on the REST NDJSON stream. Each reader runs twice and keeps its best, so a
// noisy neighbour hurts no one reader more than another.
func runRecords(ctx context.Context, env Env) ([]Figure, error) {
	n, rounds, allocN := 1_000_000, 2, 200_000
	if env.Size == Tiny {
		n, rounds, allocN = 5_000, 1, 5_000
	}
	up, err := startRecordsUpstream(n)
	if err != nil {
		return nil, err
	}
	defer up.Close()
	gw, err := startGateway(ctx, up.URL)
	if err != nil {
		return nil, err
	}
	defer gw.Stop()
	descriptors, err := writeDescriptors()
	if err != nil {
		return nil, err
	}
	defer os.Remove(descriptors)

	common := []string{
		"TOOLS_DIR=" + env.ToolsDir, "SECRET_KEY=" + benchSecretKey, "MODEL=" + benchModel,
		"PROVIDER_CONFIG_KEY=" + benchIntegration, "CONNECTION_ID=" + benchConnection,
		fmt.Sprintf("PAGE_SIZE=%d", recordsPageSize),
	}
	readers := []struct {
		name string
		read func() (int, time.Duration, error)
	}{
		{"SDK listRecords loop (Node)", func() (int, time.Duration, error) {
			return runNodeReader(ctx, "sdkloop.mjs", append(common, "NANGO_HOST="+up.URL))
		}},
		{"Go gRPC client", func() (int, time.Duration, error) { return goStreamRecords(ctx, gw.GRPCAddr) }},
		{"Node @grpc/grpc-js client", func() (int, time.Duration, error) {
			return runNodeReader(ctx, "grpcstream.mjs", append(common, "GRPC_ADDR="+gw.GRPCAddr, "DESCRIPTORS="+descriptors))
		}},
		{"REST NDJSON stream (curl)", func() (int, time.Duration, error) { return curlStreamRecords(ctx, gw.HTTPAddr) }},
	}
	best := make([]float64, len(readers))
	for round := 0; round < rounds; round++ {
		for i, r := range readers {
			got, took, err := r.read()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.name, err)
			}
			if got != n {
				return nil, fmt.Errorf("%s read %d records, want %d", r.name, got, n)
			}
			rate := float64(n) / took.Seconds()
			fmt.Fprintf(env.Log, "  %s: %d records in %v (%.0f records/s)\n", r.name, n, took.Round(time.Millisecond), rate)
			best[i] = max(best[i], rate)
		}
	}
	_, peak, err := gw.Memory()
	if err != nil {
		return nil, err
	}
	allocs, err := allocsPerStreamedRecord(ctx, allocN)
	if err != nil {
		return nil, err
	}
	const anchor = "SDK loop"
	return []Figure{
		{Name: "StreamRecords, Go gRPC client", Unit: "records/s", Gateway: best[1], AnchorName: anchor, Anchor: best[0], Target: 1.5},
		{Name: "StreamRecords, Node grpc-js client, plain objects", Unit: "records/s", Gateway: best[2], AnchorName: anchor, Anchor: best[0], Target: 1.0},
		{Name: "REST NDJSON stream, curl", Unit: "records/s", Gateway: best[3], AnchorName: anchor, Anchor: best[0], Target: 1.0},
		{Name: "gateway peak RSS while streaming", Unit: "MiB", Gateway: float64(peak) / mib, Better: LowerIsBetter, Target: 64},
		{Name: "gateway allocations per streamed record", Unit: "allocs/record", Gateway: allocs, Better: LowerIsBetter, Target: 16},
	}, nil
}

// runNodeReader runs one of the embedded scripts; the script times itself after its
// imports, so Node's start-up is not counted against it.
func runNodeReader(ctx context.Context, script string, env []string) (int, time.Duration, error) {
	src, err := scripts.ReadFile("js/" + script)
	if err != nil {
		return 0, 0, err
	}
	dir, err := os.MkdirTemp("", "nango-bench-js-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, script)
	if err := os.WriteFile(path, src, 0o600); err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, "node", path)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return 0, 0, fmt.Errorf("%s: %v: %s", script, err, exit.Stderr)
		}
		return 0, 0, err
	}
	var res struct {
		Records int     `json:"records"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, 0, fmt.Errorf("%s printed %q: %v", script, out, err)
	}
	return res.Records, time.Duration(res.Seconds * float64(time.Second)), nil
}

// goStreamRecords reads the stream as a Go service would: every message decoded, the
// JSON at hand.
func goStreamRecords(ctx context.Context, addr string) (int, time.Duration, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	start := time.Now()
	stream, err := gatewayv1.NewRecordsServiceClient(conn).StreamRecords(ctx, &gatewayv1.StreamRecordsRequest{
		ProviderConfigKey: benchIntegration, ConnectionId: benchConnection, Model: benchModel,
		PageSize: proto.Int32(recordsPageSize),
	})
	if err != nil {
		return 0, 0, err
	}
	n, size := 0, 0
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, 0, err
		}
		n++
		size += len(msg.GetJson())
	}
	if size == 0 {
		return n, 0, errors.New("the stream carried no JSON")
	}
	return n, time.Since(start), nil
}

// curlStreamRecords reads the REST stream with curl -sN and counts its lines.
func curlStreamRecords(ctx context.Context, addr string) (int, time.Duration, error) {
	start := time.Now()
	cmd := exec.CommandContext(ctx, "curl", "-sN", "--fail",
		"-H", "Connection-Id: "+benchConnection, "-H", "Provider-Config-Key: "+benchIntegration,
		fmt.Sprintf("http://%s/v1/records/stream?model=%s&page_size=%d", addr, benchModel, recordsPageSize))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	lines, err := countLines(stdout)
	if werr := cmd.Wait(); err == nil {
		err = werr
	}
	return lines, time.Since(start), err
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// writeDescriptors writes the FileDescriptorSet of RecordsService and its imports, which
// @grpc/proto-loader reads without the .proto files.
func writeDescriptors() (string, error) {
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, protodesc.ToFileDescriptorProto(fd))
	}
	add(gatewayv1.File_nango_gateway_v1_records_proto)
	b, err := proto.Marshal(set)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "nango-gateway-descriptors-*.pb")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.Write(b)
	return f.Name(), err
}

// allocsPerStreamedRecord runs the gateway in this process and reads n records through
// the REST stream, whose every step (gRPC server, the REST face's gRPC client, the NDJSON
// writer) is the gateway's; the reader only discards bytes. The upstream here allocates
// per page, not per record, and is counted too: the figure is an upper bound.
func allocsPerStreamedRecord(ctx context.Context, n int) (float64, error) {
	up, err := startRecordsUpstream(n)
	if err != nil {
		return 0, err
	}
	defer up.Close()
	vars := map[string]string{
		"NANGO_HOST": up.URL, "NANGO_SECRET_KEY": benchSecretKey,
		"GRPC_ADDR": "127.0.0.1:0", "HTTP_ADDR": "127.0.0.1:0", "SHUTDOWN_GRACE": "1s", "INSECURE_NO_AUTH": "true",
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] })
	if err != nil {
		return 0, err
	}
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, err
	}
	srv.Start()
	defer srv.Shutdown()

	read := func() (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			fmt.Sprintf("http://%s/v1/records/stream?model=%s&page_size=%d", srv.HTTPAddr(), benchModel, recordsPageSize), nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Connection-Id", benchConnection)
		req.Header.Set("Provider-Config-Key", benchIntegration)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		return countLines(resp.Body)
	}
	if _, err := read(); err != nil { // warm up connections and pools
		return 0, err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := read()
	runtime.ReadMemStats(&after)
	if err != nil {
		return 0, err
	}
	if got != n {
		return 0, fmt.Errorf("read %d records, want %d", got, n)
	}
	return float64(after.Mallocs-before.Mallocs) / float64(n), nil
}
