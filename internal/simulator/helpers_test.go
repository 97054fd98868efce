package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fixedNow is the clock of seeded tests: seed data is derived from it.
var fixedNow = time.Date(2026, 3, 10, 12, 34, 56, 0, time.UTC)

func newSeeded(t *testing.T) *Simulator {
	t.Helper()
	return New(Options{Seed: true, Now: func() time.Time { return fixedNow }, RateLimit: -1})
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r resp) list(t *testing.T) []any {
	t.Helper()
	var l []any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("answer is not a JSON array: %v: %s", err, r.body)
	}
	return l
}

// errCode returns error.code of a Nango envelope.
func (r resp) errCode(t *testing.T) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error envelope: %s", r.body)
	}
	code, _ := e["code"].(string)
	return code
}

// req describes one request; the zero value of auth sends the default key.
type req struct {
	method string
	target string
	body   any // nil, string, []byte or a value encoded as JSON
	header map[string]string
	noAuth bool
}

func send(t *testing.T, h http.Handler, rq req) resp {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := rq.body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	r := httptest.NewRequest(rq.method, rq.target, rd)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if !rq.noAuth {
		r.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	}
	for k, v := range rq.header {
		if v == "\x00" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func get(t *testing.T, h http.Handler, target string) resp {
	t.Helper()
	return send(t, h, req{method: "GET", target: target})
}

func expectStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body: %s", r.status, status, r.body)
	}
}

func expectError(t *testing.T, r resp, status int, code string) {
	t.Helper()
	expectStatus(t, r, status)
	if got := r.errCode(t); got != code {
		t.Fatalf("error.code = %q, want %q; body: %s", got, code, r.body)
	}
}

// seedFunction deploys f on integration key, as a deploy would.
func seedFunction(t *testing.T, s *Simulator, key string, f *function) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.st.integration(key)
	if i == nil {
		t.Fatalf("no integration %s", key)
	}
	f.id = s.st.nextFuncID
	s.st.nextFuncID++
	f.enabled = true
	f.source = "standalone"
	i.functions = append(i.functions, f)
}
