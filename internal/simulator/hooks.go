package simulator

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RecordedRequest is a copy of one request the simulator received.
type RecordedRequest struct {
	Method   string
	Path     string // r.URL.EscapedPath()
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
}

// Fault makes matching requests fail before authentication. Faults are
// consumed in the order they were injected.
type Fault struct {
	Method     string        // "" = any
	PathPrefix string        // "" = any; matched against the unescaped path
	Times      int           // how many matching requests it affects; 0 = 1
	Status     int           // answer this status with Body (default Nango envelope for the status)
	Body       []byte        // raw body to answer (with Status); nil = envelope {"error":{"code":Code,"message":...}}
	Code       string        // Nango error code for the default envelope
	Header     http.Header   // extra response headers (e.g. Retry-After)
	Latency    time.Duration // sleep before answering (respects request context)
	Reset      bool          // hijack and close the connection without answering
	Malformed  bool          // answer 200 with a truncated/invalid JSON body

	// SlowBody answers Status (default 200) with its headers at once, then writes Body
	// (default the start of a records page) one byte every SlowBody, and then stalls
	// without ending the answer until the request ends (at most a minute): a body that
	// never arrives in time, whatever the caller's deadline.
	SlowBody time.Duration
	// HugeBody answers Status (default 200) with a records page of about HugeBody bytes,
	// made as it is written (the simulator holds none of it) and sent without a length,
	// so a client only learns its size by reading it.
	HugeBody int64
	// RecordPages answers the n-th matching request (from 0) with a records page of
	// records records (ids fault-n-i) and next_cursor ("" for null): pages that loop
	// (A→B→A) or run on without end, as a misbehaving /records could.
	RecordPages func(n int) (records int, nextCursor string)

	n int // which matching request this is, from 0
}

type faultState struct {
	f      Fault
	left   int
	served int
}

// Requests returns a copy of every request received, in order, including
// rejected ones.
func (s *Simulator) Requests() []RecordedRequest {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Simulator) ResetRequests() {
	s.reqMu.Lock()
	s.requests = nil
	s.reqMu.Unlock()
}

// InjectFault queues a fault; see Fault.
func (s *Simulator) InjectFault(f Fault) {
	n := f.Times
	if n <= 0 {
		n = 1
	}
	f.Header = f.Header.Clone()
	if f.Body != nil {
		f.Body = append([]byte{}, f.Body...)
	}
	s.reqMu.Lock()
	s.faults = append(s.faults, &faultState{f: f, left: n})
	s.reqMu.Unlock()
}

// ClearFaults drops every queued fault.
func (s *Simulator) ClearFaults() {
	s.reqMu.Lock()
	s.faults = nil
	s.reqMu.Unlock()
}

func (r RecordedRequest) clone() RecordedRequest {
	c := r
	c.Header = r.Header.Clone()
	c.Query = url.Values{}
	for k, v := range r.Query {
		c.Query[k] = append([]string(nil), v...)
	}
	if r.Body != nil {
		c.Body = append([]byte{}, r.Body...)
	}
	return c
}

func (s *Simulator) record(r *http.Request, body []byte) {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	if q == nil {
		q = url.Values{}
	}
	rec := RecordedRequest{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Query:    q,
		Header:   r.Header.Clone(),
	}
	if body != nil {
		rec.Body = append([]byte{}, body...)
	}
	s.reqMu.Lock()
	s.requests = append(s.requests, rec)
	s.reqMu.Unlock()
}

// takeFault consumes the first queued fault that matches r.
func (s *Simulator) takeFault(r *http.Request) (Fault, bool) {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	for i, fs := range s.faults {
		if fs.f.Method != "" && !strings.EqualFold(fs.f.Method, r.Method) {
			continue
		}
		if fs.f.PathPrefix != "" && !strings.HasPrefix(r.URL.Path, fs.f.PathPrefix) {
			continue
		}
		fs.left--
		if fs.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		f := fs.f
		f.n = fs.served
		fs.served++
		return f, true
	}
	return Fault{}, false
}

// applyFault answers r with a queued fault, if one matches. A fault with only
// Latency (or Header) delays the request and lets it through.
func (s *Simulator) applyFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Latency > 0 {
		if !sleepCtx(r.Context(), f.Latency) {
			// The client is gone; nobody reads an answer.
			return true
		}
	}
	if f.Reset {
		resetConn(w)
		return true
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	switch {
	case f.SlowBody > 0:
		writeSlowBody(w, r, f)
		return true
	case f.HugeBody > 0:
		writeHugeBody(w, f)
		return true
	case f.RecordPages != nil:
		records, next := f.RecordPages(f.n)
		writeRaw(w, cmp.Or(f.Status, http.StatusOK), "application/json; charset=utf-8", faultRecordsPage(f.n, records, next))
		return true
	case f.Malformed:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeRaw(w, status, "application/json; charset=utf-8", []byte(`{"data":[{"id":"1","name":"trunc`))
		return true
	case f.Status != 0:
		if f.Body != nil {
			ct := w.Header().Get("Content-Type")
			if ct == "" {
				ct = "application/json; charset=utf-8"
			}
			writeRaw(w, f.Status, ct, f.Body)
			return true
		}
		code := f.Code
		if code == "" {
			code = defaultCode(f.Status)
		}
		writeErr(w, errf(f.Status, code, "injected fault: "+http.StatusText(f.Status)))
		return true
	}
	return false
}

// writeSlowBody trickles f.Body and then stalls; see Fault.SlowBody.
func writeSlowBody(w http.ResponseWriter, r *http.Request, f Fault) {
	body := f.Body
	if body == nil {
		body = []byte(`{"records":[{"id":"slow-1","_nango_metadata":{"cursor":"c`)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	rc := http.NewResponseController(w)
	w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
	_ = rc.Flush()
	for i := range body {
		if _, err := w.Write(body[i : i+1]); err != nil || rc.Flush() != nil {
			return
		}
		if !sleepCtx(r.Context(), f.SlowBody) {
			return
		}
	}
	sleepCtx(r.Context(), time.Minute)
}

// writeHugeBody writes a records page of about f.HugeBody bytes; see Fault.HugeBody.
func writeHugeBody(w http.ResponseWriter, f Fault) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
	pad := strings.Repeat("x", 4096)
	written := int64(0)
	write := func(s string) bool {
		n, err := io.WriteString(w, s)
		written += int64(n)
		return err == nil
	}
	if !write(`{"records":[`) {
		return
	}
	for i := 0; written < f.HugeBody; i++ {
		sep := ","
		if i == 0 {
			sep = ""
		}
		rec := sep + `{"id":"huge-` + strconv.Itoa(i) + `","_nango_metadata":{"cursor":"huge-` + strconv.Itoa(i) + `"},"pad":"` + pad + `"}`
		if !write(rec) {
			return // the client stopped reading
		}
	}
	write(`],"next_cursor":null}`)
}

// faultRecordsPage is a records page of records records pointing to next ("" for null).
func faultRecordsPage(n, records int, next string) []byte {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	for i := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		id := "fault-" + strconv.Itoa(n) + "-" + strconv.Itoa(i)
		b.WriteString(`{"id":"` + id + `","_nango_metadata":{"cursor":"` + id + `","last_action":"ADDED","deleted_at":null}}`)
	}
	b.WriteString(`],"next_cursor":`)
	if next == "" {
		b.WriteString("null")
	} else {
		nc, _ := json.Marshal(next)
		b.Write(nc)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// resetConn closes the client connection without an answer; with SO_LINGER 0
// the client sees a TCP reset. Without a Hijacker the handler aborts, which
// net/http also turns into a closed connection.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// defaultCode is the Nango error code a fault uses for a bare status.
func defaultCode(status int) string {
	switch status {
	case 400:
		return "invalid_request"
	case 401:
		return "unknown_account"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 409:
		return "conflict"
	case 413:
		return "payload_too_large"
	case 429:
		return "too_many_request"
	case 500:
		return "server_error"
	case 502:
		return "bad_gateway"
	case 503:
		return "service_unavailable"
	case 504:
		return "gateway_timeout"
	}
	return "server_error"
}

// sleepCtx waits d or until ctx ends; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
