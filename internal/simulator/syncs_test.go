package simulator

import (
	"strings"
	"testing"
)

func syncStatus(t *testing.T, s *Simulator, query string) []map[string]any {
	t.Helper()
	r := get(t, s, "/sync/status?"+query)
	expectStatus(t, r, 200)
	var out []map[string]any
	for _, x := range r.json(t)["syncs"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestSyncStatusShape(t *testing.T) {
	s := newSeeded(t)
	r := get(t, s, "/sync/status?syncs=github-issues&provider_config_key=github&connection_id=conn-github-1")
	expectStatus(t, r, 200)
	list := member(t, r.body, "syncs")
	item := strings.SplitN(string(list[1:len(list)-1]), `},{"id"`, 2)[0]
	want := "id,connection_id,type,finishedAt,nextScheduledSyncAt,name,variant,status,frequency,latestResult,latestExecutionStatus,recordCount,checkpoint"
	if got := strings.Join(keysInOrder(t, []byte(item)), ","); got != want {
		t.Fatalf("keys = %s", got)
	}
	st := syncStatus(t, s, "syncs=github-issues&provider_config_key=github&connection_id=conn-github-1")[0]
	if st["status"] != "SUCCESS" || st["variant"] != "base" || st["frequency"] != "every hour" || st["type"] != "INCREMENTAL" {
		t.Fatalf("status = %v", st)
	}
	if st["recordCount"].(map[string]any)["GithubIssue"] != float64(SeedGithubIssueCount-SeedGithubIssueDeleted) {
		t.Fatalf("recordCount = %v", st["recordCount"])
	}
	if st["finishedAt"] != "2026-03-10T11:50:00.000Z" || st["nextScheduledSyncAt"] != "2026-03-10T12:50:00.000Z" {
		t.Fatalf("times = %v / %v", st["finishedAt"], st["nextScheduledSyncAt"])
	}
}

func TestSyncStatusSelection(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		query string
		want  string // name::variant@connection
	}{
		{"syncs=*&provider_config_key=hubspot", "hubspot-contacts::base@conn-hubspot-1,hubspot-contacts::eu@conn-hubspot-1"},
		{"syncs=hubspot-contacts::eu&provider_config_key=hubspot", "hubspot-contacts::eu@conn-hubspot-1"},
		{"syncs=github-issues&provider_config_key=github", "github-issues::base@conn-github-1,github-issues::base@conn-github-2"},
		{"syncs=github-issues,github-repos&provider_config_key=github&connection_id=conn-github-2", "github-issues::base@conn-github-2,github-repos::base@conn-github-2"},
		{"syncs=nope&provider_config_key=github", ""},
	}
	for _, tt := range tests {
		var got []string
		for _, st := range syncStatus(t, s, tt.query) {
			got = append(got, st["name"].(string)+"::"+st["variant"].(string)+"@"+st["connection_id"].(string))
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s = %s, want %s", tt.query, strings.Join(got, ","), tt.want)
		}
	}
	repos := syncStatus(t, s, "syncs=github-repos&provider_config_key=github&connection_id=conn-github-1")[0]
	if repos["status"] != "PAUSED" || repos["nextScheduledSyncAt"] != nil {
		t.Fatalf("a sync without auto_start is paused: %v", repos)
	}
	expectError(t, get(t, s, "/sync/status?provider_config_key=github"), 400, "invalid_query_params")
	expectError(t, get(t, s, "/sync/status?syncs=*&provider_config_key=github&connection_id=nope"), 400, "invalid_body")
	// Nango does not look the integration up: an unknown one lists no syncs.
	if r := get(t, s, "/sync/status?syncs=*&provider_config_key=nope"); r.status != 200 || string(r.body) != `{"syncs":[]}` {
		t.Fatalf("unknown integration: %d %s", r.status, r.body)
	}
}

func TestTriggerSyncRunsItAndChangesRecords(t *testing.T) {
	s := newSeeded(t)
	_, cursors := allRecords(t, s, SeedConnectionSlack, "slack", "model=SlackMessage&limit=1000")
	last := cursors[len(cursors)-1]
	r := send(t, s, req{method: "POST", target: "/sync/trigger", body: map[string]any{
		"syncs": []any{"slack-messages"}, "provider_config_key": "slack", "connection_id": SeedConnectionSlack, "opts": map[string]any{"reset": false, "emptyCache": false},
	}})
	expectStatus(t, r, 200)
	if string(r.body) != `{"success":true}` {
		t.Fatalf("body = %s", r.body)
	}
	p, _ := records(t, s, SeedConnectionSlack, "slack", "model=SlackMessage&cursor="+last)
	actions := map[string]int{}
	for _, rec := range p.Records {
		actions[rec.Metadata.LastAction]++
	}
	if actions["ADDED"] != 2 || actions["UPDATED"] != 3 || p.NextCursor != nil {
		t.Fatalf("records after the stored cursor: %v", actions)
	}
	st := syncStatus(t, s, "syncs=slack-messages&provider_config_key=slack")[0]
	res := st["latestResult"].(map[string]any)["SlackMessage"].(map[string]any)
	if res["added"] != 2.0 || res["updated"] != 3.0 || st["recordCount"].(map[string]any)["SlackMessage"] != float64(SeedSlackMessageCount+2) {
		t.Fatalf("status after trigger = %v", st)
	}

	// emptyCache drops the records first; headers may carry the keys.
	r = send(t, s, req{method: "POST", target: "/sync/trigger", body: map[string]any{"syncs": []any{}, "opts": map[string]any{"reset": true, "emptyCache": true}},
		header: map[string]string{"Provider-Config-Key": "slack", "Connection-Id": SeedConnectionSlack}})
	expectStatus(t, r, 200)
	ids, _ := allRecords(t, s, SeedConnectionSlack, "slack", "model=SlackUser")
	if len(ids) != 2 {
		t.Fatalf("after emptyCache: %d users", len(ids))
	}
}

func TestSyncCommandErrors(t *testing.T) {
	s := newSeeded(t)
	tests := []struct {
		path   string
		body   any
		status int
		code   string
	}{
		{"/sync/trigger", map[string]any{"syncs": []any{"nope"}, "provider_config_key": "github"}, 400, "no_syncs_found"},
		{"/sync/trigger", map[string]any{"syncs": []any{"github-issues"}, "provider_config_key": "github", "connection_id": "nope"}, 404, "unknown_connection"},
		{"/sync/trigger", map[string]any{"syncs": []any{"github-issues"}}, 400, "missing_provider_config_key"},
		{"/sync/trigger", map[string]any{"syncs": []any{"github-issues"}, "provider_config_key": "github", "opts": map[string]any{"reset": true}, "sync_mode": "full_refresh"}, 400, "invalid_body"},
		{"/sync/trigger", map[string]any{"syncs": []any{1}, "provider_config_key": "github"}, 400, "invalid_body"},
		{"/sync/trigger", map[string]any{"syncs": []any{"github-issues"}, "provider_config_key": "nope"}, 400, "unknown_provider_config"},
		{"/sync/start", map[string]any{"syncs": []any{map[string]any{"name": "hubspot-contacts", "variant": "eu", "x": 1}}, "provider_config_key": "hubspot"}, 400, "invalid_body"},
		{"/sync/start", map[string]any{"syncs": []any{"hubspot-contacts"}}, 400, "invalid_body"},
		{"/sync/pause", map[string]any{"syncs": []any{map[string]any{"name": "hubspot-contacts", "variant": "us"}}, "provider_config_key": "hubspot", "connection_id": SeedConnectionHubSpot}, 400, "no_syncs_found"},
		{"/sync/pause", map[string]any{"syncs": []any{}, "provider_config_key": "hubspot", "extra": true}, 400, "invalid_body"},
	}
	for _, tt := range tests {
		expectError(t, send(t, s, req{method: "POST", target: tt.path, body: tt.body}), tt.status, tt.code)
	}
}

func TestPauseAndStartSync(t *testing.T) {
	s := newSeeded(t)
	body := map[string]any{"syncs": []any{map[string]any{"name": "hubspot-contacts", "variant": "eu"}}, "provider_config_key": "hubspot", "connection_id": SeedConnectionHubSpot}
	expectStatus(t, send(t, s, req{method: "POST", target: "/sync/pause", body: body}), 200)
	st := syncStatus(t, s, "syncs=hubspot-contacts::eu&provider_config_key=hubspot")[0]
	if st["status"] != "PAUSED" || st["nextScheduledSyncAt"] != nil {
		t.Fatalf("paused = %v", st)
	}
	base := syncStatus(t, s, "syncs=hubspot-contacts&provider_config_key=hubspot")[0]
	if base["status"] != "SUCCESS" {
		t.Fatalf("pausing a variant leaves the base sync alone: %v", base)
	}
	expectStatus(t, send(t, s, req{method: "POST", target: "/sync/start", body: body}), 200)
	st = syncStatus(t, s, "syncs=hubspot-contacts::eu&provider_config_key=hubspot")[0]
	if st["status"] != "SUCCESS" || st["nextScheduledSyncAt"] == nil {
		t.Fatalf("started = %v", st)
	}
}

func TestUpdateConnectionFrequencyAnswersTheNormalisedInterval(t *testing.T) {
	b := func(freq any) map[string]any {
		return map[string]any{"sync_name": "github-issues", "provider_config_key": "github", "connection_id": SeedConnectionGitHub, "frequency": freq}
	}
	tests := []struct {
		in   any
		want string
	}{
		{"every 2h", `{"frequency":"2h"}`},
		{"every 30 minutes", `{"frequency":"30 minutes"}`},
		{"30 minutes", `{"frequency":"30 minutes"}`},
		{"1d", `{"frequency":"1d"}`},
		{"every half hour", `{"frequency":"30m"}`},
		{"every quarter hour", `{"frequency":"15m"}`},
		{"every half day", `{"frequency":"12h"}`},
		{"every hour", `{"frequency":"1h"}`},
		{"every day", `{"frequency":"1d"}`},
		{"every week", `{"frequency":"1w"}`},
		{"every month", `{"frequency":"30d"}`},
		{"every 30s", `{"frequency":"30s"}`},
		{nil, `{"frequency":"every hour"}`}, // null: the function's own runs
	}
	for _, tt := range tests {
		s := newSeeded(t)
		r := send(t, s, req{method: "PUT", target: "/sync/update-connection-frequency", body: b(tt.in)})
		expectStatus(t, r, 200)
		if string(r.body) != tt.want {
			t.Errorf("%v: body = %s, want %s", tt.in, r.body, tt.want)
		}
	}
}

func TestUpdateConnectionFrequencyRefusals(t *testing.T) {
	s := newSeeded(t)
	put := func(body any) resp {
		return send(t, s, req{method: "PUT", target: "/sync/update-connection-frequency", body: body})
	}
	b := func(freq any) map[string]any {
		return map[string]any{"sync_name": "github-issues", "provider_config_key": "github", "connection_id": SeedConnectionGitHub, "frequency": freq}
	}
	// The stored frequency is the input; the schedule follows it.
	expectStatus(t, put(b("every 2h")), 200)
	st := syncStatus(t, s, "syncs=github-issues&provider_config_key=github&connection_id=conn-github-1")[0]
	if st["frequency"] != "every 2h" || st["nextScheduledSyncAt"] != "2026-03-10T13:50:00.000Z" {
		t.Fatalf("status = %v", st)
	}
	tests := []struct {
		in      any
		message string // "" = a zod error list
	}{
		{"sometimes", ""},
		{"every 1 week", ""}, // the pattern takes no amount before week
		{"Every hour", ""},   // nor capitals
		{"every 10s", "Sync interval is invalid"},
		{"every 0m", "Sync interval is invalid"},
		{"half hour", "Sync interval is invalid"}, // only "every half hour" is named
		{"week", "Sync interval is invalid"},
		{"every m", "Sync interval is invalid"},
	}
	for _, tt := range tests {
		r := put(b(tt.in))
		expectError(t, r, 400, "invalid_body")
		e := r.json(t)["error"].(map[string]any)
		if tt.message == "" {
			if _, ok := e["errors"]; !ok || e["message"] != nil {
				t.Errorf("%v: error = %v, want zod errors only", tt.in, e)
			}
		} else if e["message"] != tt.message {
			t.Errorf("%v: error = %v", tt.in, e)
		}
	}
	nb := b("1h")
	delete(nb, "frequency")
	expectError(t, put(nb), 400, "invalid_body")
	nb = b("1h")
	nb["connection_id"] = "nope"
	if r := put(nb); r.status != 400 || string(r.body) != `{"error":{"code":"unknown_connection"}}` {
		t.Fatalf("unknown connection: %d %s", r.status, r.body)
	}
	nb = b("1h")
	nb["sync_name"] = "nope"
	if r := put(nb); r.status != 400 || string(r.body) != `{"error":{"code":"unknown_sync"}}` {
		t.Fatalf("unknown sync: %d %s", r.status, r.body)
	}
}

func TestSyncVariantsCreateAndDelete(t *testing.T) {
	s := newSeeded(t)
	body := map[string]any{"provider_config_key": "github", "connection_id": SeedConnectionGitHub}
	r := send(t, s, req{method: "POST", target: "/sync/github-issues/variant/v2", body: body})
	expectStatus(t, r, 200)
	v := r.json(t)
	if v["name"] != "github-issues" || v["variant"] != "v2" || !reUUID.MatchString(v["id"].(string)) {
		t.Fatalf("variant = %v", v)
	}
	ids, _ := allRecords(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&variant=v2")
	if len(ids) != 2 {
		t.Fatalf("the new variant ran once: %d records", len(ids))
	}
	expectError(t, send(t, s, req{method: "POST", target: "/sync/github-issues/variant/v2", body: body}), 400, "sync_variant_already_exists")
	expectError(t, send(t, s, req{method: "POST", target: "/sync/github-issues/variant/base", body: body}), 400, "invalid_variant")
	expectError(t, send(t, s, req{method: "POST", target: "/sync/nope/variant/v3", body: body}), 400, "unknown_sync")
	expectError(t, send(t, s, req{method: "POST", target: "/sync/github-issues/variant/v.3", body: body}), 400, "invalid_uri_params")
	expectError(t, send(t, s, req{method: "POST", target: "/sync/github-issues/variant/v3", body: map[string]any{"provider_config_key": "github"}}), 400, "invalid_body")
	expectError(t, send(t, s, req{method: "POST", target: "/sync/github-issues/variant/v3", body: map[string]any{"provider_config_key": "github", "connection_id": "nope"}}), 400, "unknown_connection")

	r = send(t, s, req{method: "DELETE", target: "/sync/github-issues/variant/v2", body: body})
	expectStatus(t, r, 200)
	if string(r.body) != `{"success":true}` {
		t.Fatalf("body = %s", r.body)
	}
	ids, _ = allRecords(t, s, SeedConnectionGitHub, "github", "model=GithubIssue&variant=v2")
	if len(ids) != 0 {
		t.Fatalf("records of a deleted variant remain: %d", len(ids))
	}
	expectError(t, send(t, s, req{method: "DELETE", target: "/sync/github-issues/variant/v2", body: body}), 404, "not_found")
	expectError(t, send(t, s, req{method: "DELETE", target: "/sync/github-issues/variant/v2"}), 400, "invalid_body")
}

func TestSyncVariantsAreCapped(t *testing.T) {
	s := newSeeded(t)
	body := map[string]any{"provider_config_key": "hubspot", "connection_id": SeedConnectionHubSpot}
	for i := 2; i < maxVariantsPerSync; i++ { // the base sync and "eu" count too
		expectStatus(t, send(t, s, req{method: "POST", target: "/sync/hubspot-contacts/variant/v" + itoa(i), body: body}), 200)
	}
	expectError(t, send(t, s, req{method: "POST", target: "/sync/hubspot-contacts/variant/one-more", body: body}), 400, "resource_capped")
}

func TestParseFrequency(t *testing.T) {
	tests := map[string]float64{"every 1h": 3600, "30 minutes": 1800, "1d": 86400, "half hour": 1800, "week": 604800, "every 5 minutes": 300, "every day": 86400, "2.5h": 9000}
	for in, secs := range tests {
		d, ok := parseFrequency(in)
		if !ok || d.Seconds() != secs {
			t.Errorf("parseFrequency(%q) = %v, %v", in, d, ok)
		}
	}
	for _, bad := range []string{"", "soon", "every", "1 fortnight"} {
		if _, ok := parseFrequency(bad); ok {
			t.Errorf("parseFrequency(%q) accepted", bad)
		}
	}
}

func TestSyncStatusOfASyncThatNeverRanHasNoJobKeys(t *testing.T) {
	s := newSeeded(t)
	imported := send(t, s, req{method: "POST", target: "/connections", body: map[string]any{
		"provider_config_key": "github", "connection_id": "fresh-1",
		"credentials": map[string]any{"type": "OAUTH2", "access_token": "t"},
	}})
	expectStatus(t, imported, 201)
	tests := []struct {
		name, query, keys, status string
	}{
		{"paused since creation", "syncs=github-repos&provider_config_key=github&connection_id=conn-github-1",
			"id,connection_id,type,nextScheduledSyncAt,name,variant,status,frequency,recordCount,checkpoint", "PAUSED"},
		{"scheduled, not yet run", "syncs=github-issues&provider_config_key=github&connection_id=fresh-1",
			"id,connection_id,type,nextScheduledSyncAt,name,variant,status,frequency,recordCount,checkpoint", "SUCCESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, s, "/sync/status?"+tt.query)
			expectStatus(t, r, 200)
			list := member(t, r.body, "syncs")
			item := list[1 : len(list)-1]
			if got := strings.Join(keysInOrder(t, item), ","); got != tt.keys {
				t.Fatalf("keys = %s, want %s", got, tt.keys)
			}
			st := syncStatus(t, s, tt.query)[0]
			if st["status"] != tt.status || st["type"] != "INITIAL" || st["checkpoint"] != nil {
				t.Fatalf("status = %v", st)
			}
			if string(member(t, item, "checkpoint")) != "null" {
				t.Fatalf("checkpoint must be present and null: %s", item)
			}
		})
	}
}

func TestSyncStatusIsNeverStopped(t *testing.T) {
	s := newSeeded(t)
	for _, q := range []string{"syncs=*&provider_config_key=github", "syncs=*&provider_config_key=slack", "syncs=*&provider_config_key=hubspot"} {
		for _, st := range syncStatus(t, s, q) {
			switch st["status"] {
			case "RUNNING", "SUCCESS", "ERROR", "PAUSED":
			default:
				t.Errorf("%s: status %v", q, st["status"])
			}
			if f, ok := st["frequency"]; !ok || (f != nil && f == "") {
				t.Errorf("%s: frequency = %v", q, f)
			}
		}
	}
}
