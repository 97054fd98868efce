package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// obj is a JSON object whose members keep their insertion order, so answers
// have the same key order as Nango's (encoding/json sorts map keys).
type obj []kv

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := appendValue(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// appendValue writes v as compact JSON without HTML escaping. Common types
// are written directly (seeding writes thousands of records); the rest goes
// through encoding/json.
func appendValue(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		if !utf8.ValidString(x) {
			return appendMarshal(b, x)
		}
		appendString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case json.RawMessage:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.Write(x)
	case obj:
		b.WriteByte('{')
		for i, m := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendValue(b, m.k); err != nil {
				return err
			}
			b.WriteByte(':')
			if err := appendValue(b, m.v); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []obj:
		return appendArray(b, x)
	case []string:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		return appendArray(b, x)
	default:
		return appendMarshal(b, v)
	}
	return nil
}

// appendArray writes the elements of a slice as a JSON array.
func appendArray[T any](b *bytes.Buffer, elems []T) error {
	b.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := appendValue(b, e); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

func appendMarshal(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

const hexDigits = "0123456789abcdef"

// appendString writes a valid UTF-8 string as a JSON string, like JSON.stringify.
func appendString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// marshal encodes v like JSON.stringify: compact and without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := appendValue(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeJSON answers status with v encoded as JSON, as Express's res.send does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"server_error","message":"failed to encode the answer"}}`)
	}
	writeRaw(w, status, "application/json; charset=utf-8", b)
}

// writeRaw answers status with the given bytes and content type.
func writeRaw(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiError is one Nango error answer: {"error":{"code","message",...}}.
type apiError struct {
	status  int
	code    string
	message string
	errors  []issue
	payload any
	extra   obj // members added after the standard ones (e.g. upstream)
	// thrown marks errors Nango raises as NangoError and renders through its
	// error manager: message first, then code and payload ({} by default).
	thrown bool
}

func (e *apiError) body() obj {
	if e.thrown {
		var payload any = obj{}
		if e.payload != nil {
			payload = e.payload
		}
		return obj{{"error", obj{{"message", e.message}, {"code", e.code}, {"payload", payload}}}}
	}
	inner := obj{{"code", e.code}}
	if e.message != "" {
		inner = append(inner, kv{"message", e.message})
	}
	if e.errors != nil {
		inner = append(inner, kv{"errors", e.errors})
	}
	if e.payload != nil {
		inner = append(inner, kv{"payload", e.payload})
	}
	inner = append(inner, e.extra...)
	return obj{{"error", inner}}
}

func writeErr(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, e.body())
}

func errf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// validationErr is the 400 answer of a failed zod validation.
func validationErr(code string, iss []issue) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, errors: iss}
}

// Timestamp layouts: JavaScript's Date.toISOString and Postgres' JSON output.
const (
	isoLayout = "2006-01-02T15:04:05.000Z"
	pgLayout  = "2006-01-02T15:04:05.000000-07:00"
)

func isoTime(t time.Time) string { return t.UTC().Format(isoLayout) }
func pgTime(t time.Time) string  { return t.UTC().Format(pgLayout) }

// isoOrNull formats an optional time as ISO-8601 or JSON null.
func isoOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return isoTime(*t)
}

func pgOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return pgTime(*t)
}
