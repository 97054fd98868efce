package simulator

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

type recordsPage struct {
	NextCursor *string `json:"next_cursor"`
	Records    []struct {
		ID       string `json:"id"`
		Metadata struct {
			FirstSeenAt    string  `json:"first_seen_at"`
			LastModifiedAt string  `json:"last_modified_at"`
			LastAction     string  `json:"last_action"`
			DeletedAt      *string `json:"deleted_at"`
			PrunedAt       *string `json:"pruned_at"`
			Cursor         string  `json:"cursor"`
		} `json:"_nango_metadata"`
		Title *string `json:"title"`
	} `json:"records"`
}

func records(t *testing.T, s *Simulator, conn, key, query string) (recordsPage, resp) {
	t.Helper()
	r := send(t, s, req{method: "GET", target: "/records/?" + query, header: map[string]string{"Connection-Id": conn, "Provider-Config-Key": key}})
	var p recordsPage
	if r.status == 200 {
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("%v: %s", err, r.body)
		}
	}
	return p, r
}

// allRecords pages through a model until next_cursor is null.
func allRecords(t *testing.T, s *Simulator, conn, key, query string) ([]string, []string) {
	t.Helper()
	var ids, cursors []string
	cursor := ""
	for pages := 0; ; pages++ {
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		p, r := records(t, s, conn, key, q)
		expectStatus(t, r, 200)
		if len(p.Records) == 0 && p.NextCursor != nil {
			t.Fatal("an empty page must end the pagination")
		}
		for _, rec := range p.Records {
			ids = append(ids, rec.ID)
			cursors = append(cursors, rec.Metadata.Cursor)
		}
		if p.NextCursor == nil {
			return ids, cursors
		}
		if *p.NextCursor != p.Records[len(p.Records)-1].Metadata.Cursor {
			t.Fatal("next_cursor must be the last record's cursor")
		}
		cursor = *p.NextCursor
		if pages > 10000 {
			t.Fatal("pagination does not end")
		}
	}
}

func TestRecordsPaginationReturnsEveryRecordOnceInOrder(t *testing.T) {
	s := newSeeded(t)
	for _, limit := range []string{"", "&limit=7", "&limit=1000", "&limit=10000"} {
		ids, cursors := allRecords(t, s, SeedConnectionGitHub, "github", "model=GithubIssue"+limit)
		if len(ids) != SeedGithubIssueCount {
			t.Fatalf("limit %q: %d records, want %d", limit, len(ids), SeedGithubIssueCount)
		}
		seen := map[string]bool{}
		var prevT time.Time
		prevID := ""
		for i, id := range ids {
			if seen[id] {
				t.Fatalf("record %s returned twice", id)
			}
			seen[id] = true
			ct, uuid, ok := decodeCursor(cursors[i])
			if !ok {
				t.Fatalf("cursor %q does not decode", cursors[i])
			}
			if i > 0 && (ct.Before(prevT) || (ct.Equal(prevT) && uuid <= prevID)) {
				t.Fatalf("record %d is out of (updated_at, uuid) order", i)
			}
			prevT, prevID = ct, uuid
		}
	}
}

func TestRecordsDefaultLimitAndShape(t *testing.T) {
	s := newSeeded(t)
	p, r := records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue")
	if len(p.Records) != 100 || p.NextCursor == nil {
		t.Fatalf("default page: %d records, next %v", len(p.Records), p.NextCursor)
	}
	if !strings.HasPrefix(string(r.body), `{"next_cursor":"`) {
		t.Fatalf("body starts %.40s", r.body)
	}
	rec := p.Records[0]
	dec, _ := base64.StdEncoding.DecodeString(rec.Metadata.Cursor)
	ts, uuid, _ := strings.Cut(string(dec), "||")
	if ts != rec.Metadata.LastModifiedAt || !reUUID.MatchString(uuid) {
		t.Fatalf("cursor %q is not base64(last_modified_at||uuid)", dec)
	}
	if !strings.HasSuffix(rec.Metadata.LastModifiedAt, "+00:00") || len(rec.Metadata.LastModifiedAt) != len("2023-09-18T15:20:35.941305+00:00") {
		t.Fatalf("timestamp format: %s", rec.Metadata.LastModifiedAt)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(member(t, r.body, "records"), &list); err != nil {
		t.Fatal(err)
	}
	keys := keysInOrder(t, list[0])
	if keys[0] != "id" || keys[len(keys)-1] != "_nango_metadata" {
		t.Fatalf("record keys = %v", keys)
	}
}

func TestRecordsFilterQuirks(t *testing.T) {
	s := newSeeded(t)
	count := func(filter string) (int, map[string]int) {
		p, r := records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&limit=10000&filter="+url.QueryEscape(filter))
		expectStatus(t, r, 200)
		if p.NextCursor != nil {
			t.Fatal("every record fits in one page of 10000")
		}
		actions := map[string]int{}
		for _, r := range p.Records {
			actions[r.Metadata.LastAction]++
		}
		return len(p.Records), actions
	}
	total := SeedGithubIssueCount
	deleted := SeedGithubIssueDeleted
	nAdded, added := count("added")
	nUpdated, updated := count("updated")
	nDeleted, del := count("deleted")
	if nAdded+nUpdated+nDeleted != total || nDeleted != deleted || len(added) != 1 || added["ADDED"] != nAdded ||
		len(updated) != 1 || updated["UPDATED"] != nUpdated || len(del) != 1 || del["DELETED"] != deleted {
		t.Fatalf("added %v updated %v deleted %v", added, updated, del)
	}
	tests := []struct {
		filter string
		want   int
	}{
		{"added,updated", total - deleted},
		{"ADDED,UPDATED", total - deleted},
		{"updated,deleted", nUpdated}, // deleted records are not included
		{"added,deleted", nAdded},     // likewise
		{"added,updated,deleted", total - deleted},
		{"DELETED", deleted},
	}
	for _, tt := range tests {
		if n, _ := count(tt.filter); n != tt.want {
			t.Errorf("filter %s: %d records, want %d", tt.filter, n, tt.want)
		}
	}
	_, r := records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&filter=Added")
	expectError(t, r, 400, "invalid_query_params")
}

func TestRecordsIdsModifiedAfterAndVariant(t *testing.T) {
	s := newSeeded(t)
	p, _ := records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&ids=1001&ids=1002&ids=nope")
	if len(p.Records) != 2 || p.NextCursor != nil {
		t.Fatalf("ids filter: %d records", len(p.Records))
	}
	p, _ = records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&ids=1500")
	if len(p.Records) != 1 || p.Records[0].ID != "1500" {
		t.Fatalf("single id: %+v", p.Records)
	}

	since := fixedNow.Truncate(time.Hour).Add(-2 * 24 * time.Hour)
	ids, _ := allRecords(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&limit=500&modified_after="+since.Format("2006-01-02T15:04:05.000Z"))
	if len(ids) == 0 || len(ids) >= SeedGithubIssueCount/5 {
		t.Fatalf("modified_after kept %d records", len(ids))
	}
	p, _ = records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&limit=10000&modified_after="+since.Format(time.RFC3339))
	for _, r := range p.Records {
		if mt, _ := time.Parse(time.RFC3339Nano, r.Metadata.LastModifiedAt); mt.Before(since) {
			t.Fatalf("record modified at %s is before %s", r.Metadata.LastModifiedAt, since)
		}
	}

	base, _ := allRecords(t, s, SeedConnectionHubSpot, "hubspot", "model=HubspotContact&variant=base")
	eu, _ := allRecords(t, s, SeedConnectionHubSpot, "hubspot", "model=HubspotContact&variant=eu")
	if len(base) != SeedHubspotContactCount || len(eu) != SeedHubspotContactEUCount {
		t.Fatalf("base %d, eu %d", len(base), len(eu))
	}
	p, _ = records(t, s, SeedConnectionHubSpot, "hubspot", "model=HubspotContact&variant=nope")
	if len(p.Records) != 0 || p.NextCursor != nil {
		t.Fatal("an unknown variant has no records")
	}
}

func TestRecordsValidationErrors(t *testing.T) {
	s := newSeeded(t)
	old := fixedNow.Add(-400 * 24 * time.Hour).Format("2006-01-02T15:04:05Z")
	tests := []struct {
		name    string
		conn    string
		key     string
		query   string
		status  int
		code    string
		headers map[string]string
	}{
		{"missing model", SeedConnectionGitHub, "github", "limit=1", 400, "invalid_query_params", nil},
		{"lower-case model", SeedConnectionGitHub, "github", "model=issue", 400, "invalid_query_params", nil},
		{"limit too big", SeedConnectionGitHub, "github", "model=GithubIssue&limit=10001", 400, "invalid_query_params", nil},
		{"limit zero", SeedConnectionGitHub, "github", "model=GithubIssue&limit=0", 400, "invalid_query_params", nil},
		{"offset timestamp", SeedConnectionGitHub, "github", "model=GithubIssue&modified_after=" + url.QueryEscape("2026-03-01T00:00:00+01:00"), 400, "invalid_query_params", nil},
		{"older than 12 months", SeedConnectionGitHub, "github", "model=GithubIssue&modified_after=" + old, 400, "invalid_query_params", nil},
		{"too many ids", SeedConnectionGitHub, "github", "model=GithubIssue" + strings.Repeat("&ids=a", 101), 400, "invalid_query_params", nil},
		{"unknown parameter", SeedConnectionGitHub, "github", "model=GithubIssue&order=asc", 400, "invalid_query_params", nil},
		{"cursor that does not decode", SeedConnectionGitHub, "github", "model=GithubIssue&cursor=bm9wZQ%3D%3D", 500, "server_error", nil},
		{"unknown connection", "nope", "github", "model=GithubIssue", 400, "unknown_connection", nil},
		{"unknown integration", SeedConnectionGitHub, "nope", "model=GithubIssue", 400, "unknown_connection", nil},
		{"missing headers", "", "", "model=GithubIssue", 400, "invalid_headers", map[string]string{"Connection-Id": "\x00", "Provider-Config-Key": "\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Connection-Id": tt.conn, "Provider-Config-Key": tt.key}
			for k, v := range tt.headers {
				h[k] = v
			}
			r := send(t, s, req{method: "GET", target: "/records?" + tt.query, header: h})
			expectError(t, r, tt.status, tt.code)
		})
	}
}

func TestRecordsByteBudgetEndsPagesEarly(t *testing.T) {
	s := New(Options{Seed: true, RecordsMaxResponseBytes: 4000, Now: func() time.Time { return fixedNow }})
	p, _ := records(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&limit=1000")
	if len(p.Records) == 0 || len(p.Records) >= 100 || p.NextCursor == nil {
		t.Fatalf("budgeted page: %d records, next %v", len(p.Records), p.NextCursor)
	}
	ids, _ := allRecords(t, s, SeedConnectionSlack, "slack", "model=SlackMessage&limit=1000")
	if len(ids) != SeedSlackMessageCount {
		t.Fatalf("%d messages through a budget, want %d", len(ids), SeedSlackMessageCount)
	}
}

func TestPruneRecordsEmptiesPayloadsUpToTheCursor(t *testing.T) {
	s := newSeeded(t)
	p, _ := records(t, s, SeedConnectionSlack, "slack", "model=SlackMessage&limit=10")
	until := p.Records[9].Metadata.Cursor
	prune := func(body any) resp {
		return send(t, s, req{method: "PATCH", target: "/records/prune", body: body,
			header: map[string]string{"Connection-Id": SeedConnectionSlack, "Provider-Config-Key": "slack"}})
	}
	r := prune(map[string]any{"model": "SlackMessage", "until_cursor": until, "limit": 4})
	expectStatus(t, r, 200)
	if string(r.body) != `{"count":4,"has_more":true}` {
		t.Fatalf("first prune = %s", r.body)
	}
	r = prune(map[string]any{"model": "SlackMessage", "until_cursor": until})
	if string(r.body) != `{"count":6,"has_more":false}` {
		t.Fatalf("second prune = %s", r.body)
	}
	p, raw := records(t, s, SeedConnectionSlack, "slack", "model=SlackMessage&limit=11")
	for i, rec := range p.Records {
		pruned := rec.Metadata.PrunedAt != nil
		if pruned != (i < 10) {
			t.Fatalf("record %d pruned = %v", i, pruned)
		}
	}
	if !strings.Contains(string(raw.body), `{"id":"`+p.Records[0].ID+`","_nango_metadata"`) {
		t.Fatalf("a pruned record keeps only its id: %.200s", raw.body)
	}
	expectError(t, prune(map[string]any{"model": "SlackMessage"}), 400, "invalid_body")
	expectError(t, prune(map[string]any{"model": "SlackMessage", "until_cursor": until, "limit": 10001}), 400, "invalid_body")
	expectError(t, prune(map[string]any{"model": "SlackMessage", "until_cursor": until, "x": 1}), 400, "invalid_body")
}
