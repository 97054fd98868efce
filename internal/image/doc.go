// Package image builds the gateway's container image without a container engine and
// without pulling a base image: from an empty base it adds one layer with the CA
// certificates and a passwd entry for the non-root user (65532) and one with the static
// binary, and writes an OCI image archive. Every timestamp is fixed and the binary is
// built with -trimpath and no VCS stamp, so the same commit, toolchain and CA bundle give
// the same image digest.
package image
