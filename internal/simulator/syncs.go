package simulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxVariantsPerSync is Nango's default cap on variants of one sync.
const maxVariantsPerSync = 100

var reFrequency = regexp.MustCompile(`(?i)^(?:every\s+)?(?:(\d+(?:\.\d+)?|half|an?|one)\s*)?(ms|milliseconds?|msecs?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)$`)

// parseFrequency understands Nango's frequencies ("every 1h", "30 minutes",
// "1d", "half hour", "week").
func parseFrequency(v string) (time.Duration, bool) {
	m := reFrequency.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, false
	}
	n := 1.0
	switch strings.ToLower(m[1]) {
	case "", "a", "an", "one":
	case "half":
		n = 0.5
	default:
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, false
		}
		n = f
	}
	var unit time.Duration
	switch u := strings.ToLower(m[2]); {
	case u == "ms" || strings.HasPrefix(u, "milli") || strings.HasPrefix(u, "msec"):
		unit = time.Millisecond
	case u == "s" || strings.HasPrefix(u, "sec"):
		unit = time.Second
	case u == "m" || strings.HasPrefix(u, "min"):
		unit = time.Minute
	case u == "h" || strings.HasPrefix(u, "h"):
		unit = time.Hour
	case u == "d" || strings.HasPrefix(u, "day"):
		unit = 24 * time.Hour
	case u == "w" || strings.HasPrefix(u, "week"):
		unit = 7 * 24 * time.Hour
	default:
		unit = 365 * 24 * time.Hour
	}
	return time.Duration(n * float64(unit)), true
}

// reFrequencyInput is the pattern Nango's body validation gives frequency
// (case-sensitive, one optional space between amount and unit).
var reFrequencyInput = regexp.MustCompile(`^(every )?(([0-9]+)?\s?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)|(month|week|half day|half hour|quarter hour))$`)

// reMsDuration is what the ms package Nango uses parses: a number, spaces, an optional unit.
var reMsDuration = regexp.MustCompile(`(?i)^(-?\d*\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$`)

// namedIntervals are the phrases Nango maps to an interval before parsing.
var namedIntervals = map[string]string{
	"every half day": "12h", "every half hour": "30m", "every quarter hour": "15m",
	"every hour": "1h", "every day": "1d", "every month": "30d", "every week": "1w",
}

// normaliseFrequency is the interval Nango schedules for a frequency: a
// named phrase becomes its interval, otherwise "every " is dropped. It
// fails, like Nango, for what ms cannot parse, zero, or under 30 seconds.
func normaliseFrequency(runs string) (string, bool) {
	if iv, ok := namedIntervals[runs]; ok {
		return iv, true
	}
	iv := strings.Replace(runs, "every ", "", 1)
	d, ok := msDuration(iv)
	if !ok || d == 0 || d < 30*time.Second {
		return "", false
	}
	return iv, true
}

// msDuration parses a duration the way the ms package does (no unit = milliseconds).
func msDuration(v string) (time.Duration, bool) {
	m := reMsDuration.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	unit := time.Millisecond
	switch u := strings.ToLower(m[2]); {
	case u == "" || u == "ms" || strings.HasPrefix(u, "milli") || strings.HasPrefix(u, "msec"):
	case u == "s" || strings.HasPrefix(u, "sec"):
		unit = time.Second
	case u == "m" || strings.HasPrefix(u, "min"):
		unit = time.Minute
	case u == "h" || strings.HasPrefix(u, "h"):
		unit = time.Hour
	case u == "d" || strings.HasPrefix(u, "day"):
		unit = 24 * time.Hour
	case u == "w" || strings.HasPrefix(u, "week"):
		unit = 7 * 24 * time.Hour
	default:
		unit = time.Duration(365.25 * 24 * float64(time.Hour))
	}
	return time.Duration(n * float64(unit)), true
}

// ensureSyncRuns gives a new connection one run per sync of its integration.
func (st *state) ensureSyncRuns(i *integration, conn *connection, now time.Time) {
	for _, f := range i.syncFunctions() {
		if st.syncRun(conn.id, f.name, "base") != nil {
			continue
		}
		status := "PAUSED"
		if f.autoStart {
			status = "SUCCESS"
		}
		st.syncs = append(st.syncs, &syncRun{
			id: st.ids.uuid(), connID: conn.id, integrationKey: i.uniqueKey,
			name: f.name, variant: "base", status: status, createdAt: now,
			latestResult: map[string][3]int{},
		})
	}
}

func (st *state) syncRun(connID int, name, variant string) *syncRun {
	for _, r := range st.syncs {
		if r.connID == connID && r.name == name && r.variant == variant {
			return r
		}
	}
	return nil
}

// syncIdent is one entry of a syncs list: a name, and a variant ("base" by default).
type syncIdent struct {
	name, variant string
}

// readSyncIdents reads body.syncs (strings or {name, variant}).
func readSyncIdents(o *objReader, max int) []syncIdent {
	raw, ok := o.m["syncs"]
	if !ok {
		o.add(missing("array", []any{"syncs"}))
		return nil
	}
	if jsonKind(raw) != "array" {
		o.add(wrongType("array", jsonKind(raw), []any{"syncs"}))
		return nil
	}
	var items []json.RawMessage
	_ = json.Unmarshal(raw, &items)
	if max > 0 && len(items) > max {
		o.add(newIssue("too_big", "Too big: expected array to have <="+strconv.Itoa(max)+" items", []any{"syncs"}))
	}
	out := []syncIdent{}
	for i, item := range items {
		path := []any{"syncs", i}
		switch jsonKind(item) {
		case "string":
			var name string
			_ = json.Unmarshal(item, &name)
			out = append(out, syncIdent{name: name, variant: "base"})
		case "object":
			c := newObjReader(item, path, o.iss)
			if c == nil {
				continue
			}
			c.strict("name", "variant")
			name, _ := c.str("name", true, strRule{})
			variant, _ := c.str("variant", true, strRule{})
			out = append(out, syncIdent{name: name, variant: variant})
		default:
			o.add(newIssue("invalid_union", "Each sync must be either a string or a { name: string, variant: string } object", path))
		}
	}
	return out
}

// Sync commands fail with the NangoErrors Nango's sync manager raises,
// rendered by its error manager. A non-empty payload is appended to the
// message as indented JSON, and an empty one ({}) too, as Nango does.
func nangoErrorWithPayload(status int, code, message string, payload obj) *apiError {
	if payload == nil {
		payload = obj{}
	}
	return &apiError{status: status, code: code, message: message + " " + indentJSON(payload), payload: payload, thrown: true}
}

// indentJSON is JSON.stringify(v, null, 2).
func indentJSON(v obj) string {
	b, _ := marshal(v)
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

func unknownProviderConfigKey() *apiError {
	return nangoErrorWithPayload(http.StatusBadRequest, "unknown_provider_config",
		"There is no Provider Configuration matching this key. Please make sure this value exists in the Nango dashboard", nil)
}

func unknownSyncConnection(connID, key string) *apiError {
	return nangoErrorWithPayload(http.StatusNotFound, "unknown_connection",
		"No connection matching the provided params of 'connection_id' and 'provider_config_key'. Please make sure these values exist in the Nango dashboard",
		obj{{"connectionId", connID}, {"providerConfigKey", key}})
}

func noSyncsFound() *apiError {
	return &apiError{status: http.StatusBadRequest, code: "no_syncs_found", message: "No syncs found given the inputs.", thrown: true}
}

// syncTargets resolves the runs a sync command applies to, as Nango's sync
// manager does: with a connection every named sync must exist on it; without
// one, the named syncs that exist anywhere on the integration (all when none
// are named), and at least one must.
func (s *Simulator) syncTargets(key, connID string, hasConn bool, idents []syncIdent) ([]*syncRun, *apiError) {
	if s.st.integration(key) == nil {
		return nil, unknownProviderConfigKey()
	}
	var conn *connection
	if hasConn {
		if conn = s.st.connection(key, connID); conn == nil {
			return nil, unknownSyncConnection(connID, key)
		}
		for _, id := range idents {
			if s.st.syncRun(conn.id, id.name, id.variant) == nil {
				return nil, noSyncsFound()
			}
		}
	}
	var out []*syncRun
	for _, r := range s.st.syncs {
		if r.integrationKey != key || (conn != nil && r.connID != conn.id) {
			continue
		}
		if len(idents) > 0 {
			found := false
			for _, id := range idents {
				if id.name == r.name && id.variant == r.variant {
					found = true
					break
				}
			}
			if !found {
				continue
			}
		}
		out = append(out, r)
	}
	if conn == nil && len(out) == 0 {
		return nil, noSyncsFound()
	}
	return out, nil
}

// syncCommand is the parsed body of trigger/start/pause.
type syncCommand struct {
	key, connID       string
	hasConn           bool
	idents            []syncIdent
	reset, emptyCache bool
}

func (c *call) readSyncCommand(trigger bool) (*syncCommand, bool) {
	var iss []issue
	// Only trigger refuses a query; start and pause never look at it.
	read := c.bodyObject
	if trigger {
		read = c.noQueryBody
	}
	o, ok := read(&iss)
	if !ok {
		return nil, false
	}
	cmd := &syncCommand{}
	if o != nil {
		if trigger {
			o.strict("syncs", "provider_config_key", "connection_id", "opts", "sync_mode", "full_resync")
			cmd.idents = readSyncIdents(o, 0)
		} else {
			o.strict("syncs", "provider_config_key", "connection_id")
			cmd.idents = readSyncIdents(o, 256)
		}
		cmd.key, _ = o.str("provider_config_key", !trigger, strRule{})
		cmd.connID, cmd.hasConn = o.str("connection_id", false, strRule{})
		if trigger {
			mode, hasMode := o.str("sync_mode", false, strRule{enum: []string{"incremental", "full_refresh", "full_refresh_and_clear_cache"}})
			full, hasFull := o.boolean("full_resync", false)
			if opts := o.object("opts", false); opts != nil {
				opts.strict("reset", "emptyCache")
				cmd.reset, _ = opts.boolean("reset", false)
				cmd.emptyCache, _ = opts.boolean("emptyCache", false)
				if hasMode || hasFull {
					o.add(newIssue("custom", "opts cannot be combined with sync_mode or full_resync", []any{"opts"}))
				}
			}
			switch {
			case hasMode:
				cmd.reset = mode != "incremental"
				cmd.emptyCache = mode == "full_refresh_and_clear_cache"
			case hasFull:
				cmd.reset = full
			}
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return nil, false
	}
	if trigger {
		if cmd.key == "" {
			cmd.key = c.r.Header.Get("Provider-Config-Key")
		}
		if !cmd.hasConn && c.r.Header.Get("Connection-Id") != "" {
			cmd.connID, cmd.hasConn = c.r.Header.Get("Connection-Id"), true
		}
		if cmd.key == "" {
			c.fail(errf(http.StatusBadRequest, "missing_provider_config_key", "Missing provider_config_key. Provide it in the body or headers."))
			return nil, false
		}
	}
	return cmd, true
}

func (c *call) triggerSync() { c.syncCommand("trigger") }
func (c *call) startSync()   { c.syncCommand("start") }
func (c *call) pauseSync()   { c.syncCommand("pause") }

func (c *call) syncCommand(kind string) {
	cmd, ok := c.readSyncCommand(kind == "trigger")
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	runs, e := s.syncTargets(cmd.key, cmd.connID, cmd.hasConn, cmd.idents)
	if e != nil {
		s.mu.Unlock()
		c.fail(e)
		return
	}
	var hooks []obj
	for _, r := range runs {
		switch kind {
		case "pause":
			r.status = "PAUSED"
		case "start":
			hooks = append(hooks, s.executeSync(r, false, false))
		default:
			paused := r.status == "PAUSED"
			hooks = append(hooks, s.executeSync(r, cmd.reset, cmd.emptyCache))
			if paused {
				r.status = "PAUSED"
			}
		}
	}
	s.mu.Unlock()
	for _, h := range hooks {
		if h != nil {
			s.sendWebhookAsync(h)
		}
	}
	c.json(http.StatusOK, obj{{"success", true}})
}

// executeSync runs a sync at once: with emptyCache its records go first,
// then each model gains two records and three existing ones change. It
// returns the sync webhook to deliver, if any.
func (s *Simulator) executeSync(r *syncRun, reset, emptyCache bool) obj {
	st := s.st
	i := st.integration(r.integrationKey)
	conn := st.connByID(r.connID)
	if i == nil || conn == nil {
		return nil
	}
	f := i.function(r.name, "sync")
	if f == nil {
		return nil
	}
	started := s.tick()
	result := map[string][3]int{}
	for _, m := range f.returns {
		key := variantModel(m, r.variant)
		if emptyCache {
			delete(st.records, recKey{conn.id, key})
		}
		rs := st.recordSet(conn.id, key, true)
		added, updated := s.syncChanges(rs, m, conn)
		result[m] = [3]int{added, updated, 0}
	}
	now := s.tick()
	r.status = "SUCCESS"
	r.finishedAt = &now
	r.latestResult = result
	r.latestStatus = "SUCCESS"
	// A reset run starts from no checkpoint; either way it ends with a fresh one.
	_ = reset
	r.checkpoint, _ = marshal(obj{{"lastSyncDate", isoTime(now)}})
	if s.opts.WebhookURL == "" || len(f.returns) == 0 {
		return nil
	}
	m := f.returns[0]
	res := result[m]
	return obj{
		{"from", "nango"},
		{"type", "sync"},
		{"connectionId", conn.connectionID},
		{"providerConfigKey", i.uniqueKey},
		{"syncName", r.name},
		{"syncVariant", r.variant},
		{"model", m},
		{"syncType", "INCREMENTAL"},
		{"success", true},
		{"modifiedAfter", isoTime(started)},
		{"responseResults", obj{{"added", res[0]}, {"updated", res[1]}, {"deleted", res[2]}}},
		{"queryTimeStamp", isoTime(started)},
	}
}

// syncChanges adds two records and updates the three oldest live ones.
func (s *Simulator) syncChanges(rs *recordSet, model string, conn *connection) (int, int) {
	var changed []*record
	for _, old := range rs.recs {
		if len(changed) == 3 {
			break
		}
		if old.deletedAt != nil {
			continue
		}
		t := s.tick()
		cp := *old
		cp.updatedAt = t
		cp.prunedAt = nil
		cp.payload = touchPayload(old.payload, t)
		changed = append(changed, &cp)
	}
	updated := len(changed)
	for n := 0; n < 2; n++ {
		t := s.tick()
		seq := len(rs.byExt) + 1 + n
		ext, payload := samplePayload(model, conn.connectionID, seq, t, t, s.st.ids)
		changed = append(changed, &record{uuid: s.st.ids.uuid(), externalID: ext, payload: payload, createdAt: t, updatedAt: t})
	}
	rs.put(changed...)
	return 2, updated
}

func (c *call) syncStatus() {
	var iss []issue
	iss = append(iss, c.q.strict("syncs", "provider_config_key", "connection_id")...)
	syncs, _ := c.q.str("syncs", true, strRule{min: 1}, &iss)
	key, _ := c.q.str("provider_config_key", true, ruleProviderConfigKey, &iss)
	connID, hasConn := c.q.str("connection_id", false, ruleConnectionID, &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	// Nango does not look the integration up here: an unknown one has no syncs.
	var conn *connection
	if hasConn {
		if conn = s.st.connection(key, connID); conn == nil {
			c.fail(errf(http.StatusBadRequest, "invalid_body", "Connection not found"))
			return
		}
	}
	var idents []syncIdent
	if syncs != "*" {
		for _, part := range strings.Split(syncs, ",") {
			name, variant, ok := strings.Cut(strings.TrimSpace(part), "::")
			if !ok {
				variant = "base"
			}
			idents = append(idents, syncIdent{name: name, variant: variant})
		}
	}
	var runs []*syncRun
	for _, r := range s.st.syncs {
		if r.integrationKey != key || (conn != nil && r.connID != conn.id) {
			continue
		}
		if idents != nil {
			found := false
			for _, id := range idents {
				if id.name == r.name && id.variant == r.variant {
					found = true
				}
			}
			if !found {
				continue
			}
		}
		runs = append(runs, r)
	}
	sort.SliceStable(runs, func(a, b int) bool {
		if runs[a].connID != runs[b].connID {
			return runs[a].connID < runs[b].connID
		}
		if runs[a].name != runs[b].name {
			return runs[a].name < runs[b].name
		}
		return runs[a].variant == "base" || (runs[b].variant != "base" && runs[a].variant < runs[b].variant)
	})
	out := []obj{}
	for _, r := range runs {
		out = append(out, s.syncStatusOf(r))
	}
	c.json(http.StatusOK, obj{{"syncs", out}})
}

// syncStatusOf is ReportedSyncJobStatus, with Nango's key order. A sync
// that never ran has no job: no finishedAt, latestResult or
// latestExecutionStatus keys, type INITIAL and a null checkpoint.
func (s *Simulator) syncStatusOf(r *syncRun) obj {
	st := s.st
	conn := st.connByID(r.connID)
	i := st.integration(r.integrationKey)
	var f *function
	if i != nil {
		f = i.function(r.name, "sync")
	}
	var freq any
	schedule := r.frequency
	if r.frequency != "" {
		freq = r.frequency
	} else if f != nil && f.runs != "" {
		freq, schedule = f.runs, f.runs
	}
	var next any
	if r.status != "PAUSED" {
		if d, ok := parseFrequency(schedule); ok {
			base := r.createdAt
			if r.finishedAt != nil {
				base = *r.finishedAt
			}
			next = isoTime(base.Add(d))
		}
	}
	ran := r.latestStatus != ""
	latest := obj{}
	counts := obj{}
	if f != nil {
		for _, m := range f.returns {
			if res, ok := r.latestResult[m]; ok {
				latest = append(latest, kv{m, obj{{"added", res[0]}, {"updated", res[1]}, {"deleted", res[2]}}})
			}
			n := 0
			if conn != nil {
				if rs := st.recordSet(conn.id, variantModel(m, r.variant), false); rs != nil {
					n = rs.live()
				}
			}
			counts = append(counts, kv{m, n})
		}
	}
	connID := ""
	if conn != nil {
		connID = conn.connectionID
	}
	var checkpoint any
	if r.checkpoint != nil {
		checkpoint = r.checkpoint
	}
	typ := "INITIAL"
	if ran {
		typ = "INCREMENTAL"
	}
	o := obj{{"id", r.id}, {"connection_id", connID}, {"type", typ}}
	if ran && r.finishedAt != nil {
		o = append(o, kv{"finishedAt", isoTime(*r.finishedAt)})
	}
	o = append(o, kv{"nextScheduledSyncAt", next}, kv{"name", r.name}, kv{"variant", r.variant}, kv{"status", publicSyncStatus(r.status)}, kv{"frequency", freq})
	if ran {
		o = append(o, kv{"latestResult", latest}, kv{"latestExecutionStatus", r.latestStatus})
	}
	return append(o, kv{"recordCount", counts}, kv{"checkpoint", checkpoint})
}

// publicSyncStatus maps a stored status to what the public route shows:
// a running job, a paused schedule, else the last job's outcome (SUCCESS
// when none ran). STOPPED only exists for deleted schedules, never listed.
func publicSyncStatus(status string) string {
	switch status {
	case "RUNNING", "PAUSED", "ERROR":
		return status
	}
	return "SUCCESS"
}

func (c *call) updateConnectionFrequency() {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return
	}
	var name, variant, key, connID, freq string
	var null bool
	if o != nil {
		o.strict("sync_name", "sync_variant", "provider_config_key", "connection_id", "frequency")
		name, _ = o.str("sync_name", true, ruleScriptName)
		variant, _ = o.str("sync_variant", false, ruleScriptName)
		key, _ = o.str("provider_config_key", true, ruleProviderConfigKey)
		connID, _ = o.str("connection_id", true, ruleConnectionID)
		var present bool
		freq, null, present = o.nullableStr("frequency", false, strRule{re: reFrequencyInput})
		if !present && !o.has("frequency") {
			o.add(newIssue("invalid_type", "Invalid input: expected string, received undefined", []any{"frequency"}))
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	if variant == "" {
		variant = "base"
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn := s.st.connection(key, connID)
	if conn == nil {
		c.fail(&apiError{status: http.StatusBadRequest, code: "unknown_connection"})
		return
	}
	r := s.st.syncRun(conn.id, name, variant)
	if r == nil {
		c.fail(&apiError{status: http.StatusBadRequest, code: "unknown_sync"})
		return
	}
	// Nango stores the frequency as given but answers (and schedules) the
	// interval it normalised; null reverts to the function's runs.
	var applied string
	if null || freq == "" {
		f := s.st.integration(key).function(name, "sync")
		if f == nil || f.runs == "" {
			c.fail(&apiError{status: http.StatusBadRequest, code: "unknown_sync"})
			return
		}
		applied = f.runs
	} else {
		iv, ok := normaliseFrequency(freq)
		if !ok {
			c.fail(errf(http.StatusBadRequest, "invalid_body", "Sync interval is invalid"))
			return
		}
		applied = iv
	}
	r.frequency = freq
	c.json(http.StatusOK, obj{{"frequency", applied}})
}

// variantCall reads the params and body of the sync variant routes.
func (c *call) variantCall() (name, variant, key, connID string, ok bool) {
	var iss []issue
	name = c.params["name"]
	variant = c.params["variant"]
	iss = append(iss, ruleScriptName.check(name, []any{"name"})...)
	iss = append(iss, ruleScriptName.check(variant, []any{"variant"})...)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_uri_params", iss))
		return
	}
	o, valid := c.noQueryBody(&iss)
	if !valid {
		return
	}
	if o != nil {
		o.strict("provider_config_key", "connection_id")
		key, _ = o.str("provider_config_key", true, ruleProviderConfigKey)
		connID, _ = o.str("connection_id", true, ruleConnectionID)
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	if strings.EqualFold(variant, "base") {
		msg := `Variant name "` + variant + `" is protected.`
		if c.r.Method == http.MethodDelete {
			msg = `Cannot delete protected variant "` + variant + `".`
		}
		c.fail(errf(http.StatusBadRequest, "invalid_variant", msg))
		return
	}
	return name, variant, key, connID, true
}

// createSyncVariant follows Nango's order of checks: the connection, the
// cap on variants (the base sync counts), an existing variant, then the
// sync; the refusals carry no message except the cap's.
func (c *call) createSyncVariant() {
	name, variant, key, connID, ok := c.variantCall()
	if !ok {
		return
	}
	bare := func(code string) *apiError { return &apiError{status: http.StatusBadRequest, code: code} }
	s := c.s
	s.mu.Lock()
	conn := s.st.connection(key, connID)
	if conn == nil {
		s.mu.Unlock()
		c.fail(bare("unknown_connection"))
		return
	}
	n := 0
	for _, r := range s.st.syncs {
		if r.connID == conn.id && r.name == name {
			n++
		}
	}
	if n >= maxVariantsPerSync {
		s.mu.Unlock()
		c.fail(errf(http.StatusBadRequest, "resource_capped", "Maximum number of variants per sync ("+strconv.Itoa(maxVariantsPerSync)+") reached"))
		return
	}
	if s.st.syncRun(conn.id, name, variant) != nil {
		s.mu.Unlock()
		c.fail(bare("sync_variant_already_exists"))
		return
	}
	i := s.st.integration(key)
	if i == nil {
		s.mu.Unlock()
		c.fail(bare("unknown_provider_config"))
		return
	}
	if i.function(name, "sync") == nil {
		s.mu.Unlock()
		c.fail(bare("unknown_sync"))
		return
	}
	r := &syncRun{
		id: s.st.ids.uuid(), connID: conn.id, integrationKey: key, name: name, variant: variant,
		status: "RUNNING", createdAt: s.tick(), latestResult: map[string][3]int{},
	}
	s.st.syncs = append(s.st.syncs, r)
	hook := s.executeSync(r, false, false)
	s.mu.Unlock()
	if hook != nil {
		s.sendWebhookAsync(hook)
	}
	c.json(http.StatusOK, obj{{"id", r.id}, {"name", name}, {"variant", variant}})
}

func (c *call) deleteSyncVariant() {
	name, variant, key, connID, ok := c.variantCall()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn := s.st.connection(key, connID)
	if conn == nil {
		c.fail(&apiError{status: http.StatusBadRequest, code: "unknown_connection"})
		return
	}
	r := s.st.syncRun(conn.id, name, variant)
	if r == nil {
		c.fail(&apiError{status: http.StatusNotFound, code: "not_found"})
		return
	}
	runs := s.st.syncs[:0]
	for _, x := range s.st.syncs {
		if x != r {
			runs = append(runs, x)
		}
	}
	s.st.syncs = runs
	if i := s.st.integration(key); i != nil {
		if f := i.function(name, "sync"); f != nil {
			for _, m := range f.returns {
				delete(s.st.records, recKey{conn.id, variantModel(m, variant)})
			}
		}
	}
	c.json(http.StatusOK, obj{{"success", true}})
}
