package simulator

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cursor is base64("<last_modified_at>||<record uuid>"), Nango's record cursor.
func (r *record) cursor() string {
	return base64.StdEncoding.EncodeToString([]byte(pgTime(r.updatedAt) + "||" + r.uuid))
}

func decodeCursor(c string) (time.Time, string, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(c); err != nil {
			return time.Time{}, "", false
		}
	}
	ts, id, ok := strings.Cut(string(b), "||")
	if !ok || id == "" {
		return time.Time{}, "", false
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", false
	}
	return t, id, true
}

// after reports whether r sorts strictly after the cursor position.
func (r *record) after(t time.Time, id string) bool {
	if !r.updatedAt.Equal(t) {
		return r.updatedAt.After(t)
	}
	return r.uuid > id
}

func (r *record) lastAction() string {
	switch {
	case r.deletedAt != nil:
		return "DELETED"
	case r.createdAt.Equal(r.updatedAt):
		return "ADDED"
	}
	return "UPDATED"
}

// appendJSON writes the record as GET /records returns it: the payload, its
// external id as a string, then _nango_metadata.
func (r *record) appendJSON(b *bytes.Buffer) {
	payload := r.payload
	if r.prunedAt != nil || len(payload) < 2 {
		payload, _ = marshal(obj{{"id", r.externalID}})
	}
	b.Write(payload[:len(payload)-1])
	if len(payload) > 2 {
		b.WriteByte(',')
	}
	b.WriteString(`"_nango_metadata":{"first_seen_at":"`)
	b.WriteString(pgTime(r.createdAt))
	b.WriteString(`","last_modified_at":"`)
	b.WriteString(pgTime(r.updatedAt))
	b.WriteString(`","last_action":"`)
	b.WriteString(r.lastAction())
	b.WriteString(`","deleted_at":`)
	writeTimeOrNull(b, r.deletedAt)
	b.WriteString(`,"pruned_at":`)
	writeTimeOrNull(b, r.prunedAt)
	b.WriteString(`,"cursor":"`)
	b.WriteString(r.cursor())
	b.WriteString(`"}}`)
}

func writeTimeOrNull(b *bytes.Buffer, t *time.Time) {
	if t == nil {
		b.WriteString("null")
		return
	}
	b.WriteByte('"')
	b.WriteString(pgTime(*t))
	b.WriteByte('"')
}

// recordFilter implements the SQL behind ?filter=, quirks included: deleted
// only counts when it is the sole value.
type recordFilter int

const (
	filterAll recordFilter = iota
	filterLive
	filterAdded
	filterUpdated
	filterDeleted
)

func parseFilter(v string) (recordFilter, bool) {
	set := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		if !contains([]string{"added", "updated", "deleted", "ADDED", "UPDATED", "DELETED"}, p) {
			return 0, false
		}
		set[strings.ToLower(p)] = true
	}
	switch {
	case set["added"] && set["updated"]:
		return filterLive, true
	case set["added"]:
		return filterAdded, true
	case set["updated"]:
		return filterUpdated, true
	case set["deleted"]:
		return filterDeleted, true
	}
	return filterAll, true
}

func (f recordFilter) match(r *record) bool {
	switch f {
	case filterLive:
		return r.deletedAt == nil
	case filterAdded:
		return r.deletedAt == nil && r.createdAt.Equal(r.updatedAt)
	case filterUpdated:
		return r.deletedAt == nil && !r.createdAt.Equal(r.updatedAt)
	case filterDeleted:
		return r.deletedAt != nil
	}
	return true
}

// recordsHeaders reads Connection-Id and Provider-Config-Key (400 invalid_headers).
func (c *call) recordsHeaders() (string, string, bool) {
	var iss []issue
	connID := c.r.Header.Get("Connection-Id")
	key := c.r.Header.Get("Provider-Config-Key")
	if _, ok := c.r.Header["Connection-Id"]; !ok {
		iss = append(iss, missing("string", []any{"connection-id"}))
	} else {
		iss = append(iss, ruleConnectionID.check(connID, []any{"connection-id"})...)
	}
	if _, ok := c.r.Header["Provider-Config-Key"]; !ok {
		iss = append(iss, missing("string", []any{"provider-config-key"}))
	} else {
		iss = append(iss, ruleProviderConfigKey.check(key, []any{"provider-config-key"})...)
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_headers", iss))
		return "", "", false
	}
	return connID, key, true
}

func unknownConnection() *apiError {
	return errf(http.StatusBadRequest, "unknown_connection", "Provided ConnectionId and ProviderConfigKey does not match a valid connection")
}

// connectionOrUnknown finds the connection connID of integration key,
// answering 400 unknown_connection when there is none. s.mu must be held.
func (c *call) connectionOrUnknown(key, connID string) (*connection, bool) {
	conn := c.s.st.connection(key, connID)
	if conn == nil {
		c.fail(unknownConnection())
		return nil, false
	}
	return conn, true
}

func (c *call) listRecords() {
	var iss []issue
	q := c.q
	iss = append(iss, q.strict("model", "variant", "delta", "modified_after", "limit", "filter", "cursor", "ids")...)
	model, _ := q.str("model", true, ruleModel, &iss)
	variant, _ := q.str("variant", false, ruleScriptName, &iss)
	cutoff := c.s.now().Add(-365 * 24 * time.Hour)
	var since *time.Time
	for _, key := range []string{"modified_after", "delta"} {
		v, ok := q.one(key, &iss)
		if !ok {
			continue
		}
		t, ok := parseISOZ(v)
		if !ok {
			iss = append(iss, newIssue("invalid_format", "Invalid ISO datetime", []any{key}))
			continue
		}
		if t.Before(cutoff) {
			iss = append(iss, newIssue("custom", "must be within the last 12 months", []any{key}))
			continue
		}
		if since == nil || key == "delta" {
			since = &t
		}
	}
	limit := 100
	if v, ok := q.int("limit", 1, 10000, &iss); ok {
		limit = v
	}
	filter := filterAll
	if v, ok := q.one("filter", &iss); ok {
		f, valid := parseFilter(v)
		if !valid {
			iss = append(iss, newIssue("invalid_value", `Invalid option: expected one of "added"|"updated"|"deleted"|"ADDED"|"UPDATED"|"DELETED"`, []any{"filter"}))
		}
		filter = f
	}
	cursor, hasCursor := q.str("cursor", false, strRule{min: 1, max: 1000}, &iss)
	ids := q.values("ids")
	if len(ids) > 100 {
		iss = append(iss, newIssue("too_big", "Too big: expected array to have <=100 items", []any{"ids"}))
	}
	for i, id := range ids {
		path := []any{"ids"}
		if len(ids) > 1 {
			path = append(path, i)
		}
		iss = append(iss, strRule{min: 1, max: 256}.check(id, path)...)
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	connID, key, ok := c.recordsHeaders()
	if !ok {
		return
	}

	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, ok := c.connectionOrUnknown(key, connID)
	if !ok {
		return
	}
	var curT time.Time
	var curID string
	if hasCursor {
		if curT, curID, ok = decodeCursor(cursor); !ok {
			c.fail(errf(http.StatusInternalServerError, "server_error", "Failed to fetch records"))
			return
		}
	}
	var idSet map[string]bool
	if len(ids) > 0 {
		idSet = map[string]bool{}
		for _, id := range ids {
			idSet[id] = true
		}
	}
	var recs []*record
	if rs := s.st.recordSet(conn.id, variantModel(model, variant), false); rs != nil {
		recs = rs.recs
	}
	start := 0
	if hasCursor {
		start = sort.Search(len(recs), func(i int) bool { return recs[i].after(curT, curID) })
	}

	var b bytes.Buffer
	b.WriteString(`{"next_cursor":`)
	var page bytes.Buffer
	page.WriteByte('[')
	n := 0
	var last *record
	more := false
	budget := s.opts.RecordsMaxResponseBytes
	for _, r := range recs[start:] {
		if !filter.match(r) || (since != nil && r.updatedAt.Before(*since)) || (idSet != nil && !idSet[r.externalID]) {
			continue
		}
		if n == limit || (budget > 0 && n > 0 && page.Len() > budget) {
			more = true
			break
		}
		if n > 0 {
			page.WriteByte(',')
		}
		r.appendJSON(&page)
		last = r
		n++
	}
	page.WriteByte(']')
	if more {
		b.WriteString(strconv.Quote(last.cursor()))
	} else {
		b.WriteString("null")
	}
	b.WriteString(`,"records":`)
	b.Write(page.Bytes())
	b.WriteByte('}')
	writeRaw(c.w, http.StatusOK, "application/json; charset=utf-8", b.Bytes())
}

func (c *call) pruneRecords() {
	var iss []issue
	o, ok := c.noQueryBody(&iss)
	if !ok {
		return
	}
	var model, variant, until string
	limit := 1000
	if o != nil {
		o.strict("model", "variant", "until_cursor", "limit")
		model, _ = o.str("model", true, ruleModel)
		variant, _ = o.str("variant", false, ruleScriptName)
		until, _ = o.str("until_cursor", true, strRule{min: 1, max: 1000})
		if v, ok := o.integer("limit", false, 1, 10000); ok {
			limit = v
		}
	}
	if len(iss) > 0 {
		c.fail(validationErr("invalid_body", iss))
		return
	}
	connID, key, ok := c.recordsHeaders()
	if !ok {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, ok := c.connectionOrUnknown(key, connID)
	if !ok {
		return
	}
	t, id, ok := decodeCursor(until)
	if !ok {
		c.fail(validationErr("invalid_body", []issue{newIssue("custom", "Invalid cursor", []any{"until_cursor"})}))
		return
	}
	count, more := 0, false
	now := s.tick()
	if rs := s.st.recordSet(conn.id, variantModel(model, variant), false); rs != nil {
		for _, r := range rs.recs {
			if r.after(t, id) {
				break
			}
			if r.prunedAt != nil {
				continue
			}
			if count == limit {
				more = true
				break
			}
			pruned := now
			r.prunedAt = &pruned
			count++
		}
	}
	c.json(http.StatusOK, obj{{"count", count}, {"has_more", more}})
}
