package access

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func policyYAML(entries ...string) []byte {
	return []byte("clients:\n" + strings.Join(entries, ""))
}

func entry(name, token string, allow ...string) string {
	return "  - name: " + name + "\n    token_sha256: " + hash(token) + "\n    allow: [" + quoteAll(allow) + "]\n"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}

func TestParsePolicyRefusesWhatCouldWidenOrDropAccess(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "clients:\n  - name: a\n    token_sha256: " + hash("t") + "\n    alow: [\"*\"]\n", "alow"},
		{"missing name", "clients:\n  - token_sha256: " + hash("t") + "\n", "name is required"},
		{"short hash", "clients:\n  - name: a\n    token_sha256: abc\n", "64 hex digits"},
		{"plain token instead of hash", "clients:\n  - name: a\n    token_sha256: my-secret-token\n", "64 hex digits"},
		{"name twice", string(policyYAML(entry("a", "t1"), entry("a", "t2"))), "name listed twice"},
		{"hash twice", string(policyYAML(entry("a", "t1"), entry("b", "t1"))), "token_sha256 listed twice"},
		{"leading slash", string(policyYAML(entry("a", "t", "/nango.gateway.v1.RecordsService/*"))), "leading slash"},
		{"wildcard inside", string(policyYAML(entry("a", "t", "nango.gateway.v1.*Service/*"))), `"*" is allowed only`},
		{"service without method", string(policyYAML(entry("a", "t", "nango.gateway.v1.RecordsService"))), "full method"},
		{"relay wildcard", string(policyYAML(entry("a", "t", "relay/*"))), "exact name"},
		{"not yaml", "clients: [", "clients file"},
		{"zero weight", string(policyYAML(entry("a", "t") + "    rate_weight: 0\n")), "rate_weight must be between 1"},
		{"huge weight", string(policyYAML(entry("a", "t") + "    rate_weight: 5000\n")), "rate_weight must be between 1"},
		{"negative quota", string(policyYAML(entry("a", "t") + "    rate_quota: -1\n")), "rate_quota must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), hash("t")) {
				t.Errorf("error repeats a token hash: %v", err)
			}
		})
	}
}

func TestRateShareReadsWeightAndQuotaWithDefaults(t *testing.T) {
	p, err := ParsePolicy(policyYAML(
		entry("batch", "t1", "*")+"    rate_weight: 1\n    rate_quota: 20\n",
		entry("web", "t2", "*")+"    rate_weight: 4\n",
		entry("plain", "t3", "*"),
	))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name          string
		weight, quota int
	}{{"batch", 1, 20}, {"web", 4, 0}, {"plain", 1, 0}, {"unknown", 1, 0}, {"", 1, 0}} {
		if w, q := p.RateShare(tt.name); w != tt.weight || q != tt.quota {
			t.Errorf("RateShare(%q) = %d, %d; want %d, %d", tt.name, w, q, tt.weight, tt.quota)
		}
	}
}

func TestCheckAuthenticatesThenAppliesTheAllowlist(t *testing.T) {
	p, err := ParsePolicy(policyYAML(
		entry("billing", "tok-billing", "nango.gateway.v1.RecordsService/*", "nango.gateway.v1.WebhooksService/StreamWebhookEvents"),
		entry("ops", "tok-ops", "*"),
		entry("relay-one", "tok-relay", "relay/GET /some/new/route"),
	))
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{logger: slog.New(slog.DiscardHandler)}
	g.policy.Store(p)
	tests := []struct {
		token, call string
		want        codes.Code
		client      string
	}{
		{"", "nango.gateway.v1.RecordsService/ListRecords", codes.Unauthenticated, ""},
		{"tok-unknown", "nango.gateway.v1.RecordsService/ListRecords", codes.Unauthenticated, ""},
		{"tok-billing", "nango.gateway.v1.RecordsService/ListRecords", codes.OK, "billing"},
		{"tok-billing", "nango.gateway.v1.RecordsService/StreamRecords", codes.OK, "billing"},
		{"tok-billing", "nango.gateway.v1.RecordsService/WatchRecords", codes.OK, "billing"},
		{"tok-billing", "nango.gateway.v1.WebhooksService/StreamWebhookEvents", codes.OK, "billing"},
		{"tok-billing", "nango.gateway.v1.WebhooksService/VerifyWebhookSignature", codes.PermissionDenied, ""},
		{"tok-billing", "nango.gateway.v1.RecordsServiceX/ListRecords", codes.PermissionDenied, ""},
		{"tok-billing", "relay/GET /some/new/route", codes.PermissionDenied, ""},
		{"tok-ops", "relay/GET /some/new/route", codes.OK, "ops"},
		{"tok-ops", "nango.gateway.v1.ConnectionsService/GetConnection", codes.OK, "ops"},
		{"tok-relay", "relay/GET /some/new/route", codes.OK, "relay-one"},
		{"tok-relay", "relay/GET /some/new/route/deeper", codes.PermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.token+" "+tt.call, func(t *testing.T) {
			ctx, err := g.Check(context.Background(), tt.token, nil, tt.call)
			if got := status.Code(err); got != tt.want {
				t.Fatalf("code = %v, want %v (%v)", got, tt.want, err)
			}
			if ClientName(ctx) != tt.client {
				t.Errorf("client = %q, want %q", ClientName(ctx), tt.client)
			}
			if err != nil && tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("refusal repeats the token: %v", err)
			}
		})
	}
}

func TestReloadTakesAValidFileAndKeepsTheLastGoodOneOtherwise(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clients.yaml")
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(policyYAML(entry("a", "tok-a", "nango.gateway.v1.RecordsService/*")))
	var logs bytes.Buffer
	g, err := Load(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	allowed := func(token, call string) bool {
		_, err := g.Check(context.Background(), token, nil, call)
		return err == nil
	}

	write(policyYAML(entry("a", "tok-a", "nango.gateway.v1.RecordsService/*"), entry("b", "tok-b", "*")))
	g.reload()
	if !allowed("tok-b", "nango.gateway.v1.ProvidersService/ListProviders") {
		t.Fatal("a client added to the file was not taken up")
	}

	write([]byte("clients:\n  - name: broken\n    token_sha256: nope\n"))
	g.reload()
	if !allowed("tok-b", "nango.gateway.v1.ProvidersService/ListProviders") {
		t.Error("an invalid file replaced the last good one")
	}
	if !strings.Contains(logs.String(), "clients file invalid") {
		t.Errorf("the invalid file was not logged: %s", logs.String())
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	g.reload()
	if !allowed("tok-a", "nango.gateway.v1.RecordsService/ListRecords") {
		t.Error("a missing file dropped the last good policy")
	}
	if strings.Contains(logs.String(), "tok-") || strings.Contains(logs.String(), hash("tok-a")) {
		t.Errorf("logs carry a token or its hash: %s", logs.String())
	}
}

func TestHTTPRefusesSeveralAuthorizationHeadersAndNamesTheClient(t *testing.T) {
	p, err := ParsePolicy(policyYAML(entry("a", "tok-a", "*")))
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{logger: slog.New(slog.DiscardHandler)}
	g.policy.Store(p)
	var seen string
	h := g.HTTP(func(*http.Request) string { return "relay/GET /x" },
		func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, status.Code(err).String(), http.StatusUnauthorized)
		},
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = ClientName(r.Context()) }))

	tests := []struct {
		name   string
		auth   []string
		status int
	}{
		{"one bearer token", []string{"Bearer tok-a"}, http.StatusOK},
		{"scheme in any case", []string{"bearer tok-a"}, http.StatusOK},
		{"two headers", []string{"Bearer tok-a", "Bearer tok-a"}, http.StatusUnauthorized},
		{"basic auth", []string{"Basic dG9rLWE6"}, http.StatusUnauthorized},
		{"none", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = ""
			req := httptest.NewRequest("GET", "/x", nil)
			for _, v := range tt.auth {
				req.Header.Add("Authorization", v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status == http.StatusOK && seen != "a" {
				t.Errorf("handler saw client %q, want a", seen)
			}
		})
	}
}

// FuzzParsePolicy: no clients file panics the parser, and one it accepts only grants what
// it names: every client has a name and a way to be recognised, and every rule is well formed.
func FuzzParsePolicy(f *testing.F) {
	f.Add(string(policyYAML(entry("billing", "t", "nango.gateway.v1.RecordsService/*"))))
	f.Add("clients:\n  - name: a\n    certificate_identity: spiffe://corp/a\n    allow: [\"*\"]\n")
	f.Add("clients: [")
	f.Add("clients:\n  - name: a\n    token_sha256: zz\n")
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		for _, c := range p.clients {
			if c.Name == "" || (c.tokenSHA256 == nil && c.identity == "") {
				t.Fatalf("accepted a client that cannot be named or recognised: %+v", c)
			}
			for _, rule := range c.allow {
				if checkRule(rule) != nil {
					t.Fatalf("accepted a malformed rule %q", rule)
				}
			}
		}
	})
}
