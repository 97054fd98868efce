package certs

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Files names the PEM files of a listener's TLS.
type Files struct {
	Cert, Key string
	// ClientCA, when set, requires every client to present a certificate signed by it.
	ClientCA string
}

// Source hands out the current certificate, rereading the files at most once per
// interval, from the handshake that needs it. A pair that no longer loads (a
// half-written renewal) is logged and the last good one kept.
type Source struct {
	files    Files
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	raw       []byte // cert and key as last read
	lastErr   string // the last reload failure, logged once
	checkedAt time.Time
}

// recheckInterval bounds how stale a renewed certificate may be; a stat-free read
// of two small files this often costs nothing.
const recheckInterval = 5 * time.Second

// NewSource loads the pair once; an unusable pair stops start-up.
func NewSource(files Files, logger *slog.Logger) (*Source, error) {
	s := &Source{files: files, logger: logger, interval: recheckInterval, now: time.Now}
	raw, cert, err := s.load()
	if err != nil {
		return nil, err
	}
	s.raw, s.cert, s.checkedAt = raw, cert, s.now()
	return s, nil
}

func (s *Source) load() ([]byte, *tls.Certificate, error) {
	certPEM, err := os.ReadFile(s.files.Cert)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS_CERT_FILE: %w", err)
	}
	keyPEM, err := os.ReadFile(s.files.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS_KEY_FILE: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error names no key material, only what is wrong with it.
		return nil, nil, fmt.Errorf("TLS_CERT_FILE/TLS_KEY_FILE: %w", err)
	}
	return append(certPEM, keyPEM...), &cert, nil
}

// Certificate is tls.Config.GetCertificate.
func (s *Source) Certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.checkedAt) >= s.interval {
		s.checkedAt = now
		s.reloadLocked()
	}
	return s.cert, nil
}

func (s *Source) reloadLocked() {
	raw, cert, err := s.load()
	if err != nil {
		if err.Error() != s.lastErr {
			s.lastErr = err.Error()
			s.logger.Error("TLS certificate unusable; keeping the last good one", "cert_file", s.files.Cert, "error", err)
		}
		return
	}
	s.lastErr = ""
	if bytes.Equal(raw, s.raw) {
		return
	}
	s.raw, s.cert = raw, cert
	s.logger.Info("TLS certificate reloaded", "cert_file", s.files.Cert, "not_after", cert.Leaf.NotAfter)
}

// ServerConfig is the TLS of both listeners: TLS 1.2 or later, the current
// certificate, and client certificates verified against ClientCA when set.
func ServerConfig(files Files, logger *slog.Logger) (*tls.Config, error) {
	src, err := NewSource(files, logger)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: src.Certificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	if files.ClientCA != "" {
		pem, err := os.ReadFile(files.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("TLS_CLIENT_CA_FILE: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("TLS_CLIENT_CA_FILE: no PEM certificate in it")
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Identities are the names a verified client certificate gives its holder: URI
// SANs (SPIFFE ids), DNS SANs and the subject's common name, in that order.
func Identities(state *tls.ConnectionState) []string {
	if state == nil || len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return nil
	}
	leaf := state.VerifiedChains[0][0]
	var ids []string
	for _, u := range leaf.URIs {
		ids = append(ids, u.String())
	}
	ids = append(ids, leaf.DNSNames...)
	if leaf.Subject.CommonName != "" {
		ids = append(ids, leaf.Subject.CommonName)
	}
	return ids
}
