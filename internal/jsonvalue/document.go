package jsonvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDepth is how deeply a JSON document the gateway accepts may nest objects and
// arrays. Real payloads stay under a few dozen levels; protobuf refuses messages nested
// past 10,000 levels, and a Struct spends two of them per JSON level, so anything deeper
// than this would be accepted here and fail later, far from the caller.
const MaxDepth = 1000

// ErrTooDeep reports a document nested past MaxDepth.
var ErrTooDeep = fmt.Errorf("JSON nested deeper than %d levels", MaxDepth)

// CheckDocument reports whether b is exactly one JSON value — nothing but whitespace
// after it — nested at most MaxDepth levels. It builds no tree, so a hostile document
// costs a scan, not memory.
func CheckDocument(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not valid JSON: %w", err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if depth++; depth > MaxDepth {
					return ErrTooDeep
				}
			default:
				depth--
			}
		}
		if depth == 0 {
			// One complete value: only whitespace may follow.
			if _, err := dec.Token(); err != io.EOF {
				return errors.New("not valid JSON: data after the value")
			}
			return nil
		}
	}
	return errors.New("not valid JSON: empty document")
}
