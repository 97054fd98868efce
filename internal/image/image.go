package image

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// What the image holds; the Dockerfile and the Kubernetes manifests depend on these.
const (
	BinaryPath  = "/usr/local/bin/nango-gateway"
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
	UID         = 65532
	GID         = 65532
	User        = "65532:65532" // numeric, so runAsNonRoot can verify it without /etc/passwd
	UserName    = "nonroot"
)

// DefaultCACerts is where Debian-like build machines keep their CA bundle.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// Ports the gateway listens on by default (GRPC_ADDR, HTTP_ADDR).
var Ports = []string{"50051/tcp", "8080/tcp"}

// Options describes one image.
type Options struct {
	// Binary is the gateway built for Linux (see BuildBinary).
	Binary []byte
	// CACerts is the PEM bundle installed at CACertsPath.
	CACerts []byte
	// Arch is the GOARCH the binary was built for; default runtime.GOARCH.
	Arch string
	// Created is the time of every file and of the image; the zero value means the Unix
	// epoch. Pass the commit's time (SOURCE_DATE_EPOCH) for a meaningful one.
	Created time.Time
	// Labels are added to the image configuration.
	Labels map[string]string
}

// Build assembles the image.
func Build(opts Options) (v1.Image, error) {
	if len(opts.Binary) == 0 {
		return nil, fmt.Errorf("image: no binary")
	}
	if len(opts.CACerts) == 0 {
		return nil, fmt.Errorf("image: no CA certificates")
	}
	created := opts.Created.UTC()
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	arch := opts.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}

	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", UserName, UID, GID, UserName, UserName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, GID)
	base, err := layer(created, []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: CACertsPath[1:], mode: 0o644, data: opts.CACerts},
		{name: "home/", mode: 0o755},
		{name: "home/" + UserName + "/", mode: 0o700, uid: UID, gid: GID},
		{name: "tmp/", mode: 0o1777},
	})
	if err != nil {
		return nil, err
	}
	app, err := layer(created, []entry{
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: BinaryPath[1:], mode: 0o755, data: opts.Binary},
	})
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	at := v1.Time{Time: created}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: at, CreatedBy: "CA certificates and the " + UserName + " user", Comment: "nango-gateway image builder"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: at, CreatedBy: "nango-gateway binary", Comment: "nango-gateway image builder"}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = arch, "linux", at
	ports := map[string]struct{}{}
	for _, p := range Ports {
		ports[p] = struct{}{}
	}
	cf.Config = v1.Config{
		User:         User,
		Entrypoint:   []string{BinaryPath},
		WorkingDir:   "/",
		Env:          []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=" + CACertsPath},
		ExposedPorts: ports,
		Labels:       opts.Labels,
	}
	return mutate.ConfigFile(img, cf)
}

type entry struct {
	name     string // ends in "/" for a directory
	mode     int64
	uid, gid int
	data     []byte
}

// layer is a gzip-compressed OCI layer of entries, every header fixed to created.
func layer(created time.Time, entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			ModTime: created, AccessTime: created, ChangeTime: created,
			Format: tar.FormatPAX,
		}
		if e.name[len(e.name)-1] == '/' {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// BuildFlags are the go build flags of the image's binary; the Dockerfile uses the same.
var BuildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// BuildBinary builds ./cmd/server of the module in moduleDir for linux/arch into out: static
// (CGO_ENABLED=0), -trimpath so the checkout's path leaves no trace, no VCS stamp and an
// empty build id so nothing but the sources and the toolchain decide the bytes.
func BuildBinary(ctx context.Context, moduleDir, out, arch string) error {
	if arch == "" {
		arch = runtime.GOARCH
	}
	args := append(append([]string{"build"}, BuildFlags...), "-o", out, "./cmd/server")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("image: go build: %v\n%s", err, b)
	}
	return nil
}

// SourceDateEpoch parses the SOURCE_DATE_EPOCH convention (seconds since the epoch); empty
// means the epoch itself.
func SourceDateEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", v)
	}
	return time.Unix(n, 0).UTC(), nil
}
