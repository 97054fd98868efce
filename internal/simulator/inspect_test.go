package simulator

import (
	"testing"
	"time"
)

func TestInspectionHelpers(t *testing.T) {
	s := newSeeded(t)
	conns := s.Connections()
	if len(conns) != 22 || conns[0].ConnectionID != SeedConnectionGitHub || conns[0].AuthMode != "OAUTH2" || conns[0].EndUserID != SeedEndUserAlice {
		t.Fatalf("first connection = %+v", conns[0])
	}
	modes := map[string]bool{}
	for _, c := range conns {
		modes[c.AuthMode] = true
	}
	for _, m := range []string{"OAUTH2", "OAUTH1", "OAUTH2_CC", "API_KEY", "BASIC", "APP", "CUSTOM", "NONE", "TBA", "BILL", "SIGNATURE", "AWS_SIGV4", "JWT", "TWO_STEP"} {
		if !modes[m] {
			t.Errorf("no seeded connection uses %s", m)
		}
	}
	if string(conns[4].Metadata) != "null" {
		t.Fatalf("unset metadata = %s", conns[4].Metadata)
	}
	if n := s.RecordCount("github", SeedConnectionGitHub, SeedModelGithubIssue); n != SeedGithubIssueCount-SeedGithubIssueDeleted {
		t.Fatalf("RecordCount = %d", n)
	}
	if n := s.RecordCount("hubspot", SeedConnectionHubSpot, "HubspotContact::eu"); n != SeedHubspotContactEUCount {
		t.Fatalf("variant RecordCount = %d", n)
	}
	if s.RecordCount("github", "nope", SeedModelGithubIssue) != -1 || s.RecordCount("github", SeedConnectionGitHub, "Nope") != 0 {
		t.Fatal("RecordCount of unknown things")
	}
	if !reUUID.MatchString(s.EnvironmentUUID()) || s.WebhookSigningKey() != DefaultWebhookSigningKey {
		t.Fatal("environment uuid / signing key")
	}
}

func TestSeedIsDeterministicForAFixedClock(t *testing.T) {
	a, b := newSeeded(t), newSeeded(t)
	for _, target := range []string{"/connections", "/sync/status?syncs=*&provider_config_key=github", "/integrations/github?include=webhook"} {
		if ra, rb := get(t, a, target), get(t, b, target); string(ra.body) != string(rb.body) {
			t.Fatalf("%s differs between two seeded simulators", target)
		}
	}
	pa, _ := records(t, a, SeedConnectionGitHub, "github", "model=GithubIssue&limit=50")
	pb, _ := records(t, b, SeedConnectionGitHub, "github", "model=GithubIssue&limit=50")
	if *pa.NextCursor != *pb.NextCursor {
		t.Fatal("record cursors differ")
	}
	later := New(Options{Seed: true, Now: func() time.Time { return fixedNow.Add(10 * time.Minute) }})
	pc, _ := records(t, later, SeedConnectionGitHub, "github", "model=GithubIssue&limit=50")
	if *pc.NextCursor != *pa.NextCursor {
		t.Fatal("data is derived from the clock truncated to the hour")
	}
}
