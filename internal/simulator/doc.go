// Package simulator is an in-process fake of Nango's REST API, faithful to the
// wire contract in nango-api.md: bearer-key auth, strict query and body
// validation, Nango's error envelope and status codes, its fixed-window rate
// limit headers, cursor-paginated records, syncs, actions (sync and async),
// connect sessions and a proxy that echoes what it received. State lives in
// memory behind a mutex and persists across calls, so the gateway's tests and
// its demo mode can run every call against it without a Nango account; test
// hooks record every request and inject faults (status, latency, connection
// reset, malformed body) before authentication.
package simulator
