package simulator

import (
	"net/http"
	"regexp"
	"sort"
)

// providerDef is one entry of the simulated providers.yaml.
type providerDef struct {
	name           string
	displayName    string
	authMode       string
	categories     []string
	baseURL        string
	docs           string
	webhookRouting bool // has a webhook_routing_script: integrations get a webhook_url
	body           obj  // auth-mode specific keys, in providers.yaml order
	templates      []*function
}

// catalog is a small, realistic slice of Nango's provider catalog.
var catalog = []*providerDef{
	{
		name: "github", displayName: "GitHub (User OAuth)", authMode: "OAUTH2",
		categories: []string{"dev-tools", "ticketing"}, baseURL: "https://api.github.com",
		docs: "https://nango.dev/docs/integrations/all/github", webhookRouting: true,
		body: obj{
			{"authorization_url", "https://github.com/login/oauth/authorize"},
			{"token_url", "https://github.com/login/oauth/access_token"},
			{"default_scopes", []string{"repo", "user"}},
			{"scope_separator", ","},
		},
		templates: []*function{
			{name: "issues", typ: "sync", description: "Fetches the GitHub issues of all the user's repositories.", scopes: []string{"repo"}, returns: []string{"GithubIssue"}, runs: "every hour", autoStart: true},
			{name: "create-issue", typ: "action", description: "Creates a GitHub issue.", scopes: []string{"repo"}, input: "GithubCreateIssueInput", returns: []string{"GithubIssue"}},
		},
	},
	{
		name: "github-app", displayName: "GitHub App", authMode: "APP",
		categories: []string{"dev-tools", "ticketing"}, baseURL: "https://api.github.com",
		docs: "https://nango.dev/docs/integrations/all/github-app", webhookRouting: true,
		body: obj{
			{"authorization_url", "https://github.com/apps/${appPublicLink}/installations/new"},
			{"token_url", "https://api.github.com/app/installations/${connectionConfig.installation_id}/access_tokens"},
			{"connection_configuration", []string{"installation_id"}},
		},
	},
	{
		name: "slack", displayName: "Slack", authMode: "OAUTH2",
		categories: []string{"communication"}, baseURL: "https://slack.com/api",
		docs: "https://nango.dev/docs/integrations/all/slack", webhookRouting: true,
		body: obj{
			{"authorization_url", "https://slack.com/oauth/v2/authorize"},
			{"token_url", "https://slack.com/api/oauth.v2.access"},
			{"default_scopes", []string{"channels:read", "chat:write", "users:read"}},
			{"authorization_params", obj{{"user_scope", ""}}},
			{"token_response_metadata", []string{"incoming_webhook.url", "team.id", "team.name", "bot_user_id"}},
		},
		templates: []*function{
			{name: "users", typ: "sync", description: "Fetches the members of the Slack workspace.", scopes: []string{"users:read"}, returns: []string{"SlackUser"}, runs: "every day", autoStart: true},
			{name: "send-message", typ: "action", description: "Posts a message to a channel.", scopes: []string{"chat:write"}, input: "SlackSendMessageInput", returns: []string{"SlackSendMessageOutput"}},
		},
	},
	{
		name: "hubspot", displayName: "HubSpot", authMode: "OAUTH2",
		categories: []string{"marketing", "crm"}, baseURL: "https://api.hubapi.com",
		docs: "https://nango.dev/docs/integrations/all/hubspot", webhookRouting: true,
		body: obj{
			{"authorization_url", "https://app.hubspot.com/oauth/authorize"},
			{"token_url", "https://api.hubapi.com/oauth/v1/token"},
			{"default_scopes", []string{"oauth", "crm.objects.contacts.read"}},
			{"connection_config", obj{{"portalId", obj{{"type", "string"}, {"title", "Portal ID"}, {"description", "The HubSpot portal (account) id"}}}}},
		},
		templates: []*function{
			{name: "contacts", typ: "sync", description: "Fetches HubSpot contacts.", scopes: []string{"crm.objects.contacts.read"}, returns: []string{"HubspotContact"}, runs: "every 30 minutes", autoStart: true},
		},
	},
	{
		name: "salesforce", displayName: "Salesforce", authMode: "OAUTH2",
		categories: []string{"crm"}, baseURL: "https://${connectionConfig.instance_url}",
		docs: "https://nango.dev/docs/integrations/all/salesforce",
		body: obj{
			{"authorization_url", "https://login.salesforce.com/services/oauth2/authorize"},
			{"token_url", "https://login.salesforce.com/services/oauth2/token"},
			{"default_scopes", []string{"offline_access", "api"}},
			{"token_response_metadata", []string{"instance_url"}},
		},
	},
	{
		name: "notion", displayName: "Notion", authMode: "OAUTH2",
		categories: []string{"knowledge-base", "productivity"}, baseURL: "https://api.notion.com",
		docs: "https://nango.dev/docs/integrations/all/notion",
		body: obj{
			{"authorization_url", "https://api.notion.com/v1/oauth/authorize"},
			{"token_url", "https://api.notion.com/v1/oauth/token"},
			{"authorization_method", "header"},
			{"body_format", "json"},
		},
	},
	{
		name: "trello", displayName: "Trello", authMode: "OAUTH1",
		categories: []string{"productivity", "ticketing"}, baseURL: "https://api.trello.com",
		docs: "https://nango.dev/docs/integrations/all/trello",
		body: obj{
			{"request_url", "https://trello.com/1/OAuthGetRequestToken"},
			{"authorization_url", "https://trello.com/1/OAuthAuthorizeToken"},
			{"token_url", "https://trello.com/1/OAuthGetAccessToken"},
			{"signature_method", "HMAC-SHA1"},
			{"authorization_params", obj{{"name", "Nango"}, {"expiration", "never"}}},
		},
	},
	{
		name: "sendgrid", displayName: "SendGrid", authMode: "API_KEY",
		categories: []string{"marketing", "communication"}, baseURL: "https://api.sendgrid.com",
		docs: "https://nango.dev/docs/integrations/all/sendgrid",
		body: obj{
			{"credentials", obj{{"apiKey", obj{{"type", "string"}, {"title", "API Key"}, {"description", "Your SendGrid API key"}}}}},
		},
	},
	{
		name: "freshdesk", displayName: "Freshdesk", authMode: "BASIC",
		categories: []string{"support", "ticketing"}, baseURL: "https://${connectionConfig.subdomain}.freshdesk.com",
		docs: "https://nango.dev/docs/integrations/all/freshdesk",
		body: obj{
			{"connection_config", obj{{"subdomain", obj{{"type", "string"}, {"title", "Subdomain"}, {"pattern", "^[a-z0-9_-]+$"}}}}},
		},
	},
	{
		name: "paypal", displayName: "PayPal", authMode: "OAUTH2_CC",
		categories: []string{"payment"}, baseURL: "https://api-m.paypal.com",
		docs: "https://nango.dev/docs/integrations/all/paypal",
		body: obj{
			{"token_url", "https://api-m.paypal.com/v1/oauth2/token"},
			{"token_params", obj{{"grant_type", "client_credentials"}}},
			{"token_request_auth_method", "basic"},
		},
	},
	{
		name: "github-app-oauth", displayName: "GitHub App OAuth", authMode: "CUSTOM",
		categories: []string{"dev-tools"}, baseURL: "https://api.github.com",
		docs: "https://nango.dev/docs/integrations/all/github-app-oauth", webhookRouting: true,
		body: obj{
			{"authorization_url", "https://github.com/apps/${appPublicLink}/installations/new"},
			{"token_url", "https://github.com/login/oauth/access_token"},
		},
	},
	{
		name: "netsuite-tba", displayName: "NetSuite (TBA)", authMode: "TBA",
		categories: []string{"accounting", "erp", "popular"}, baseURL: "https://${connectionConfig.accountId}.suitetalk.api.netsuite.com",
		docs: "https://nango.dev/docs/api-integrations/netsuite-tba",
		body: obj{
			{"connection_config", obj{{"accountId", obj{{"type", "string"}, {"title", "Account ID"}, {"description", "The NetSuite account id"}}}}},
		},
	},
	{
		name: "bill", displayName: "Bill (Connect API)", authMode: "BILL",
		categories: []string{"payment"}, baseURL: "https://gateway.prod.bill.com/connect",
		docs: "https://nango.dev/docs/integrations/all/bill",
		body: obj{{"token_url", "https://gateway.prod.bill.com/connect/v3/login"}},
	},
	{
		name: "emarsys", displayName: "Emarsys Core API (WSSE)", authMode: "SIGNATURE",
		categories: []string{"marketing"}, baseURL: "https://api.emarsys.net",
		docs: "https://nango.dev/docs/integrations/all/emarsys",
		body: obj{
			{"signature", obj{{"protocol", "WSSE"}}},
			{"token", obj{{"expires_in_ms", 300000}}},
		},
	},
	{
		name: "aws-sigv4", displayName: "AWS SigV4 Proxy", authMode: "AWS_SIGV4",
		categories: []string{"storage"}, baseURL: "https://${connectionConfig.service}.${connectionConfig.region}.amazonaws.com",
		docs: "https://nango.dev/docs/integrations/all/aws-sigv4",
		body: obj{
			{"credentials", obj{{"role_arn", obj{{"type", "string"}, {"title", "IAM Role ARN"}}}}},
		},
	},
	{
		name: "apple-app-store", displayName: "Apple App Store", authMode: "JWT",
		categories: []string{"e-commerce"}, baseURL: "https://api.appstoreconnect.apple.com",
		docs: "https://nango.dev/docs/api-integrations/apple-app-store",
		body: obj{
			{"signature", obj{{"protocol", "EC"}}},
			{"token", obj{{"signing_key", "${credentials.privateKey}"}, {"expires_in_ms", 900000}}},
		},
	},
	{
		name: "3cx", displayName: "3CX", authMode: "TWO_STEP",
		categories: []string{"communication"}, baseURL: "https://${connectionConfig.domain}",
		docs: "https://nango.dev/docs/integrations/all/3cx",
		body: obj{
			{"body_format", "form"},
			{"token_url", "https://${connectionConfig.domain}/connect/token"},
		},
	},
	{
		name: "crisp-plugin-install", displayName: "Crisp (Plugin Install)", authMode: "INSTALL_PLUGIN",
		categories: []string{"communication", "support"}, baseURL: "https://api.crisp.chat",
		docs: "https://nango.dev/docs/api-integrations/crisp-plugin-install",
		body: obj{{"auth_type", "BASIC"}},
	},
	{
		name: "unauthenticated", displayName: "Unauthenticated", authMode: "NONE",
		categories: []string{"other"}, baseURL: "",
		docs: "https://nango.dev/docs/integrations/all/unauthenticated",
	},
}

func findProvider(name string) *providerDef {
	for _, p := range catalog {
		if p.name == name {
			return p
		}
	}
	return nil
}

// logoURL is the logo of a provider, for providers and integrations alike.
func logoURL(provider string) string {
	return "https://app.nango.dev/images/template-logos/" + provider + ".svg"
}

// apiProvider is the ApiProvider shape: the providers.yaml entry plus name and logo_url.
func (p *providerDef) apiProvider() obj {
	o := obj{
		{"name", p.name},
		{"display_name", p.displayName},
		{"categories", p.categories},
		{"auth_mode", p.authMode},
	}
	o = append(o, p.body...)
	proxy := obj{{"base_url", p.baseURL}}
	if p.name == "github" || p.name == "github-app" || p.name == "github-app-oauth" {
		proxy = append(proxy, kv{"retry", obj{{"at", "x-ratelimit-reset"}}})
	}
	if p.baseURL != "" {
		o = append(o, kv{"proxy", proxy})
	}
	if p.webhookRouting {
		o = append(o, kv{"webhook_routing_script", p.name + "WebhookRouting"})
	}
	o = append(o, kv{"docs", p.docs}, kv{"logo_url", logoURL(p.name)})
	return o
}

func (c *call) listProviders() {
	var iss []issue
	iss = append(iss, c.q.strict("search")...)
	search, hasSearch := c.q.str("search", false, strRule{max: 255, re: reProviderConfigKey}, &iss)
	if len(iss) > 0 {
		c.fail(validationErr("invalid_query_params", iss))
		return
	}
	var re *regexp.Regexp
	if hasSearch {
		var err error
		if re, err = regexp.Compile("(?i)" + search); err != nil {
			c.fail(validationErr("invalid_query_params", []issue{newIssue("custom", "Invalid regex", []any{"search"})}))
			return
		}
	}
	out := []obj{}
	names := make([]string, 0, len(catalog))
	for _, p := range catalog {
		names = append(names, p.name)
	}
	sort.Strings(names)
	for _, n := range names {
		if re != nil && !re.MatchString(n) {
			continue
		}
		out = append(out, findProvider(n).apiProvider())
	}
	c.json(http.StatusOK, obj{{"data", out}})
}

func (c *call) providerParam() (*providerDef, bool) {
	if !c.emptyQuery() {
		return nil, false
	}
	name, ok := c.param("provider", ruleProvider)
	if !ok {
		return nil, false
	}
	p := findProvider(name)
	if p == nil {
		c.fail(errf(http.StatusNotFound, "not_found", "Unknown provider "+name))
		return nil, false
	}
	return p, true
}

func (c *call) getProvider() {
	if p, ok := c.providerParam(); ok {
		c.json(http.StatusOK, obj{{"data", p.apiProvider()}})
	}
}

// getProviderTemplates is GET /providers/{provider}/templates: the catalog's
// actions, then its syncs. A provider Nango has no templates for, known or
// not, answers an empty list rather than 404.
func (c *call) getProviderTemplates() {
	if !c.emptyQuery() {
		return
	}
	name, ok := c.param("provider", ruleProvider)
	if !ok {
		return
	}
	out := []obj{}
	if p := findProvider(name); p != nil {
		for _, typ := range []string{"action", "sync"} {
			for _, f := range p.templates {
				if f.typ == typ {
					out = append(out, f.providerTemplate())
				}
			}
		}
	}
	c.json(http.StatusOK, obj{{"data", out}})
}

// providerTemplate is a catalog function as NangoSyncFunction or
// NangoActionFunction, in the key order Nango builds them.
func (f *function) providerTemplate() obj {
	o := obj{{"name", f.name}}
	if f.description != "" {
		o = append(o, kv{"description", f.description})
	}
	if f.scopes != nil {
		o = append(o, kv{"scopes", f.scopes})
	}
	if f.input != "" {
		o = append(o, kv{"input", f.input})
	}
	returns := f.returns
	if returns == nil {
		returns = []string{}
	}
	o = append(o, kv{"returns", returns}, kv{"json_schema", jsonSchema(append([]string{f.input}, f.returns...)...)}, kv{"type", f.typ})
	if f.typ == "sync" {
		var runs any
		if f.runs != "" {
			runs = f.runs
		}
		o = append(o, kv{"runs", runs}, kv{"auto_start", f.autoStart}, kv{"track_deletes", f.trackDeletes})
	}
	return o
}
