// Package corpus is a record of exchanges with Nango, one file per route and case, written
// from Nango's types and from what a running Nango was seen to answer: every credential
// type, keys no proto knows, nulls, large and validation error bodies, rate limiting. Each
// case holds the gateway call, the exact request the gateway must send upstream and
// Nango's answer, so the gRPC services and the REST face can both be replayed against it:
// a gRPC replay sends GRPCRequest to RPC; the REST face, which relays a caller's request to
// Nango unchanged, can send Request itself and expect Response back as it is.
package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// SecretKey is the Nango secret key of the fake upstream: a gateway replaying the corpus
// must be configured with it, and every request must carry it as its bearer token.
const SecretKey = "corpus-secret-key"

// Case is one exchange: testdata/<route>/<case>.json.
type Case struct {
	// Name is "<route>/<case>", from the file's path.
	Name string `json:"-"`
	// Description says what the case proves.
	Description string `json:"description"`
	// RPC is the full gRPC method name, "/nango.gateway.v1.ConnectionsService/GetConnection".
	RPC string `json:"rpc"`
	// GRPCRequest is the RPC's request message as protojson.
	GRPCRequest json.RawMessage `json:"grpc_request"`
	// Request is the request the gateway sends to Nango for it.
	Request Request `json:"request"`
	// Response is Nango's answer.
	Response Response `json:"response"`
}

// Request is an upstream request. Query and Headers list what must be there (query
// parameters all of them, in any order of names; headers only those named, by value);
// Body is the JSON body, absent for none.
type Request struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"` // escaped, as on the wire
	Query   map[string][]string `json:"query,omitempty"`
	Headers map[string]string   `json:"headers,omitempty"`
	Body    json.RawMessage     `json:"body,omitempty"`
}

// Response is Nango's answer: a JSON Body, or BodyText sent byte for byte.
type Response struct {
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers,omitempty"`
	Body     json.RawMessage   `json:"body,omitempty"`
	BodyText *string           `json:"body_text,omitempty"`
}

// Bytes is the answer's body as Nango sends it.
func (r Response) Bytes() []byte {
	if r.BodyText != nil {
		return []byte(*r.BodyText)
	}
	return r.Body
}

// IsError reports a non-2xx answer.
func (r Response) IsError() bool { return r.Status < 200 || r.Status > 299 }

// Load reads every case, sorted by name. A file that does not parse, has keys a Case does
// not know or lacks a required field fails tb.
func Load(tb testing.TB) []Case {
	tb.Helper()
	dir := testdataDir(tb)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("corpus: no case under %s (%v)", dir, err)
	}
	slices.Sort(files)
	cases := make([]Case, 0, len(files))
	for _, f := range files {
		c, err := loadCase(f)
		if err != nil {
			tb.Fatalf("corpus: %s: %v", f, err)
		}
		rel, _ := filepath.Rel(dir, f)
		c.Name = strings.TrimSuffix(filepath.ToSlash(rel), ".json")
		cases = append(cases, c)
	}
	return cases
}

func loadCase(path string) (Case, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Case{}, err
	}
	var c Case
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Case{}, err
	}
	switch {
	case c.Description == "":
		return c, fmt.Errorf("no description")
	case !strings.HasPrefix(c.RPC, "/") || strings.Count(c.RPC, "/") != 2:
		return c, fmt.Errorf("rpc %q is not a full method name (/package.Service/Method)", c.RPC)
	case len(c.GRPCRequest) == 0:
		return c, fmt.Errorf("no grpc_request")
	case c.Request.Method == "" || !strings.HasPrefix(c.Request.Path, "/"):
		return c, fmt.Errorf("request needs a method and a path starting with /")
	case c.Response.Status < 100 || c.Response.Status > 599:
		return c, fmt.Errorf("response status %d", c.Response.Status)
	case c.Response.Body != nil && c.Response.BodyText != nil:
		return c, fmt.Errorf("response has both body and body_text")
	}
	return c, nil
}

// testdataDir is this package's testdata, wherever the test that loads it runs.
func testdataDir(tb testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("corpus: cannot locate the package's source")
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Upstream is a fake Nango for c: it answers c.Response to c.Request (as often as it comes:
// a client may retry) and fails tb on any other request, and at cleanup when the request
// never came. It is closed at cleanup.
func Upstream(tb testing.TB, c Case) *httptest.Server {
	tb.Helper()
	var matched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if problems := mismatch(c.Request, r, body); len(problems) > 0 {
			tb.Errorf("corpus %s: unexpected upstream request %s %s?%s:\n  %s", c.Name, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, strings.Join(problems, "\n  "))
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"corpus_unexpected_request"}}`))
			return
		}
		matched.Add(1)
		for k, v := range c.Response.Headers {
			w.Header().Set(k, v)
		}
		if w.Header().Get("Content-Type") == "" && c.Response.BodyText == nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.WriteHeader(c.Response.Status)
		_, _ = w.Write(c.Response.Bytes())
	}))
	tb.Cleanup(func() {
		srv.Close()
		if matched.Load() == 0 {
			tb.Errorf("corpus %s: the request %s %s never reached the fake Nango", c.Name, c.Request.Method, c.Request.Path)
		}
	})
	return srv
}

// mismatch lists how r differs from want; the Authorization value is never printed.
func mismatch(want Request, r *http.Request, body []byte) []string {
	var out []string
	if r.Header.Get("Authorization") != "Bearer "+SecretKey {
		out = append(out, "Authorization is not the bearer corpus.SecretKey")
	}
	if r.Method != want.Method {
		out = append(out, fmt.Sprintf("method %s, want %s", r.Method, want.Method))
	}
	if got := r.URL.EscapedPath(); got != want.Path {
		out = append(out, fmt.Sprintf("path %s, want %s", got, want.Path))
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		out = append(out, fmt.Sprintf("query %q does not parse: %v", r.URL.RawQuery, err))
	}
	if len(q) != 0 || len(want.Query) != 0 {
		if !reflect.DeepEqual(map[string][]string(q), want.Query) {
			out = append(out, fmt.Sprintf("query %v, want %v", q, want.Query))
		}
	}
	for k, v := range want.Headers {
		if got := r.Header.Values(k); len(got) != 1 || got[0] != v {
			out = append(out, fmt.Sprintf("header %s = %q, want %q", k, got, v))
		}
	}
	switch {
	case want.Body == nil && len(body) != 0:
		out = append(out, fmt.Sprintf("a %d-byte body, want none", len(body)))
	case want.Body != nil:
		if eq, err := SameJSON(body, want.Body); err != nil || !eq {
			out = append(out, fmt.Sprintf("body %s, want %s", body, want.Body))
		}
	}
	return out
}

// SameJSON reports whether a and b hold the same JSON value (object key order ignored,
// numbers compared as float64); an error says which is not JSON.
func SameJSON(a, b []byte) (bool, error) {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false, fmt.Errorf("not JSON: %q: %w", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false, fmt.Errorf("not JSON: %q: %w", b, err)
	}
	return reflect.DeepEqual(x, y), nil
}
