package simulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Well-known names of the seed data (Options.Seed). Everything seeded is
// derived from Options.Now truncated to the hour and from a fixed random
// seed, so a fixed clock gives identical data, UUIDs and cursors every run.
const (
	SeedAPIKey = DefaultAPIKey

	// Integrations (unique keys); each uses the provider of the same name
	// except SeedIntegrationPublic (provider "unauthenticated").
	SeedIntegrationGitHub         = "github"               // OAUTH2
	SeedIntegrationSlack          = "slack"                // OAUTH2
	SeedIntegrationHubSpot        = "hubspot"              // OAUTH2
	SeedIntegrationTrello         = "trello"               // OAUTH1
	SeedIntegrationSendGrid       = "sendgrid"             // API_KEY
	SeedIntegrationFreshdesk      = "freshdesk"            // BASIC
	SeedIntegrationGitHubApp      = "github-app"           // APP
	SeedIntegrationPayPal         = "paypal"               // OAUTH2_CC
	SeedIntegrationGitHubAppOAuth = "github-app-oauth"     // CUSTOM
	SeedIntegrationPublic         = "public-api"           // NONE
	SeedIntegrationSalesforce     = "salesforce"           // OAUTH2
	SeedIntegrationNetSuiteTBA    = "netsuite-tba"         // TBA
	SeedIntegrationBill           = "bill"                 // BILL
	SeedIntegrationEmarsys        = "emarsys"              // SIGNATURE
	SeedIntegrationAWSSigV4       = "aws-sigv4"            // AWS_SIGV4
	SeedIntegrationAppStore       = "apple-app-store"      // JWT
	SeedIntegration3CX            = "3cx"                  // TWO_STEP
	SeedIntegrationCrisp          = "crisp-plugin-install" // INSTALL_PLUGIN

	// Connections, one per auth mode (two on GitHub).
	SeedConnectionGitHub         = "conn-github-1"           // OAUTH2, end user alice, 2500 GithubIssue
	SeedConnectionGitHub2        = "conn-github-2"           // OAUTH2 with an expired token and a sync error, end user bob
	SeedConnectionSlack          = "conn-slack-1"            // OAUTH2, end user alice
	SeedConnectionHubSpot        = "conn-hubspot-1"          // OAUTH2, end user carol, variant "eu"
	SeedConnectionTrello         = "conn-trello-1"           // OAUTH1
	SeedConnectionSendGrid       = "conn-sendgrid-1"         // API_KEY
	SeedConnectionFreshdesk      = "conn-freshdesk-1"        // BASIC
	SeedConnectionGitHubApp      = "conn-github-app-1"       // APP
	SeedConnectionPayPal         = "conn-paypal-1"           // OAUTH2_CC
	SeedConnectionGitHubAppOAuth = "conn-github-app-oauth-1" // CUSTOM
	SeedConnectionPublic         = "conn-public-1"           // NONE: credentials {}
	// Connections added to cover every credential shape Nango answers.
	SeedConnectionSalesforce      = "conn-salesforce-1"       // OAUTH2 with config_override; end user dave (no email, name or tags)
	SeedConnectionPayPalMTLS      = "conn-paypal-mtls-1"      // OAUTH2_CC with client_certificate and client_private_key
	SeedConnectionGitHubAppOAuth2 = "conn-github-app-oauth-2" // CUSTOM: app and user objects
	SeedConnectionGitHubAppOAuth3 = "conn-github-app-oauth-3" // CUSTOM: app object, user null
	SeedConnectionNetSuiteTBA     = "conn-netsuite-tba-1"     // TBA with config_override
	SeedConnectionBill            = "conn-bill-1"             // BILL
	SeedConnectionEmarsys         = "conn-emarsys-1"          // SIGNATURE
	SeedConnectionAWSSigV4        = "conn-aws-sigv4-1"        // AWS_SIGV4
	SeedConnectionAppStore        = "conn-apple-app-store-1"  // JWT, with the provider's own keys
	SeedConnection3CX             = "conn-3cx-1"              // TWO_STEP, with the provider's own keys
	SeedConnectionCrisp           = "conn-crisp-1"            // INSTALL_PLUGIN: stored under the provider's auth_type (BASIC)

	SeedEndUserAlice   = "user-alice"
	SeedEndUserBob     = "user-bob"
	SeedEndUserCarol   = "user-carol"
	SeedEndUserDave    = "user-dave" // only an id: email, display_name and tags are null
	SeedOrganizationID = "org-acme"

	// Models and record counts. Every fifth run of five records shares one
	// last_modified_at, so cursors must break ties on the record uuid.
	SeedModelGithubIssue       = "GithubIssue"
	SeedModelGithubRepo        = "GithubRepo"
	SeedModelSlackMessage      = "SlackMessage"
	SeedModelSlackUser         = "SlackUser"
	SeedModelHubspotContact    = "HubspotContact"
	SeedGithubIssueCount       = 2500 // on conn-github-1; 50 of them deleted
	SeedGithubIssueDeleted     = 50
	SeedGithubIssueCount2      = 40 // on conn-github-2
	SeedSlackMessageCount      = 600
	SeedSlackUserCount         = 25
	SeedHubspotContactCount    = 300
	SeedHubspotContactEUCount  = 120 // HubspotContact::eu
	SeedVariantHubSpotEU       = "eu"
	SeedGithubRepoCount        = 12
	SeedEnvironmentVariableKey = "GITHUB_ORG"

	// Functions.
	SeedSyncGithubIssues      = "github-issues"
	SeedSyncGithubRepos       = "github-repos" // a sync and an action share this name
	SeedSyncSlackMessages     = "slack-messages"
	SeedSyncSlackUsers        = "slack-users"
	SeedSyncHubspotContacts   = "hubspot-contacts"
	SeedActionEcho            = "echo"           // returns its input (github, slack, hubspot)
	SeedActionUppercase       = "uppercase"      // {text} -> {text: TEXT, length} (slack)
	SeedActionCreateIssue     = "create-issue"   // {title, body?, labels?} -> GithubIssue
	SeedActionSendMessage     = "send-message"   // {channel, text} -> {ok, channel, ts, text}
	SeedActionCreateContact   = "create-contact" // {email, ...} -> HubspotContact
	SeedActionSleep           = "sleep"          // {ms} waits, then {slept_ms}
	SeedActionFail            = "fail"           // always fails; {status: 424} gives script_http_error
	SeedActionDisabled        = "legacy-export"  // disabled: 404 disabled_resource
	SeedOnEventGithub         = "setup-webhooks"
	SeedFunctionAmbiguousName = SeedSyncGithubRepos
)

// seed loads the demo data. It runs once, from New, before any request.
func (s *Simulator) seed() {
	st := s.st
	base := s.now().UTC().Truncate(time.Hour)
	deployed := base.Add(-48 * time.Hour)

	st.envVars = []envVar{
		{SeedEnvironmentVariableKey, "acme"},
		{"SLACK_DEFAULT_CHANNEL", "C01GENERAL"},
		{"FEATURE_FLAGS", "sync-v2,async-actions"},
	}

	scopes := "repo,user"
	hookSecret := "sim-github-webhook-secret"
	slackScopes := "channels:read,chat:write,users:read"
	hubspotScopes := "oauth,crm.objects.contacts.read"
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----"
	integ := func(key, provider, display string, offset int, creds *integrationCreds) *integration {
		t := base.Add(-90*24*time.Hour + time.Duration(offset)*time.Hour)
		i := &integration{uniqueKey: key, provider: provider, displayName: display, forwardWebhooks: true, createdAt: t, updatedAt: t, creds: creds}
		st.integrations = append(st.integrations, i)
		return i
	}
	fn := func(i *integration, f *function) {
		f.id = st.nextFuncID
		st.nextFuncID++
		f.enabled = f.name != SeedActionDisabled
		f.lastDeployed = deployed.Add(time.Duration(f.id) * time.Minute)
		if f.version == "" {
			f.version = "1.0." + strconv.Itoa(f.id)
		}
		i.functions = append(i.functions, f)
	}

	gh := integ(SeedIntegrationGitHub, "github", "GitHub", 0, &integrationCreds{typ: "OAUTH2", clientID: "Iv1.sim0000github", clientSecret: "sim-github-client-secret", scopes: &scopes, webhookSecret: &hookSecret})
	fn(gh, &function{name: SeedSyncGithubIssues, typ: "sync", description: "Fetches the GitHub issues of all the user's repositories.", scopes: []string{"repo"}, returns: []string{SeedModelGithubIssue}, runs: "every hour", autoStart: true, source: "repo"})
	fn(gh, &function{name: SeedSyncGithubRepos, typ: "sync", description: "Fetches the repositories the user can access.", scopes: []string{"repo"}, returns: []string{SeedModelGithubRepo}, runs: "every day", autoStart: false, trackDeletes: true, source: "standalone"})
	fn(gh, &function{name: SeedSyncGithubRepos, typ: "action", description: "Lists the user's repositories now.", scopes: []string{"repo"}, input: "GithubRepoFilter", returns: []string{SeedModelGithubRepo}, source: "standalone"})
	fn(gh, &function{name: SeedActionCreateIssue, typ: "action", description: "Creates a GitHub issue.", scopes: []string{"repo"}, input: "GithubCreateIssueInput", returns: []string{SeedModelGithubIssue}, source: "repo"})
	fn(gh, &function{name: SeedActionEcho, typ: "action", description: "Returns its input unchanged.", input: "EchoInput", source: "standalone"})
	fn(gh, &function{name: SeedActionSleep, typ: "action", description: "Waits input.ms milliseconds, then answers.", input: "SleepInput", returns: []string{"SleepOutput"}, source: "standalone"})
	fn(gh, &function{name: SeedActionFail, typ: "action", description: "Always fails; status 424 gives a provider HTTP error.", input: "FailInput", source: "standalone"})
	fn(gh, &function{name: SeedActionDisabled, typ: "action", description: "Exports issues as CSV (disabled).", source: "standalone", version: "0.1.0"})
	fn(gh, &function{name: SeedOnEventGithub, typ: "on-event", description: "Registers the repository webhooks after a connection is created.", event: "post-connection-creation", source: "repo"})

	sl := integ(SeedIntegrationSlack, "slack", "Slack", 1, &integrationCreds{typ: "OAUTH2", clientID: "sim-slack-client-id", clientSecret: "sim-slack-client-secret", scopes: &slackScopes})
	fn(sl, &function{name: SeedSyncSlackMessages, typ: "sync", description: "Fetches the messages of the public channels.", scopes: []string{"channels:history"}, returns: []string{SeedModelSlackMessage}, runs: "every 5 minutes", autoStart: true, trackDeletes: true, source: "catalog"})
	fn(sl, &function{name: SeedSyncSlackUsers, typ: "sync", description: "Fetches the members of the workspace.", scopes: []string{"users:read"}, returns: []string{SeedModelSlackUser}, runs: "every day", autoStart: true, source: "catalog"})
	fn(sl, &function{name: SeedActionSendMessage, typ: "action", description: "Posts a message to a channel.", scopes: []string{"chat:write"}, input: "SlackSendMessageInput", returns: []string{"SlackSendMessageOutput"}, source: "catalog"})
	fn(sl, &function{name: SeedActionUppercase, typ: "action", description: "Returns the text in upper case with its length.", input: "UppercaseInput", returns: []string{"UppercaseOutput"}, source: "standalone"})
	fn(sl, &function{name: SeedActionEcho, typ: "action", description: "Returns its input unchanged.", input: "EchoInput", source: "standalone"})
	fn(sl, &function{name: "check-scopes", typ: "on-event", description: "Checks the granted scopes.", event: "validate-connection", source: "standalone"})

	hs := integ(SeedIntegrationHubSpot, "hubspot", "HubSpot", 2, &integrationCreds{typ: "OAUTH2", clientID: "sim-hubspot-client-id", clientSecret: "sim-hubspot-client-secret", scopes: &hubspotScopes})
	fn(hs, &function{name: SeedSyncHubspotContacts, typ: "sync", description: "Fetches HubSpot contacts.", scopes: []string{"crm.objects.contacts.read"}, returns: []string{SeedModelHubspotContact}, runs: "every 30 minutes", autoStart: true, source: "repo"})
	fn(hs, &function{name: SeedActionCreateContact, typ: "action", description: "Creates a HubSpot contact.", scopes: []string{"crm.objects.contacts.write"}, input: "HubspotCreateContactInput", returns: []string{SeedModelHubspotContact}, source: "repo"})
	fn(hs, &function{name: SeedActionEcho, typ: "action", description: "Returns its input unchanged.", input: "EchoInput", source: "standalone"})
	fn(hs, &function{name: "cleanup", typ: "on-event", description: "Removes HubSpot webhooks before the connection is deleted.", event: "pre-connection-deletion", source: "repo"})

	integ(SeedIntegrationTrello, "trello", "Trello", 3, &integrationCreds{typ: "OAUTH1", clientID: "sim-trello-key", clientSecret: "sim-trello-secret"})
	integ(SeedIntegrationSendGrid, "sendgrid", "SendGrid", 4, nil)
	integ(SeedIntegrationFreshdesk, "freshdesk", "", 5, nil)
	integ(SeedIntegrationGitHubApp, "github-app", "GitHub App", 6, &integrationCreds{typ: "APP", appID: "123456", appLink: "https://github.com/apps/acme-sim", privateKey: pem})
	integ(SeedIntegrationPayPal, "paypal", "PayPal", 7, nil)
	integ(SeedIntegrationGitHubAppOAuth, "github-app-oauth", "GitHub App OAuth", 8, &integrationCreds{typ: "CUSTOM", clientID: "Iv1.sim0000custom", clientSecret: "sim-custom-client-secret", appID: "654321", appLink: "https://github.com/apps/acme-sim-oauth", privateKey: pem})
	integ(SeedIntegrationPublic, "unauthenticated", "Public API", 9, nil)
	integ(SeedIntegrationSalesforce, "salesforce", "Salesforce", 10, &integrationCreds{typ: "OAUTH2", clientID: "sim-salesforce-client-id", clientSecret: "sim-salesforce-client-secret"})
	integ(SeedIntegrationNetSuiteTBA, "netsuite-tba", "NetSuite (TBA)", 11, &integrationCreds{typ: "TBA", clientID: "sim-netsuite-consumer-key", clientSecret: "sim-netsuite-consumer-secret"})
	integ(SeedIntegrationBill, "bill", "Bill", 12, nil)
	integ(SeedIntegrationEmarsys, "emarsys", "Emarsys", 13, nil)
	integ(SeedIntegrationAWSSigV4, "aws-sigv4", "AWS SigV4", 14, nil)
	integ(SeedIntegrationAppStore, "apple-app-store", "Apple App Store", 15, nil)
	integ(SeedIntegration3CX, "3cx", "3CX", 16, nil)
	integ(SeedIntegrationCrisp, "crisp-plugin-install", "Crisp", 17, nil)

	alice := &endUserInput{ID: SeedEndUserAlice, Email: "alice@acme.test", DisplayName: "Alice Martin"}
	bob := &endUserInput{ID: SeedEndUserBob, Email: "bob@acme.test", DisplayName: "Bob Stone", Tags: map[string]string{"plan": "free"}}
	carol := &endUserInput{ID: SeedEndUserCarol, Email: "carol@globex.test", DisplayName: "Carol Diaz"}
	exp := func(d time.Duration) *time.Time { t := base.Add(d); return &t }
	rawJSON := func(o obj) json.RawMessage { b, _ := marshal(o); return b }
	conn := func(key, id string, hour int, cr *credentials, eu *endUserInput, org string) *connection {
		i := st.integration(key)
		t := base.Add(-30*24*time.Hour + time.Duration(hour)*time.Hour)
		c := &connection{id: st.nextConnID, connectionID: id, integrationKey: key, provider: i.provider, createdAt: t, updatedAt: t, creds: cr, tags: map[string]string{}}
		st.nextConnID++
		orgName := ""
		if org != "" {
			orgName = "Acme Inc."
		}
		applyEndUser(c, eu, org, orgName)
		st.connections = append(st.connections, c)
		st.ensureSyncRuns(i, c, t)
		return c
	}
	oauth2 := func(access, refresh, scope string, expires *time.Time, extra obj) *credentials {
		raw := obj{{"access_token", access}, {"token_type", "bearer"}, {"scope", scope}, {"refresh_token", refresh}, {"expires_in", 28800}}
		return &credentials{typ: "OAUTH2", accessToken: access, refreshToken: refresh, expiresAt: expires, raw: rawJSON(append(raw, extra...))}
	}
	meta := func(o obj) map[string]json.RawMessage { return rawObjectMap(rawJSON(o)) }

	c1 := conn(SeedIntegrationGitHub, SeedConnectionGitHub, 0, oauth2("gho_sim_alice_access", "ghr_sim_alice_refresh", "repo,user", exp(8*time.Hour), nil), alice, SeedOrganizationID)
	c1.metadata = meta(obj{{"repos", []string{"acme/app", "acme/api"}}, {"plan", "enterprise"}})
	c1.tags["team"] = "platform"
	c2 := conn(SeedIntegrationGitHub, SeedConnectionGitHub2, 1, oauth2("gho_sim_bob_access", "ghr_sim_bob_refresh", "repo", exp(-time.Hour), nil), bob, "")
	c2.errors = []connError{{typ: "sync", logID: "log_sim_" + st.ids.hex(6)}}
	c3 := conn(SeedIntegrationSlack, SeedConnectionSlack, 2, oauth2("xoxb-sim-alice", "xoxe-sim-refresh", "channels:read,chat:write,users:read", exp(12*time.Hour),
		obj{{"team", obj{{"id", "T0SIM"}, {"name", "Acme"}}}, {"bot_user_id", "U0BOT"}}), alice, SeedOrganizationID)
	c3.config = meta(obj{{"team.id", "T0SIM"}, {"bot_user_id", "U0BOT"}})
	c3.metadata = meta(obj{{"default_channel", "C01GENERAL"}})
	c4 := conn(SeedIntegrationHubSpot, SeedConnectionHubSpot, 3, oauth2("sim-hubspot-access", "sim-hubspot-refresh", "oauth crm.objects.contacts.read", exp(6*time.Hour), nil), carol, "")
	c4.config = meta(obj{{"portalId", "4242"}})
	c4.metadata = meta(obj{{"region", "eu"}, {"owners", []int{11, 12}}})
	conn(SeedIntegrationTrello, SeedConnectionTrello, 4, &credentials{typ: "OAUTH1", oauthToken: "sim-trello-token", oauthTokenSecret: "sim-trello-token-secret",
		raw: rawJSON(obj{{"oauth_token", "sim-trello-token"}, {"oauth_token_secret", "sim-trello-token-secret"}})}, bob, "")
	conn(SeedIntegrationSendGrid, SeedConnectionSendGrid, 5, &credentials{typ: "API_KEY", apiKey: "SG.sim-sendgrid-key"}, nil, "")
	cf := conn(SeedIntegrationFreshdesk, SeedConnectionFreshdesk, 6, &credentials{typ: "BASIC", username: "sim-freshdesk-api-key", password: "X"}, nil, "")
	cf.config = meta(obj{{"subdomain", "acme"}})
	ca := conn(SeedIntegrationGitHubApp, SeedConnectionGitHubApp, 7, &credentials{typ: "APP", accessToken: "ghs_sim_installation", expiresAt: exp(time.Hour),
		raw: rawJSON(obj{{"token", "ghs_sim_installation"}, {"expires_at", isoTime(*exp(time.Hour))}})}, nil, "")
	ca.config = meta(obj{{"installation_id", "424242"}, {"app_id", "123456"}})
	conn(SeedIntegrationPayPal, SeedConnectionPayPal, 8, &credentials{typ: "OAUTH2_CC", token: "sim-paypal-token", expiresAt: exp(9 * time.Hour), clientID: "sim-paypal-client", clientSecret: "sim-paypal-secret",
		raw: rawJSON(obj{{"access_token", "sim-paypal-token"}, {"token_type", "Bearer"}, {"expires_in", 32400}})}, nil, "")
	cc := conn(SeedIntegrationGitHubAppOAuth, SeedConnectionGitHubAppOAuth, 9, &credentials{typ: "CUSTOM", accessToken: "ghu_sim_custom", expiresAt: exp(2 * time.Hour),
		raw: rawJSON(obj{{"access_token", "ghu_sim_custom"}, {"installation_id", "434343"}})}, alice, SeedOrganizationID)
	cc.config = meta(obj{{"installation_id", "434343"}, {"app_id", "654321"}})
	conn(SeedIntegrationPublic, SeedConnectionPublic, 10, &credentials{typ: "NONE"}, nil, "")
	s.seedEveryAuthMode(conn, exp, rawJSON, meta)

	// Records: spread over the 20 days before base, newest an hour before it.
	from, to := base.Add(-20*24*time.Hour), base.Add(-time.Hour)
	s.seedRecords(c1, SeedModelGithubIssue, SeedGithubIssueCount, from, to)
	s.seedRecords(c1, SeedModelGithubRepo, SeedGithubRepoCount, from, to)
	s.seedRecords(c2, SeedModelGithubIssue, SeedGithubIssueCount2, from, to)
	s.seedRecords(c3, SeedModelSlackMessage, SeedSlackMessageCount, from, to)
	s.seedRecords(c3, SeedModelSlackUser, SeedSlackUserCount, from, to)
	s.seedRecords(c4, SeedModelHubspotContact, SeedHubspotContactCount, from, to)
	st.syncs = append(st.syncs, &syncRun{id: st.ids.uuid(), connID: c4.id, integrationKey: SeedIntegrationHubSpot, name: SeedSyncHubspotContacts,
		variant: SeedVariantHubSpotEU, status: "SUCCESS", createdAt: from, latestResult: map[string][3]int{}})
	s.seedRecordsAs(c4, variantModel(SeedModelHubspotContact, SeedVariantHubSpotEU), SeedModelHubspotContact, SeedHubspotContactEUCount, from, to)

	// Every run has finished once, ten minutes before base.
	done := base.Add(-10 * time.Minute)
	for _, r := range st.syncs {
		if r.status == "PAUSED" {
			continue
		}
		finished := done
		r.finishedAt = &finished
		r.latestStatus = "SUCCESS"
		r.checkpoint, _ = marshal(obj{{"lastSyncDate", isoTime(done)}})
		if f := st.integration(r.integrationKey).function(r.name, "sync"); f != nil {
			for k, m := range f.returns {
				r.latestResult[m] = [3]int{2 + k, 3, 0}
			}
		}
	}
	if s.clock.Before(base) {
		s.clock = base
	}
}

// seedEveryAuthMode adds one connection per credential shape Nango can
// answer that the original seed lacked. It draws no random ids, so the
// records seeded after it keep their uuids and cursors. They are older
// than the original connections, so listings keep those first.
func (s *Simulator) seedEveryAuthMode(
	conn func(key, id string, hour int, cr *credentials, eu *endUserInput, org string) *connection,
	exp func(time.Duration) *time.Time,
	rawJSON func(obj) json.RawMessage,
	meta func(obj) map[string]json.RawMessage,
) {
	iso := func(d time.Duration) string { return isoTime(*exp(d)) }
	dave := &endUserInput{ID: SeedEndUserDave}

	sf := conn(SeedIntegrationSalesforce, SeedConnectionSalesforce, -11, &credentials{typ: "OAUTH2", accessToken: "00Dsim!salesforce-access", refreshToken: "5Aep-sim-salesforce-refresh", expiresAt: exp(2 * time.Hour),
		raw: rawJSON(obj{{"access_token", "00Dsim!salesforce-access"}, {"refresh_token", "5Aep-sim-salesforce-refresh"}, {"instance_url", "https://acme.my.salesforce.com"},
			{"id", "https://login.salesforce.com/id/00Dsim/005sim"}, {"token_type", "Bearer"}, {"issued_at", "1767225600000"}}),
		configOverride: obj{{"client_id", "sim-salesforce-override-client-id"}, {"client_secret", "sim-salesforce-override-client-secret"}}}, dave, "")
	sf.config = meta(obj{{"instance_url", "https://acme.my.salesforce.com"}})

	conn(SeedIntegrationPayPal, SeedConnectionPayPalMTLS, -10, &credentials{typ: "OAUTH2_CC", token: "sim-paypal-mtls-token", expiresAt: exp(9 * time.Hour), clientID: "sim-paypal-mtls-client", clientSecret: "sim-paypal-mtls-secret",
		clientCertificate: "-----BEGIN CERTIFICATE-----\nMIIBsim\n-----END CERTIFICATE-----", clientPrivateKey: "-----BEGIN PRIVATE KEY-----\nMIIEsim\n-----END PRIVATE KEY-----",
		raw: rawJSON(obj{{"access_token", "sim-paypal-mtls-token"}, {"token_type", "Bearer"}, {"expires_in", 32400}})}, nil, "")

	app := func(token string) *credentials {
		return &credentials{typ: "APP", accessToken: token, expiresAt: exp(time.Hour), raw: rawJSON(obj{{"token", token}, {"expires_at", iso(time.Hour)}})}
	}
	user := &credentials{typ: "OAUTH2", accessToken: "ghu_sim_combined_user", refreshToken: "ghr_sim_combined_user", expiresAt: exp(8 * time.Hour),
		raw: rawJSON(obj{{"access_token", "ghu_sim_combined_user"}, {"expires_in", 28800}, {"refresh_token", "ghr_sim_combined_user"}, {"token_type", "bearer"}, {"scope", ""}})}
	g2 := conn(SeedIntegrationGitHubAppOAuth, SeedConnectionGitHubAppOAuth2, -9, &credentials{typ: "CUSTOM", app: app("ghs_sim_combined_app"), user: user,
		raw: rawJSON(obj{{"installation_id", "454545"}})}, nil, "")
	g2.config = meta(obj{{"installation_id", "454545"}, {"app_id", "654321"}})
	g3 := conn(SeedIntegrationGitHubAppOAuth, SeedConnectionGitHubAppOAuth3, -8, &credentials{typ: "CUSTOM", app: app("ghs_sim_combined_app_only"),
		raw: rawJSON(obj{{"installation_id", "464646"}})}, nil, "")
	g3.config = meta(obj{{"installation_id", "464646"}, {"app_id", "654321"}})

	ns := conn(SeedIntegrationNetSuiteTBA, SeedConnectionNetSuiteTBA, -7, &credentials{typ: "TBA", fields: obj{
		{"token_id", "sim-netsuite-token-id"}, {"token_secret", "sim-netsuite-token-secret"},
		{"config_override", obj{{"client_id", "sim-netsuite-override-key"}, {"client_secret", "sim-netsuite-override-secret"}}},
	}}, nil, "")
	ns.config = meta(obj{{"accountId", "1234567_SB1"}})

	conn(SeedIntegrationBill, SeedConnectionBill, -6, &credentials{typ: "BILL", fields: obj{
		{"username", "ap@acme.test"}, {"password", "sim-bill-password"}, {"organization_id", "00801SIMORG"}, {"dev_key", "sim-bill-dev-key"},
		{"raw", obj{{"sessionId", "sim-bill-session"}, {"organizationId", "00801SIMORG"}, {"userId", "00601SIMUSER"}}},
		{"session_id", "sim-bill-session"}, {"user_id", "00601SIMUSER"}, {"expires_at", iso(35 * time.Minute)},
	}}, nil, "")

	conn(SeedIntegrationEmarsys, SeedConnectionEmarsys, -5, &credentials{typ: "SIGNATURE", fields: obj{
		{"username", "acme001"}, {"password", "sim-emarsys-secret"},
		{"token", `UsernameToken Username="acme001", PasswordDigest="c2ltLWRpZ2VzdA==", Nonce="c2ltLW5vbmNl", Created="` + iso(0) + `"`},
		{"expires_at", iso(5 * time.Minute)},
	}}, nil, "")

	aws := conn(SeedIntegrationAWSSigV4, SeedConnectionAWSSigV4, -4, &credentials{typ: "AWS_SIGV4", fields: obj{
		{"raw", obj{{"AssumeRoleResult", obj{{"Credentials", obj{{"AccessKeyId", "ASIASIMACCESSKEY"}, {"Expiration", iso(time.Hour)}}}}}}},
		{"role_arn", "arn:aws:iam::123456789012:role/NangoAccessRole"}, {"region", "us-east-1"}, {"service", "s3"},
		{"access_key_id", "ASIASIMACCESSKEY"}, {"secret_access_key", "sim-aws-secret-access-key"}, {"session_token", "sim-aws-session-token"},
		{"expires_at", iso(time.Hour)}, {"external_id", "sim-external-id"},
	}}, nil, "")
	aws.config = meta(obj{{"region", "us-east-1"}, {"service", "s3"}})

	conn(SeedIntegrationAppStore, SeedConnectionAppStore, -3, &credentials{typ: "JWT", fields: obj{
		{"issuerId", "57246542-96fe-1a63-e053-0824d011072a"}, {"privateKeyId", "2X9R4HXF34"},
		{"privateKey", "-----BEGIN PRIVATE KEY-----\nMIGTsim\n-----END PRIVATE KEY-----"},
		{"token", "eyJhbGciOiJFUzI1NiJ9.c2ltLWp3dA.c2ln"}, {"expires_at", iso(15 * time.Minute)},
	}}, nil, "")

	tx := conn(SeedIntegration3CX, SeedConnection3CX, -2, &credentials{typ: "TWO_STEP", fields: obj{
		{"clientId", "sim-3cx-client"}, {"clientSecret", "sim-3cx-secret"},
		{"token", "sim-3cx-token"}, {"expires_at", iso(time.Hour)}, {"refresh_token", "sim-3cx-refresh"},
		{"raw", obj{{"access_token", "sim-3cx-token"}, {"expires_in", 3600}, {"token_type", "Bearer"}, {"refresh_token", "sim-3cx-refresh"}}},
	}}, nil, "")
	tx.config = meta(obj{{"domain", "acme.3cx.test"}})

	// Nango stores install-plugin credentials under the provider's
	// auth_type, which is BASIC for Crisp.
	cr := conn(SeedIntegrationCrisp, SeedConnectionCrisp, -1, &credentials{typ: "BASIC", fields: obj{
		{"username", "sim-crisp-plugin-id"}, {"password", "sim-crisp-plugin-key"},
	}}, nil, "")
	cr.config = meta(obj{{"website_id", "8c842203-7ed8-4e29-a608-7cf78a7d2fcc"}})
}

func (s *Simulator) seedRecords(c *connection, model string, n int, from, to time.Time) {
	s.seedRecordsAs(c, model, model, n, from, to)
}

// seedRecordsAs stores n records of model under key. Records come in runs
// of five sharing one timestamp; every third is updated after its creation
// and, for GithubIssue, every fiftieth is deleted.
func (s *Simulator) seedRecordsAs(c *connection, key, model string, n int, from, to time.Time) {
	st := s.st
	rs := st.recordSet(c.id, key, true)
	groups := (n + 4) / 5
	step := to.Sub(from) / time.Duration(groups)
	recs := make([]*record, 0, n)
	var at time.Time
	for i := 0; i < n; i++ {
		if i%5 == 0 {
			jitter := time.Duration(st.ids.intn(1_000_000)) * time.Microsecond
			if step > 0 {
				jitter %= step
			}
			at = from.Add(time.Duration(i/5)*step + jitter).Truncate(time.Microsecond)
		}
		created := at
		var deleted *time.Time
		switch {
		case model == SeedModelGithubIssue && i%50 == 49:
			created = at.Add(-2 * time.Hour)
			d := at
			deleted = &d
		case i%3 == 1:
			created = at.Add(-time.Duration(1+i%24) * time.Hour)
		}
		ext, payload := samplePayload(model, c.connectionID, i+1, created, at, st.ids)
		recs = append(recs, &record{uuid: st.ids.uuid(), externalID: ext, payload: payload, createdAt: created, updatedAt: at, deletedAt: deleted})
		if at.After(s.clock) {
			s.clock = at
		}
	}
	rs.put(recs...)
}

var (
	issueTitles = []string{"Login page times out", "Add dark mode", "Crash when saving a draft", "Update dependencies", "Improve search ranking", "Flaky CI on main", "Typo in the docs", "Export to CSV"}
	logins      = []string{"alice", "bob", "carol", "dave", "erin"}
	labelSets   = [][]string{{"bug"}, {"enhancement"}, {"bug", "p1"}, {}, {"docs"}}
	firstNames  = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis"}
	lastNames   = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Ritchie"}
	channels    = []string{"C01GENERAL", "C02RANDOM", "C03ENG"}
	stages      = []string{"lead", "subscriber", "opportunity", "customer"}
)

// samplePayload builds record seq of model (external id, JSON with id first).
func samplePayload(model, connID string, seq int, created, t time.Time, ids *idGen) (string, json.RawMessage) {
	var ext string
	var o obj
	switch model {
	case SeedModelGithubIssue:
		ext = strconv.Itoa(1000 + seq)
		state := "open"
		if seq%4 == 0 {
			state = "closed"
		}
		o = obj{
			{"id", ext}, {"number", seq}, {"title", issueTitles[seq%len(issueTitles)] + " (#" + strconv.Itoa(seq) + ")"},
			{"state", state}, {"author", logins[seq%len(logins)]}, {"labels", labelSets[seq%len(labelSets)]},
			{"created_at", isoTime(created)}, {"updated_at", isoTime(t)},
			{"url", "https://github.com/acme/app/issues/" + strconv.Itoa(seq)},
		}
	case SeedModelGithubRepo:
		ext = "repo-" + strconv.Itoa(seq)
		name := fmt.Sprintf("service-%02d", seq)
		o = obj{{"id", ext}, {"name", name}, {"full_name", "acme/" + name}, {"private", seq%3 != 0}, {"stars", seq * 7}, {"updated_at", isoTime(t)}}
	case SeedModelSlackMessage:
		ext = fmt.Sprintf("msg-%05d", seq)
		o = obj{
			{"id", ext}, {"channel", channels[seq%len(channels)]}, {"user", fmt.Sprintf("U%05d", 1+seq%SeedSlackUserCount)},
			{"text", "Message " + strconv.Itoa(seq) + " from " + connID}, {"ts", fmt.Sprintf("%d.%06d", t.Unix(), seq)},
		}
		if seq%10 == 0 {
			o = append(o, kv{"thread_ts", fmt.Sprintf("%d.%06d", t.Unix(), seq-1)})
		}
		o = append(o, kv{"updated_at", isoTime(t)})
	case SeedModelSlackUser:
		ext = fmt.Sprintf("U%05d", seq)
		first := firstNames[seq%len(firstNames)]
		o = obj{{"id", ext}, {"name", fmt.Sprintf("%s%d", lowerASCII(first), seq)}, {"real_name", first + " " + lastNames[seq%len(lastNames)]},
			{"email", fmt.Sprintf("%s%d@acme.test", lowerASCII(first), seq)}, {"is_admin", seq == 1}, {"updated_at", isoTime(t)}}
	case SeedModelHubspotContact:
		ext = strconv.Itoa(5000 + seq)
		first, last := firstNames[seq%len(firstNames)], lastNames[(seq/len(firstNames))%len(lastNames)]
		o = obj{{"id", ext}, {"email", fmt.Sprintf("%s.%s.%d@globex.test", lowerASCII(first), lowerASCII(last), seq)},
			{"first_name", first}, {"last_name", last}, {"company", "Globex"}, {"lifecycle_stage", stages[seq%len(stages)]}, {"updated_at", isoTime(t)}}
	default:
		ext = fmt.Sprintf("rec-%d-%s", seq, ids.hex(2))
		o = obj{{"id", ext}, {"updated_at", isoTime(t)}}
	}
	b, _ := marshal(o)
	return ext, b
}

// touchPayload sets a payload's updated_at, as a provider change would.
func touchPayload(payload json.RawMessage, t time.Time) json.RawMessage {
	keys, m, ok := decodeObject(payload)
	if !ok {
		return payload
	}
	o := obj{}
	for _, k := range keys {
		v := any(compactJSON(m[k]))
		if k == "updated_at" {
			v = isoTime(t)
		}
		o = append(o, kv{k, v})
	}
	b, _ := marshal(o)
	return b
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
