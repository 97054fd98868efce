package nangohttp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// benchServer answers {} with Nango's rate-limit headers, so the governor
// does its per-answer work.
func benchServer(b *testing.B) *httptest.Server {
	reset := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-RateLimit-Limit", "100000000")
		h.Set("X-RateLimit-Remaining", "99999999")
		h.Set("X-RateLimit-Reset", reset)
		w.Write([]byte("{}"))
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkBareHTTPClient is the floor: one GET with the same headers over
// the same transport, body read in full, no retry layer.
func BenchmarkBareHTTPClient(b *testing.B) {
	srv := benchServer(b)
	hc := &http.Client{Transport: NewTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/providers", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("User-Agent", "bench/1")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkDoSuccess is the same call through Client.Do: request building,
// default deadline, governor admission and learning, budget refund.
func BenchmarkDoSuccess(b *testing.B) {
	srv := benchServer(b)
	c, err := New(Config{BaseURL: srv.URL, SecretKey: testKey, UserAgent: "bench/1"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.CloseIdleConnections)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(ctx, &Request{Path: "/providers"}); err != nil {
			b.Fatal(err)
		}
	}
}
