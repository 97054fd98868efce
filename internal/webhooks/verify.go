package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Sign returns the X-Nango-Hmac-Sha256 value Nango sends for body: lower-case hex of
// HMAC-SHA256 keyed with the webhook signing key.
func Sign(key string, body []byte) string {
	return hex.EncodeToString(hmacSHA256(key, body))
}

// Verify reports whether signature (an X-Nango-Hmac-Sha256 value, either hex case) is
// the HMAC-SHA256 of body under one of keys; empty keys are skipped. Several keys cover
// a rotation, during which Nango may still sign with the previous key. Every key is
// tried, and compared in constant time, whatever the outcome.
func Verify(body []byte, signature string, keys ...string) bool {
	return verifyWith(hmacSHA256, body, signature, keys)
}

// VerifyLegacy checks the deprecated X-Nango-Signature: hex SHA-256 of the key followed
// by the body. It is open to length extension, so accept it only when asked to.
func VerifyLegacy(body []byte, signature string, keys ...string) bool {
	return verifyWith(keyedSHA256, body, signature, keys)
}

func hmacSHA256(key string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return m.Sum(nil)
}

func keyedSHA256(key string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(body)
	return h.Sum(nil)
}

// verifyWith compares signature with digest(key, body) for every non-empty key, in
// constant time, without stopping at the first match.
func verifyWith(digest func(key string, body []byte) []byte, body []byte, signature string, keys []string) bool {
	want, ok := decodeSHA256Hex(signature)
	if !ok {
		return false
	}
	valid := 0
	for _, key := range keys {
		if key == "" {
			continue
		}
		valid |= subtle.ConstantTimeCompare(digest(key, body), want)
	}
	return valid == 1
}

func decodeSHA256Hex(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 2*sha256.Size {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}
