package corpus_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/corpus"
)

// recorder is a testing.TB that keeps its failures instead of failing the test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, format)
}

func (r *recorder) failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

func TestLoadReadsEveryCaseWithItsRouteAndName(t *testing.T) {
	cases := corpus.Load(t)
	names := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("two cases named %s", c.Name)
		}
		names[c.Name] = true
		if strings.Count(c.Name, "/") != 1 {
			t.Errorf("case name %q is not <route>/<case>", c.Name)
		}
	}
	for _, want := range []string{"connections-get/oauth2", "scripts-config/nothing-deployed-openai", "connections-get/error-rate-limited"} {
		if !names[want] {
			t.Errorf("no case %s", want)
		}
	}
}

// send makes one request to the fake Nango with the corpus key.
func send(t *testing.T, url, method string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+corpus.SecretKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func caseNamed(t *testing.T, name string) corpus.Case {
	t.Helper()
	for _, c := range corpus.Load(t) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %s", name)
	return corpus.Case{}
}

func TestUpstreamAnswersTheRecordedRequestOnly(t *testing.T) {
	c := caseNamed(t, "connections-patch/clear-tags")
	tests := []struct {
		name, target, method, body string
		wantFailure                bool
	}{
		{"the recorded request", "/connections/conn-1?provider_config_key=github", "PATCH", `{ "tags": {} }`, false},
		{"another body", "/connections/conn-1?provider_config_key=github", "PATCH", `{"tags":{"a":"b"}}`, true},
		{"another query", "/connections/conn-1?provider_config_key=slack", "PATCH", `{"tags":{}}`, true},
		{"another method", "/connections/conn-1?provider_config_key=github", "POST", `{"tags":{}}`, true},
		{"another path", "/connections/conn-2?provider_config_key=github", "PATCH", `{"tags":{}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			srv := corpus.Upstream(rec, c)
			resp, body := send(t, srv.URL+tt.target, tt.method, tt.body)
			if rec.failed() != tt.wantFailure {
				t.Fatalf("failed = %v (%v), want %v", rec.failed(), rec.errors, tt.wantFailure)
			}
			if !tt.wantFailure && (resp.StatusCode != c.Response.Status || body != string(c.Response.Body)) {
				t.Errorf("answer = %d %s, want %d %s", resp.StatusCode, body, c.Response.Status, c.Response.Body)
			}
		})
	}
}

func TestUpstreamFailsWhenTheRequestNeverCame(t *testing.T) {
	rec := &recorder{TB: t}
	t.Run("no request", func(t *testing.T) {
		rec.TB = t
		corpus.Upstream(rec, caseNamed(t, "connections-delete/ok"))
	})
	if !rec.failed() {
		t.Fatal("a case whose request never came did not fail")
	}
}
