package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
	"unsafe"
)

// A page of GET /records is cut into records without building a tree per record: one
// pass over the page's bytes finds the records array, slices each element's raw bytes and
// reads the few strings the gateway needs (id, _nango_metadata, next_cursor). Every other
// value is only checked to be well-formed JSON and skipped, so a record costs a scan of its
// bytes and no allocation.
//
// Strings without escapes alias the page (unsafe.String): the page is read once from Nango
// and never written again, so they stay valid for as long as they are referenced.

// rawRecord is one record of a page.
type rawRecord struct {
	json []byte // the record's bytes exactly as Nango sent them
	id   string
	meta rawMetadata
	// hasMeta tells that the record carried a _nango_metadata object.
	hasMeta bool
}

// rawMetadata is _nango_metadata; the nullable timestamps keep null apart from a value.
type rawMetadata struct {
	cursor, lastAction, firstSeenAt, lastModifiedAt string
	deletedAt, prunedAt                             nullableText
}

type nullableText struct {
	value string
	set   bool // false for null or absent
}

// rawPage is a page cut into records.
type rawPage struct {
	records       []rawRecord
	nextCursor    string
	hasNextCursor bool // false when next_cursor is null or absent: the last page
}

// errMalformedPage says the page is not the JSON of {records, next_cursor}.
var errMalformedPage = errors.New("malformed records page")

// scanRecordsPage cuts a /records page into its records.
func scanRecordsPage(page []byte) (rawPage, error) {
	s := scanner{buf: page}
	out, err := s.page()
	if err != nil {
		return rawPage{}, fmt.Errorf("%w: %v", errMalformedPage, err)
	}
	return out, nil
}

type scanner struct {
	buf []byte
	pos int
}

func (s *scanner) fail(what string) error {
	if s.pos >= len(s.buf) {
		return fmt.Errorf("%s at end of input", what)
	}
	return fmt.Errorf("%s at offset %d", what, s.pos)
}

func (s *scanner) ws() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.fail(fmt.Sprintf("expected %q", c))
	}
	s.pos++
	return nil
}

func (s *scanner) page() (rawPage, error) {
	var out rawPage
	sawRecords := false
	err := s.object(func(key string) error {
		switch key {
		case "records":
			sawRecords = true
			out.records = out.records[:0] // a repeated key: the last one wins, as in encoding/json
			return s.records(&out)
		case "next_cursor":
			v, set, err := s.nullableString()
			out.nextCursor, out.hasNextCursor = v, set
			return err
		}
		return s.skipValue(0)
	})
	if err != nil {
		return rawPage{}, err
	}
	if s.peek() != 0 {
		return rawPage{}, s.fail("trailing data")
	}
	if !sawRecords {
		return rawPage{}, errors.New("no records array")
	}
	return out, nil
}

// object walks the members of an object, calling member with each key; member must
// consume the value.
func (s *scanner) object(member func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a key")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("expected , or }")
		}
	}
}

func (s *scanner) records(out *rawPage) error {
	if s.peek() == 'n' {
		return s.literal("null")
	}
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	if out.records == nil {
		// A page's records are about the same size: guess their count from the first.
		out.records = make([]rawRecord, 0, 16)
	}
	for {
		if s.peek() != '{' {
			return s.fail("expected a record object")
		}
		start := s.pos
		var rec rawRecord
		err := s.object(func(key string) error {
			switch key {
			case "id":
				v, err := s.scalar()
				rec.id = v
				return err
			case "_nango_metadata":
				if s.peek() == 'n' {
					return s.literal("null")
				}
				rec.hasMeta = true
				return s.metadata(&rec.meta)
			}
			return s.skipValue(1)
		})
		if err != nil {
			return err
		}
		rec.json = s.buf[start:s.pos:s.pos]
		if len(out.records) == 1 && cap(out.records) < 1024 {
			// One record seen: size the slice for the rest of the page at once.
			if n := (len(s.buf) - start) / max(s.pos-start, 1); n > cap(out.records) {
				grown := make([]rawRecord, 1, n+2)
				grown[0] = out.records[0]
				out.records = grown
			}
		}
		out.records = append(out.records, rec)
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail("expected , or ]")
		}
	}
}

func (s *scanner) metadata(m *rawMetadata) error {
	return s.object(func(key string) error {
		var err error
		switch key {
		case "cursor":
			m.cursor, err = s.stringOrNull()
		case "last_action":
			m.lastAction, err = s.stringOrNull()
		case "first_seen_at":
			m.firstSeenAt, err = s.stringOrNull()
		case "last_modified_at":
			m.lastModifiedAt, err = s.stringOrNull()
		case "deleted_at":
			m.deletedAt.value, m.deletedAt.set, err = s.nullableString()
		case "pruned_at":
			m.prunedAt.value, m.prunedAt.set, err = s.nullableString()
		default:
			err = s.skipValue(2)
		}
		return err
	})
}

// scalar reads a string as it is and a number or boolean as its JSON text (ids a script
// stored as numbers); anything else is skipped and reads as "".
func (s *scanner) scalar() (string, error) {
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		start := s.pos
		if err := s.number(); err != nil {
			return "", err
		}
		return s.alias(s.buf[start:s.pos]), nil
	case c == 't':
		return "true", s.literal("true")
	case c == 'f':
		return "false", s.literal("false")
	}
	return "", s.skipValue(1)
}

// stringOrNull reads a string; null and any other value read as "".
func (s *scanner) stringOrNull() (string, error) {
	v, _, err := s.nullableString()
	return v, err
}

func (s *scanner) nullableString() (string, bool, error) {
	if s.peek() == '"' {
		v, err := s.str()
		return v, err == nil, err
	}
	return "", false, s.skipValue(1)
}

// str reads a string token. Without escapes the result aliases the page; with escapes it
// is decoded. Either way it is valid UTF-8 (protobuf strings must be).
func (s *scanner) str() (string, error) {
	start := s.pos
	escaped, err := s.skipString()
	if err != nil {
		return "", err
	}
	raw := s.buf[start+1 : s.pos-1]
	if !escaped {
		if !utf8.Valid(raw) {
			return "", fmt.Errorf("invalid UTF-8 in string at offset %d", start)
		}
		return s.alias(raw), nil
	}
	var v string
	if err := json.Unmarshal(s.buf[start:s.pos], &v); err != nil {
		return "", fmt.Errorf("string at offset %d: %v", start, err)
	}
	return v, nil
}

func (s *scanner) alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// skipString moves past a string token (s.pos on its opening quote), checking its escapes
// and that it holds no control character; it reports whether there was an escape.
func (s *scanner) skipString() (bool, error) {
	s.pos++ // opening quote
	escaped := false
	buf := s.buf
	for i := s.pos; i < len(buf); i++ {
		switch c := buf[i]; {
		case c == '"':
			s.pos = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(buf) {
				break
			}
			switch buf[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(buf) || !isHex(buf[i+1]) || !isHex(buf[i+2]) || !isHex(buf[i+3]) || !isHex(buf[i+4]) {
					s.pos = i
					return false, s.fail("bad \\u escape")
				}
				i += 4
			default:
				s.pos = i
				return false, s.fail("bad escape")
			}
		case c < 0x20:
			s.pos = i
			return false, s.fail("control character in string")
		}
	}
	s.pos = len(buf)
	return false, s.fail("unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// maxDepth bounds nesting, as encoding/json does, so a hostile page cannot exhaust the stack.
const maxDepth = 10000

// skipValue moves past any JSON value, checking that it is well-formed.
func (s *scanner) skipValue(depth int) error {
	if depth > maxDepth {
		return s.fail("nesting too deep")
	}
	switch c := s.peek(); {
	case c == '"':
		_, err := s.skipString()
		return err
	case c == '{':
		return s.skipObject(depth)
	case c == '[':
		s.pos++
		if s.peek() == ']' {
			s.pos++
			return nil
		}
		for {
			if err := s.skipValue(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.pos++
			case ']':
				s.pos++
				return nil
			default:
				return s.fail("expected , or ]")
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return s.fail("expected a value")
}

// skipObject moves past an object whose keys nobody reads: they are checked, not decoded.
func (s *scanner) skipObject(depth int) error {
	s.pos++ // {
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a key")
		}
		if _, err := s.skipString(); err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := s.skipValue(depth + 1); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("expected , or }")
		}
	}
}

func (s *scanner) literal(word string) error {
	if len(s.buf)-s.pos < len(word) || string(s.buf[s.pos:s.pos+len(word)]) != word {
		return s.fail("expected " + word)
	}
	s.pos += len(word)
	return nil
}

// number moves past a number token following JSON's grammar.
func (s *scanner) number() error {
	b, i := s.buf, s.pos
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		s.pos = i
		return s.fail("bad number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			s.pos = i
			return s.fail("bad fraction")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			s.pos = i
			return s.fail("bad exponent")
		}
	}
	s.pos = i
	return nil
}
