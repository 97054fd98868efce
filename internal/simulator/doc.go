// Package simulator is an in-process fake of Nango's REST API, faithful to the
// wire contract in nango-api.md and to what a running Nango answers
// (nango-observed.md): bearer-key auth, validation per route as Nango's
// controllers do it (zod-style errors, strict or ignored queries), Nango's
// error envelope and status codes (invalid_json before routing, 500
// generic_error_support for an unknown route), its fixed-window rate limit
// headers on every answer, CORS, cursor-paginated records, syncs, actions
// (sync and async), connect sessions and a proxy that echoes what it
// received. The seed holds a connection for every credential shape Nango
// answers (OAuth, client credentials, GitHub App + OAuth, TBA, Bill,
// signature, AWS SigV4, JWT, two-step, install plugin, none). State lives in
// memory behind a mutex and persists across calls, so the gateway's tests and
// its demo mode can run every call against it without a Nango account; test
// hooks record every request and inject faults (status, latency, connection
// reset, malformed body) before authentication.
package simulator
