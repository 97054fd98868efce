// Command build-image writes the gateway's OCI image archive (`make image`): it builds
// the static binary of ./cmd/server and assembles the image from an empty base, with no
// container engine and no registry.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/nango-gateway/nango-gateway/internal/image"
)

func main() {
	var (
		out      = flag.String("o", "bin/nango-gateway-image.tar", "archive to write")
		ref      = flag.String("ref", "ghcr.io/nango-gateway/nango-gateway:dev", "image name and tag recorded in the archive")
		arch     = flag.String("arch", runtime.GOARCH, "GOARCH of the image")
		caCerts  = flag.String("ca-certs", image.DefaultCACerts, "CA bundle copied into the image")
		revision = flag.String("revision", "", "commit recorded in the org.opencontainers.image.revision label")
		module   = flag.String("module", ".", "directory of the gateway's go.mod")
	)
	flag.Parse()
	if err := run(*out, *ref, *arch, *caCerts, *revision, *module); err != nil {
		fmt.Fprintln(os.Stderr, "build-image:", err)
		os.Exit(1)
	}
}

func run(out, ref, arch, caCerts, revision, module string) error {
	created, err := image.SourceDateEpoch(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	certs, err := os.ReadFile(caCerts)
	if err != nil {
		return fmt.Errorf("CA certificates: %w", err)
	}
	tmp, err := os.MkdirTemp("", "build-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "nango-gateway")
	if err := image.BuildBinary(context.Background(), module, bin, arch); err != nil {
		return err
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	labels := map[string]string{
		"org.opencontainers.image.title":  "nango-gateway",
		"org.opencontainers.image.source": "https://github.com/nango-gateway/nango-gateway",
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	img, err := image.Build(image.Options{Binary: binary, CACerts: certs, Arch: arch, Created: created, Labels: labels})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := image.WriteArchive(&buf, img, ref); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s@%s\n", out, ref, digest)
	return nil
}
