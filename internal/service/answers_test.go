package service_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/corpus"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
)

// gatewayEnvelopes are answer messages that are the gateway's own wrapping of a part of
// Nango's answer (the SDK's return value), not an object Nango sends: they need no extra.
var gatewayEnvelopes = []protoreflect.FullName{
	"nango.gateway.v1.GetConnectionResponse",       // the connection
	"nango.gateway.v1.ImportConnectionResponse",    // the connection
	"nango.gateway.v1.WaitForConnectionResponse",   // one listed connection
	"nango.gateway.v1.GetTokenResponse",            // the SDK's getToken
	"nango.gateway.v1.OAuth1Token",                 // the SDK's getToken for OAUTH1
	"nango.gateway.v1.GetRawTokenResponseResponse", // credentials.raw
	"nango.gateway.v1.GetMetadataResponse",         // metadata
	"nango.gateway.v1.GetEnvironmentVariablesResponse",
	"nango.gateway.v1.TriggerActionResponse",
	"nango.gateway.v1.GetAsyncActionResultResponse",
	"nango.gateway.v1.TriggerActionAndWaitResponse", // the id Nango gave and the action's output
}

// composedRPCs make several calls to Nango, each decoded as the RPC named beside it
// decodes it, which has its own corpus cases.
var composedRPCs = map[string]string{
	"/nango.gateway.v1.ActionsService/TriggerActionAndWait": "TriggerActionAsync, then GetAsyncActionResult",
}

// Services whose answers are not decoded from Nango's JSON objects by these services:
// records and webhooks have their own owners, the proxy relays the provider's bytes.
var notDecodedServices = []string{"RecordsService", "WebhooksService", "ProxyService"}

func TestEveryAnswerObjectKeepsUnknownKeys(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || md.ParentFile().Package() != "nango.gateway.v1" || md.IsMapEntry() {
			return
		}
		seen[md.FullName()] = true
		if !slices.Contains(gatewayEnvelopes, md.FullName()) && !jsonvalue.HasExtra(md) {
			t.Errorf("%s has no google.protobuf.Struct extra: keys Nango adds would be lost", md.FullName())
		}
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			if fd.IsMap() {
				fd = fd.MapValue()
			}
			if fd.Message() != nil {
				walk(fd.Message())
			}
		}
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("nango.gateway.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			if slices.Contains(notDecodedServices, string(sd.Name())) {
				continue
			}
			for j := range sd.Methods().Len() {
				walk(sd.Methods().Get(j).Output())
			}
		}
		return true
	})
	if len(seen) < 30 {
		t.Fatalf("walked %d answer messages, expected every service's", len(seen))
	}
}

// openCredentials are the auth modes whose credentials are open objects: their other keys
// belong in extra. Every other mode's keys are typed.
var openCredentials = []string{"JWT", "TWO_STEP", "INSTALL_PLUGIN"}

func TestCorpusCredentialsOfEveryAuthModeAreTypedNotLeftInExtra(t *testing.T) {
	modes := map[string]bool{}
	for _, c := range corpus.Load(t) {
		if !strings.HasPrefix(c.Name, "connections-get/") || c.Response.Status != http.StatusOK {
			continue
		}
		var conn gatewayv1.ConnectionFull
		if err := jsonvalue.Decode(c.Response.Body, &conn); err != nil {
			continue // the shape cases
		}
		creds := conn.GetCredentials()
		modes[creds.GetType()] = true
		check := func(where string, cr *gatewayv1.ConnectionCredentials) {
			for k, v := range cr.GetExtra().GetFields() {
				switch {
				case slices.Contains(openCredentials, cr.GetType()):
				case strings.HasPrefix(k, "added"): // the corpus's keys no proto knows
				case k == "user" && v.GetKind() != nil && cr.GetType() == "CUSTOM":
					// a null user, which the typed field cannot hold
				default:
					t.Errorf("%s: %s credentials keep %q in extra; it should be typed", c.Name, where, k)
				}
			}
		}
		check(creds.GetType(), creds)
		check("app", creds.GetApp())
		check("user", creds.GetUser())
	}
	for _, m := range []string{"OAUTH2", "OAUTH2_CC", "OAUTH1", "APP", "CUSTOM", "API_KEY", "BASIC", "TBA", "BILL", "SIGNATURE", "AWS_SIGV4", "JWT", "TWO_STEP", "INSTALL_PLUGIN", ""} {
		if !modes[m] {
			t.Errorf("the corpus has no GetConnection case for credentials of type %q", m)
		}
	}
}

func TestCorpusHasACaseForEveryRPCThatDecodesNangosAnswer(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range corpus.Load(t) {
		covered[c.RPC] = true
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("nango.gateway.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			if slices.Contains(notDecodedServices, string(sd.Name())) {
				continue
			}
			for j := range sd.Methods().Len() {
				rpc := "/" + string(sd.FullName()) + "/" + string(sd.Methods().Get(j).Name())
				if !covered[rpc] && composedRPCs[rpc] == "" {
					t.Errorf("no corpus case for %s", rpc)
				}
			}
		}
		return true
	})
}
