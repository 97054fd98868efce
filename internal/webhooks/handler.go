package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nango-gateway/nango-gateway/internal/eventbus"
)

// Path is where Nango is configured to send webhooks.
const Path = "/webhooks/nango"

// Headers Nango signs webhooks with.
const (
	HeaderSignature       = "X-Nango-Hmac-Sha256"
	HeaderLegacySignature = "X-Nango-Signature"
)

// Defaults of HandlerOptions.
const (
	DefaultMaxBodyBytes   int64 = 1 << 20
	DefaultPublishTimeout       = 10 * time.Second
)

// HandlerOptions configures NewHandler.
type HandlerOptions struct {
	// Bus receives every accepted webhook. Required.
	Bus eventbus.Bus
	// SigningKey is the environment's webhook signing key. Required.
	SigningKey string
	// PreviousSigningKey is also accepted, for the minutes after a key rotation
	// during which Nango may still sign with it.
	PreviousSigningKey string
	// AllowLegacySignature accepts X-Nango-Signature when X-Nango-Hmac-Sha256 does not
	// verify. That scheme is open to length extension: leave it off unless a Nango
	// version without the HMAC header must be served.
	AllowLegacySignature bool
	// MaxBodyBytes bounds the body; larger ones get 413. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// PublishTimeout bounds the wait for the bus; Nango gives up after 20 s. Default
	// DefaultPublishTimeout.
	PublishTimeout time.Duration
	// Logger receives one line per rejected webhook (never the body or the key).
	Logger *slog.Logger
	// Now is the clock that stamps ReceivedAt; nil means time.Now.
	Now func() time.Time
}

// Stats counts what the handler did, since it was created.
type Stats struct {
	Accepted         uint64 // new events published
	Duplicates       uint64 // deliveries of a body already published
	MissingSignature uint64 // 401: no signature header
	InvalidSignature uint64 // 401: a signature that does not verify
	TooLarge         uint64 // 413
	InvalidJSON      uint64 // 400: signed, but not JSON
	PublishFailures  uint64 // 503: the bus failed
}

// RejectedSignatures is MissingSignature + InvalidSignature.
func (s Stats) RejectedSignatures() uint64 { return s.MissingSignature + s.InvalidSignature }

// Handler serves POST /webhooks/nango.
type Handler struct {
	opts HandlerOptions
	keys []string

	accepted, duplicates, missingSig, invalidSig, tooLarge, invalidJSON, publishFailures atomic.Uint64
}

// NewHandler returns the webhook receiver.
func NewHandler(opts HandlerOptions) (*Handler, error) {
	if opts.Bus == nil {
		return nil, errors.New("webhooks: an event bus is required")
	}
	if opts.SigningKey == "" {
		return nil, errors.New("webhooks: a webhook signing key is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	keys := []string{opts.SigningKey}
	if opts.PreviousSigningKey != "" {
		keys = append(keys, opts.PreviousSigningKey)
	}
	return &Handler{opts: opts, keys: keys}, nil
}

// Stats returns the counters.
func (h *Handler) Stats() Stats {
	return Stats{
		Accepted:         h.accepted.Load(),
		Duplicates:       h.duplicates.Load(),
		MissingSignature: h.missingSig.Load(),
		InvalidSignature: h.invalidSig.Load(),
		TooLarge:         h.tooLarge.Load(),
		InvalidJSON:      h.invalidJSON.Load(),
		PublishFailures:  h.publishFailures.Load(),
	}
}

// ServeHTTP checks, in order: the method (405), the body size (413), the signature
// (401), that the body is JSON (400); then it publishes and answers 200 once the bus
// has the event (503 if it fails, which Nango retries). A rejected body is dropped.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Only POST is accepted")
		return
	}
	receivedAt := h.opts.Now()
	log := h.opts.Logger
	if log.Enabled(r.Context(), slog.LevelWarn) {
		log = log.With("remote_addr", r.RemoteAddr)
	}

	if r.ContentLength > h.opts.MaxBodyBytes {
		h.tooLarge.Add(1)
		log.Warn("webhook rejected", "reason", "too large", "bytes", r.ContentLength)
		writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The body exceeds "+strconv.FormatInt(h.opts.MaxBodyBytes, 10)+" bytes")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.MaxBodyBytes+1))
	if err != nil {
		log.Warn("webhook rejected", "reason", "unreadable body", "error", err)
		writeError(w, http.StatusBadRequest, "invalid_body", "The body could not be read")
		return
	}
	if int64(len(body)) > h.opts.MaxBodyBytes {
		h.tooLarge.Add(1)
		log.Warn("webhook rejected", "reason", "too large", "bytes", ">"+strconv.FormatInt(h.opts.MaxBodyBytes, 10))
		writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "The body exceeds "+strconv.FormatInt(h.opts.MaxBodyBytes, 10)+" bytes")
		return
	}

	if code, ok := h.verify(r.Header, body); !ok {
		if code == "missing_signature" {
			h.missingSig.Add(1)
		} else {
			h.invalidSig.Add(1)
		}
		log.Warn("webhook rejected", "reason", code, "bytes", len(body))
		writeError(w, http.StatusUnauthorized, code, "The webhook signature is missing or does not match the signing key")
		return
	}

	if err := Check(body); err != nil {
		h.invalidJSON.Add(1)
		log.Warn("webhook rejected", "reason", "not JSON", "bytes", len(body))
		writeError(w, http.StatusBadRequest, "invalid_json", "The body is not JSON")
		return
	}

	if err := eventbus.Healthy(h.opts.Bus); err != nil {
		// Waiting out the publish deadline would only delay the same answer: Nango
		// delivers the webhook again later.
		h.publishFailures.Add(1)
		log.Error("webhook not published", "type", typeOf(body), "error", err)
		writeError(w, http.StatusServiceUnavailable, "event_bus_unavailable", "The event could not be stored; retry later")
		return
	}
	sum := sha256.Sum256(body)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.opts.PublishTimeout)
	defer cancel()
	seq, dup, err := h.opts.Bus.Publish(ctx, hex.EncodeToString(sum[:]), body, receivedAt)
	if err != nil {
		h.publishFailures.Add(1)
		log.Error("webhook not published", "type", typeOf(body), "error", err)
		writeError(w, http.StatusServiceUnavailable, "event_bus_unavailable", "The event could not be stored; retry later")
		return
	}
	if dup {
		h.duplicates.Add(1)
	} else {
		h.accepted.Add(1)
	}
	if log.Enabled(r.Context(), slog.LevelDebug) {
		log.Debug("webhook published", "type", typeOf(body), "sequence", seq, "duplicate", dup, "bytes", len(body))
	}
	// {"ok":true,"sequence":"<seq>","duplicate":<dup>}, written without reflection.
	answer := make([]byte, 0, 64)
	answer = append(answer, `{"ok":true,"sequence":"`...)
	answer = strconv.AppendUint(answer, seq, 10)
	answer = append(answer, `","duplicate":`...)
	answer = strconv.AppendBool(answer, dup)
	answer = append(answer, '}')
	writeBody(w, http.StatusOK, answer)
}

// typeOf is the webhook's type, for log lines; the body has passed Check.
func typeOf(body []byte) string {
	ev, err := Parse(body)
	if err != nil {
		return ""
	}
	return ev.GetType()
}

// verify returns "" and true when the body is signed, else the error code.
func (h *Handler) verify(header http.Header, body []byte) (string, bool) {
	sig, hasSig := header[http.CanonicalHeaderKey(HeaderSignature)]
	if hasSig && len(sig) > 0 && Verify(body, sig[0], h.keys...) {
		return "", true
	}
	legacy, hasLegacy := header[http.CanonicalHeaderKey(HeaderLegacySignature)]
	if h.opts.AllowLegacySignature {
		if hasLegacy && len(legacy) > 0 && VerifyLegacy(body, legacy[0], h.keys...) {
			return "", true
		}
		hasSig = hasSig || hasLegacy
	}
	if !hasSig {
		return "missing_signature", false
	}
	return "invalid_signature", false
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
