package simulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// proxyForwardedHeaders are the provider response headers Nango relays on
// its default path; every other provider header is dropped.
var proxyForwardedHeaders = []string{"Content-Type", "Mcp-Session-Id", "X-Request-Id", "X-Correlation-Id"}

// maxProxyBytes caps /proxy/bytes/{n}.
const maxProxyBytes = 64 << 20

// proxy answers /proxy/* for any method. The simulated provider echoes what
// it received as JSON; a few endpoints behave specially for tests:
//
//	/proxy/status/{code}     answers that status (with the echo as body)
//	/proxy/bytes/{n}         answers n bytes of application/octet-stream
//	/proxy/delay/{ms}        waits ms (at most 30s, until the request ends), then echoes
//	/proxy/response-headers  the provider sets each query parameter as a
//	                         response header; only Nango's forwarded ones arrive
//	/proxy/raw               answers the request body verbatim with its content type
func (c *call) proxy() {
	h := c.r.Header
	connID, key := h.Get("Connection-Id"), h.Get("Provider-Config-Key")
	if connID == "" {
		c.fail(errf(http.StatusBadRequest, "missing_connection_id", "Missing Connection-Id header"))
		return
	}
	if key == "" {
		c.fail(errf(http.StatusBadRequest, "missing_provider_config_key", "Missing Provider-Config-Key header"))
		return
	}
	var iss []issue
	retries := 0
	if v := h.Get("Retries"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			iss = append(iss, wrongType("number", "string", []any{"retries"}))
		}
		retries = n
	}
	decompress := false
	if v, ok := h["Decompress"]; ok {
		switch v[0] {
		case "true":
			decompress = true
		case "false":
		default:
			iss = append(iss, newIssue("invalid_value", `Invalid option: expected one of "true"|"false"`, []any{"decompress"}))
		}
	}
	retryOn := []int{}
	if v := h.Get("Retry-On"); v != "" {
		for _, p := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				iss = append(iss, wrongType("number", "string", []any{"retry-on"}))
				break
			}
			retryOn = append(retryOn, n)
		}
	}
	override := h.Get("Base-Url-Override")
	if override != "" && !isURL(override) {
		iss = append(iss, newIssue("invalid_format", "Invalid URL", []any{"base-url-override"}))
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_headers", iss))
		return
	}

	s := c.s
	s.mu.Lock()
	i := s.st.integration(key)
	if i == nil {
		s.mu.Unlock()
		c.fail(errf(http.StatusNotFound, "unknown_provider_config", "Provider config key "+key+" does not exist"))
		return
	}
	conn := s.st.connection(key, connID)
	if conn == nil {
		s.mu.Unlock()
		c.fail(errf(http.StatusBadRequest, "server_error", "No connection found for connection id "+connID+" and provider config key "+key))
		return
	}
	provider := i.provider
	reqID := "sim-" + s.st.ids.hex(8)
	s.mu.Unlock()

	baseURL := override
	if baseURL == "" {
		if p := findProvider(provider); p != nil {
			baseURL = p.baseURL
		}
	}
	endpoint := strings.TrimPrefix(c.r.URL.EscapedPath(), "/proxy")
	headers := map[string]string{}
	for name, vals := range h {
		if lower := strings.ToLower(name); strings.HasPrefix(lower, "nango-proxy-") && len(lower) > len("nango-proxy-") {
			headers[lower[len("nango-proxy-"):]] = strings.Join(vals, ", ")
		}
	}
	query := map[string][]string{}
	for _, p := range c.q.pairs {
		query[p.key] = append(query[p.key], p.value)
	}
	echo := obj{
		{"method", c.r.Method},
		{"endpoint", endpoint},
		{"raw_query", c.r.URL.RawQuery},
		{"query", sortedQuery(query)},
		{"headers", headers},
		{"connection_id", connID},
		{"provider_config_key", key},
		{"provider", provider},
		{"base_url", baseURL},
		{"url", proxyURL(baseURL, endpoint, c.r.URL.RawQuery)},
		{"retries", retries},
		{"retry_on", retryOn},
		{"decompress", decompress},
	}
	switch {
	case len(c.body) == 0:
		echo = append(echo, kv{"body", nil})
	case utf8.Valid(c.body):
		echo = append(echo, kv{"body", string(c.body)})
		if json.Valid(c.body) {
			echo = append(echo, kv{"json", compactJSON(c.body)})
		}
	default:
		echo = append(echo, kv{"body_base64", base64.StdEncoding.EncodeToString(c.body)})
	}

	w := c.w
	w.Header().Set("X-Request-Id", reqID)
	segs := strings.Split(strings.TrimPrefix(endpoint, "/"), "/")
	switch {
	case len(segs) == 2 && segs[0] == "status":
		code, err := strconv.Atoi(segs[1])
		if err != nil || code < 200 || code > 599 {
			writeJSON(w, http.StatusBadRequest, obj{{"message", "status must be between 200 and 599"}})
			return
		}
		if code == http.StatusNoContent || code == http.StatusNotModified {
			w.WriteHeader(code)
			return
		}
		writeJSON(w, code, echo)
	case len(segs) == 2 && segs[0] == "bytes":
		n, err := strconv.Atoi(segs[1])
		if err != nil || n < 0 || n > maxProxyBytes {
			writeJSON(w, http.StatusBadRequest, obj{{"message", "n must be between 0 and " + strconv.Itoa(maxProxyBytes)}})
			return
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(j % 251)
		}
		writeRaw(w, http.StatusOK, "application/octet-stream", b)
	case len(segs) == 2 && segs[0] == "delay":
		ms, err := strconv.Atoi(segs[1])
		if err != nil || ms < 0 || ms > 30000 {
			writeJSON(w, http.StatusBadRequest, obj{{"message", "ms must be between 0 and 30000"}})
			return
		}
		if !sleepCtx(c.r.Context(), time.Duration(ms)*time.Millisecond) {
			return
		}
		writeJSON(w, http.StatusOK, echo)
	case len(segs) == 1 && segs[0] == "response-headers":
		for _, p := range c.q.pairs {
			for _, allowed := range proxyForwardedHeaders {
				if strings.EqualFold(p.key, allowed) {
					w.Header().Set(allowed, p.value)
				}
			}
		}
		if ct := w.Header().Get("Content-Type"); ct != "" {
			b, _ := marshal(echo)
			writeRaw(w, http.StatusOK, ct, b)
			return
		}
		writeJSON(w, http.StatusOK, echo)
	case len(segs) == 1 && segs[0] == "raw":
		ct := headers["content-type"]
		if ct == "" {
			ct = h.Get("Content-Type")
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		writeRaw(w, http.StatusOK, ct, c.body)
	default:
		writeJSON(w, http.StatusOK, echo)
	}
}

func sortedQuery(q map[string][]string) obj {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	o := obj{}
	for _, k := range keys {
		o = append(o, kv{k, q[k]})
	}
	return o
}

// proxyURL is the provider URL Nango would call for this proxy request.
func proxyURL(base, endpoint, rawQuery string) string {
	u := strings.TrimSuffix(base, "/") + endpoint
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	if _, err := url.Parse(u); err != nil {
		return ""
	}
	return u
}
