// SDK parity driver: runs the official Node SDK (@nangohq/node, pinned in
// ../package.json) through a fixed list of scenarios against a Nango-compatible
// host and prints one JSON line per scenario. The Go test in
// internal/sdkparity runs it once against the Nango simulator and once against
// the gateway in front of another simulator, then compares both runs.
//
// Usage: node parity.mjs <host> <apiKey> [<markerBase>]
//
// With <markerBase>, a plain GET <markerBase>/__sdkparity/<index>/<name> is sent
// before each scenario, outside the SDK. The simulator records it like any
// request (and answers 404 without touching its state), so the test can tell
// which upstream requests belong to which scenario.
//
// The scenarios assume the simulator's seed data (internal/simulator/seed.go)
// and are ordered so that a fresh seeded simulator gives the same results on
// every run: reads first, then the mutations, deletions last.
//
// Output lines:
//   {"name": ..., "ok": true,  "result": <what the SDK returned>}
//   {"name": ..., "ok": false, "status": <HTTP status>, "data": <error body>}
//   {"name": ..., "ok": false, "error": <message>}   (no HTTP response at all)
// Methods that return an AxiosResponse are reduced to {status, data}; proxy
// calls also keep the provider headers Nango relays (content-type and co).

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolve the SDK from tools/node_modules whatever the working directory is.
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { Nango } = await import(require.resolve('@nangohq/node'));

const [host, apiKey, markerBase] = process.argv.slice(2);
if (!host || !apiKey) {
    process.stderr.write('usage: node parity.mjs <host> <apiKey> [<markerBase>]\n');
    process.exit(2);
}

// A timeout keeps one hung call from stalling the whole run; it changes
// nothing on the wire (the SDK itself has none).
const nango = new Nango(
    { host, secretKey: apiKey },
    {
        interceptors: {
            request: (config) => {
                config.timeout = 30000;
                return config;
            }
        }
    }
);

// Seed names (internal/simulator/seed.go).
const GH = 'github';
const GH1 = 'conn-github-1';
const GH2 = 'conn-github-2';
const SLACK = 'slack';
const SLACK1 = 'conn-slack-1';
const HS = 'hubspot';
const HS1 = 'conn-hubspot-1';
const TRELLO = 'trello';
const TRELLO1 = 'conn-trello-1';
const SG = 'sendgrid';
const SG1 = 'conn-sendgrid-1';
const FD = 'freshdesk';
const FD1 = 'conn-freshdesk-1';
const APP = 'github-app';
const APP1 = 'conn-github-app-1';
const PP = 'paypal';
const PP1 = 'conn-paypal-1';
const CUSTOM = 'github-app-oauth';
const CUSTOM1 = 'conn-github-app-oauth-1';
const PUB = 'public-api';
const PUB1 = 'conn-public-1';

// The Go test freezes the simulator clock at 2026-03-02T10:30:00Z; the seeded
// records span the 20 days before it.
const RECENT = '2026-03-01T00:00:00.000Z';
const RECENT_LATER = '2026-03-01T12:00:00.000Z';
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----';

const gh1 = { providerConfigKey: GH, connectionId: GH1 };
const issues = { ...gh1, model: 'GithubIssue' };

// Values carried from one scenario to a later one (cursors, async ids).
const saved = {};

// The provider response headers Nango relays on the proxy's default path.
const PROXY_HEADERS = ['content-type', 'mcp-session-id', 'x-request-id', 'x-correlation-id'];

// Each scenario: [name "<sdkMethod>/<shape>", function(nango) returning the SDK's promise, kind].
// kind: undefined = plain result; 'axios' = AxiosResponse; 'proxy' = AxiosResponse of a proxy call.
const scenarios = [
    // Providers
    ['listProviders/no-query', (n) => n.listProviders()],
    ['listProviders/search', (n) => n.listProviders({ search: 'git' })],
    ['listProviders/search-with-space', (n) => n.listProviders({ search: 'git hub' })],
    ['listProviders/invalid-search-400', (n) => n.listProviders({ search: 'git(hub' })],
    ['getProvider/github', (n) => n.getProvider({ provider: 'github' })],
    ['getProvider/oauth1', (n) => n.getProvider({ provider: 'trello' })],
    ['getProvider/unknown-404', (n) => n.getProvider({ provider: 'no-such-provider' })],
    ['getProviderTemplates/github', (n) => n.getProviderTemplates({ provider: 'github' })],
    ['getProviderTemplates/no-templates', (n) => n.getProviderTemplates({ provider: 'sendgrid' })],
    ['getProviderTemplates/unknown-empty', (n) => n.getProviderTemplates({ provider: 'no-such-provider' })],

    // Integrations: reads
    ['listIntegrations/all', (n) => n.listIntegrations()],
    ['getIntegration/plain', (n) => n.getIntegration({ uniqueKey: GH })],
    ['getIntegration/include-webhook', (n) => n.getIntegration({ uniqueKey: GH }, { include: ['webhook'] })],
    ['getIntegration/include-credentials-app', (n) => n.getIntegration({ uniqueKey: APP }, { include: ['credentials'] })],
    ['getIntegration/include-both-sends-last', (n) => n.getIntegration({ uniqueKey: GH }, { include: ['webhook', 'credentials'] })],
    ['getIntegration/no-credentials-integration', (n) => n.getIntegration({ uniqueKey: SG }, { include: ['credentials'] })],
    ['getIntegration/unknown-404', (n) => n.getIntegration({ uniqueKey: 'no-such-integration' })],
    ['getIntegration/invalid-key-400', (n) => n.getIntegration({ uniqueKey: 'bad!key' })],

    // Deployed functions: reads
    ['listFunctions/all', (n) => n.listFunctions({ uniqueKey: GH })],
    ['listFunctions/type-action', (n) => n.listFunctions({ uniqueKey: GH }, { type: 'action' })],
    ['listFunctions/search-page-limit', (n) => n.listFunctions({ uniqueKey: GH }, { search: 'github', page: 1, limit: 1 })],
    ['listFunctions/on-event', (n) => n.listFunctions({ uniqueKey: SLACK }, { type: 'on-event' })],
    ['listFunctions/invalid-limit-400', (n) => n.listFunctions({ uniqueKey: GH }, { limit: 500 })],
    ['listFunctions/unknown-integration-404', (n) => n.listFunctions({ uniqueKey: 'no-such-integration' })],
    ['getFunction/sync', (n) => n.getFunction({ uniqueKey: GH, name: 'github-issues' })],
    ['getFunction/typed-action', (n) => n.getFunction({ uniqueKey: GH, name: 'github-repos' }, { type: 'action' })],
    ['getFunction/on-event', (n) => n.getFunction({ uniqueKey: GH, name: 'setup-webhooks' }, { type: 'on-event' })],
    ['getFunction/unknown-404', (n) => n.getFunction({ uniqueKey: GH, name: 'no-such-function' })],
    ['getFunction/invalid-type-400', (n) => n.getFunction({ uniqueKey: GH, name: 'github-issues' }, { type: 'script' })],
    ['getFunctionCode/sync', (n) => n.getFunctionCode({ uniqueKey: GH, name: 'github-issues' })],
    ['getFunctionCode/ambiguous-409', (n) => n.getFunctionCode({ uniqueKey: GH, name: 'github-repos' })],
    ['getFunctionCode/typed', (n) => n.getFunctionCode({ uniqueKey: GH, name: 'github-repos' }, { type: 'sync' })],
    ['getFunctionCode/unknown-404', (n) => n.getFunctionCode({ uniqueKey: GH, name: 'no-such-function' })],

    // Connections: reads
    ['listConnections/no-args', (n) => n.listConnections()],
    ['listConnections/legacy-connection-id', (n) => n.listConnections(GH1)],
    ['listConnections/legacy-search', (n) => n.listConnections(undefined, 'alice')],
    ['listConnections/legacy-queries', (n) => n.listConnections(undefined, 'conn', { endUserId: 'user-alice', endUserOrganizationId: 'org-acme', limit: 2, page: 1 })],
    ['listConnections/legacy-no-match', (n) => n.listConnections('conn-nobody')],
    ['listConnections/object-integrations', (n) => n.listConnections({ integrationId: [GH, SLACK], limit: 3 })],
    ['listConnections/object-user-and-tags', (n) => n.listConnections({ userId: 'user-alice', tags: { email: 'alice@acme.test', displayName: 'Alice Martin', Team: 'platform' } })],
    ['listConnections/object-connection-page', (n) => n.listConnections({ connectionId: SLACK1, integrationId: SLACK, limit: 1, page: 0 })],
    ['listConnections/invalid-limit-400', (n) => n.listConnections({ limit: 5000 })],
    // waitForConnection polls GET /connections?endUserId=...: the first poll finds this one.
    ['waitForConnection/existing', (n) => n.waitForConnection(SLACK, 'user-alice')],
    // No match: one poll, then the abort ends the 10 s wait before a second poll.
    ['waitForConnection/no-match-aborted-throws', (n) => n.waitForConnection(HS, 'user-alice', { signal: AbortSignal.timeout(1000) })],
    ['getConnection/oauth2', (n) => n.getConnection(GH, GH1)],
    ['getConnection/oauth2-with-refresh-token', (n) => n.getConnection(GH, GH1, false, true)],
    ['getConnection/oauth2-force-refresh', (n) => n.getConnection(SLACK, SLACK1, true)],
    ['getConnection/oauth2-expired-token', (n) => n.getConnection(GH, GH2)],
    ['getConnection/oauth1', (n) => n.getConnection(TRELLO, TRELLO1)],
    ['getConnection/api-key', (n) => n.getConnection(SG, SG1)],
    ['getConnection/basic', (n) => n.getConnection(FD, FD1)],
    ['getConnection/app-refresh-jwt', (n) => n.getConnection(APP, APP1, false, false, true)],
    ['getConnection/oauth2-cc', (n) => n.getConnection(PP, PP1)],
    ['getConnection/custom', (n) => n.getConnection(CUSTOM, CUSTOM1)],
    ['getConnection/none', (n) => n.getConnection(PUB, PUB1)],
    ['getConnection/unknown-connection-404', (n) => n.getConnection(GH, 'conn-nobody')],
    ['getConnection/unknown-integration-400', (n) => n.getConnection('no-such-integration', GH1)],
    ['getToken/oauth2', (n) => n.getToken(GH, GH1)],
    ['getToken/oauth2-force-refresh', (n) => n.getToken(HS, HS1, true)],
    ['getToken/oauth1', (n) => n.getToken(TRELLO, TRELLO1)],
    ['getToken/api-key', (n) => n.getToken(SG, SG1)],
    ['getToken/basic', (n) => n.getToken(FD, FD1)],
    ['getToken/app-refresh-jwt', (n) => n.getToken(APP, APP1, false, true)],
    ['getToken/unknown-404', (n) => n.getToken(GH, 'conn-nobody')],
    ['getRawTokenResponse/oauth2', (n) => n.getRawTokenResponse(SLACK, SLACK1)],
    ['getRawTokenResponse/oauth2-cc-force-refresh', (n) => n.getRawTokenResponse(PP, PP1, true)],
    ['getRawTokenResponse/custom', (n) => n.getRawTokenResponse(CUSTOM, CUSTOM1)],
    ['getMetadata/with-metadata', (n) => n.getMetadata(HS, HS1)],
    ['getMetadata/null-metadata', (n) => n.getMetadata(SG, SG1)],
    ['getMetadata/unknown-404', (n) => n.getMetadata(GH, 'conn-nobody')],

    // Scripts config and environment variables
    ['getScriptsConfig/default', (n) => n.getScriptsConfig()],
    ['getScriptsConfig/nango', (n) => n.getScriptsConfig('nango')],
    ['getScriptsConfig/openai', (n) => n.getScriptsConfig('openai')],
    ['getEnvironmentVariables/all', (n) => n.getEnvironmentVariables()],

    // Records: reads
    ['listRecords/default-limit', (n) => n.listRecords({ ...issues })],
    ['listRecords/first-page', async (n) => keep('page1', await n.listRecords({ ...issues, limit: 7 }))],
    ['listRecords/next-page-by-cursor', (n) => n.listRecords({ ...issues, limit: 7, cursor: saved.page1?.next_cursor })],
    ['listRecords/modified-after-and-filter', (n) => n.listRecords({ ...issues, modifiedAfter: RECENT, filter: 'added,updated', limit: 5 })],
    ['listRecords/delta', (n) => n.listRecords({ ...issues, delta: RECENT_LATER, limit: 3 })],
    ['listRecords/filter-deleted', (n) => n.listRecords({ ...issues, filter: 'deleted', limit: 3 })],
    ['listRecords/ids', (n) => n.listRecords({ ...issues, ids: ['1001', '1002', '1050', 'a b'] })],
    ['listRecords/empty-cursor-skipped', (n) => n.listRecords({ ...issues, limit: 2, cursor: '' })],
    ['listRecords/variant', async (n) => keep('eu', await n.listRecords({ providerConfigKey: HS, connectionId: HS1, model: 'HubspotContact', variant: 'eu', limit: 3 }))],
    ['listRecords/other-model', (n) => n.listRecords({ providerConfigKey: SLACK, connectionId: SLACK1, model: 'SlackUser', limit: 4 })],
    ['listRecords/unknown-connection-400', (n) => n.listRecords({ ...issues, connectionId: 'conn-nobody' })],
    ['listRecords/invalid-model-400', (n) => n.listRecords({ ...issues, model: 'githubIssue' })],
    ['listRecords/invalid-limit-400', (n) => n.listRecords({ ...issues, limit: 20000 })],
    ['listRecords/old-modified-after-400', (n) => n.listRecords({ ...issues, modifiedAfter: '2020-01-01T00:00:00.000Z' })],

    // Connect sessions (read-only for the rest of the state)
    ['createConnectSession/full', (n) => n.createConnectSession({
        end_user: { id: 'user-dave', email: 'dave@acme.test', display_name: 'Dave Park', tags: { plan: 'team' } },
        organization: { id: 'org-acme', display_name: 'Acme Inc.' },
        allowed_integrations: [GH, SLACK],
        integrations_config_defaults: { [GH]: { user_scopes: 'repo', authorization_params: { prompt: 'consent' }, connection_config: { oauth_scopes_override: 'repo,user' } } },
        overrides: { [GH]: { docs_connect: 'https://docs.acme.test/github' } },
        webhook_url_override: 'https://hooks.acme.test/nango'
    })],
    ['createConnectSession/end-user-only', (n) => n.createConnectSession({ end_user: { id: 'user-erin' } })],
    ['createConnectSession/tags-only', (n) => n.createConnectSession({ tags: { end_user_id: 'user-frank', team: 'core' } })],
    ['createConnectSession/missing-end-user-400', (n) => n.createConnectSession({ allowed_integrations: [GH] })],
    ['createConnectSession/unknown-integration-400', (n) => n.createConnectSession({ end_user: { id: 'user-dave' }, allowed_integrations: ['no-such-integration'] })],
    ['createConnectSession/invalid-email-400', (n) => n.createConnectSession({ end_user: { id: 'user-dave', email: 'not-an-email' } })],
    ['createReconnectSession/existing', (n) => n.createReconnectSession({ connection_id: GH1, integration_id: GH })],
    ['createReconnectSession/with-defaults', (n) => n.createReconnectSession({
        connection_id: SLACK1, integration_id: SLACK,
        integrations_config_defaults: { [SLACK]: { user_scopes: 'chat:write' } },
        tags: { team: 'support' }
    })],
    ['createReconnectSession/unknown-connection-400', (n) => n.createReconnectSession({ connection_id: 'conn-nobody', integration_id: GH })],
    ['createReconnectSession/missing-integration-400', (n) => n.createReconnectSession({ connection_id: GH1 })],

    // Proxy
    ['get/simple', (n) => n.get({ ...gh1, endpoint: '/user' }), 'proxy'],
    ['get/endpoint-without-slash-and-params', (n) => n.get({ ...gh1, endpoint: 'repos/acme/app/issues', params: { per_page: '10', q: 'a b', labels: 'bug,p1' } }), 'proxy'],
    ['get/params-merged-into-endpoint-query', (n) => n.get({ ...gh1, endpoint: '/search?sort=stars&q=old', params: { q: 'new', page: 2 } }), 'proxy'],
    ['get/params-string', (n) => n.get({ ...gh1, endpoint: '/search', params: 'q=a%20b&page=2&tags[]=x' }), 'proxy'],
    ['get/escaped-path', (n) => n.get({ ...gh1, endpoint: '/repos/acme%2Fapp/contents/dir%20name/file.txt' }), 'proxy'],
    ['get/custom-headers', (n) => n.get({ ...gh1, endpoint: '/user', headers: { 'X-Custom': 'value', Accept: 'application/vnd.github+json', 'X-Multi': 'a, b' } }), 'proxy'],
    ['get/relayed-response-headers', (n) => n.get({ ...gh1, endpoint: '/response-headers', params: { 'Content-Type': 'application/vnd.api+json', 'X-Request-Id': 'req-42', 'X-Correlation-Id': 'corr-7', 'X-Dropped': 'no' } }), 'proxy'],
    ['get/binary-body', (n) => n.get({ ...gh1, endpoint: '/bytes/16' }), 'proxy'],
    ['get/provider-404', (n) => n.get({ ...gh1, endpoint: '/status/404' }), 'proxy'],
    ['get/provider-422', (n) => n.get({ ...gh1, endpoint: '/status/422', params: { reason: 'x' } }), 'proxy'],
    ['get/provider-no-content', (n) => n.get({ ...gh1, endpoint: '/status/204' }), 'proxy'],
    ['get/other-auth-modes', (n) => n.get({ providerConfigKey: SG, connectionId: SG1, endpoint: '/v3/user/profile' }), 'proxy'],
    ['get/unknown-integration-404', (n) => n.get({ providerConfigKey: 'no-such-integration', connectionId: GH1, endpoint: '/user' }), 'proxy'],
    ['get/unknown-connection-400', (n) => n.get({ providerConfigKey: GH, connectionId: 'conn-nobody', endpoint: '/user' }), 'proxy'],
    ['post/json-object', (n) => n.post({ ...gh1, endpoint: '/repos/acme/app/issues', data: { title: 'Parity', labels: ['bug'], meta: { n: 1, ok: true, none: null } } }), 'proxy'],
    ['post/string-with-content-type', (n) => n.post({ ...gh1, endpoint: '/markdown/raw', data: 'Hello **world**', headers: { 'Content-Type': 'text/plain' } }), 'proxy'],
    ['post/provider-created', (n) => n.post({ ...gh1, endpoint: '/status/201', data: { a: 1 } }), 'proxy'],
    ['post/no-body', (n) => n.post({ ...gh1, endpoint: '/repos/acme/app/dispatches' }), 'proxy'],
    ['put/string-body-without-content-type', (n) => n.put({ ...gh1, endpoint: '/raw', data: 'raw' }), 'proxy'],
    ['put/json-array', (n) => n.put({ ...gh1, endpoint: '/user/starred', data: [1, 'two', { three: 3 }] }), 'proxy'],
    ['patch/json', (n) => n.patch({ ...gh1, endpoint: '/items/1', data: { done: true } }), 'proxy'],
    ['patch/raw-echo-content-type', (n) => n.patch({ ...gh1, endpoint: '/raw', data: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 'proxy'],
    ['delete/no-data', (n) => n.delete({ ...gh1, endpoint: '/items/1' }), 'proxy'],
    ['delete/with-data', (n) => n.delete({ ...gh1, endpoint: '/items', data: { ids: [1, 2] } }), 'proxy'],
    ['proxy/propfind', (n) => n.proxy({ ...gh1, method: 'PROPFIND', endpoint: '/dav', data: '<x/>' }), 'proxy'],
    ['proxy/report-with-headers', (n) => n.proxy({ ...gh1, method: 'REPORT', endpoint: '/dav/cal', data: '<q/>', headers: { 'Content-Type': 'application/xml', Depth: '1' } }), 'proxy'],
    ['proxy/retries-and-options', (n) => n.proxy({
        ...gh1, method: 'GET', endpoint: '/user', retries: 3, retryOn: [409, 423], decompress: true,
        baseUrlOverride: 'https://ghe.acme.test/api/v3', forwardHeadersOnRedirect: true
    }), 'proxy'],
    ['proxy/no-method-is-get', (n) => n.proxy({ ...gh1, endpoint: '/user' }), 'proxy'],
    ['proxy/lowercase-method', (n) => n.proxy({ ...gh1, method: 'post', endpoint: '/echo', data: { x: 1 } }), 'proxy'],
    ['proxy/invalid-base-url-override-400', (n) => n.proxy({ ...gh1, endpoint: '/user', baseUrlOverride: 'not a url' }), 'proxy'],

    // Integrations: writes
    ['createIntegration/oauth2-full', (n) => n.createIntegration({
        provider: 'notion', unique_key: 'notion-parity', display_name: 'Notion (parity)',
        credentials: { type: 'OAUTH2', client_id: 'notion-client', client_secret: 'notion-secret', scopes: 'read,write', webhook_secret: 'whsec' },
        forward_webhooks: false, integration_config: { workspace: 'acme' }
    })],
    ['createIntegration/api-key-minimal', (n) => n.createIntegration({ provider: 'sendgrid', unique_key: 'sendgrid-parity' })],
    ['createIntegration/app-credentials', (n) => n.createIntegration({
        provider: 'github-app', unique_key: 'github-app-parity',
        credentials: { type: 'APP', app_id: '777', app_link: 'https://github.com/apps/parity', private_key: PEM }
    })],
    ['createIntegration/invalid-key-400', (n) => n.createIntegration({ provider: 'github', unique_key: 'bad!key' })],
    ['createIntegration/duplicate-400', (n) => n.createIntegration({ provider: 'github', unique_key: GH, credentials: { type: 'OAUTH2', client_id: 'x', client_secret: 'y' } })],
    ['createIntegration/missing-credentials-400', (n) => n.createIntegration({ provider: 'slack', unique_key: 'slack-parity' })],
    ['createIntegration/unknown-provider-400', (n) => n.createIntegration({ provider: 'no-such-provider', unique_key: 'nothing' })],
    ['createQuickstartIntegration/oauth2', (n) => n.createQuickstartIntegration({ provider: 'salesforce', unique_key: 'salesforce-quick', display_name: 'Salesforce (quick)', forward_webhooks: true })],
    ['createQuickstartIntegration/not-oauth-400', (n) => n.createQuickstartIntegration({ provider: 'sendgrid', unique_key: 'sendgrid-quick' })],
    ['updateIntegration/display-name-and-custom', (n) => n.updateIntegration({ uniqueKey: 'notion-parity' }, { display_name: 'Notion renamed', forward_webhooks: true, custom: { team: 'core' } })],
    ['updateIntegration/credentials-and-config', (n) => n.updateIntegration({ uniqueKey: 'notion-parity' }, {
        credentials: { type: 'OAUTH2', client_id: 'notion-client-2', client_secret: 'notion-secret-2' }, integration_config: { region: 'eu' }
    })],
    ['updateIntegration/rename', (n) => n.updateIntegration({ uniqueKey: 'sendgrid-parity' }, { unique_key: 'sendgrid-renamed' })],
    ['updateIntegration/empty-body', (n) => n.updateIntegration({ uniqueKey: 'notion-parity' }, {})],
    ['updateIntegration/rename-taken-400', (n) => n.updateIntegration({ uniqueKey: 'notion-parity' }, { unique_key: GH })],
    ['updateIntegration/invalid-display-name-400', (n) => n.updateIntegration({ uniqueKey: 'notion-parity' }, { display_name: '' })],
    ['updateIntegration/unknown-404', (n) => n.updateIntegration({ uniqueKey: 'no-such-integration' }, { display_name: 'x' })],
    ['getIntegration/after-update-with-credentials', (n) => n.getIntegration({ uniqueKey: 'notion-parity' }, { include: ['credentials'] })],
    ['listIntegrations/after-writes', (n) => n.listIntegrations()],
    ['deleteIntegration/renamed', (n) => n.deleteIntegration('sendgrid-renamed'), 'axios'],
    ['deleteIntegration/unknown-404', (n) => n.deleteIntegration('sendgrid-renamed'), 'axios'],

    // Metadata and connection writes
    ['setMetadata/single', (n) => n.setMetadata(GH, GH2, { plan: 'pro', seats: 5, nested: { a: [1, 2] } }), 'axios'],
    ['setMetadata/many', (n) => n.setMetadata(GH, [GH1, GH2], { plan: 'team', owner: 'alice' }), 'axios'],
    ['setMetadata/unknown-404', (n) => n.setMetadata(GH, [GH1, 'conn-nobody'], { plan: 'lost' }), 'axios'],
    ['setMetadata/not-an-object-400', (n) => n.setMetadata(GH, GH1, ['not', 'an', 'object']), 'axios'],
    ['updateMetadata/merge', (n) => n.updateMetadata(GH, GH1, { plan: 'enterprise-plus', extra: true }), 'axios'],
    ['updateMetadata/many', (n) => n.updateMetadata(GH, [GH1, GH2], { region: 'us' }), 'axios'],
    ['updateMetadata/unknown-404', (n) => n.updateMetadata(SLACK, 'conn-nobody', { a: 1 }), 'axios'],
    ['getMetadata/after-updates', (n) => n.getMetadata(GH, GH1)],
    ['patchConnection/end-user-tags-webhook', (n) => n.patchConnection({ connectionId: GH2, provider_config_key: GH }, {
        end_user: { id: 'user-bob', email: 'bob@acme.test', display_name: 'Robert Stone', tags: { plan: 'pro' } },
        tags: { team: 'growth' },
        webhook_url_override: 'https://hooks.acme.test/nango'
    })],
    ['getConnection/after-patch', (n) => n.getConnection(GH, GH2)],
    ['patchConnection/clear-webhook', (n) => n.patchConnection({ connectionId: GH2, provider_config_key: GH }, { webhook_url_override: '' })],
    ['patchConnection/invalid-url-400', (n) => n.patchConnection({ connectionId: GH2, provider_config_key: GH }, { webhook_url_override: 'not a url' })],
    ['patchConnection/unknown-field-400', (n) => n.patchConnection({ connectionId: GH2, provider_config_key: GH }, { metadata: { a: 1 } })],
    ['patchConnection/unknown-404', (n) => n.patchConnection({ connectionId: 'conn-nobody', provider_config_key: GH }, { tags: { a: 'b' } })],
    ['patchConnection/unknown-integration-400', (n) => n.patchConnection({ connectionId: GH1, provider_config_key: 'no-such-integration' }, { tags: { a: 'b' } })],
    ['listConnections/after-patch', (n) => n.listConnections({ integrationId: GH })],

    // Records: writes
    ['pruneRecords/with-limit', (n) => n.pruneRecords({ ...issues, untilCursor: saved.page1?.next_cursor, limit: 3 })],
    ['pruneRecords/default-limit', (n) => n.pruneRecords({ ...issues, untilCursor: saved.page1?.next_cursor })],
    ['listRecords/after-prune', (n) => n.listRecords({ ...issues, limit: 8 })],
    ['pruneRecords/variant', (n) => n.pruneRecords({ providerConfigKey: HS, connectionId: HS1, model: 'HubspotContact', variant: 'eu', untilCursor: saved.eu?.next_cursor, limit: 2 })],
    ['pruneRecords/invalid-cursor-400', (n) => n.pruneRecords({ ...issues, untilCursor: 'not-a-cursor' })],
    ['pruneRecords/unknown-connection-400', (n) => n.pruneRecords({ ...issues, connectionId: 'conn-nobody', untilCursor: saved.page1?.next_cursor })],

    // Syncs
    ['syncStatus/names', (n) => n.syncStatus(GH, ['github-issues', 'github-repos'], GH1)],
    ['syncStatus/star-all-connections', (n) => n.syncStatus(GH, '*')],
    ['syncStatus/variant-object', (n) => n.syncStatus(HS, [{ name: 'hubspot-contacts', variant: 'eu' }, 'hubspot-contacts'], HS1)],
    ['syncStatus/unknown-connection-400', (n) => n.syncStatus(GH, ['github-issues'], 'conn-nobody')],
    ['syncStatus/unknown-integration-empty', (n) => n.syncStatus('no-such-integration', '*')],
    ['triggerSync/opts', (n) => n.triggerSync(GH, ['github-issues'], GH1, { reset: true, emptyCache: false }), 'axios'],
    ['triggerSync/no-syncs-no-connection', (n) => n.triggerSync(SLACK), 'axios'],
    ['triggerSync/variant-object', (n) => n.triggerSync(HS, [{ name: 'hubspot-contacts', variant: 'eu' }], HS1), 'axios'],
    ['triggerSync/legacy-sync-mode-string', (n) => n.triggerSync(GH, ['github-issues'], GH2, 'full_refresh_and_clear_cache'), 'axios'],
    ['triggerSync/legacy-sync-mode-boolean', (n) => n.triggerSync(GH, ['github-repos'], GH1, true), 'axios'],
    ['triggerSync/legacy-sync-mode-incremental', (n) => n.triggerSync(SLACK, ['slack-users'], SLACK1, false), 'axios'],
    ['triggerSync/unknown-sync-400', (n) => n.triggerSync(GH, ['no-such-sync'], GH1), 'axios'],
    ['triggerSync/unknown-connection-404', (n) => n.triggerSync(GH, [], 'conn-nobody'), 'axios'],
    ['listRecords/after-sync', (n) => n.listRecords({ ...issues, modifiedAfter: RECENT_LATER, limit: 10 })],
    ['pauseSync/one', (n) => n.pauseSync(GH, ['github-issues'], GH1), 'axios'],
    ['pauseSync/all-connections', (n) => n.pauseSync(SLACK, ['slack-users']), 'axios'],
    ['pauseSync/unknown-sync-400', (n) => n.pauseSync(GH, ['no-such-sync'], GH1), 'axios'],
    ['syncStatus/after-pause', (n) => n.syncStatus(GH, ['github-issues'], GH1)],
    ['startSync/one', (n) => n.startSync(GH, ['github-issues'], GH1), 'axios'],
    ['startSync/variant-object', (n) => n.startSync(HS, [{ name: 'hubspot-contacts', variant: 'eu' }], HS1), 'axios'],
    ['startSync/empty-list', (n) => n.startSync(SLACK, []), 'axios'],
    ['startSync/unknown-integration-400', (n) => n.startSync('no-such-integration', ['github-issues']), 'axios'],
    ['syncStatus/after-start', (n) => n.syncStatus(SLACK, '*', SLACK1)],
    ['updateSyncConnectionFrequency/string', (n) => n.updateSyncConnectionFrequency(GH, 'github-issues', GH1, 'every 2 hours')],
    ['updateSyncConnectionFrequency/variant-object', (n) => n.updateSyncConnectionFrequency(HS, { name: 'hubspot-contacts', variant: 'eu' }, HS1, '45 minutes')],
    ['syncStatus/after-frequency', (n) => n.syncStatus(GH, ['github-issues'], GH1)],
    ['updateSyncConnectionFrequency/null-reverts', (n) => n.updateSyncConnectionFrequency(GH, 'github-issues', GH1, null)],
    ['updateSyncConnectionFrequency/too-short-400', (n) => n.updateSyncConnectionFrequency(GH, 'github-issues', GH1, '10s')],
    ['updateSyncConnectionFrequency/unknown-connection-400', (n) => n.updateSyncConnectionFrequency(GH, 'github-issues', 'conn-nobody', '1h')],
    ['updateSyncConnectionFrequency/unknown-sync-400', (n) => n.updateSyncConnectionFrequency(GH, 'no-such-sync', GH1, '1h')],
    ['createSyncVariant/new', (n) => n.createSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'github-issues', variant: 'parity' })],
    ['createSyncVariant/duplicate-400', (n) => n.createSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'github-issues', variant: 'parity' })],
    ['createSyncVariant/base-400', (n) => n.createSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'github-issues', variant: 'base' })],
    ['createSyncVariant/unknown-sync-400', (n) => n.createSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'no-such-sync', variant: 'parity' })],
    ['listRecords/new-variant', (n) => n.listRecords({ ...issues, variant: 'parity' })],
    ['syncStatus/new-variant', (n) => n.syncStatus(GH, [{ name: 'github-issues', variant: 'parity' }], GH1)],
    ['deleteSyncVariant/existing', (n) => n.deleteSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'github-issues', variant: 'parity' })],
    ['deleteSyncVariant/missing-404', (n) => n.deleteSyncVariant({ provider_config_key: GH, connection_id: GH1, name: 'github-issues', variant: 'parity' })],
    ['deleteSyncVariant/unknown-connection-400', (n) => n.deleteSyncVariant({ provider_config_key: GH, connection_id: 'conn-nobody', name: 'github-issues', variant: 'parity' })],

    // Actions
    ['triggerAction/create-issue', (n) => n.triggerAction(GH, GH1, 'create-issue', { title: 'Parity', body: 'From the SDK', labels: ['bug', 'p1'] })],
    ['triggerAction/echo-without-input', (n) => n.triggerAction(GH, GH1, 'echo')],
    ['triggerAction/echo-array', (n) => n.triggerAction(SLACK, SLACK1, 'echo', [1, 'two', { three: 3 }, null])],
    ['triggerAction/echo-string', (n) => n.triggerAction(GH, GH1, 'echo', 'plain string')],
    ['triggerAction/echo-number', (n) => n.triggerAction(GH, GH1, 'echo', 42.5)],
    ['triggerAction/echo-nested-object', (n) => n.triggerAction(HS, HS1, 'echo', { message: 'hi', data: { big: 9007199254740991, list: [], empty: {}, flag: false, none: null } })],
    ['triggerAction/uppercase', (n) => n.triggerAction(SLACK, SLACK1, 'uppercase', { text: 'hello parity' })],
    ['triggerAction/send-message', (n) => n.triggerAction(SLACK, SLACK1, 'send-message', { channel: 'C01GENERAL', text: 'hi' })],
    ['triggerAction/create-contact', (n) => n.triggerAction(HS, HS1, 'create-contact', { email: 'new@globex.test', first_name: 'New' })],
    ['triggerAction/action-sharing-a-sync-name', (n) => n.triggerAction(GH, GH1, 'github-repos', { owner: 'acme' })],
    ['triggerAction/sleep-short', (n) => n.triggerAction(GH, GH1, 'sleep', { ms: 5 })],
    ['triggerAction/disabled-404', (n) => n.triggerAction(GH, GH1, 'legacy-export')],
    ['triggerAction/unknown-action-404', (n) => n.triggerAction(GH, GH1, 'no-such-action', {})],
    ['triggerAction/unknown-connection-400', (n) => n.triggerAction(GH, 'conn-nobody', 'echo', {})],
    ['triggerAction/script-failure-500', (n) => n.triggerAction(GH, GH1, 'fail', { message: 'boom' })],
    ['triggerAction/provider-http-error-424', (n) => n.triggerAction(GH, GH1, 'fail', { status: 424, message: 'upstream broke' })],
    ['triggerActionAsync/echo', async (n) => keep('async1', await n.triggerActionAsync(GH, GH1, 'echo', { message: 'async', data: { n: 1 } }))],
    ['getAsyncActionResult/by-id', (n) => n.getAsyncActionResult({ id: saved.async1?.id })],
    ['getAsyncActionResult/by-status-url', (n) => n.getAsyncActionResult({ statusUrl: saved.async1?.statusUrl })],
    ['triggerActionAsync/without-input', async (n) => keep('async2', await n.triggerActionAsync(SLACK, SLACK1, 'echo'))],
    ['getAsyncActionResult/null-output', (n) => n.getAsyncActionResult({ id: saved.async2?.id })],
    ['triggerActionAsync/failing', async (n) => keep('async3', await n.triggerActionAsync(GH, GH1, 'fail', { status: 424 }))],
    ['getAsyncActionResult/failed-424', (n) => n.getAsyncActionResult({ id: saved.async3?.id })],
    ['getAsyncActionResult/unknown-404', (n) => n.getAsyncActionResult({ id: UNKNOWN_UUID })],
    ['getAsyncActionResult/invalid-id-400', (n) => n.getAsyncActionResult({ id: 'not-a-uuid' })],
    ['triggerActionAsync/unknown-connection-400', (n) => n.triggerActionAsync(GH, 'conn-nobody', 'echo', {})],

    // Deletions last: they remove state other scenarios read.
    ['deleteFunction/managed-by-deploy-400', (n) => n.deleteFunction({ uniqueKey: GH, name: 'github-issues' }, { type: 'sync' })],
    ['deleteFunction/missing-type-400', (n) => n.deleteFunction({ uniqueKey: HS, name: 'echo' })],
    ['deleteFunction/action', (n) => n.deleteFunction({ uniqueKey: HS, name: 'echo' }, { type: 'action' })],
    ['deleteFunction/sync', (n) => n.deleteFunction({ uniqueKey: GH, name: 'github-repos' }, { type: 'sync' })],
    ['deleteFunction/unknown-404', (n) => n.deleteFunction({ uniqueKey: HS, name: 'echo' }, { type: 'action' })],
    ['listFunctions/after-deletes', (n) => n.listFunctions({ uniqueKey: GH })],
    ['deleteConnection/existing', (n) => n.deleteConnection(TRELLO, TRELLO1), 'axios'],
    ['deleteConnection/again-400', (n) => n.deleteConnection(TRELLO, TRELLO1), 'axios'],
    ['deleteConnection/unknown-integration-400', (n) => n.deleteConnection('no-such-integration', GH1), 'axios'],
    ['getConnection/after-delete-404', (n) => n.getConnection(TRELLO, TRELLO1)],
    ['deleteIntegration/with-connections', (n) => n.deleteIntegration(FD), 'axios'],
    ['listConnections/after-deletes', (n) => n.listConnections()],
    ['listIntegrations/after-deletes', (n) => n.listIntegrations()]
];

function keep(key, value) {
    saved[key] = value;
    return value;
}

function pickHeaders(headers) {
    const out = {};
    for (const name of PROXY_HEADERS) {
        const v = headers?.[name];
        if (v !== undefined && v !== null) {
            out[name] = String(v);
        }
    }
    return out;
}

// JSON.stringify drops undefined; keep the difference between undefined and null visible.
function jsonValue(v) {
    return v === undefined ? { $undefined: true } : v;
}

function success(value, kind) {
    if (kind === 'axios' || kind === 'proxy') {
        const out = { status: value.status, data: jsonValue(value.data) };
        if (kind === 'proxy') {
            out.headers = pickHeaders(value.headers);
        }
        return { ok: true, result: out };
    }
    return { ok: true, result: jsonValue(value) };
}

function failure(err, kind) {
    if (err?.response) {
        const out = { ok: false, status: err.response.status, data: jsonValue(err.response.data) };
        if (kind === 'proxy') {
            out.headers = pickHeaders(err.response.headers);
        }
        return out;
    }
    return { ok: false, error: String(err?.message ?? err) };
}

async function marker(index, name) {
    if (!markerBase) {
        return;
    }
    const url = `${markerBase.replace(/\/$/, '')}/__sdkparity/${index}/${encodeURIComponent(name)}`;
    const res = await fetch(url);
    await res.arrayBuffer();
}

for (const [index, [name, run, kind]] of scenarios.entries()) {
    await marker(index, name);
    let line;
    try {
        line = success(await run(nango), kind);
    } catch (err) {
        line = failure(err, kind);
    }
    process.stdout.write(JSON.stringify({ name, ...line }) + '\n');
}
