package simulator

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultAPIKey           = "sim-secret-key"
	DefaultRateLimit        = 1000
	DefaultWindow           = 60 * time.Second
	DefaultAsyncActionDelay = 200 * time.Millisecond
	// DefaultWebhookSigningKey signs the webhooks the simulator sends.
	DefaultWebhookSigningKey = "sim-webhook-signing-key"

	// bodyLimit is Nango's public body limit (NANGO_SERVER_PUBLIC_BODY_LIMIT).
	bodyLimit = 75 << 20
)

// Options configures a Simulator. The zero value is usable.
type Options struct {
	APIKey    string           // accepted bearer key; default "sim-secret-key"
	RateLimit int              // requests per window; 0 = default 1000; <0 disables limiting
	Window    time.Duration    // fixed window length; default 60s
	Now       func() time.Time // clock; default time.Now
	Seed      bool             // load demo seed data (integrations, connections, records...)

	// AsyncActionDelay is how long an async action stays pending (GET
	// /action/{id} answers 404 meanwhile); 0 = 200ms, <0 = done at once.
	// Measured on the real clock so a frozen Now cannot stall it.
	AsyncActionDelay time.Duration
	// RecordsMaxResponseBytes mimics RECORDS_MAX_RESPONSE_SIZE_BYTES: a page of
	// records stops early once its JSON passes this size (0 = off).
	RecordsMaxResponseBytes int
	// WebhookURL, when set, receives signed webhooks (sync, async_action)
	// the way Nango delivers them; call Close to wait for deliveries.
	WebhookURL string
	// AsyncActionWebhooksOff mirrors an environment whose on_async_action_completion
	// webhook setting is off: Nango then sends no async_action webhook.
	AsyncActionWebhooksOff bool
	// WebhookSigningKey signs those webhooks; default DefaultWebhookSigningKey.
	WebhookSigningKey string
	// WebhookClient sends them; nil = a client with a 20s timeout.
	WebhookClient *http.Client
}

// Simulator is an in-memory Nango API. It is safe for concurrent use.
type Simulator struct {
	opts   Options
	routes []route

	reqMu    sync.Mutex
	requests []RecordedRequest
	faults   []*faultState

	rlMu    sync.Mutex
	buckets map[string]*rlBucket
	limited atomic.Int64 // 429s answered by the limiter

	// supportIDs draws the ids of generic errors from its own fixed seed:
	// identical simulators given identical requests answer identically, and
	// the seeded data's ids are left alone.
	supportMu  sync.Mutex
	supportIDs *idGen

	mu    sync.Mutex
	st    *state
	clock time.Time // last timestamp handed out, to keep record times increasing

	bg       sync.WaitGroup
	bgCtx    context.Context // cancelled by Close
	bgCancel context.CancelFunc
	closed   bool
	// ownClient: the webhook client is ours, so Close drops its idle connections.
	ownClient bool
}

// New returns a simulator configured by opts.
func New(opts Options) *Simulator {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AsyncActionDelay == 0 {
		opts.AsyncActionDelay = DefaultAsyncActionDelay
	} else if opts.AsyncActionDelay < 0 {
		opts.AsyncActionDelay = 0
	}
	if opts.WebhookSigningKey == "" {
		opts.WebhookSigningKey = DefaultWebhookSigningKey
	}
	ownClient := opts.WebhookClient == nil
	if ownClient {
		opts.WebhookClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}
	}
	s := &Simulator{
		opts:       opts,
		buckets:    map[string]*rlBucket{},
		supportIDs: newIDGen(0x5eed),
		ownClient:  ownClient,
	}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	s.st = newState()
	if opts.Seed {
		s.seed()
	}
	s.routes = s.routeTable()
	return s
}

// Handler returns the simulator as an http.Handler.
func (s *Simulator) Handler() http.Handler { return s }

// Close stops background work (webhook deliveries) and waits for it.
// The simulator keeps answering requests afterwards.
func (s *Simulator) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.bgCancel()
	}
	s.mu.Unlock()
	s.bg.Wait()
	if s.ownClient {
		s.opts.WebhookClient.CloseIdleConnections()
	}
}

func (s *Simulator) now() time.Time { return s.opts.Now() }

// call is one request being answered.
type call struct {
	s      *Simulator
	w      http.ResponseWriter
	r      *http.Request
	body   []byte
	params map[string]string
	q      *query
}

func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }
func (c *call) fail(e *apiError)       { writeErr(c.w, e) }

// ServeHTTP answers one request the way Nango's public API does. Steps, in
// order: record, faults, CORS (OPTIONS ends here), body limit, JSON parsing
// (400 invalid_json), the 415 content-type rule, routing (500
// generic_error_support for an unknown route), auth (401), rate limit
// (429), then the route's handler. Answers given before the limiter carry
// the current window's X-RateLimit-* without spending a point, so every
// answer has them.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, tooLarge := readBody(r)
	s.record(r, body)
	if s.applyFault(w, r) {
		return
	}
	// Nango's CORS middleware runs before every route: it ends preflights
	// and marks every answer.
	setCORS(w.Header())
	s.peekRateLimit(w.Header(), r)
	if r.Method == http.MethodOptions {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
		h.Set("Access-Control-Allow-Headers", corsAllowedHeaders)
		h.Set("Access-Control-Max-Age", "600")
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if tooLarge {
		writeErr(w, errf(http.StatusRequestEntityTooLarge, "payload_too_large", "request entity too large"))
		return
	}
	// The JSON body parser runs on every public route, before routing and auth.
	if msg, bad := invalidJSON(r.Header.Get("Content-Type"), body); bad {
		writeErr(w, errf(http.StatusBadRequest, "invalid_json", msg))
		return
	}

	path := r.URL.EscapedPath()
	var h func(*call)
	var params map[string]string
	if isProxyPath(path) {
		h = (*call).proxy
	} else {
		if jsonOnlyPrefix(path) {
			if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
				writeErr(w, errf(http.StatusUnsupportedMediaType, "invalid_content_type", "Content-Type header must be application/json"))
				return
			}
		}
		h, params = s.match(r.Method, path)
		if h == nil {
			s.writeUnknownRoute(w)
			return
		}
	}
	if e := s.authenticate(r); e != nil {
		writeErr(w, e)
		return
	}
	if !s.rateLimit(w, r) {
		return
	}
	h(&call{s: s, w: w, r: r, body: body, params: params, q: parseQuery(r.URL.RawQuery)})
}

// writeUnknownRoute is Nango's answer to a path no route serves: the request
// falls through to the web app's catch-all, whose failure reaches the
// generic error handler (500, a support id as payload).
func (s *Simulator) writeUnknownRoute(w http.ResponseWriter) {
	s.supportMu.Lock()
	id := s.supportIDs.uuid()
	s.supportMu.Unlock()
	b, _ := marshal(id)
	writeJSON(w, http.StatusInternalServerError, obj{{"error", obj{
		{"message", "An error occurred. Please contact support with this unique id: " + string(b)},
		{"code", "generic_error_support"},
		{"payload", id},
	}}})
}

// invalidJSON applies express.json (strict): a JSON media type with a
// non-empty body must parse and be an object or an array. It returns the
// parser's message when it does not.
func invalidJSON(contentType string, body []byte) (string, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return "", false
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return "", false
	}
	if b[0] != '{' && b[0] != '[' {
		return fmt.Sprintf("Unexpected token '%c', %q is not valid JSON", b[0], snippet(b)), true
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "Unexpected end of JSON input or token in " + strconv.Quote(snippet(b)) + ": " + err.Error(), true
	}
	return "", false
}

func snippet(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}

const (
	corsExposedHeaders = "Authorization, Etag, Content-Type, Content-Length, X-Nango-Signature, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
	corsAllowedHeaders = "Authorization, Content-Type, Accept, Origin, X-Requested-With, Nango-Activity-Log-Id, Nango-Is-Dry-Run, Nango-Is-Sync, Provider-Config-Key, Connection-Id, Sentry-Trace, Baggage"
)

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", corsExposedHeaders)
}

// readBody reads the whole body up to Nango's limit.
func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, bodyLimit+1))
	if err != nil && !errors.Is(err, io.EOF) {
		return b, false
	}
	if len(b) > bodyLimit {
		return b[:bodyLimit], true
	}
	return b, false
}

func isProxyPath(p string) bool {
	return strings.HasPrefix(p, "/proxy/") && len(p) > len("/proxy/")
}

// jsonPrefixes are the route prefixes where Nango refuses non-JSON bodies.
var jsonPrefixes = []string{"/providers", "/integrations", "/connection", "/connections", "/records", "/sync", "/action", "/connect", "/scripts", "/environment-variables"}

func jsonOnlyPrefix(p string) bool {
	for _, pre := range jsonPrefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// authenticate applies Nango's secret-key check: the token is whatever
// follows the last "Bearer " in the Authorization header.
func (s *Simulator) authenticate(r *http.Request) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return authErr("missing_auth_header", "Authentication failed. The request is missing the Authorization header.")
	}
	parts := strings.Split(h, "Bearer ")
	tok := parts[len(parts)-1]
	if tok == "" {
		return authErr("malformed_auth_header", "Authentication failed. The Authorization header is malformed.")
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.APIKey)) != 1 {
		return authErr("unknown_account", "Authentication failed. The provided authorization header does not match any account.")
	}
	return nil
}

// authErr is a 401 as Nango's auth middleware sends it.
func authErr(code, message string) *apiError {
	return &apiError{status: http.StatusUnauthorized, code: code, message: message, thrown: true}
}

// route is one entry of the routing table. Segments in braces are parameters.
type route struct {
	method string
	segs   []string
	h      func(*call)
}

func rt(method, pattern string, h func(*call)) route {
	return route{method: method, segs: strings.Split(strings.TrimPrefix(pattern, "/"), "/"), h: h}
}

// match finds the handler for method and escaped path. Like Express, one
// trailing slash is ignored and a path that exists under another method is
// still a 404.
func (s *Simulator) match(method, path string) (func(*call), map[string]string) {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, r := range s.routes {
		// Express answers HEAD with the GET route.
		if (r.method != method && (method != http.MethodHead || r.method != http.MethodGet)) || len(r.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, want := range r.segs {
			got := segs[i]
			if strings.HasPrefix(want, "{") {
				if got == "" {
					ok = false
					break
				}
				v, err := url.PathUnescape(got)
				if err != nil {
					v = got
				}
				params[strings.Trim(want, "{}")] = v
				continue
			}
			if want != got {
				ok = false
				break
			}
		}
		if ok {
			return r.h, params
		}
	}
	return nil, nil
}

// routeTable lists every route. Literal routes come before parameterised
// ones of the same shape (/connections/metadata before /connections/{id}).
func (s *Simulator) routeTable() []route {
	return []route{
		rt("GET", "/providers", (*call).listProviders),
		rt("GET", "/providers/{provider}", (*call).getProvider),
		rt("GET", "/providers/{provider}/templates", (*call).getProviderTemplates),

		rt("GET", "/integrations", (*call).listIntegrations),
		rt("POST", "/integrations", (*call).createIntegration),
		rt("POST", "/integrations/quickstart", (*call).createQuickstartIntegration),
		rt("GET", "/integrations/{uniqueKey}", (*call).getIntegration),
		rt("PATCH", "/integrations/{uniqueKey}", (*call).updateIntegration),
		rt("DELETE", "/integrations/{uniqueKey}", (*call).deleteIntegration),
		rt("GET", "/integrations/{uniqueKey}/functions", (*call).listFunctions),
		rt("GET", "/integrations/{uniqueKey}/functions/{name}", (*call).getFunction),
		rt("DELETE", "/integrations/{uniqueKey}/functions/{name}", (*call).deleteFunction),
		rt("GET", "/integrations/{uniqueKey}/functions/{name}/code", (*call).getFunctionCode),

		rt("GET", "/connections", (*call).listConnections),
		rt("POST", "/connections", (*call).importConnection),
		rt("POST", "/connections/metadata", (*call).setMetadata),
		rt("PATCH", "/connections/metadata", (*call).updateMetadata),
		rt("GET", "/connections/{connectionId}", (*call).getConnection),
		rt("PATCH", "/connections/{connectionId}", (*call).patchConnection),
		rt("DELETE", "/connections/{connectionId}", (*call).deleteConnection),

		// Nango still serves the deprecated singular paths.
		rt("GET", "/connection", (*call).listConnections),
		rt("POST", "/connection/metadata", (*call).setMetadata),
		rt("PATCH", "/connection/metadata", (*call).updateMetadata),
		rt("GET", "/connection/{connectionId}", (*call).getConnection),
		rt("DELETE", "/connection/{connectionId}", (*call).deleteConnection),

		rt("GET", "/scripts/config", (*call).scriptsConfig),
		rt("GET", "/environment-variables", (*call).environmentVariables),

		rt("GET", "/records", (*call).listRecords),
		rt("PATCH", "/records/prune", (*call).pruneRecords),

		rt("POST", "/sync/trigger", (*call).triggerSync),
		rt("POST", "/sync/start", (*call).startSync),
		rt("POST", "/sync/pause", (*call).pauseSync),
		rt("GET", "/sync/status", (*call).syncStatus),
		rt("PUT", "/sync/update-connection-frequency", (*call).updateConnectionFrequency),
		rt("POST", "/sync/{name}/variant/{variant}", (*call).createSyncVariant),
		rt("DELETE", "/sync/{name}/variant/{variant}", (*call).deleteSyncVariant),

		rt("POST", "/action/trigger", (*call).triggerAction),
		rt("GET", "/action/{id}", (*call).getAsyncActionResult),

		rt("POST", "/connect/sessions", (*call).createConnectSession),
		rt("POST", "/connect/sessions/reconnect", (*call).createReconnectSession),
	}
}
