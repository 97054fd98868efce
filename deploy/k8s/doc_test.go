// Package k8s_test proves the Kubernetes manifests of deploy/k8s: it renders every overlay
// with the kustomize API, decodes each object strictly into the Kubernetes API types (an
// unknown or misspelt field fails), checks the properties a production deployment relies
// on, and runs what the manifests describe: the image's entrypoint, from its unpacked root
// filesystem, with the environment and files the rendered pods get.
package k8s_test
