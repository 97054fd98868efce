// Package certs serves the gateway's TLS: the certificate and key of both
// listeners, reread when the files change so a renewed certificate (cert-manager,
// a rotated Kubernetes secret) takes effect without a restart, and the client CA
// that turns on mutual TLS.
package certs
