package simulator

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// SignWebhook returns the X-Nango-Hmac-Sha256 value of body: lower-case hex
// of HMAC-SHA256 keyed with the webhook signing key.
func SignWebhook(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// LegacyWebhookSignature returns the deprecated X-Nango-Signature value:
// hex SHA-256 of the key followed by the body.
func LegacyWebhookSignature(key string, body []byte) string {
	sum := sha256.Sum256(append([]byte(key), body...))
	return hex.EncodeToString(sum[:])
}

// WebhookBody serialises a payload the way Nango does before signing:
// compact JSON with keys sorted at every level.
func WebhookBody(payload any) ([]byte, error) {
	b, err := marshal(payload)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return marshal(v)
}

// SendWebhook delivers payload to Options.WebhookURL now, signed, with
// Nango's retry rule (network errors and 5xx, three attempts).
func (s *Simulator) SendWebhook(ctx context.Context, payload any) error {
	if s.opts.WebhookURL == "" {
		return errors.New("simulator: no WebhookURL configured")
	}
	body, err := WebhookBody(payload)
	if err != nil {
		return err
	}
	return s.deliver(ctx, body)
}

// webhookBackoff is the wait before each retry; Nango waits 3s then 6s,
// shortened here so tests stay fast.
var webhookBackoff = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}

func (s *Simulator) deliver(ctx context.Context, body []byte) error {
	var last error
	for attempt := 0; attempt <= len(webhookBackoff); attempt++ {
		if attempt > 0 && !sleepCtx(ctx, webhookBackoff[attempt-1]) {
			return ctx.Err()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "nango/0.71.10 (simulator)")
		req.Header.Set("X-Nango-Hmac-Sha256", SignWebhook(s.opts.WebhookSigningKey, body))
		req.Header.Set("X-Nango-Signature", LegacyWebhookSignature(s.opts.WebhookSigningKey, body))
		resp, err := s.opts.WebhookClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode < 500 {
			if resp.StatusCode >= 300 {
				return fmt.Errorf("simulator: webhook answered %d", resp.StatusCode)
			}
			return nil
		}
		last = fmt.Errorf("simulator: webhook answered %d", resp.StatusCode)
	}
	return last
}

// sendWebhookAsync delivers payload in the background (see Close).
func (s *Simulator) sendWebhookAsync(payload obj) { s.sendWebhookAfter(0, payload) }

// sendWebhookAfter delivers payload in the background after delay.
func (s *Simulator) sendWebhookAfter(delay time.Duration, payload obj) {
	if s.opts.WebhookURL == "" {
		return
	}
	body, err := WebhookBody(payload)
	if err != nil {
		return
	}
	s.background(func(ctx context.Context) {
		if delay > 0 && !sleepCtx(ctx, delay) {
			return
		}
		_ = s.deliver(ctx, body)
	})
}

// background runs work in a goroutine that Close waits for and whose context Close
// cancels; once closed, nothing new starts.
func (s *Simulator) background(work func(ctx context.Context)) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.bg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bg.Done()
		work(s.bgCtx)
	}()
}
