package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/nango-gateway/nango-gateway/internal/corpus"
)

// TestRelayGivesBackEveryCorpusAnswerUnchanged replays each recorded exchange with Nango
// through the relay: the caller sends the request the official SDK sends (with its own
// credentials), Nango must receive it with the gateway's key only, and the caller must get
// Nango's status, headers and body bytes, whatever the shape: credentials of every auth
// mode, keys no proto knows, nulls, error bodies over 8 KiB, zod issues, 429s.
func TestRelayGivesBackEveryCorpusAnswerUnchanged(t *testing.T) {
	for _, c := range corpus.Load(t) {
		t.Run(c.Name, func(t *testing.T) {
			upstream := corpus.Upstream(t, c)
			base := startGatewayWithKey(t, upstream.URL, corpus.SecretKey, 64<<20)

			target := c.Request.Path
			if len(c.Request.Query) > 0 {
				target += "?" + url.Values(c.Request.Query).Encode()
			}
			var body io.Reader
			if c.Request.Body != nil {
				body = bytes.NewReader(c.Request.Body)
			}
			req, err := http.NewRequest(c.Request.Method, base+target, body)
			if err != nil {
				t.Fatal(err)
			}
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			for k, v := range c.Request.Headers {
				req.Header.Set(k, v)
			}
			req.Header.Set("Authorization", "Bearer the-callers-own-key")
			got := do(t, req)

			if got.status != c.Response.Status {
				t.Errorf("status %d, Nango answered %d", got.status, c.Response.Status)
			}
			if !bytes.Equal(got.body, c.Response.Bytes()) {
				t.Errorf("body differs from Nango's:\n gateway %s\n nango   %s", got.body, c.Response.Bytes())
			}
			for name, want := range c.Response.Headers {
				if v := got.header.Values(name); len(v) != 1 || v[0] != want {
					t.Errorf("header %s = %q, Nango sent %q", name, v, want)
				}
			}
			wantType := c.Response.Headers["Content-Type"]
			if wantType == "" && c.Response.BodyText == nil {
				wantType = "application/json; charset=utf-8"
			}
			if wantType != "" && got.header.Get("Content-Type") != wantType {
				t.Errorf("Content-Type %q, Nango sent %q", got.header.Get("Content-Type"), wantType)
			}
		})
	}
}
