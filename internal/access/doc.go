// Package access decides who may call what. Clients are listed in a YAML file
// (CLIENTS_FILE), each with the SHA-256 of its bearer token and the calls it may
// make; the file is reloaded when it changes, and an invalid new file is
// logged and the last good one kept.
//
// One allowlist governs every way in. A gRPC call is named by its full method
// (nango.gateway.v1.RecordsService/ListRecords); the /v1 HTTP mapping reaches
// the same gRPC methods; a request relayed at Nango's paths carries the name of
// the RPC that does the same thing, or a relay name of its own
// ("relay/GET /some/path") when no RPC does. Rules are a full name, a
// "Service/*" prefix, or "*".
package access
