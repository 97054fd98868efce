package nangohttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/net/http/httpguts"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// DefaultMaxResponseBytes bounds how much of one upstream body is read into
// memory when Config.MaxResponseBytes is zero. It is far above any Nango page
// (records pages are at most a few MiB) yet stops a runaway body from
// exhausting the process.
const DefaultMaxResponseBytes int64 = 64 << 20

// Config configures a Client. Every zero value selects the documented
// default, so Config{BaseURL: …, SecretKey: …} is a complete configuration.
type Config struct {
	// BaseURL is Nango's API root, e.g. https://api.nango.dev. One trailing
	// slash is removed; a path prefix (self-hosted behind a path) is kept.
	BaseURL string
	// SecretKey is sent as "Authorization: Bearer <key>". It is never logged
	// and never appears in an error message.
	SecretKey string
	// HTTPClient is used for every call; nil selects a client over a
	// transport built from the transport settings below, without an overall
	// timeout (the call's deadline bounds each call). A supplied client
	// makes those settings moot.
	HTTPClient *http.Client
	// UserAgent defaults to "nango-gateway/<module version>".
	UserAgent string
	// MaxResponseBytes bounds each response body; 0 means
	// DefaultMaxResponseBytes. A larger body fails with codes.Internal and
	// reason "upstream_response_too_large": the gateway cannot hand back a
	// partial answer, and nothing the caller can change would make it fit.
	MaxResponseBytes int64

	// Retry is the retry policy; see RetryConfig.
	Retry RetryConfig
	// DefaultTimeout bounds a call whose context has no deadline; 0 means
	// DefaultCallTimeout (30s). The caller's own deadline always wins.
	DefaultTimeout time.Duration
	// ActionTimeout replaces DefaultTimeout for ClassSyncAction (a
	// synchronous action runs its script while the request stays open); 0
	// means DefaultActionTimeout (15m).
	ActionTimeout time.Duration
	// AttemptTimeout bounds each attempt inside the call's deadline, so a
	// stuck attempt of an idempotent call leaves time for another; 0 means
	// none beyond the call's deadline.
	AttemptTimeout time.Duration
	// DisableGovernor turns off the rate governor, which otherwise learns
	// Nango's window from X-RateLimit-* and queues calls that would meet a
	// certain 429 until the window resets.
	DisableGovernor bool
	// SharedBudget, when set, shares Nango's window with the other replicas
	// of the fleet: every admission spends a point leased from it. nil keeps
	// the governor to this process's view of the window.
	SharedBudget SharedBudget
	// FallbackReplicas is the fleet's size: while SharedBudget is
	// unreachable this replica takes Limit/FallbackReplicas points per
	// window. 0 means 1.
	FallbackReplicas int
	// Caller names the client a call is made for, from its context; calls
	// waiting for the rate governor are served client by client, by weight.
	// nil puts every call in one line.
	Caller func(context.Context) string
	// CallerShare gives a client's weight (at least 1; a client of weight 2
	// gets two turns for another's one) and quota (points per window for
	// this replica, 0 for none). nil gives everyone weight 1 and no quota.
	CallerShare func(name string) (weight, quota int)

	// MaxIdleConnsPerHost sizes the keep-alive pool to Nango; 0 means 64.
	MaxIdleConnsPerHost int
	// DialTimeout bounds a TCP connect; 0 means 5s.
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds a TLS handshake; 0 means 10s.
	TLSHandshakeTimeout time.Duration

	// Clock is the time source of backoff, rate-limit waits and deadline
	// arithmetic; nil means the system clock. A replacement must read close
	// to the system clock, because context deadlines are system times.
	Clock Clock
	// Rand returns a uniform number in [0, 1) for jitter and must be safe for
	// concurrent use; nil means math/rand/v2.Float64.
	Rand func() float64
	// Metrics receives counters and levels; nil discards them.
	Metrics Metrics
	// TracerProvider opens one span per attempt, a child of the call's span;
	// nil means otel's global provider.
	TracerProvider trace.TracerProvider
	// Propagator writes each attempt's trace context into its request
	// (traceparent), so Nango's side joins the caller's trace; nil means W3C
	// trace context.
	Propagator propagation.TextMapPropagator
	// Route names a call, from its context, in spans and per-call metrics: an
	// RPC name or a route template, never a raw path (ids would make each call
	// a new label). nil means the full gRPC method the call serves.
	Route func(context.Context) string
	// Logger receives retry, budget and governor events; nil discards them.
	// Nothing logged carries the secret key, a query string or a body.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultCallTimeout         = 30 * time.Second
	DefaultActionTimeout       = 15 * time.Minute
	DefaultMaxIdleConnsPerHost = 64
	DefaultDialTimeout         = 5 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
)

// Client sends requests to Nango. It is safe for concurrent use; one Client
// per process shares one retry budget and one rate governor, as Nango's rate
// limit is shared by every caller of the account.
type Client struct {
	hc        *http.Client
	base      *url.URL // BaseURL without the trailing slash
	basePath  string   // escaped path prefix of BaseURL, "" or "/prefix"
	secret    string
	userAgent string
	maxBody   int64

	retry          RetryConfig // defaults applied
	defaultTimeout time.Duration
	actionTimeout  time.Duration
	attemptTimeout time.Duration
	clock          Clock
	rand           func() float64
	metrics        Metrics
	tracer         trace.Tracer
	propagator     propagation.TextMapPropagator
	route          func(context.Context) string
	log            *slog.Logger
	budget         *retryBudget // nil when disabled
	gov            *governor    // nil when disabled
}

// New validates cfg and returns a Client. Errors name the offending field.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.SecretKey == "" {
		return nil, errors.New("nangohttp: Config.SecretKey is empty")
	}
	if strings.IndexFunc(cfg.SecretKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		// A key read from a file with a trailing newline would otherwise fail
		// every request with an opaque transport error.
		return nil, errors.New("nangohttp: Config.SecretKey contains whitespace or control characters")
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = defaultUserAgent()
	}
	if !httpguts.ValidHeaderFieldValue(ua) {
		return nil, errors.New("nangohttp: Config.UserAgent contains characters not allowed in a header")
	}
	if cfg.MaxResponseBytes < 0 {
		return nil, errors.New("nangohttp: Config.MaxResponseBytes is negative")
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody == 0 {
		maxBody = DefaultMaxResponseBytes
	}
	retry, err := cfg.Retry.withDefaults()
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"DefaultTimeout", cfg.DefaultTimeout}, {"ActionTimeout", cfg.ActionTimeout},
		{"AttemptTimeout", cfg.AttemptTimeout}, {"DialTimeout", cfg.DialTimeout},
		{"TLSHandshakeTimeout", cfg.TLSHandshakeTimeout},
	} {
		if d.v < 0 {
			return nil, fmt.Errorf("nangohttp: Config.%s is negative", d.name)
		}
	}
	if cfg.FallbackReplicas < 0 {
		return nil, errors.New("nangohttp: Config.FallbackReplicas is negative")
	}
	if cfg.MaxIdleConnsPerHost < 0 {
		return nil, errors.New("nangohttp: Config.MaxIdleConnsPerHost is negative")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Transport: newTransport(cfg.MaxIdleConnsPerHost, cfg.DialTimeout, cfg.TLSHandshakeTimeout),
			// Nango's API does not redirect; the proxy must hand a provider's
			// 3xx back unchanged, Location included, not follow it here.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	c := &Client{
		hc:             hc,
		base:           base,
		basePath:       base.EscapedPath(),
		secret:         cfg.SecretKey,
		userAgent:      ua,
		maxBody:        maxBody,
		retry:          retry,
		defaultTimeout: orDefault(cfg.DefaultTimeout, DefaultCallTimeout),
		actionTimeout:  orDefault(cfg.ActionTimeout, DefaultActionTimeout),
		attemptTimeout: cfg.AttemptTimeout,
		clock:          cfg.Clock,
		rand:           cfg.Rand,
		metrics:        cfg.Metrics,
		route:          cfg.Route,
		log:            cfg.Logger,
	}
	c.tracer, c.propagator = defaultTracing(cfg.TracerProvider, cfg.Propagator)
	if c.clock == nil {
		c.clock = systemClock{}
	}
	if c.rand == nil {
		c.rand = rand.Float64
	}
	if c.metrics == nil {
		c.metrics = NopMetrics{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if retry.BudgetTokens > 0 {
		c.budget = newRetryBudget(retry.BudgetTokens)
	}
	if !cfg.DisableGovernor {
		c.gov = newGovernor(c.clock, c.rand, c.metrics, c.log)
		c.gov.shared = cfg.SharedBudget
		c.gov.replicas = max(cfg.FallbackReplicas, 1)
		c.gov.callerOf = cfg.Caller
		c.gov.shareOf = cfg.CallerShare
	}
	return c, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("nangohttp: Config.BaseURL is empty")
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, errors.New("nangohttp: Config.BaseURL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("nangohttp: Config.BaseURL must be an absolute http or https URL, got %q", u.Redacted())
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("nangohttp: Config.BaseURL must not have a query or fragment, got %q", u.Redacted())
	}
	if u.User != nil {
		return nil, errors.New("nangohttp: Config.BaseURL must not contain user credentials")
	}
	return u, nil
}

func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "nango-gateway/" + v
}

// NewTransport returns the transport of the default client with the default
// settings: bounded dial and TLS handshake, a keep-alive pool sized for many
// concurrent calls to one host, HTTP/2 when the server offers it, proxy
// settings from the environment. It sets no response-header timeout, because
// a synchronous action may legitimately run for 15 minutes; the call's
// deadline is the bound.
func NewTransport() *http.Transport { return newTransport(0, 0, 0) }

func newTransport(idlePerHost int, dial, handshake time.Duration) *http.Transport {
	if idlePerHost == 0 {
		idlePerHost = DefaultMaxIdleConnsPerHost
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: orDefault(dial, DefaultDialTimeout), KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = orDefault(handshake, DefaultTLSHandshakeTimeout)
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConns = max(128, 2*idlePerHost)
	t.MaxIdleConnsPerHost = idlePerHost
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 0
	t.ExpectContinueTimeout = time.Second
	return t
}

// CloseIdleConnections closes the client's idle keep-alive connections, for
// shutdown.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Request describes one call to Nango.
type Request struct {
	// Method defaults to GET. Any token is allowed (the proxy sends PROPFIND).
	Method string
	// Path is already escaped and starts with "/"; build it with PathOf. It
	// is appended to BaseURL and sent byte for byte.
	Path string
	// Query is encoded with url.Values.Encode (sorted keys) unless RawQuery
	// is set, which is then sent byte for byte.
	Query    url.Values
	RawQuery string
	// Header holds extra headers (Connection-Id, Provider-Config-Key,
	// X-Async, Nango-Proxy-*). Authorization, Proxy-Authorization and Cookie
	// are dropped: only the gateway's own key goes upstream.
	Header http.Header
	// JSON, when non-nil, is the body: a proto.Message (protojson with proto
	// field names, unpopulated fields omitted), a json.RawMessage (as is), or
	// any other value (encoding/json). It sets Content-Type: application/json.
	JSON any
	// Body is a raw body sent as is (the proxy); the caller sets Content-Type
	// in Header. JSON and Body are exclusive.
	Body []byte
	// HasBody sends Body even when it is empty.
	HasBody bool
	// Class selects the retry policy and the default deadline. The zero
	// value, ClassAuto, derives it from the request: GET, HEAD and OPTIONS
	// are ClassRead; POST /action/trigger without "X-Async: true" is
	// ClassSyncAction; anything else is ClassNonIdempotent. A service sets
	// ClassIdempotentWrite on writes that may safely be sent twice.
	Class Class
	// NangoRetries tells that the call asked Nango's proxy to retry (the
	// Retries header): Nango already retried 5xx and the provider's 429, so
	// the gateway does not retry them again. A Retries header above 0 in
	// Header sets it too.
	NangoRetries bool
	// MaxResponseBytes bounds this call's response body when it is below the
	// client's own limit (the proxy's smaller limit); 0 keeps the client's.
	MaxResponseBytes int64
}

// Response is Nango's answer, body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req, retrying as its Class allows (see RetryConfig), and returns
// the response when the final status is 2xx. Any other status becomes a gRPC
// status error (see StatusFromHTTP) and the response is returned too, so a
// caller may still look at it. A 429 whose wait would pass the deadline fails
// at once: ResourceExhausted with a RetryInfo of that wait. Transport and
// context failures return a nil response and a status error:
// DeadlineExceeded, Canceled, or Unavailable with reason
// "upstream_unreachable"; so does a call the rate governor cannot admit
// before its deadline (ResourceExhausted, reason ReasonRateLimitWait).
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	resp, err := c.roundTrip(ctx, req, false)
	if err != nil {
		return resp, err
	}
	if !is2xx(resp.Status) {
		return resp, c.upstreamError(resp)
	}
	return resp, nil
}

// DoProto is Do followed by decoding the body into out with unknown fields
// discarded (Nango adds fields over time). A 204 resets out; a nil out skips
// decoding. A body that is not the JSON of out fails with codes.Internal and
// reason "malformed_upstream_response". Bare JSON arrays cannot be one
// message: use Do and DecodeArray for those.
func (c *Client) DoProto(ctx context.Context, req *Request, out proto.Message) (*Response, error) {
	resp, err := c.Do(ctx, req)
	if err != nil || out == nil {
		return resp, err
	}
	if resp.Status == http.StatusNoContent {
		proto.Reset(out)
		return resp, nil
	}
	if err := Decode(resp.Body, out); err != nil {
		return resp, err
	}
	return resp, nil
}

// DoRaw sends req, retrying as Do does, and returns the final response
// whatever its status: the proxy hands the provider's status, headers and
// body back unchanged (a 429 whose wait would pass the deadline included).
// Transport and context failures, an over-large body and a governor refusal
// are still errors.
func (c *Client) DoRaw(ctx context.Context, req *Request) (*Response, error) {
	return c.roundTrip(ctx, req, true)
}

// outgoing is a request ready to send, kept as values so that it can be sent
// again by a retry policy.
type outgoing struct {
	method  string
	url     url.URL
	header  http.Header
	body    []byte
	hasBody bool
	maxBody int64 // response body limit
}

// errTooLarge reports a body over Config.MaxResponseBytes.
var errTooLarge = errors.New("response body too large")

// send performs exactly one HTTP exchange and reads the body within the
// limit. Its errors are unmapped (a *url.Error, a context error or
// errTooLarge), which is what a retry decision needs. With errTooLarge it
// also returns the status and headers, with a nil body.
func (c *Client) send(ctx context.Context, out *outgoing) (*Response, error) {
	var body io.Reader
	if out.hasBody {
		body = bytes.NewReader(out.body) // also sets ContentLength and GetBody
	}
	hreq, err := http.NewRequestWithContext(ctx, out.method, c.base.String(), body)
	if err != nil {
		return nil, err
	}
	if !out.hasBody {
		// Go's transport resends a bodiless GET or HEAD by itself when a kept-alive
		// connection breaks before the answer, behind the retry policy's back. A body it
		// cannot replay stops that. Empty, it sends no bytes on HTTP/1.1 (net/http probes
		// it once per request) and an empty DATA frame on HTTP/2.
		hreq.Body = noReplay{}
	}
	u := out.url
	hreq.URL = &u
	hreq.Header = out.header.Clone()
	// The attempt's span, not a caller's traceparent a relayed request carried.
	c.propagator.Inject(ctx, propagation.HeaderCarrier(hreq.Header))
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer hresp.Body.Close()
	data, err := readLimited(hresp, out.maxBody)
	if err != nil {
		return nil, err
	}
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header}
	if int64(len(data)) > out.maxBody {
		return resp, errTooLarge
	}
	resp.Body = data
	return resp, nil
}

// noReplay is an empty request body without GetBody: the transport cannot send it twice.
type noReplay struct{}

func (noReplay) Read([]byte) (int, error) { return 0, io.EOF }
func (noReplay) Close() error             { return nil }

// readLimited reads at most limit+1 bytes of the body, into a buffer of the announced
// length when there is one: a large answer then costs its size once, not the doublings
// of a growing buffer.
func readLimited(hresp *http.Response, limit int64) ([]byte, error) {
	if n := hresp.ContentLength; n >= 0 && n <= limit {
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err := buf.ReadFrom(io.LimitReader(hresp.Body, limit+1))
		return buf.Bytes(), err
	}
	return io.ReadAll(io.LimitReader(hresp.Body, limit+1))
}

// prepare validates req and builds what goes on the wire.
func (c *Client) prepare(req *Request) (*outgoing, error) {
	if req == nil {
		return nil, invalidRequest("nil request")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !httpguts.ValidHeaderFieldName(method) { // a method is an HTTP token
		return nil, invalidRequest("method %q is not a valid HTTP method", method)
	}
	if err := checkPath(req.Path); err != nil {
		return nil, err
	}
	query := req.RawQuery
	if query == "" && len(req.Query) > 0 {
		query = req.Query.Encode()
	}
	if strings.IndexFunc(query, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '#' }) >= 0 {
		return nil, invalidRequest("query contains a space, a control character or '#'")
	}

	out := &outgoing{method: method, header: make(http.Header, len(req.Header)+4), maxBody: c.maxBody}
	if req.MaxResponseBytes > 0 && req.MaxResponseBytes < c.maxBody {
		out.maxBody = req.MaxResponseBytes
	}
	full := c.basePath + req.Path
	out.url = url.URL{Scheme: c.base.Scheme, Host: c.base.Host, RawQuery: query}
	out.url.Path, _ = url.PathUnescape(full) // checkPath proved it unescapes
	out.url.RawPath = full
	if out.url.EscapedPath() != full && !strings.HasPrefix(full, "//") {
		// net/url would re-escape a path it considers non-canonical (a
		// proxied endpoint with "{" for instance); Opaque is written verbatim.
		out.url = url.URL{Scheme: c.base.Scheme, Host: c.base.Host, Opaque: full, RawQuery: query}
	}

	for name, values := range req.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, invalidRequest("header name %q is not valid", name)
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, invalidRequest("header %q has a value with characters not allowed in a header", name)
			}
		}
		switch http.CanonicalHeaderKey(name) {
		case "Authorization", "Proxy-Authorization", "Cookie":
			continue
		}
		key := http.CanonicalHeaderKey(name)
		out.header[key] = append(out.header[key], values...)
	}
	out.header.Set("Authorization", "Bearer "+c.secret)
	// A relayed caller's own User-Agent (an SDK's version) is Nango's to see.
	if out.header.Get("User-Agent") == "" {
		out.header.Set("User-Agent", c.userAgent)
	}
	if out.header.Get("Accept") == "" {
		out.header.Set("Accept", "application/json")
	}

	switch {
	case req.JSON != nil && (len(req.Body) > 0 || req.HasBody):
		return nil, invalidRequest("both JSON and Body are set")
	case req.JSON != nil:
		b, err := encodeJSON(req.JSON)
		if err != nil {
			return nil, newStatus(codes.Internal, "request_encoding_failed", nil,
				"cannot encode the request body as JSON: %v", err)
		}
		out.body, out.hasBody = b, true
		out.header.Set("Content-Type", "application/json")
	case len(req.Body) > 0 || req.HasBody:
		out.body, out.hasBody = req.Body, true
	}
	return out, nil
}

// checkPath accepts an escaped absolute path: no raw spaces, control
// characters, non-ASCII bytes, '?' or '#', and well-formed %-escapes.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return invalidRequest("path %q does not start with /", p)
	}
	for i := 0; i < len(p); i++ {
		if b := p[i]; b <= ' ' || b >= 0x7f || b == '?' || b == '#' {
			return invalidRequest("path %q is not escaped; build it with PathOf", p)
		}
	}
	for _, segment := range strings.Split(p, "/") {
		decoded, err := url.PathUnescape(segment)
		if err != nil {
			return invalidRequest("path %q has a malformed %%-escape", p)
		}
		// A proxy or server that normalises URLs would resolve "." and ".." and send the
		// gateway's key to another route than the one named.
		if decoded == "." || decoded == ".." {
			return invalidRequest("path %q has a %q segment; ids and proxied paths may not be dot segments", p, decoded)
		}
	}
	return nil
}

func encodeJSON(v any) ([]byte, error) {
	switch v := v.(type) {
	case proto.Message:
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(v)
		if err != nil {
			return nil, err
		}
		// protojson varies its whitespace on purpose; compacting makes the
		// wire bytes stable.
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case json.RawMessage:
		return v, nil
	default:
		return json.Marshal(v)
	}
}

func invalidRequest(format string, args ...any) error {
	return newStatus(codes.InvalidArgument, ReasonInvalidRequest, nil, "nango request: "+format, args...)
}

func is2xx(status int) bool { return status >= 200 && status <= 299 }

// PathOf escapes each segment with url.PathEscape and joins them, each after
// a "/": PathOf("connections", "a b") is "/connections/a%20b" and a "/" inside
// a segment becomes %2F, so an id can never reach another route.
func PathOf(segments ...string) string {
	if len(segments) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}
