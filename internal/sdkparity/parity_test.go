package sdkparity

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nango-gateway/nango-gateway/internal/config"
	"github.com/nango-gateway/nango-gateway/internal/server"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

const (
	// simKey is the simulator's key: the SDK uses it directly, the gateway upstream.
	simKey = "sdk-parity-sim-key"
	// callerKey is what the SDK presents to the gateway; it must never reach Nango.
	callerKey = "sdk-parity-caller-key"
	// markerPrefix starts the path of the request parity.mjs sends before each scenario.
	markerPrefix  = "/__sdkparity/"
	scriptTimeout = 4 * time.Minute
)

// frozen is the simulator clock; parity.mjs's dates (modifiedAfter) assume it.
var frozen = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

// comparedHeaders are the request headers whose presence and value must match. Content-Type
// is compared separately (media type only); every Nango-Proxy-* header is compared too.
var comparedHeaders = []string{
	"Connection-Id", "Provider-Config-Key", "X-Async", "X-Max-Retries",
	"Base-Url-Override", "Nango-Activity-Log-Id", "Retries", "Retry-On", "Decompress",
	"Forward-Headers-On-Redirect", "Nango-Is-Sync", "Nango-Is-Script", "Nango-Is-Dry-Run",
}

func TestOfficialSDKGetsTheSameAnswersAndSendsTheSameRequestsThroughTheGateway(t *testing.T) {
	node, script := requireNode(t)

	direct := startSimulator(t)
	directRun := runScript(t, node, script, direct.URL, simKey, direct.URL)
	directReqs := direct.sim.Requests()

	behind := startSimulator(t)
	gw := startGateway(t, behind.URL)
	gwRun := runScript(t, node, script, "http://"+gw.HTTPAddr(), callerKey, behind.URL)
	gwReqs := behind.sim.Requests()

	keepOutputs(t, map[string][]scenarioResult{"direct.jsonl": directRun, "gateway.jsonl": gwRun})
	report, local := compareRuns("direct", "gateway", directRun, gwRun, directReqs, gwReqs)
	if len(local) > 0 {
		t.Logf("%d invalid inputs were rejected by the gateway itself, with Nango's status and error code: %s",
			len(local), strings.Join(local, ", "))
	}
	if report != "" {
		t.Fatal(report)
	}
	t.Logf("%d SDK scenarios behaved the same through the gateway", len(directRun))
}

// The comparison above only means something if the scenario list gives the same results on
// every run against a fresh simulator, and if each scenario reaches the outcome its name
// states ("...-404" fails with 404, "...-throws" fails in the SDK, anything else succeeds).
func TestScenarioListIsDeterministicAndReachesItsStatedOutcomes(t *testing.T) {
	node, script := requireNode(t)

	first := startSimulator(t)
	run1 := runScript(t, node, script, first.URL, simKey, first.URL)
	second := startSimulator(t)
	run2 := runScript(t, node, script, second.URL, simKey, second.URL)

	var problems []string
	if report, _ := compareRuns("run 1", "run 2", run1, run2, first.sim.Requests(), second.sim.Requests()); report != "" {
		problems = append(problems, report)
	}
	seen := map[string]bool{}
	statusSuffix := regexp.MustCompile(`-(\d{3})$`)
	for i, r := range run1 {
		if seen[r.name] {
			problems = append(problems, fmt.Sprintf("#%d %s: duplicate scenario name", i, r.name))
		}
		seen[r.name] = true
		ok, _ := r.fields["ok"].(bool)
		status, _ := r.fields["status"].(json.Number)
		_, hasError := r.fields["error"]
		if strings.HasSuffix(r.name, "-throws") {
			if ok || !hasError {
				problems = append(problems, fmt.Sprintf("#%d %s: want the SDK to throw without an HTTP answer, got %s", i, r.name, short(r.raw)))
			}
		} else if m := statusSuffix.FindStringSubmatch(r.name); m != nil {
			if ok || status.String() != m[1] {
				problems = append(problems, fmt.Sprintf("#%d %s: want HTTP %s from the simulator, got %s", i, r.name, m[1], short(r.raw)))
			}
		} else if !ok {
			problems = append(problems, fmt.Sprintf("#%d %s: want success from the simulator, got %s", i, r.name, short(r.raw)))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("the scenario list is not a sound reference:\n%s", strings.Join(problems, "\n"))
	}
}

// keepOutputs writes each run's output lines into $SDKPARITY_KEEP, when set, for whoever
// chases a difference.
func keepOutputs(t *testing.T, runs map[string][]scenarioResult) {
	t.Helper()
	dir := os.Getenv("SDKPARITY_KEEP")
	if dir == "" {
		return
	}
	for file, run := range runs {
		var b strings.Builder
		for _, r := range run {
			b.WriteString(r.raw + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(b.String()), 0o644); err != nil {
			t.Errorf("SDKPARITY_KEEP: %v", err)
		}
	}
}

// requireNode finds node and the installed SDK; both are part of the test toolchain.
func requireNode(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20+ and run `make tools`", err)
	}
	tools, err := filepath.Abs(filepath.Join("..", "..", "tools"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "@nangohq", "node", "package.json")); err != nil {
		t.Fatalf("the official SDK is not installed in tools/node_modules (%v): run `make tools`", err)
	}
	return node, filepath.Join(tools, "sdk-parity", "parity.mjs")
}

type simServer struct {
	*httptest.Server
	sim *simulator.Simulator
}

// startSimulator serves a fresh seeded simulator on a frozen clock, so two of them answer
// the same scenario list identically (UUIDs and tokens come from a fixed seed).
func startSimulator(t *testing.T) simServer {
	t.Helper()
	sim := simulator.New(simulator.Options{
		APIKey:           simKey,
		Seed:             true,
		Now:              func() time.Time { return frozen },
		AsyncActionDelay: -1, // async results are ready at once, whatever the wall clock does
		RateLimit:        -1,
	})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		srv.Close()
		sim.Close()
	})
	return simServer{Server: srv, sim: sim}
}

func startGateway(t *testing.T, nangoURL string) *server.Server {
	t.Helper()
	srv, err := server.New(context.Background(), config.Config{
		NangoHost: nangoURL, NangoSecretKey: simKey,
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		ShutdownGrace: 2 * time.Second, MaxMessageBytes: 64 << 20, ProxyMaxBodyBytes: 32 << 20,
		InsecureNoAuth: true,
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	return srv
}

// scenarioResult is one output line of parity.mjs.
type scenarioResult struct {
	name   string
	raw    string
	fields map[string]any
}

func runScript(t *testing.T, node, script, host, key, markerBase string) []scenarioResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, host, key, markerBase)
	cmd.Dir = filepath.Dir(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s %s: %v\nstderr:\n%s\nstdout (last lines):\n%s", filepath.Base(script), host, err, stderr.String(), tail(stdout.String(), 5))
	}
	var out []scenarioResult
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		fields, err := decodeJSON([]byte(line))
		if err != nil {
			t.Fatalf("parity.mjs printed a line that is not JSON (%v): %s", err, short(line))
		}
		m, _ := fields.(map[string]any)
		name, _ := m["name"].(string)
		if name == "" {
			t.Fatalf("parity.mjs printed a line without a name: %s", short(line))
		}
		delete(m, "name")
		out = append(out, scenarioResult{name: name, raw: line, fields: m})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("parity.mjs printed no scenario; stderr:\n%s", stderr.String())
	}
	return out
}

// validationCodes are Nango's error codes for input that fails its schema (nango-api.md §1.4).
var validationCodes = []string{"invalid_query_params", "invalid_body", "invalid_uri_params", "invalid_headers"}

// rejectedLocally reports whether b (the gateway run) turned down an input that Nango refuses
// on validation with Nango's own status and error code, without calling Nango. The gateway
// validates requests before sending them upstream by design, so the wording of the details
// (errors[], message) may differ, but what an SDK caller branches on must not.
func rejectedLocally(a, b scenarioResult, aReqs, bReqs []simulator.RecordedRequest) bool {
	if len(bReqs) != 0 || len(aReqs) != 1 {
		return false
	}
	aOK, _ := a.fields["ok"].(bool)
	bOK, _ := b.fields["ok"].(bool)
	if aOK || bOK || a.fields["status"] != b.fields["status"] {
		return false
	}
	code := func(r scenarioResult) string {
		data, _ := r.fields["data"].(map[string]any)
		e, _ := data["error"].(map[string]any)
		c, _ := e["code"].(string)
		return c
	}
	return slices.Contains(validationCodes, code(a)) && code(a) == code(b)
}

// compareRuns lists every difference between two runs of the scenario list, grouped by SDK
// method; the report is "" when there is none. local lists the scenarios that b rejected
// itself the way Nango would (see rejectedLocally); they do not count as differences.
func compareRuns(aName, bName string, a, b []scenarioResult, aReqs, bReqs []simulator.RecordedRequest) (report string, local []string) {
	var global []string
	if len(a) != len(b) {
		global = append(global, fmt.Sprintf("%s ran %d scenarios, %s ran %d", aName, len(a), bName, len(b)))
	}
	aPer, aStray := splitByScenario(aReqs)
	bPer, bStray := splitByScenario(bReqs)
	for _, s := range []struct {
		who   string
		stray []simulator.RecordedRequest
	}{{aName, aStray}, {bName, bStray}} {
		for _, r := range s.stray {
			global = append(global, fmt.Sprintf("%s: request outside any scenario: %s %s", s.who, r.Method, r.Path))
		}
	}

	type finding struct {
		index int
		name  string
		lines []string
	}
	groups := map[string][]finding{}
	var order []string
	differing, onlyGenerated := 0, 0
	// Once the upstream traffic of one scenario differs, both simulators' id generators and
	// clocks are out of step for good, so values they generate per call are compared loosely
	// from the next scenario on; state changes still show.
	divergedAt := -1
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i].name != b[i].name {
			global = append(global, fmt.Sprintf("#%d: scenario %q in %s but %q in %s", i, a[i].name, aName, b[i].name, bName))
			continue
		}
		if rejectedLocally(a[i], b[i], aPer[i], bPer[i]) {
			local = append(local, fmt.Sprintf("#%d %s", i, a[i].name))
			continue
		}
		loose := divergedAt >= 0
		var lines []string
		for _, d := range jsonDiff("$", normalize(a[i].fields, loose), normalize(b[i].fields, loose), 8) {
			lines = append(lines, "SDK returned: "+d.String(aName, bName))
		}
		reqLines := compareRequests(aName, bName, aPer[i], bPer[i], loose)
		lines = append(lines, reqLines...)
		if loose && len(lines) == 0 && (len(jsonDiff("$", a[i].fields, b[i].fields, 1)) > 0 || len(compareRequests(aName, bName, aPer[i], bPer[i], false)) > 0) {
			onlyGenerated++
		}
		if divergedAt < 0 && len(compareRequests(aName, bName, aPer[i], bPer[i], false)) > 0 {
			divergedAt = i
		}
		for _, who := range []struct {
			name string
			reqs []simulator.RecordedRequest
		}{{aName, aPer[i]}, {bName, bPer[i]}} {
			for k, r := range who.reqs {
				if got := r.Header.Get("Authorization"); got != "Bearer "+simKey {
					lines = append(lines, fmt.Sprintf("request %d (%s): Authorization is %s, want the simulator key", k+1, who.name, describeAuth(got)))
				}
			}
		}
		if len(lines) == 0 {
			continue
		}
		differing++
		method, _, _ := strings.Cut(a[i].name, "/")
		if _, ok := groups[method]; !ok {
			order = append(order, method)
		}
		groups[method] = append(groups[method], finding{i, a[i].name, lines})
	}
	if len(global) == 0 && differing == 0 {
		return "", local
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "%d of %d SDK scenarios differ between %s and %s", differing, min(len(a), len(b)), aName, bName)
	if len(order) > 0 {
		fmt.Fprintf(&sb, " (%d SDK methods: %s)", len(order), strings.Join(order, ", "))
	}
	sb.WriteString("\n")
	if divergedAt >= 0 {
		fmt.Fprintf(&sb, "  Upstream traffic first differs at #%d %s; from there on, values the simulator generates per call\n"+
			"  (UUIDs, hex tokens, call-time timestamps, record cursors) are compared loosely, and %d more scenario(s)\n"+
			"  differed only in such values. Later state differences may follow from earlier findings.\n", divergedAt, a[divergedAt].name, onlyGenerated)
	}
	for _, g := range global {
		sb.WriteString("  " + g + "\n")
	}
	for _, method := range order {
		fmt.Fprintf(&sb, "\n== %s (%d) ==\n", method, len(groups[method]))
		for _, f := range groups[method] {
			fmt.Fprintf(&sb, "#%d %s\n", f.index, f.name)
			for _, l := range f.lines {
				sb.WriteString("    " + l + "\n")
			}
		}
	}
	return sb.String(), local
}

// splitByScenario files the recorded requests under the scenario whose marker precedes them.
func splitByScenario(reqs []simulator.RecordedRequest) (map[int][]simulator.RecordedRequest, []simulator.RecordedRequest) {
	per := map[int][]simulator.RecordedRequest{}
	var stray []simulator.RecordedRequest
	current := -1
	for _, r := range reqs {
		if rest, ok := strings.CutPrefix(r.Path, markerPrefix); ok {
			idx, _, _ := strings.Cut(rest, "/")
			if n, err := strconv.Atoi(idx); err == nil {
				current = n
				continue
			}
		}
		if current < 0 {
			stray = append(stray, r)
			continue
		}
		per[current] = append(per[current], r)
	}
	return per, stray
}

// compareRequests compares two scenarios' upstream requests pairwise, in order.
func compareRequests(aName, bName string, a, b []simulator.RecordedRequest, loose bool) []string {
	str := func(v string) string {
		if loose {
			return loosen(v)
		}
		return v
	}
	var out []string
	if len(a) != len(b) {
		out = append(out, fmt.Sprintf("Nango received %d request(s) from %s %s, %d from %s %s",
			len(a), aName, summarize(a), len(b), bName, summarize(b)))
	}
	for k := 0; k < min(len(a), len(b)); k++ {
		x, y := a[k], b[k]
		prefix := fmt.Sprintf("request %d %s %s: ", k+1, x.Method, x.Path)
		if x.Method != y.Method {
			out = append(out, fmt.Sprintf("%smethod %s=%s %s=%s", prefix, aName, x.Method, bName, y.Method))
		}
		// Nango's router (Express) ignores one trailing slash, and the SDK adds one to /records/.
		if str(trimSlash(x.Path)) != str(trimSlash(y.Path)) {
			out = append(out, fmt.Sprintf("%spath %s=%s %s=%s", prefix, aName, x.Path, bName, y.Path))
		}
		if !queryEqual(x.Query, y.Query, str) {
			out = append(out, fmt.Sprintf("%squery %s=%s %s=%s", prefix, aName, queryString(x.Query), bName, queryString(y.Query)))
		}
		for _, d := range bodyDiff(x.Body, y.Body, loose) {
			out = append(out, prefix+"body "+d.String(aName, bName))
		}
		for _, name := range headerNames(x.Header, y.Header) {
			xv, xok := x.Header[name]
			yv, yok := y.Header[name]
			if xok != yok || str(strings.Join(xv, ", ")) != str(strings.Join(yv, ", ")) {
				out = append(out, fmt.Sprintf("%sheader %s %s=%s %s=%s", prefix, name, aName, headerValue(xv, xok), bName, headerValue(yv, yok)))
			}
		}
		// A Content-Type on a request without a body means nothing to Nango (nango-api.md §1.2):
		// the SDK sends one on several GETs and DELETEs.
		if hasBody(x.Body) || hasBody(y.Body) {
			if xm, ym := mediaType(x.Header), mediaType(y.Header); xm != ym {
				out = append(out, fmt.Sprintf("%sContent-Type %s=%q %s=%q", prefix, aName, xm, bName, ym))
			}
		}
	}
	return out
}

func headerNames(a, b http.Header) []string {
	names := slices.Clone(comparedHeaders)
	for _, h := range []http.Header{a, b} {
		for name := range h {
			if strings.HasPrefix(strings.ToLower(name), "nango-proxy-") && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

func headerValue(v []string, present bool) string {
	if !present {
		return "<absent>"
	}
	return strconv.Quote(strings.Join(v, ", "))
}

func mediaType(h http.Header) string {
	ct := h.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

func hasBody(b []byte) bool { return len(bytes.TrimSpace(b)) > 0 }

func trimSlash(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

func queryEqual(a, b url.Values, str func(string) string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		bv, ok := b[k]
		if !ok || !slices.EqualFunc(av, bv, func(x, y string) bool { return str(x) == str(y) }) {
			return false
		}
	}
	return true
}

// queryString prints a decoded query with its keys sorted.
func queryString(q url.Values) string {
	if len(q) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, q[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func summarize(reqs []simulator.RecordedRequest) string {
	if len(reqs) == 0 {
		return "[]"
	}
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		parts[i] = r.Method + " " + r.Path
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// describeAuth says what an unexpected Authorization header holds without printing a key.
func describeAuth(v string) string {
	switch v {
	case "":
		return "absent"
	case "Bearer " + callerKey:
		return "the caller's key (forwarded)"
	}
	return "another value"
}

// bodyDiff compares two bodies as JSON when both parse, as bytes otherwise.
func bodyDiff(a, b []byte, loose bool) []difference {
	if !hasBody(a) && !hasBody(b) {
		return nil
	}
	av, aerr := decodeJSON(a)
	bv, berr := decodeJSON(b)
	if aerr == nil && berr == nil {
		return jsonDiff("$", normalize(av, loose), normalize(bv, loose), 8)
	}
	if bytes.Equal(a, b) || (loose && loosen(string(a)) == loosen(string(b))) {
		return nil
	}
	return []difference{{path: "(bytes)", a: strconv.Quote(string(a)), b: strconv.Quote(string(b))}}
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

var (
	reUUID     = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	reHex      = regexp.MustCompile(`[0-9a-f]{16,}`)
	reDateTime = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)`)
	reUnixTS   = regexp.MustCompile(`^(\d{10})\.\d+$`)
	reBase64   = regexp.MustCompile(`^[A-Za-z0-9+/]{16,}={0,2}$`)
)

// normalize returns v with every string loosened when loose is set.
func normalize(v any, loose bool) any {
	if !loose {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e, true)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, true)
		}
		return out
	case string:
		return loosen(x)
	}
	return v
}

// loosen replaces what the simulator generates per call (record cursors, UUIDs, hex tokens,
// timestamps taken from its clock during the run) with placeholders.
func loosen(s string) string {
	if reBase64.MatchString(s) {
		if b, err := base64.StdEncoding.DecodeString(s); err == nil && bytes.Contains(b, []byte("||")) {
			return "<cursor>"
		}
	}
	if m := reUnixTS.FindStringSubmatch(s); m != nil && m[1] == strconv.FormatInt(frozen.Unix(), 10) {
		return "<call-time>"
	}
	s = reUUID.ReplaceAllString(s, "<uuid>")
	s = reHex.ReplaceAllStringFunc(s, func(h string) string {
		if strings.ContainsAny(h, "abcdef") {
			return "<hex>"
		}
		return h
	})
	return reDateTime.ReplaceAllStringFunc(s, func(ts string) string {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err == nil && !t.Before(frozen) && t.Before(frozen.Add(time.Minute)) {
			return "<call-time>"
		}
		return ts
	})
}

// difference is one JSON path where two documents disagree.
type difference struct {
	path string
	a, b string // rendered values; "<absent>" when the key is missing
}

func (d difference) String(aName, bName string) string {
	return fmt.Sprintf("%s: %s=%s %s=%s", d.path, aName, d.a, bName, d.b)
}

// jsonDiff lists up to limit paths where a and b differ (objects by key, arrays by index,
// numbers by value).
func jsonDiff(path string, a, b any, limit int) []difference {
	var out []difference
	var walk func(path string, a, b any)
	walk = func(path string, a, b any) {
		if len(out) >= limit {
			return
		}
		switch av := a.(type) {
		case map[string]any:
			bv, ok := b.(map[string]any)
			if !ok {
				break
			}
			keys := make([]string, 0, len(av)+len(bv))
			for k := range av {
				keys = append(keys, k)
			}
			for k := range bv {
				if _, ok := av[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				x, xok := av[k]
				y, yok := bv[k]
				p := path + "." + k
				switch {
				case !xok:
					out = append(out, difference{p, "<absent>", render(y)})
				case !yok:
					out = append(out, difference{p, render(x), "<absent>"})
				default:
					walk(p, x, y)
				}
				if len(out) >= limit {
					return
				}
			}
			return
		case []any:
			bv, ok := b.([]any)
			if !ok {
				break
			}
			if len(av) != len(bv) {
				out = append(out, difference{path + ".length", strconv.Itoa(len(av)), strconv.Itoa(len(bv))})
			}
			for i := 0; i < min(len(av), len(bv)); i++ {
				walk(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])
			}
			return
		case json.Number:
			if bv, ok := b.(json.Number); ok && numbersEqual(av, bv) {
				return
			}
		default:
			if a == b {
				return
			}
		}
		out = append(out, difference{path, render(a), render(b)})
	}
	walk(path, a, b)
	return out
}

func numbersEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, errX := strconv.ParseFloat(string(a), 64)
	y, errY := strconv.ParseFloat(string(b), 64)
	return errX == nil && errY == nil && x == y
}

func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return short(string(b))
}

func short(s string) string {
	const max = 240
	if len(s) > max {
		return s[:max] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = short(l)
	}
	return strings.Join(lines, "\n")
}
