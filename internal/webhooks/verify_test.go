package webhooks_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/webhooks"
)

func legacySignature(key string, body []byte) string {
	sum := sha256.Sum256(append([]byte(key), body...))
	return hex.EncodeToString(sum[:])
}

func TestSignMatchesAKnownVector(t *testing.T) {
	// RFC 4231 test case 2.
	got := webhooks.Sign("Jefe", []byte("what do ya want for nothing?"))
	if want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"from":"nango","type":"sync"}`)
	sig := webhooks.Sign("key-new", body)
	tests := []struct {
		name      string
		body      []byte
		signature string
		keys      []string
		want      bool
	}{
		{"lower-case hex with the key", body, sig, []string{"key-new"}, true},
		{"upper-case hex with the key", body, strings.ToUpper(sig), []string{"key-new"}, true},
		{"surrounding spaces are ignored", body, " " + sig + " ", []string{"key-new"}, true},
		{"signed with the previous key during a rotation", body, webhooks.Sign("key-old", body), []string{"key-new", "key-old"}, true},
		{"signed with the new key, previous key listed first", body, sig, []string{"key-old", "key-new"}, true},
		{"empty keys are skipped", body, sig, []string{"", "key-new"}, true},
		{"another key", body, sig, []string{"key-other"}, false},
		{"no key at all", body, sig, nil, false},
		{"only empty keys", body, webhooks.Sign("", body), []string{""}, false},
		{"one byte of the body changed", []byte(`{"from":"nango","type":"auth"}`), sig, []string{"key-new"}, false},
		{"empty signature", body, "", []string{"key-new"}, false},
		{"not hex", body, strings.Repeat("zz", 32), []string{"key-new"}, false},
		{"truncated", body, sig[:62], []string{"key-new"}, false},
		{"too long", body, sig + "00", []string{"key-new"}, false},
		{"the legacy scheme is not an HMAC", body, legacySignature("key-new", body), []string{"key-new"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webhooks.Verify(tt.body, tt.signature, tt.keys...); got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVerifyLegacy(t *testing.T) {
	body := []byte(`{"type":"auth"}`)
	tests := []struct {
		name      string
		signature string
		keys      []string
		want      bool
	}{
		{"sha256 of key then body", legacySignature("k", body), []string{"k"}, true},
		{"upper-case hex", strings.ToUpper(legacySignature("k", body)), []string{"k"}, true},
		{"previous key", legacySignature("old", body), []string{"k", "old"}, true},
		{"another key", legacySignature("x", body), []string{"k"}, false},
		{"an HMAC is not the legacy scheme", webhooks.Sign("k", body), []string{"k"}, false},
		{"empty", "", []string{"k"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := webhooks.VerifyLegacy(body, tt.signature, tt.keys...); got != tt.want {
				t.Fatalf("VerifyLegacy = %v, want %v", got, tt.want)
			}
		})
	}
}
