// Package config reads the gateway's settings from flags and environment variables (flags
// win), with _FILE variants for secrets so they can come from mounted Kubernetes secrets.
// A missing or malformed setting is one error naming it.
package config
