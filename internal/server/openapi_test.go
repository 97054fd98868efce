package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nango-gateway/nango-gateway/gen/openapiv2"
)

// TestOpenAPIDocumentsTheV1MappingWithItsErrorAnswers checks what /openapi.json
// promises: a named, versioned document of the /v1 routes only (Nango's own paths are
// relayed and documented by Nango), each operation listing the error statuses it can
// answer in Nango's envelope.
func TestOpenAPIDocumentsTheV1MappingWithItsErrorAnswers(t *testing.T) {
	var doc struct {
		Info struct {
			Title   string `json:"title"`
			Version string `json:"version"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Schema struct {
					Ref string `json:"$ref"`
				} `json:"schema"`
			} `json:"responses"`
		} `json:"paths"`
		Definitions map[string]json.RawMessage `json:"definitions"`
	}
	if err := json.Unmarshal(openapiv2.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Title != "Nango gateway API" || doc.Info.Version != "v1" {
		t.Errorf("info = %+v, want the gateway's title and version v1", doc.Info)
	}
	if _, ok := doc.Definitions["v1ErrorResponse"]; !ok {
		t.Error("the error envelope is not defined")
	}
	if len(doc.Paths) == 0 {
		t.Fatal("no paths")
	}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			t.Errorf("%s is outside /v1/", path)
		}
		for method, op := range ops {
			for _, code := range []string{"200", "400", "404", "413", "429", "503", "504"} {
				r, ok := op.Responses[code]
				if !ok {
					t.Errorf("%s %s does not document %s", method, path, code)
					continue
				}
				if code != "200" && r.Schema.Ref != "#/definitions/v1ErrorResponse" {
					t.Errorf("%s %s %s answers %q, want the error envelope", method, path, code, r.Schema.Ref)
				}
			}
		}
	}
}
