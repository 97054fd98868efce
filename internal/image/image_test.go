package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/nango-gateway/nango-gateway/internal/image"
)

var (
	fakeBinary = []byte("\x7fELF not really a binary")
	fakeCerts  = []byte("-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n")
)

func build(t *testing.T, opts image.Options) (v1.Image, []byte) {
	t.Helper()
	img, err := image.Build(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := image.WriteArchive(&buf, img, "ghcr.io/nango-gateway/nango-gateway:test"); err != nil {
		t.Fatal(err)
	}
	return img, buf.Bytes()
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Inputs decide the digest and nothing else does: equal inputs give equal digests and
// archives, a change of any input changes the digest.
func TestDigestDependsOnlyOnTheInputs(t *testing.T) {
	base := image.Options{Binary: fakeBinary, CACerts: fakeCerts, Arch: "amd64", Created: time.Unix(1700000000, 0)}
	refImg, refArchive := build(t, base)
	for _, tc := range []struct {
		name   string
		change func(*image.Options)
		same   bool
	}{
		{"same inputs", func(*image.Options) {}, true},
		{"same instant in another zone", func(o *image.Options) { o.Created = o.Created.In(time.FixedZone("x", 3600)) }, true},
		{"other binary", func(o *image.Options) { o.Binary = append([]byte{}, "other"...) }, false},
		{"other CA bundle", func(o *image.Options) { o.CACerts = append([]byte{}, "other"...) }, false},
		{"other time", func(o *image.Options) { o.Created = o.Created.Add(time.Second) }, false},
		{"other architecture", func(o *image.Options) { o.Arch = "arm64" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := base
			tc.change(&opts)
			img, archive := build(t, opts)
			if got := digest(t, img) == digest(t, refImg); got != tc.same {
				t.Errorf("same digest = %t, want %t", got, tc.same)
			}
			if tc.same && !bytes.Equal(archive, refArchive) {
				t.Error("equal images gave different archives")
			}
		})
	}
}

// The image runs as a numeric non-root user that /etc/passwd names, starts the binary
// with no shell, holds the CA bundle, and stamps every file with the fixed time.
func TestImageHoldsOnlyTheBinaryCertificatesAndANonRootUser(t *testing.T) {
	created := time.Unix(1700000000, 0).UTC()
	img, _ := build(t, image.Options{Binary: fakeBinary, CACerts: fakeCerts, Created: created})

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", cf.Config.User)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{image.BinaryPath}) || len(cf.Config.Cmd) > 0 {
		t.Errorf("entrypoint %v cmd %v", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	if !cf.Created.Time.Equal(created) || cf.OS != "linux" {
		t.Errorf("created %s os %s", cf.Created, cf.OS)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want OCI", mt)
	}

	files := map[string][]byte{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(created) {
			t.Errorf("%s has time %s, want %s", h.Name, h.ModTime, created)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
	want := map[string][]byte{
		"etc/passwd":                        nil,
		"etc/group":                         nil,
		"etc/ssl/certs/ca-certificates.crt": fakeCerts,
		"usr/local/bin/nango-gateway":       fakeBinary,
	}
	for name, content := range want {
		got, ok := files[name]
		if !ok {
			t.Errorf("no %s", name)
		} else if content != nil && !bytes.Equal(got, content) {
			t.Errorf("%s differs", name)
		}
	}
	if len(files) != len(want) {
		t.Errorf("files = %d, want only %d (no shell, nothing else)", len(files), len(want))
	}
	if !bytes.Contains(files["etc/passwd"], []byte("nonroot:x:65532:65532:")) {
		t.Errorf("/etc/passwd has no entry for 65532:\n%s", files["etc/passwd"])
	}
}

// An archive opens back to the image it was written from, and unpacks to a root
// filesystem with the binary executable.
func TestArchiveOpensAndUnpacks(t *testing.T) {
	img, archive := build(t, image.Options{Binary: fakeBinary, CACerts: fakeCerts})
	dir := t.TempDir()
	path := filepath.Join(dir, "image.tar")
	if err := os.WriteFile(path, archive, 0o600); err != nil {
		t.Fatal(err)
	}
	opened, err := image.OpenArchive(path, filepath.Join(dir, "layout"))
	if err != nil {
		t.Fatal(err)
	}
	if digest(t, opened) != digest(t, img) {
		t.Error("the archive opens to another image")
	}
	root := filepath.Join(dir, "rootfs")
	if err := image.Unpack(opened, root); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, image.BinaryPath))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Fatalf("binary not executable: %v %v", fi, err)
	}
}

// The same commit builds the same binary, hence the same image: no path, time or VCS
// state of the build leaks into it.
func TestSameSourcesBuildTheSameBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway twice")
	}
	dir := t.TempDir()
	var sums [2][32]byte
	for i, name := range []string{"a/nango-gateway", "b/nango-gateway"} {
		out := filepath.Join(dir, name)
		if err := image.BuildBinary(context.Background(), "../..", out, ""); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		sums[i] = sha256.Sum256(b)
	}
	if sums[0] != sums[1] {
		t.Error("two builds of the same sources differ")
	}
}

// Those who build with Docker get the same image: the Dockerfile's user, entrypoint, ports,
// paths and build flags are the builder's.
func TestDockerfileMatchesTheBuilder(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	want := []string{
		"FROM scratch",
		"USER " + image.User,
		`ENTRYPOINT ["` + image.BinaryPath + `"]`,
		"EXPOSE " + strings.Join(image.Ports, " "),
		image.CACertsPath,
		"CGO_ENABLED=0",
		"nonroot:x:65532:65532:",
	}
	for _, f := range image.BuildFlags {
		if k, v, ok := strings.Cut(f, "="); ok && strings.Contains(v, " ") {
			f = k + `="` + v + `"` // the shell's quoting
		}
		want = append(want, f)
	}
	for _, w := range want {
		if !strings.Contains(dockerfile, w) {
			t.Errorf("the Dockerfile lacks %q", w)
		}
	}
}
