package middleware

import (
	"io"
	"net/http"
	"time"
)

// Timeouts bounds each HTTP request where the server's own timeouts cannot without
// also cutting off streams: the caller has readBody to send its body (a client
// trickling a body a byte at a time is cut off, and its connection with it), and
// a unary answer must be written within write. Requests for which stream reports
// true have no write bound: they last as long as the caller reads.
func Timeouts(next http.Handler, readBody, write time.Duration, stream func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if readBody > 0 && r.Body != nil && r.Body != http.NoBody {
			// Errors mean the connection cannot take deadlines (a test recorder): no bound.
			if rc.SetReadDeadline(time.Now().Add(readBody)) == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		if write > 0 && !stream(r) {
			_ = rc.SetWriteDeadline(time.Now().Add(write))
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline once the body has been read, so that the
// server's read for the next request (or for noticing the caller leave) is not cut
// short by the body's bound.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}
