package gateway

import (
	"github.com/nango-gateway/nango-gateway/internal/access"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
)

func TestRelayNamesEachNangoRouteAfterTheRPCThatDoesTheSame(t *testing.T) {
	tests := []struct {
		method, path string
		header       http.Header
		want         string
	}{
		{"GET", "/providers", nil, "nango.gateway.v1.ProvidersService/ListProviders"},
		{"GET", "/providers/github/templates", nil, "nango.gateway.v1.ProvidersService/GetProviderTemplates"},
		{"PATCH", "/connections/metadata", nil, "nango.gateway.v1.MetadataService/UpdateMetadata"},
		{"PATCH", "/connections/conn-1", nil, "nango.gateway.v1.ConnectionsService/PatchConnection"},
		{"POST", "/connections", nil, "nango.gateway.v1.ConnectionsService/ImportConnection"},
		{"GET", "/connection/conn-1", nil, "nango.gateway.v1.ConnectionsService/GetConnection"},
		{"GET", "/records/", nil, "nango.gateway.v1.RecordsService/ListRecords"},
		{"POST", "/action/trigger", nil, "nango.gateway.v1.ActionsService/TriggerAction"},
		{"POST", "/action/trigger", http.Header{"X-Async": {"true"}}, "nango.gateway.v1.ActionsService/TriggerActionAsync"},
		{"GET", "/integrations/github/functions/issues/code", nil, "nango.gateway.v1.IntegrationsService/GetFunctionCode"},
		{"PROPFIND", "/proxy/dav/a", nil, "nango.gateway.v1.ProxyService/Proxy"},
		{"GET", "/proxy", nil, "nango.gateway.v1.ProxyService/Proxy"},
		{"GET", "/integrations//functions", nil, "relay/GET /integrations//functions"},
		{"PUT", "/integrations", nil, "relay/PUT /integrations"},
		{"GET", "/some/new/route", nil, "relay/GET /some/new/route"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if tt.header == nil {
				tt.header = http.Header{}
			}
			if got := routeName(tt.method, tt.path, tt.header); got != tt.want {
				t.Errorf("routeName = %q, want %q", got, tt.want)
			}
		})
	}
}

// gatewayOnlyRPCs do what Nango has no route for; every other RPC must name a Nango route,
// or the allowlist could not govern the same call on both faces.
var gatewayOnlyRPCs = map[string]bool{
	"nango.gateway.v1.ConnectionsService/GetToken":            true, // GET /connections/{id}, named GetConnection
	"nango.gateway.v1.ConnectionsService/GetRawTokenResponse": true,
	"nango.gateway.v1.ConnectionsService/WaitForConnection":   true,
	"nango.gateway.v1.MetadataService/GetMetadata":            true,
	"nango.gateway.v1.RecordsService/StreamRecords":           true,
	"nango.gateway.v1.RecordsService/WatchRecords":            true,
	"nango.gateway.v1.WebhooksService/StreamWebhookEvents":    true,
	"nango.gateway.v1.WebhooksService/VerifyWebhookSignature": true,
	"nango.gateway.v1.ActionsService/TriggerActionAndWait":    true,
	"nango.gateway.v1.ActionsService/TriggerActionAsync":      true, // POST /action/trigger with X-Async
}

func TestEveryRPCThatMirrorsANangoRouteIsInTheRelayTable(t *testing.T) {
	named := map[string]bool{"nango.gateway.v1.ActionsService/TriggerActionAsync": true}
	for _, r := range nangoRoutes {
		named[r.rpc] = true
	}
	seen := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("nango.gateway.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := 0; i < fd.Services().Len(); i++ {
			sd := fd.Services().Get(i)
			for j := 0; j < sd.Methods().Len(); j++ {
				md := sd.Methods().Get(j)
				full := string(sd.FullName()) + "/" + string(md.Name())
				seen++
				if rule, ok := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule); ok && rule == nil && full != "nango.gateway.v1.ProxyService/Proxy" {
					t.Errorf("%s has no /v1 mapping", full)
				}
				if !named[full] && !gatewayOnlyRPCs[full] {
					t.Errorf("%s names no Nango route in nangoRoutes", full)
				}
			}
		}
		return true
	})
	if seen < 40 {
		t.Fatalf("found %d RPCs; the generated descriptors were not registered", seen)
	}
}

// FuzzRouteName: every request the relay may see gets a name, and only two kinds: an RPC
// of the gateway's API, or the relay name of exactly that method and path, so the
// allowlist never meets a name it cannot govern.
func FuzzRouteName(f *testing.F) {
	for _, s := range [][2]string{{"GET", "/connections/x"}, {"PATCH", "/connections/metadata"}, {"POST", "/action/trigger"}, {"PROPFIND", "/proxy/a/b"}, {"GET", "//"}, {"GET", "/some/new/route"}} {
		f.Add(s[0], s[1], "")
	}
	f.Add("POST", "/action/trigger", "true")
	f.Fuzz(func(t *testing.T, method, path, async string) {
		h := http.Header{}
		if async != "" {
			h.Set("X-Async", async)
		}
		name := routeName(method, path, h)
		if name == access.RelayPrefix+method+" "+path {
			return
		}
		if !strings.HasPrefix(name, "nango.gateway.v1.") || !strings.Contains(name, "Service/") {
			t.Fatalf("routeName(%q, %q) = %q: neither an RPC nor the relay name", method, path, name)
		}
	})
}
