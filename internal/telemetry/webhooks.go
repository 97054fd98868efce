package telemetry

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// maxAnswerBytes bounds what is kept of the receiver's answer to read its error code or
// duplicate flag; its answers are a few dozen bytes.
const maxAnswerBytes = 512

// Webhooks wraps the webhook receiver to count what it received, refused (by the error
// code of its answer, or the HTTP status when the answer has none) and published, from
// its answers alone.
func (t *Telemetry) Webhooks(next http.Handler) http.Handler {
	m := t.Metrics
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.webhooksReceived.Inc()
		rec := &answerRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		var answer struct {
			Duplicate bool `json:"duplicate"`
			Error     struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &answer)
		if rec.status >= 200 && rec.status < 300 {
			m.webhooksPublished.WithLabelValues(strconv.FormatBool(answer.Duplicate)).Inc()
			return
		}
		reason := answer.Error.Code
		if reason == "" || len(reason) > 64 {
			reason = "http_" + strconv.Itoa(rec.status)
		}
		m.webhooksRejected.WithLabelValues(reason).Inc()
	})
}

type answerRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (a *answerRecorder) WriteHeader(code int) {
	if !a.wroteHeader {
		a.status, a.wroteHeader = code, true
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	a.wroteHeader = true
	if room := maxAnswerBytes - a.body.Len(); room > 0 {
		a.body.Write(b[:min(room, len(b))])
	}
	return a.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (a *answerRecorder) Unwrap() http.ResponseWriter { return a.ResponseWriter }
