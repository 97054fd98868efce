package certs

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/certs/certstest"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A renewed certificate is served from the first handshake after the recheck
// interval; a half-written renewal is logged once and the last good pair kept.
func TestSourceServesARenewedCertificateAndKeepsTheLastGoodOne(t *testing.T) {
	ca := certstest.NewCA(t, "test")
	first, second := ca.Server("first"), ca.Server("second")
	dir := t.TempDir()
	files := Files{Cert: dir + "/tls.crt", Key: dir + "/tls.key"}
	copyFile(t, first.CertFile, files.Cert)
	copyFile(t, first.KeyFile, files.Key)

	var logs bytes.Buffer
	src, err := NewSource(files, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	src.now = func() time.Time { return now }
	serial := func() string {
		t.Helper()
		c, err := src.Certificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.SerialNumber.String()
	}

	copyFile(t, second.CertFile, files.Cert)
	copyFile(t, second.KeyFile, files.Key)
	if got := serial(); got != first.Serial.String() {
		t.Fatalf("reloaded before the interval: serial %s", got)
	}
	now = now.Add(recheckInterval)
	if got := serial(); got != second.Serial.String() {
		t.Fatalf("serial %s after renewal, want %s", got, second.Serial)
	}

	if err := os.WriteFile(files.Key, []byte("-----BEGIN EC PRIVATE KEY-----\ntrunc"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		now = now.Add(recheckInterval)
		if got := serial(); got != second.Serial.String() {
			t.Fatalf("a broken pair replaced the good one: serial %s", got)
		}
	}
	if n := strings.Count(logs.String(), "TLS certificate unusable"); n != 1 {
		t.Errorf("broken pair logged %d times, want once:\n%s", n, logs.String())
	}
}

func TestServerConfigRefusesUnusableFilesByName(t *testing.T) {
	ca := certstest.NewCA(t, "test")
	srv := ca.Server("srv")
	tests := []struct {
		name  string
		files Files
		want  string
	}{
		{"missing cert", Files{Cert: "/nonexistent", Key: srv.KeyFile}, "TLS_CERT_FILE"},
		{"missing key", Files{Cert: srv.CertFile, Key: "/nonexistent"}, "TLS_KEY_FILE"},
		{"key of another cert", Files{Cert: srv.CertFile, Key: ca.Server("other").KeyFile}, "TLS_CERT_FILE/TLS_KEY_FILE"},
		{"client CA without a certificate", Files{Cert: srv.CertFile, Key: srv.KeyFile, ClientCA: srv.KeyFile}, "TLS_CLIENT_CA_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ServerConfig(tt.files, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to name %s", err, tt.want)
			}
		})
	}
}
