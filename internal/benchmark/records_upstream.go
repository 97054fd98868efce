package benchmark

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// recordsUpstream serves Nango's GET /records shape for one model of n generated records:
// {"records":[…],"next_cursor":…}, each record about ten fields of an issue tracker plus
// _nango_metadata, cursor "c<index>" (opaque to every client). Pages are generated per
// request into pooled buffers, so a million records cost no fixture memory and the
// upstream is never the slowest party. Any other path answers 200 {} after reading the
// body (the relayed-body and unary figures).
type recordsUpstream struct {
	n    int
	pool sync.Pool
	srv  *http.Server
	URL  string
}

// Names the benchmark's requests use; the upstream accepts any.
const (
	benchModel        = "Issue"
	benchIntegration  = "tracker"
	benchConnection   = "conn-1"
	benchSecretKey    = "bench-secret-key"
	benchMaxPageLimit = 10000
)

func startRecordsUpstream(n int) (*recordsUpstream, error) {
	u := &recordsUpstream{n: n}
	u.pool.New = func() any { b := make([]byte, 0, 1<<20); return &b }
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u.srv = &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second}
	u.URL = "http://" + lis.Addr().String()
	go func() { _ = u.srv.Serve(lis) }()
	return u, nil
}

func (u *recordsUpstream) Close() { _ = u.srv.Close() }

func (u *recordsUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || strings.TrimSuffix(r.URL.Path, "/") != "/records" {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
		return
	}
	q := r.URL.Query()
	limit := 100
	if l := q.Get("limit"); l != "" {
		v, err := strconv.Atoi(l)
		if err != nil || v < 1 || v > benchMaxPageLimit {
			http.Error(w, `{"error":{"code":"invalid_query_params"}}`, http.StatusBadRequest)
			return
		}
		limit = v
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		i, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
		if err != nil {
			http.Error(w, `{"error":{"code":"server_error"}}`, http.StatusInternalServerError)
			return
		}
		start = i + 1
	}
	bp := u.pool.Get().(*[]byte)
	b := appendRecordsPage((*bp)[:0], start, min(start+limit, u.n), u.n)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	*bp = b
	u.pool.Put(bp)
}

var benchEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// appendRecordsPage writes records [start, end) of n as one page.
func appendRecordsPage(b []byte, start, end, n int) []byte {
	b = append(b, `{"records":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = appendRecord(b, i)
	}
	b = append(b, `],"next_cursor":`...)
	if end < n {
		b = append(b, `"c`...)
		b = strconv.AppendInt(b, int64(end-1), 10)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

var (
	benchStates   = []string{"open", "closed", "in_progress"}
	benchAuthors  = []string{"ada", "grace", "linus", "margaret", "ken"}
	benchPriority = []string{"low", "medium", "high"}
)

// appendRecord writes one record of about 500 bytes: strings with an escape and a
// non-ASCII character, numbers, booleans, null, an array and a nested object.
func appendRecord(b []byte, i int) []byte {
	id := int64(i)
	at := benchEpoch.Add(time.Duration(i) * time.Millisecond)
	b = append(b, `{"id":"`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","number":`...)
	b = strconv.AppendInt(b, id+1, 10)
	b = append(b, `,"title":"Sync stopped after a \"token refresh\" — issue `...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","state":"`...)
	b = append(b, benchStates[i%len(benchStates)]...)
	b = append(b, `","author":{"login":"`...)
	b = append(b, benchAuthors[i%len(benchAuthors)]...)
	b = append(b, `","id":`...)
	b = strconv.AppendInt(b, int64(i%len(benchAuthors))+1000, 10)
	b = append(b, `},"labels":["bug","`...)
	b = append(b, benchPriority[i%len(benchPriority)]...)
	b = append(b, `"],"comments":`...)
	b = strconv.AppendInt(b, id%17, 10)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, i%7 == 0)
	b = append(b, `,"assignee":null,"url":"https://tracker.example.com/acme/api/issues/`...)
	b = strconv.AppendInt(b, id+1, 10)
	b = append(b, `","created_at":"`...)
	b = at.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","_nango_metadata":{"first_seen_at":"`...)
	b = at.AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
	b = append(b, `","last_modified_at":"`...)
	b = at.AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
	b = append(b, `","last_action":"ADDED","deleted_at":null,"pruned_at":null,"cursor":"c`...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, `"}}`...)
}
