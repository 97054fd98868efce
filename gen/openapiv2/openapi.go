// Package openapiv2 embeds the OpenAPI v2 description of the /v1 HTTP mapping, generated from
// proto/ by `make generate` (this file is the only one here not generated).
package openapiv2

import _ "embed"

// JSON is gateway.swagger.json: every /v1 route with its error answers, served at
// /openapi.json.
//
//go:embed gateway.swagger.json
var JSON []byte
