package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// issue is one entry of a validation error's errors[] (zod's code, message, path).
type issue struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    []any  `json:"path"`
}

func newIssue(code, message string, path []any) issue {
	p := append([]any{}, path...)
	return issue{Code: code, Message: message, Path: p}
}

func pathWith(path []any, elems ...any) []any {
	p := make([]any, 0, len(path)+len(elems))
	p = append(p, path...)
	return append(p, elems...)
}

// Identifier rules of nango-api.md §1.6.
var (
	reProviderConfigKey = regexp.MustCompile(`^[a-zA-Z0-9~:.@ _-]+$`)
	reConnectionID      = regexp.MustCompile(`^[a-zA-Z0-9,.;:=+~\[\]|@${}"'\\/_ -]+$`)
	reScriptName        = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	reModel             = regexp.MustCompile(`^[A-Z][a-zA-Z0-9_-]+$`)
	reProvider          = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	reTagKey            = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_\-./]*$`)
	reEmail             = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	reUUID              = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reISODateTime       = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$`)
)

// strRule describes a string field the way the server's zod schemas do.
type strRule struct {
	min, max int            // length bounds; max 0 = unbounded
	re       *regexp.Regexp // pattern the value must match
	email    bool
	uuid     bool
	url      bool
	enum     []string
}

var (
	ruleProviderConfigKey = strRule{max: 255, re: reProviderConfigKey}
	ruleConnectionID      = strRule{max: 255, re: reConnectionID}
	ruleScriptName        = strRule{max: 255, re: reScriptName}
	ruleModel             = strRule{max: 255, re: reModel}
	ruleProvider          = strRule{max: 255, re: reProvider}
)

// check returns the issues of v against the rule, at path.
func (r strRule) check(v string, path []any) []issue {
	var out []issue
	n := len([]rune(v))
	if len(r.enum) > 0 {
		for _, e := range r.enum {
			if v == e {
				return nil
			}
		}
		return []issue{newIssue("invalid_value", "Invalid option: expected one of "+quoteJoin(r.enum, "|"), path)}
	}
	if n < r.min {
		out = append(out, newIssue("too_small", fmt.Sprintf("Too small: expected string to have >=%d characters", r.min), path))
	}
	if r.max > 0 && n > r.max {
		out = append(out, newIssue("too_big", fmt.Sprintf("Too big: expected string to have <=%d characters", r.max), path))
	}
	if r.re != nil && !r.re.MatchString(v) {
		out = append(out, newIssue("invalid_format", "Invalid string: must match pattern /"+r.re.String()+"/", path))
	}
	if r.email && !reEmail.MatchString(v) {
		out = append(out, newIssue("invalid_format", "Invalid email address", path))
	}
	if r.uuid && !reUUID.MatchString(v) {
		out = append(out, newIssue("invalid_format", "Invalid UUID", path))
	}
	if r.url && !isURL(v) {
		out = append(out, newIssue("invalid_format", "Invalid URL", path))
	}
	return out
}

func isURL(v string) bool {
	u, err := url.Parse(v)
	return err == nil && u.Scheme != "" && u.Host != ""
}

func quoteJoin(vals []string, sep string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, sep)
}

func unrecognized(keys []string, path []any) issue {
	if len(keys) == 1 {
		return newIssue("unrecognized_keys", "Unrecognized key: "+strconv.Quote(keys[0]), path)
	}
	return newIssue("unrecognized_keys", "Unrecognized keys: "+quoteJoin(keys, ", "), path)
}

func missing(kind string, path []any) issue {
	return newIssue("invalid_type", "Invalid input: expected "+kind+", received undefined", path)
}

func wrongType(kind, got string, path []any) issue {
	return newIssue("invalid_type", "Invalid input: expected "+kind+", received "+got, path)
}

// query is a parsed query string that keeps the order of its parameters, as
// Express's qs parser does; "tags[k]=v" has the base name "tags".
type query struct {
	pairs []qpair
}

type qpair struct {
	key, base, sub, value string
}

func parseQuery(raw string) *query {
	q := &query{}
	if raw == "" {
		return q
	}
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k = qsUnescape(k)
		v = qsUnescape(v)
		base, sub := k, ""
		if i := strings.IndexByte(k, '['); i > 0 && strings.HasSuffix(k, "]") {
			base, sub = k[:i], k[i+1:len(k)-1]
		}
		q.pairs = append(q.pairs, qpair{key: k, base: base, sub: sub, value: v})
	}
	return q
}

func qsUnescape(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil {
		return strings.ReplaceAll(s, "+", " ")
	}
	return u
}

// strict reports parameters whose base name is not allowed.
func (q *query) strict(allowed ...string) []issue {
	var unknown []string
	seen := map[string]bool{}
	for _, p := range q.pairs {
		if contains(allowed, p.base) || seen[p.base] {
			continue
		}
		seen[p.base] = true
		unknown = append(unknown, p.base)
	}
	if len(unknown) == 0 {
		return nil
	}
	return []issue{unrecognized(unknown, nil)}
}

func (q *query) empty() []issue { return q.strict() }

// values returns every value given for key (exact key, no brackets).
func (q *query) values(key string) []string {
	var out []string
	for _, p := range q.pairs {
		if p.key == key || (p.base == key && p.sub == "") {
			out = append(out, p.value)
		}
	}
	return out
}

// one returns the single value of key; a repeated key is an array, which
// scalar fields reject.
func (q *query) one(key string, iss *[]issue) (string, bool) {
	vals := q.values(key)
	switch len(vals) {
	case 0:
		return "", false
	case 1:
		return vals[0], true
	default:
		*iss = append(*iss, wrongType("string", "array", []any{key}))
		return "", false
	}
}

// str reads a scalar string parameter and checks it against rule.
func (q *query) str(key string, required bool, rule strRule, iss *[]issue) (string, bool) {
	v, ok := q.one(key, iss)
	if !ok {
		if required && len(q.values(key)) == 0 {
			*iss = append(*iss, missing("string", []any{key}))
		}
		return "", false
	}
	if e := rule.check(v, []any{key}); len(e) > 0 {
		*iss = append(*iss, e...)
		return "", false
	}
	return v, true
}

// int reads an integer parameter coerced like z.coerce.number().int().
func (q *query) int(key string, min, max int, iss *[]issue) (int, bool) {
	v, ok := q.one(key, iss)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || strings.TrimSpace(v) == "" {
		*iss = append(*iss, wrongType("number", "NaN", []any{key}))
		return 0, false
	}
	if n != float64(int64(n)) {
		*iss = append(*iss, wrongType("int", "number", []any{key}))
		return 0, false
	}
	if int(n) < min {
		*iss = append(*iss, newIssue("too_small", fmt.Sprintf("Too small: expected number to be >=%d", min), []any{key}))
		return 0, false
	}
	if max > 0 && int(n) > max {
		*iss = append(*iss, newIssue("too_big", fmt.Sprintf("Too big: expected number to be <=%d", max), []any{key}))
		return 0, false
	}
	return int(n), true
}

// boolean reads a "true"/"false" parameter.
func (q *query) boolean(key string, iss *[]issue) (bool, bool) {
	v, ok := q.one(key, iss)
	if !ok {
		return false, false
	}
	switch v {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	*iss = append(*iss, newIssue("invalid_value", `Invalid option: expected one of "true"|"false"`, []any{key}))
	return false, false
}

// sub returns the bracketed members of base ("tags[a]=1" -> a: 1) in order.
func (q *query) sub(base string) []qpair {
	var out []qpair
	for _, p := range q.pairs {
		if p.base == base && p.sub != "" {
			out = append(out, p)
		}
	}
	return out
}

// objReader validates one JSON object of a request body, collecting issues.
type objReader struct {
	keys []string
	m    map[string]json.RawMessage
	path []any
	iss  *[]issue
}

// decodeObject parses raw as a JSON object keeping key order (last duplicate wins).
func decodeObject(raw []byte) ([]string, map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	m := map[string]json.RawMessage{}
	var keys []string
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		k, ok := kt.(string)
		if !ok {
			return nil, nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, false
	}
	return keys, m, true
}

// jsonKind names the JSON type of raw as zod reports it.
func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "undefined"
	}
	switch t[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// newObjReader reads raw (absent when nil) as an object at path.
func newObjReader(raw json.RawMessage, path []any, iss *[]issue) *objReader {
	kind := jsonKind(raw)
	if kind != "object" {
		*iss = append(*iss, wrongType("object", kind, path))
		return nil
	}
	keys, m, ok := decodeObject(raw)
	if !ok {
		*iss = append(*iss, wrongType("object", "invalid", path))
		return nil
	}
	return &objReader{keys: keys, m: m, path: path, iss: iss}
}

func (o *objReader) add(i ...issue) { *o.iss = append(*o.iss, i...) }

func (o *objReader) has(key string) bool {
	_, ok := o.m[key]
	return ok
}

// strict reports keys that are not allowed.
func (o *objReader) strict(allowed ...string) {
	var unknown []string
	for _, k := range o.keys {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		o.add(unrecognized(unknown, o.path))
	}
}

// member returns the raw value of key and its path; an absent member that is
// required adds "expected kind, received undefined".
func (o *objReader) member(key, kind string, required bool) (json.RawMessage, []any, bool) {
	raw, ok := o.m[key]
	p := pathWith(o.path, key)
	if !ok && required {
		o.add(missing(kind, p))
	}
	return raw, p, ok
}

// str reads a string member. nullable lets JSON null through as absent.
func (o *objReader) str(key string, required bool, rule strRule) (string, bool) {
	raw, p, ok := o.member(key, "string", required)
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		o.add(wrongType("string", jsonKind(raw), p))
		return "", false
	}
	if e := rule.check(s, p); len(e) > 0 {
		o.add(e...)
		return "", false
	}
	return s, true
}

// nullableStr reads a string-or-null member: (value, isNull, present).
func (o *objReader) nullableStr(key string, required bool, rule strRule) (string, bool, bool) {
	raw, ok := o.m[key]
	if ok && jsonKind(raw) == "null" {
		return "", true, true
	}
	s, present := o.str(key, required, rule)
	return s, false, present
}

func (o *objReader) boolean(key string, required bool) (bool, bool) {
	raw, p, ok := o.member(key, "boolean", required)
	if !ok {
		return false, false
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		o.add(wrongType("boolean", jsonKind(raw), p))
		return false, false
	}
	return b, true
}

func (o *objReader) integer(key string, required bool, min, max int) (int, bool) {
	raw, p, ok := o.member(key, "number", required)
	if !ok {
		return 0, false
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		o.add(wrongType("number", jsonKind(raw), p))
		return 0, false
	}
	if f != float64(int64(f)) {
		o.add(wrongType("int", "number", p))
		return 0, false
	}
	n := int(f)
	if n < min {
		o.add(newIssue("too_small", fmt.Sprintf("Too small: expected number to be >=%d", min), p))
		return 0, false
	}
	if max > 0 && n > max {
		o.add(newIssue("too_big", fmt.Sprintf("Too big: expected number to be <=%d", max), p))
		return 0, false
	}
	return n, true
}

// object reads a nested object member.
func (o *objReader) object(key string, required bool) *objReader {
	raw, p, ok := o.member(key, "object", required)
	if !ok {
		return nil
	}
	return newObjReader(raw, p, o.iss)
}

// stringMap reads a member that must be an object of strings (z.record(string, string)).
func (o *objReader) stringMap(key string, valueRule strRule) (map[string]string, []string, bool) {
	c := o.object(key, false)
	if c == nil {
		return nil, nil, false
	}
	out := map[string]string{}
	for _, k := range c.keys {
		if v, ok := c.str(k, true, valueRule); ok {
			out[k] = v
		}
	}
	return out, c.keys, true
}

// rawObject reads a member that must be any JSON object, returned compacted.
func (o *objReader) rawObject(key string, required bool) (json.RawMessage, bool) {
	raw, p, ok := o.member(key, "object", required)
	if !ok {
		return nil, false
	}
	if k := jsonKind(raw); k != "object" {
		o.add(wrongType("object", k, p))
		return nil, false
	}
	return compactJSON(raw), true
}

func compactJSON(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return json.RawMessage(raw)
	}
	return json.RawMessage(b.Bytes())
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// readTags validates a tags object (§1.6): at most 10 keys, keys lower-cased.
func readTags(o *objReader, key string) (map[string]string, bool) {
	c := o.object(key, false)
	if c == nil {
		return nil, false
	}
	out := map[string]string{}
	if len(c.keys) > 10 {
		c.add(newIssue("too_big", "Too big: expected object to have <=10 keys", c.path))
	}
	for _, k := range c.keys {
		p := pathWith(c.path, k)
		if len(k) > 64 || !reTagKey.MatchString(k) {
			c.add(newIssue("invalid_key", "Invalid key in record", p))
			continue
		}
		v, ok := c.str(k, true, strRule{min: 1, max: 255})
		if !ok {
			continue
		}
		lk := strings.ToLower(k)
		if lk == "end_user_email" && !reEmail.MatchString(v) {
			c.add(newIssue("invalid_format", "Invalid email address", p))
			continue
		}
		out[lk] = v
	}
	return out, true
}

// endUserInput is the strict end_user object of §1.6.
type endUserInput struct {
	ID          string
	Email       string
	DisplayName string
	Tags        map[string]string
}

func readEndUser(o *objReader, key string, required bool) (*endUserInput, bool) {
	c := o.object(key, required)
	if c == nil {
		return nil, false
	}
	c.strict("id", "email", "display_name", "tags")
	eu := &endUserInput{}
	eu.ID, _ = c.str("id", true, strRule{min: 1, max: 255})
	eu.Email, _ = c.str("email", false, strRule{email: true})
	eu.DisplayName, _ = c.str("display_name", false, strRule{max: 255})
	if t, _, ok := c.stringMap("tags", strRule{max: 255}); ok {
		eu.Tags = t
	}
	return eu, true
}

// parseISOZ parses a zod datetime(): ISO-8601 in UTC with a Z suffix.
func parseISOZ(v string) (time.Time, bool) {
	if !reISODateTime.MatchString(v) {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
