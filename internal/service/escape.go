package service

import "strings"

// The SDK's requests are built by three URL encoders (URLSearchParams, axios, Node's URL
// parser) that differ only in the bytes they leave alone; each is reproduced here so the
// gateway sends the same bytes.

const upperHex = "0123456789ABCDEF"

// escapeBytes copies s, writing each byte keep refuses as %XX, except a space, which
// becomes "+" when spaceAsPlus (form encoding).
func escapeBytes(s string, spaceAsPlus bool, keep func(c byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case keep(c):
			b.WriteByte(c)
		case c == ' ' && spaceAsPlus:
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

func isASCIIAlphanumeric(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// urlSearchParamsEscape is the application/x-www-form-urlencoded byte serializer of the
// WHATWG URL standard: alphanumerics and *-._ stay, space becomes +, the rest is %XX.
func urlSearchParamsEscape(s string) string {
	return escapeBytes(s, true, func(c byte) bool {
		return isASCIIAlphanumeric(c) || strings.IndexByte("*-._", c) >= 0
	})
}

// axiosParamEscape is axios' encode(): encodeURIComponent, then ":", "$", "," and "+" for
// a space put back.
func axiosParamEscape(s string) string {
	return escapeBytes(s, true, func(c byte) bool {
		return isASCIIAlphanumeric(c) ||
			strings.IndexByte("-_.!~*'()", c) >= 0 || // left alone by encodeURIComponent
			strings.IndexByte(":$,", c) >= 0
	})
}

// percentEncode encodes controls, space, non-ASCII bytes and extra, as the WHATWG URL
// parser does for a path or a query; "%" is left alone unless extra holds it.
func percentEncode(s, extra string) string {
	return escapeBytes(s, false, func(c byte) bool {
		return c > ' ' && c < 0x7f && strings.IndexByte(extra, c) < 0
	})
}
