package nangohttp

import (
	"net/http"
	"strings"
)

// hopByHop are the headers that describe one connection rather than the message (RFC 9110
// §7.6.1), plus Content-Length, which whoever writes the body again sets. Relaying them
// breaks clients: a Transfer-Encoding or Connection meant for another hop.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length",
}

// RemoveHopByHop deletes the hop-by-hop headers from h, those its Connection header names
// included, keeping every end-to-end header.
func RemoveHopByHop(h http.Header) {
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopByHop {
		h.Del(name)
	}
}
