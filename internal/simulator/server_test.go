package simulator

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStartServesTheAPIOnLoopback(t *testing.T) {
	srv, err := Start(Options{Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL = %s", srv.URL())
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	rq, _ := http.NewRequest("PROPFIND", srv.URL()+"/proxy/dav", strings.NewReader("<x/>"))
	rq.Header.Set("Authorization", "Bearer "+SeedAPIKey)
	rq.Header.Set("Connection-Id", SeedConnectionGitHub)
	rq.Header.Set("Provider-Config-Key", SeedIntegrationGitHub)
	resp, err := client.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"method":"PROPFIND"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("recorded %d requests", n)
	}
}
