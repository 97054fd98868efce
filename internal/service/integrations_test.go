package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

// Checks shared by the providers, integrations, environment and scripts tests.

// integWant is the request a test expects Nango to receive.
type integWant struct {
	method   string
	path     string // escaped
	rawQuery string
	// contentType is the Content-Type header; "" means the header must be absent.
	contentType string
	// body is the expected JSON body, compared as JSON; "" means no body.
	body string
}

// integCheckRequest compares what the simulator received with want.
func integCheckRequest(t *testing.T, got simulator.RecordedRequest, want integWant) {
	t.Helper()
	wantRoute(t, got, want.method, want.path, want.rawQuery)
	wantGatewayKey(t, got)
	if ct := got.Header.Get("Content-Type"); ct != want.contentType {
		t.Errorf("upstream Content-Type = %q, want %q", ct, want.contentType)
	}
	for _, name := range []string{"Nango-Is-Sync", "Nango-Is-Script", "Nango-Is-Dry-Run"} {
		if v := got.Header.Get(name); v != "" {
			t.Errorf("upstream header %s = %q, want it absent", name, v)
		}
	}
	if want.body == "" {
		if len(got.Body) != 0 {
			t.Errorf("upstream body = %s, want none", got.Body)
		}
		return
	}
	wantJSON(t, got.Body, want.body)
}

// integDirect is what the simulator itself answers to method target (see simDo); the
// answer must be 2xx. It records a request in the simulator too, so call it after reading
// lastRequest.
func integDirect(t *testing.T, h *harness, method, target string) []byte {
	t.Helper()
	code, body := simDo(t, h.sim, method, target, "")
	if code/100 != 2 {
		t.Fatalf("direct %s %s = %d %s", method, target, code, body)
	}
	return body
}

// integMatchesNango checks that every key and value of Nango's JSON comes out of the
// gateway's answer as the REST face prints it (proto names, unpopulated fields emitted):
// nothing dropped, no null turned into a default, no number turned into a string. field
// selects one field of got when Nango's body is that field alone (a bare array).
func integMatchesNango(t *testing.T, nango []byte, got proto.Message, field string) {
	t.Helper()
	b, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(got)
	if err != nil {
		t.Fatalf("marshal answer: %v", err)
	}
	var gotJSON, wantJSON any
	if err := json.Unmarshal(b, &gotJSON); err != nil {
		t.Fatal(err)
	}
	if field != "" {
		gotJSON = gotJSON.(map[string]any)[field]
	}
	if err := json.Unmarshal(nango, &wantJSON); err != nil {
		t.Fatalf("nango body is not JSON: %v", err)
	}
	for _, diff := range integSubsetDiff(wantJSON, gotJSON, "$") {
		t.Error(diff)
	}
}

// integCheckAnswer checks a successful call: Nango received want (the last request), and
// got carries everything Nango itself answers to GET direct (see integMatchesNango).
func integCheckAnswer(t *testing.T, h *harness, want integWant, got proto.Message, direct, field string) {
	t.Helper()
	integCheckRequest(t, h.lastRequest(t), want)
	integMatchesNango(t, integDirect(t, h, "GET", direct), got, field)
}

// integSubsetDiff lists where got lacks or changes a value of want (objects may carry more
// keys in got: the REST face prints unset optional fields as null).
func integSubsetDiff(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing from the answer (want %v)", path, k, wv))
				continue
			}
			out = append(out, integSubsetDiff(wv, gv, path+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, integSubsetDiff(w[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: got %#v, want %#v", path, got, want)}
		}
		return nil
	}
}

// integRPC is one gateway call with the upstream route it must reach.
type integRPC struct {
	name   string
	method string // upstream method
	path   string // upstream path (unescaped), the fault's prefix
	call   func(ctx context.Context, conn *grpc.ClientConn) error
}

// integRunFaults runs wantUpstreamErrors for each RPC, in a subtest named after it, on
// one seeded gateway.
func integRunFaults(t *testing.T, rpcs []integRPC) {
	t.Helper()
	h := newHarness(t, simulator.Options{Seed: true})
	for _, rpc := range rpcs {
		t.Run(rpc.name, func(t *testing.T) {
			wantUpstreamErrors(t, h, rpc.method, rpc.path, func(ctx context.Context) error { return rpc.call(ctx, h.conn) })
		})
	}
}

// integWrongKeyHarness is a gateway whose Nango key the simulator does not know.
func integWrongKeyHarness(t *testing.T) *harness {
	t.Helper()
	sim := simulator.New(simulator.Options{Seed: true, APIKey: testAPIKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: "not-the-key"})
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessWithDeps(t, sim, service.Deps{Upstream: up})
}

// integFunction is a deployed function as the simulator lists it.
type integFunction struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Source string `json:"source"`
}

// integFunctions lists the functions deployed on an integration, straight from the simulator.
func integFunctions(t *testing.T, h *harness, key string) []integFunction {
	t.Helper()
	var page struct {
		Data []integFunction `json:"data"`
	}
	if err := json.Unmarshal(integDirect(t, h, "GET", "/integrations/"+key+"/functions?limit=100"), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Data) == 0 {
		t.Fatalf("the seed deploys no function on %s", key)
	}
	return page.Data
}

// integJSONString is s as a JSON string literal.
func integJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const integTestPrivateKey = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----"

func TestIntegrationsListAndGet(t *testing.T) {
	tests := []struct {
		name    string
		call    func(context.Context, gatewayv1.IntegrationsServiceClient) (proto.Message, error)
		want    integWant
		direct  string // what to ask the simulator for the expected answer
		inspect func(t *testing.T, got proto.Message)
	}{
		{
			name: "ListIntegrations sends GET /integrations with an empty query and keeps Nango's data",
			call: func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) (proto.Message, error) {
				return c.ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
			},
			want:   integWant{method: "GET", path: "/integrations"},
			direct: "/integrations",
			inspect: func(t *testing.T, got proto.Message) {
				keys := map[string]bool{}
				for _, i := range got.(*gatewayv1.ListIntegrationsResponse).GetData() {
					keys[i.GetUniqueKey()] = true
				}
				for _, k := range []string{"github", "slack", "hubspot"} {
					if !keys[k] {
						t.Errorf("integration %s missing from %v", k, keys)
					}
				}
			},
		},
		{
			name: "GetIntegration without include sends no query",
			call: func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) (proto.Message, error) {
				return c.GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "github"})
			},
			want:   integWant{method: "GET", path: "/integrations/github", contentType: "application/json"},
			direct: "/integrations/github",
			inspect: func(t *testing.T, got proto.Message) {
				d := got.(*gatewayv1.GetIntegrationResponse).GetData()
				if d.GetUniqueKey() != "github" || d.GetProvider() != "github" {
					t.Errorf("data = %v, want the github integration", d)
				}
				if d.WebhookUrl != nil || d.Credentials != nil {
					t.Errorf("webhook_url/credentials present without include: %v", d)
				}
			},
		},
		{
			name: "GetIntegration sends every include value as its own parameter",
			call: func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) (proto.Message, error) {
				return c.GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "github", Include: []string{"webhook", "credentials"}})
			},
			want:   integWant{method: "GET", path: "/integrations/github", rawQuery: "include=webhook&include=credentials", contentType: "application/json"},
			direct: "/integrations/github?include=webhook&include=credentials",
			inspect: func(t *testing.T, got proto.Message) {
				d := got.(*gatewayv1.GetIntegrationResponse).GetData()
				if d.WebhookUrl == nil || d.Credentials == nil {
					t.Errorf("webhook_url and credentials must be present: %v", d)
				}
				if typ := d.GetCredentials().GetType(); typ != "OAUTH2" {
					t.Errorf("credentials.type = %q, want OAUTH2", typ)
				}
			},
		},
		{
			name: "GetIntegration with include=credentials alone",
			call: func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) (proto.Message, error) {
				return c.GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "slack", Include: []string{"credentials"}})
			},
			want:   integWant{method: "GET", path: "/integrations/slack", rawQuery: "include=credentials", contentType: "application/json"},
			direct: "/integrations/slack?include=credentials",
			inspect: func(t *testing.T, got proto.Message) {
				d := got.(*gatewayv1.GetIntegrationResponse).GetData()
				if d.WebhookUrl != nil || d.Credentials == nil {
					t.Errorf("want credentials and no webhook_url: %v", d)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
			got, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			integCheckAnswer(t, h, tt.want, got, tt.direct, "")
			tt.inspect(t, got)
		})
	}
}

func TestIntegrationsCreate(t *testing.T) {
	tests := []struct {
		name     string
		req      *gatewayv1.CreateIntegrationRequest
		wantBody string
		wantRaw  string // a fragment the raw body must hold byte for byte
	}{
		{
			name:     "only provider and unique_key are sent when nothing else is set",
			req:      &gatewayv1.CreateIntegrationRequest{Provider: "freshdesk", UniqueKey: "freshdesk-test"},
			wantBody: `{"provider":"freshdesk","unique_key":"freshdesk-test"}`,
		},
		{
			name: "OAuth credentials, display name, forward_webhooks false and integration_config are sent",
			req: &gatewayv1.CreateIntegrationRequest{
				Provider:        "github",
				UniqueKey:       "github-second",
				DisplayName:     proto.String("GitHub <second> & co"),
				ForwardWebhooks: proto.Bool(false),
				Credentials: &gatewayv1.IntegrationCredentials{
					Type:          "OAUTH2",
					ClientId:      proto.String("client-id-1"),
					ClientSecret:  proto.String("client-secret-1"),
					Scopes:        wrapperspb.String("repo,user"),
					WebhookSecret: wrapperspb.String("hook-secret"),
				},
				IntegrationConfig: map[string]string{"region": "eu"},
			},
			wantBody: `{"provider":"github","unique_key":"github-second","display_name":"GitHub <second> & co","forward_webhooks":false,
				"credentials":{"type":"OAUTH2","client_id":"client-id-1","client_secret":"client-secret-1","scopes":"repo,user","webhook_secret":"hook-secret"},
				"integration_config":{"region":"eu"}}`,
			wantRaw: `"display_name":"GitHub <second> & co"`,
		},
		{
			name: "app credentials keep the private key's newlines",
			req: &gatewayv1.CreateIntegrationRequest{
				Provider:  "github-app",
				UniqueKey: "my app~1",
				Credentials: &gatewayv1.IntegrationCredentials{
					Type:       "APP",
					AppId:      proto.String("12345"),
					AppLink:    proto.String("my-app"),
					PrivateKey: proto.String(integTestPrivateKey),
				},
			},
			wantBody: `{"provider":"github-app","unique_key":"my app~1",
				"credentials":{"type":"APP","app_id":"12345","app_link":"my-app","private_key":` + integJSONString(integTestPrivateKey) + `}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
			got, err := c.CreateIntegration(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("CreateIntegration: %v", err)
			}
			last := h.lastRequest(t)
			integCheckRequest(t, last, integWant{method: "POST", path: "/integrations", contentType: "application/json", body: tt.wantBody})
			if !bytes.Contains(last.Body, []byte(tt.wantRaw)) {
				t.Errorf("body %s does not hold %s as JSON.stringify writes it", last.Body, tt.wantRaw)
			}
			if got.GetData().GetUniqueKey() != tt.req.GetUniqueKey() || got.GetData().GetProvider() != tt.req.GetProvider() {
				t.Errorf("data = %v", got.GetData())
			}
			// The created integration is what Nango now holds; the key is escaped in the path.
			stored := integDirect(t, h, "GET", "/integrations/"+strings.ReplaceAll(tt.req.GetUniqueKey(), " ", "%20"))
			integMatchesNango(t, stored, got, "")
		})
	}
}

// A key with a space reaches Nango escaped, and the integration created under it is found.
func TestIntegrationsGetEscapesTheKey(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	if _, err := c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{Provider: "freshdesk", UniqueKey: "help desk~1"}); err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	got, err := c.GetIntegration(context.Background(), &gatewayv1.GetIntegrationRequest{UniqueKey: "help desk~1"})
	if err != nil {
		t.Fatalf("GetIntegration: %v", err)
	}
	integCheckRequest(t, h.lastRequest(t), integWant{method: "GET", path: "/integrations/help%20desk~1", contentType: "application/json"})
	if got.GetData().GetUniqueKey() != "help desk~1" {
		t.Errorf("unique_key = %q", got.GetData().GetUniqueKey())
	}
}

// custom is part of the SDK's createIntegration body; the simulator refuses it on create, so
// the answer here is canned and only the body is under test.
func TestIntegrationsCreateSendsCustom(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true})
	canned := `{"data":{"unique_key":"aws","provider":"aws","display_name":"AWS","logo":"l","forward_webhooks":true,"created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}}`
	h.sim.InjectFault(simulator.Fault{Method: "POST", PathPrefix: "/integrations", Status: http.StatusOK, Body: []byte(canned)})
	c := gatewayv1.NewIntegrationsServiceClient(h.conn)
	got, err := c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{
		Provider: "aws", UniqueKey: "aws", Custom: map[string]string{"aws_sigv4_config": "{}"},
	})
	if err != nil {
		t.Fatalf("CreateIntegration: %v", err)
	}
	integCheckRequest(t, h.lastRequest(t), integWant{method: "POST", path: "/integrations", contentType: "application/json",
		body: `{"provider":"aws","unique_key":"aws","custom":{"aws_sigv4_config":"{}"}}`})
	integMatchesNango(t, []byte(canned), got, "")
}

func TestIntegrationsCreateQuickstart(t *testing.T) {
	tests := []struct {
		name     string
		req      *gatewayv1.CreateQuickstartIntegrationRequest
		wantBody string
	}{
		{
			name:     "provider and unique_key only",
			req:      &gatewayv1.CreateQuickstartIntegrationRequest{Provider: "slack", UniqueKey: "slack-quick"},
			wantBody: `{"provider":"slack","unique_key":"slack-quick"}`,
		},
		{
			name:     "display name and forward_webhooks true",
			req:      &gatewayv1.CreateQuickstartIntegrationRequest{Provider: "hubspot", UniqueKey: "hubspot-quick", DisplayName: proto.String("HS"), ForwardWebhooks: proto.Bool(true)},
			wantBody: `{"provider":"hubspot","unique_key":"hubspot-quick","display_name":"HS","forward_webhooks":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
			got, err := c.CreateQuickstartIntegration(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("CreateQuickstartIntegration: %v", err)
			}
			integCheckAnswer(t, h, integWant{method: "POST", path: "/integrations/quickstart", contentType: "application/json", body: tt.wantBody}, got, "/integrations/"+tt.req.GetUniqueKey(), "")
		})
	}
}

func TestIntegrationsUpdate(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		patch    *gatewayv1.IntegrationPatch
		wantBody string
		newKey   string // where the integration is found afterwards
		check    func(t *testing.T, got *gatewayv1.Integration)
	}{
		{
			name:     "an empty patch sends an empty object",
			key:      "github",
			patch:    &gatewayv1.IntegrationPatch{},
			wantBody: `{}`,
			newKey:   "github",
		},
		{
			name: "only the given keys are sent, false included",
			key:  "github",
			patch: &gatewayv1.IntegrationPatch{
				DisplayName:       proto.String("GitHub (prod)"),
				ForwardWebhooks:   proto.Bool(false),
				IntegrationConfig: map[string]string{"a": "b"},
				Custom:            map[string]string{"c": "d"},
			},
			wantBody: `{"display_name":"GitHub (prod)","forward_webhooks":false,"integration_config":{"a":"b"},"custom":{"c":"d"}}`,
			newKey:   "github",
			check: func(t *testing.T, got *gatewayv1.Integration) {
				if got.GetDisplayName() != "GitHub (prod)" || got.GetForwardWebhooks() {
					t.Errorf("data = %v, want the new display name and forward_webhooks false", got)
				}
			},
		},
		{
			name: "credentials travel with scopes as a plain string and no unset keys",
			key:  "github",
			patch: &gatewayv1.IntegrationPatch{Credentials: &gatewayv1.IntegrationCredentials{
				Type: "OAUTH2", ClientId: proto.String("new-id"), ClientSecret: proto.String("new-secret"), Scopes: wrapperspb.String("repo"),
			}},
			wantBody: `{"credentials":{"type":"OAUTH2","client_id":"new-id","client_secret":"new-secret","scopes":"repo"}}`,
			newKey:   "github",
		},
		{
			name:     "unique_key in the patch renames the integration",
			key:      "freshdesk-old",
			patch:    &gatewayv1.IntegrationPatch{UniqueKey: proto.String("freshdesk-new")},
			wantBody: `{"unique_key":"freshdesk-new"}`,
			newKey:   "freshdesk-new",
			check: func(t *testing.T, got *gatewayv1.Integration) {
				if got.GetUniqueKey() != "freshdesk-new" {
					t.Errorf("unique_key = %q, want freshdesk-new", got.GetUniqueKey())
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
			if tt.key == "freshdesk-old" {
				// An integration without connections can be renamed.
				if _, err := c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{Provider: "freshdesk", UniqueKey: tt.key}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := c.UpdateIntegration(context.Background(), &gatewayv1.UpdateIntegrationRequest{UniqueKey: tt.key, Patch: tt.patch})
			if err != nil {
				t.Fatalf("UpdateIntegration: %v", err)
			}
			integCheckAnswer(t, h, integWant{method: "PATCH", path: "/integrations/" + tt.key, contentType: "application/json", body: tt.wantBody}, got, "/integrations/"+tt.newKey, "")
			if tt.check != nil {
				tt.check(t, got.GetData())
			}
		})
	}
}

func TestIntegrationsDelete(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	got, err := c.DeleteIntegration(context.Background(), &gatewayv1.DeleteIntegrationRequest{UniqueKey: "hubspot"})
	if err != nil {
		t.Fatalf("DeleteIntegration: %v", err)
	}
	integCheckRequest(t, h.lastRequest(t), integWant{method: "DELETE", path: "/integrations/hubspot"})
	if !got.GetSuccess() {
		t.Errorf("success = false, want true")
	}
	if st, _ := simDo(t, h.sim, "GET", "/integrations/hubspot", ""); st != http.StatusNotFound {
		t.Errorf("after delete, GET /integrations/hubspot = %d, want 404", st)
	}

	// Deleting it again is Nango's 404.
	_, err = c.DeleteIntegration(context.Background(), &gatewayv1.DeleteIntegrationRequest{UniqueKey: "hubspot"})
	wantUpstreamError(t, err, codes.NotFound, "not_found", http.StatusNotFound)
}

func TestIntegrationsListFunctions(t *testing.T) {
	tests := []struct {
		name     string
		req      *gatewayv1.ListFunctionsRequest
		rawQuery string
	}{
		{"no parameters sends an empty query", &gatewayv1.ListFunctionsRequest{UniqueKey: "github"}, ""},
		{"type filter", &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Type: proto.String("sync")}, "type=sync"},
		{"on-event type", &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Type: proto.String("on-event")}, "type=on-event"},
		{"every parameter, page 0 sent because it was set",
			&gatewayv1.ListFunctionsRequest{UniqueKey: "github", Type: proto.String("action"), Search: proto.String("create issue"), Page: proto.Int32(0), Limit: proto.Int32(5)},
			"limit=5&page=0&search=create+issue&type=action"},
		{"second page of one", &gatewayv1.ListFunctionsRequest{UniqueKey: "slack", Page: proto.Int32(1), Limit: proto.Int32(1)}, "limit=1&page=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
			got, err := c.ListFunctions(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("ListFunctions: %v", err)
			}
			path := "/integrations/" + tt.req.GetUniqueKey() + "/functions"
			integCheckRequest(t, h.lastRequest(t), integWant{method: "GET", path: path, rawQuery: tt.rawQuery, contentType: "application/json"})
			target := path
			if tt.rawQuery != "" {
				target += "?" + tt.rawQuery
			}
			integMatchesNango(t, integDirect(t, h, "GET", target), got, "")
			if got.GetPagination() == nil {
				t.Error("pagination missing")
			}
			if tt.req.Limit != nil && got.GetPagination().GetLimit() != tt.req.GetLimit() {
				t.Errorf("pagination.limit = %d, want %d", got.GetPagination().GetLimit(), tt.req.GetLimit())
			}
		})
	}
}

func TestIntegrationsGetFunctionAndCode(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	for _, f := range integFunctions(t, h, "github") {
		t.Run(f.Type+"/"+f.Name, func(t *testing.T) {
			path := "/integrations/github/functions/" + f.Name

			h.sim.ResetRequests()
			fn, err := c.GetFunction(context.Background(), &gatewayv1.GetFunctionRequest{UniqueKey: "github", Name: f.Name, Type: proto.String(f.Type)})
			if err != nil {
				t.Fatalf("GetFunction: %v", err)
			}
			integCheckAnswer(t, h, integWant{method: "GET", path: path, rawQuery: "type=" + f.Type, contentType: "application/json"}, fn, path+"?type="+f.Type, "")
			if fn.GetData().GetName() != f.Name || fn.GetData().GetType() != f.Type {
				t.Errorf("data = %v, want %s %s", fn.GetData(), f.Type, f.Name)
			}

			h.sim.ResetRequests()
			code, err := c.GetFunctionCode(context.Background(), &gatewayv1.GetFunctionCodeRequest{UniqueKey: "github", Name: f.Name, Type: proto.String(f.Type)})
			if err != nil {
				t.Fatalf("GetFunctionCode: %v", err)
			}
			integCheckAnswer(t, h, integWant{method: "GET", path: path + "/code", rawQuery: "type=" + f.Type, contentType: "application/json"}, code, path+"/code?type="+f.Type, "")
			if code.GetType() != f.Type || code.GetCode() == "" {
				t.Errorf("answer = %v, want %s code", code, f.Type)
			}
		})
	}
}

// Without a type, GetFunction and GetFunctionCode send no query.
func TestIntegrationsFunctionWithoutTypeSendsNoQuery(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	// A name used by a single function, so the code lookup is not ambiguous.
	count := map[string]int{}
	fns := integFunctions(t, h, "github")
	for _, f := range fns {
		count[f.Name]++
	}
	name := ""
	for _, f := range fns {
		if count[f.Name] == 1 {
			name = f.Name
			break
		}
	}
	if name == "" {
		t.Fatal("every github function name is shared")
	}
	path := "/integrations/github/functions/" + name

	h.sim.ResetRequests()
	if _, err := c.GetFunction(context.Background(), &gatewayv1.GetFunctionRequest{UniqueKey: "github", Name: name}); err != nil {
		t.Fatalf("GetFunction: %v", err)
	}
	integCheckRequest(t, h.lastRequest(t), integWant{method: "GET", path: path, contentType: "application/json"})

	h.sim.ResetRequests()
	if _, err := c.GetFunctionCode(context.Background(), &gatewayv1.GetFunctionCodeRequest{UniqueKey: "github", Name: name}); err != nil {
		t.Fatalf("GetFunctionCode: %v", err)
	}
	integCheckRequest(t, h.lastRequest(t), integWant{method: "GET", path: path + "/code", contentType: "application/json"})
}

// A sync and an action sharing a name make Nango answer 409 ambiguous_function without a
// type; the gateway keeps the code and Nango's payload with the matches.
func TestIntegrationsGetFunctionCodeAmbiguous(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	key, name := "", ""
	for _, k := range []string{"github", "slack", "hubspot"} {
		seen := map[string]int{}
		for _, f := range integFunctions(t, h, k) {
			seen[f.Name]++
			if seen[f.Name] > 1 && name == "" {
				key, name = k, f.Name
			}
		}
	}
	if name == "" {
		t.Fatal("the seed deploys no sync and action sharing a name")
	}
	h.sim.ResetRequests()
	_, err := c.GetFunctionCode(context.Background(), &gatewayv1.GetFunctionCodeRequest{UniqueKey: key, Name: name})
	wantUpstreamError(t, err, codes.AlreadyExists, "ambiguous_function", http.StatusConflict)
	integCheckRequest(t, h.lastRequest(t), integWant{method: "GET", path: "/integrations/" + key + "/functions/" + name + "/code", contentType: "application/json"})
	ei, _ := nangohttp.ErrorInfoFrom(err)
	if up := ei.GetMetadata()[nangohttp.MetadataUpstreamError]; !strings.Contains(up, `"matches"`) {
		t.Errorf("upstream_error = %s, want Nango's payload with the matches", up)
	}
}

func TestIntegrationsDeleteFunction(t *testing.T) {
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	type target struct {
		key string
		fn  integFunction
	}
	var deletable, managed *target
	for _, k := range []string{"github", "slack", "hubspot"} {
		for _, f := range integFunctions(t, h, k) {
			if f.Type != "sync" && f.Type != "action" {
				continue
			}
			if f.Source == "repo" && managed == nil {
				managed = &target{k, f}
			}
			if f.Source != "repo" && deletable == nil {
				deletable = &target{k, f}
			}
		}
	}

	t.Run("a function deployed outside a repo is deleted", func(t *testing.T) {
		if deletable == nil {
			t.Fatal("the seed deploys no sync or action outside a repo")
		}
		path := "/integrations/" + deletable.key + "/functions/" + deletable.fn.Name
		h.sim.ResetRequests()
		got, err := c.DeleteFunction(context.Background(), &gatewayv1.DeleteFunctionRequest{UniqueKey: deletable.key, Name: deletable.fn.Name, Type: deletable.fn.Type})
		if err != nil {
			t.Fatalf("DeleteFunction: %v", err)
		}
		integCheckRequest(t, h.lastRequest(t), integWant{method: "DELETE", path: path, rawQuery: "type=" + deletable.fn.Type, contentType: "application/json"})
		if !got.GetData().GetSuccess() {
			t.Errorf("data.success = false")
		}
		if st, _ := simDo(t, h.sim, "GET", path+"?type="+deletable.fn.Type, ""); st != http.StatusNotFound {
			t.Errorf("after delete, GET %s = %d, want 404", path, st)
		}
	})
	t.Run("a repo function is Nango's 400 function_managed_by_deploy", func(t *testing.T) {
		if managed == nil {
			t.Skip("the seed deploys no function from a repo")
		}
		h.sim.ResetRequests()
		_, err := c.DeleteFunction(context.Background(), &gatewayv1.DeleteFunctionRequest{UniqueKey: managed.key, Name: managed.fn.Name, Type: managed.fn.Type})
		wantUpstreamError(t, err, codes.InvalidArgument, "function_managed_by_deploy", http.StatusBadRequest)
	})
}

func TestIntegrationsInvalidRequestsNeverReachNango(t *testing.T) {
	long := strings.Repeat("x", 8193)
	tests := []struct {
		name  string
		field string
		call  func(context.Context, gatewayv1.IntegrationsServiceClient) error
	}{
		{"GetIntegration key with a slash", "unique_key", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "git/hub"})
			return err
		}},
		{"GetIntegration unknown include", "include", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "github", Include: []string{"everything"}})
			return err
		}},
		{"CreateIntegration key with a question mark", "unique_key", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "what?"})
			return err
		}},
		{"CreateIntegration without provider", "provider", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{UniqueKey: "x"})
			return err
		}},
		{"CreateIntegration unknown credentials type", "credentials.type", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "x",
				Credentials: &gatewayv1.IntegrationCredentials{Type: "PASSWORD", ClientSecret: proto.String("s3cr3t")}})
			return err
		}},
		{"CreateIntegration integration_config value too long", "integration_config", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "x", IntegrationConfig: map[string]string{"k": long}})
			return err
		}},
		{"CreateQuickstartIntegration empty display name", "display_name", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.CreateQuickstartIntegration(ctx, &gatewayv1.CreateQuickstartIntegrationRequest{Provider: "slack", UniqueKey: "x", DisplayName: proto.String("")})
			return err
		}},
		{"UpdateIntegration without patch", "patch", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.UpdateIntegration(ctx, &gatewayv1.UpdateIntegrationRequest{UniqueKey: "github"})
			return err
		}},
		{"UpdateIntegration renaming to a bad key", "patch.unique_key", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.UpdateIntegration(ctx, &gatewayv1.UpdateIntegrationRequest{UniqueKey: "github", Patch: &gatewayv1.IntegrationPatch{UniqueKey: proto.String("a#b")}})
			return err
		}},
		{"DeleteIntegration empty key", "unique_key", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.DeleteIntegration(ctx, &gatewayv1.DeleteIntegrationRequest{})
			return err
		}},
		{"ListFunctions limit 0", "limit", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Limit: proto.Int32(0)})
			return err
		}},
		{"ListFunctions limit 101", "limit", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Limit: proto.Int32(101)})
			return err
		}},
		{"ListFunctions negative page", "page", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Page: proto.Int32(-1)})
			return err
		}},
		{"ListFunctions unknown type", "type", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Type: proto.String("webhook")})
			return err
		}},
		{"ListFunctions empty search", "search", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github", Search: proto.String("")})
			return err
		}},
		{"GetFunction name with a space", "name", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.GetFunction(ctx, &gatewayv1.GetFunctionRequest{UniqueKey: "github", Name: "my issues"})
			return err
		}},
		{"GetFunctionCode unknown type", "type", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.GetFunctionCode(ctx, &gatewayv1.GetFunctionCodeRequest{UniqueKey: "github", Name: "issues", Type: proto.String("cron")})
			return err
		}},
		{"DeleteFunction without type", "type", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.DeleteFunction(ctx, &gatewayv1.DeleteFunctionRequest{UniqueKey: "github", Name: "issues"})
			return err
		}},
		{"DeleteFunction of an on-event script", "type", func(ctx context.Context, c gatewayv1.IntegrationsServiceClient) error {
			_, err := c.DeleteFunction(ctx, &gatewayv1.DeleteFunctionRequest{UniqueKey: "github", Name: "issues", Type: "on-event"})
			return err
		}},
	}
	h, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.sim.ResetRequests()
			err := tt.call(context.Background(), c)
			wantViolation(t, h, err, tt.field)
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error repeats a credential: %v", err)
			}
		})
	}
}

// Nango's own refusals, unprovoked by faults, keep their status and code.
func TestIntegrationsNangoErrors(t *testing.T) {
	_, c := seededClient(t, gatewayv1.NewIntegrationsServiceClient)

	_, err := c.GetIntegration(context.Background(), &gatewayv1.GetIntegrationRequest{UniqueKey: "does-not-exist"})
	wantUpstreamError(t, err, codes.NotFound, "not_found", http.StatusNotFound)

	// An OAuth provider needs the caller's app credentials.
	_, err = c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "github-nocreds"})
	wantUpstreamError(t, err, codes.InvalidArgument, "invalid_body", http.StatusBadRequest)

	_, err = c.ListFunctions(context.Background(), &gatewayv1.ListFunctionsRequest{UniqueKey: "does-not-exist"})
	wantUpstreamError(t, err, codes.NotFound, "not_found", http.StatusNotFound)

	_, err = c.GetFunction(context.Background(), &gatewayv1.GetFunctionRequest{UniqueKey: "github", Name: "no-such-function"})
	wantUpstreamError(t, err, codes.NotFound, "not_found", http.StatusNotFound)
}

func TestIntegrationsWrongKeyIsUnauthenticated(t *testing.T) {
	h := integWrongKeyHarness(t)
	c := gatewayv1.NewIntegrationsServiceClient(h.conn)
	_, err := c.ListIntegrations(context.Background(), &gatewayv1.ListIntegrationsRequest{})
	wantUpstreamError(t, err, codes.Unauthenticated, "unknown_account", http.StatusUnauthorized)
	if strings.Contains(err.Error(), "not-the-key") {
		t.Errorf("the error repeats the key: %v", err)
	}
}

func TestIntegrationsUpstreamErrorsAreMapped(t *testing.T) {
	integRunFaults(t, integrationsRPCs)
}

var integrationsRPCs = []integRPC{
	{"ListIntegrations", "GET", "/integrations", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).ListIntegrations(ctx, &gatewayv1.ListIntegrationsRequest{})
		return err
	}},
	{"GetIntegration", "GET", "/integrations/github", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).GetIntegration(ctx, &gatewayv1.GetIntegrationRequest{UniqueKey: "github"})
		return err
	}},
	{"CreateIntegration", "POST", "/integrations", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).CreateIntegration(ctx, &gatewayv1.CreateIntegrationRequest{Provider: "freshdesk", UniqueKey: "fd"})
		return err
	}},
	{"CreateQuickstartIntegration", "POST", "/integrations/quickstart", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).CreateQuickstartIntegration(ctx, &gatewayv1.CreateQuickstartIntegrationRequest{Provider: "slack", UniqueKey: "sq"})
		return err
	}},
	{"UpdateIntegration", "PATCH", "/integrations/github", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).UpdateIntegration(ctx, &gatewayv1.UpdateIntegrationRequest{UniqueKey: "github", Patch: &gatewayv1.IntegrationPatch{DisplayName: proto.String("x")}})
		return err
	}},
	{"DeleteIntegration", "DELETE", "/integrations/github", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).DeleteIntegration(ctx, &gatewayv1.DeleteIntegrationRequest{UniqueKey: "github"})
		return err
	}},
	{"ListFunctions", "GET", "/integrations/github/functions", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).ListFunctions(ctx, &gatewayv1.ListFunctionsRequest{UniqueKey: "github"})
		return err
	}},
	{"GetFunction", "GET", "/integrations/github/functions/issues", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).GetFunction(ctx, &gatewayv1.GetFunctionRequest{UniqueKey: "github", Name: "issues"})
		return err
	}},
	{"GetFunctionCode", "GET", "/integrations/github/functions/issues/code", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).GetFunctionCode(ctx, &gatewayv1.GetFunctionCodeRequest{UniqueKey: "github", Name: "issues"})
		return err
	}},
	{"DeleteFunction", "DELETE", "/integrations/github/functions/issues", func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := gatewayv1.NewIntegrationsServiceClient(conn).DeleteFunction(ctx, &gatewayv1.DeleteFunctionRequest{UniqueKey: "github", Name: "issues", Type: "sync"})
		return err
	}},
}

// App credentials are secrets: neither the service's log nor an error carries them, whether
// Nango accepts or fails the call.
func TestIntegrationsCredentialsStayOutOfLogsAndErrors(t *testing.T) {
	var logs bytes.Buffer
	sim := simulator.New(simulator.Options{Seed: true, APIKey: testAPIKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newHarnessWithDeps(t, sim, service.Deps{Upstream: up, Logger: logger})
	c := gatewayv1.NewIntegrationsServiceClient(h.conn)

	const secret = "very-secret-client-secret"
	creds := &gatewayv1.IntegrationCredentials{Type: "OAUTH2", ClientId: proto.String("id"), ClientSecret: proto.String(secret)}
	var errs []error
	_, err = c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{Provider: "github", UniqueKey: "gh-secret", Credentials: creds})
	errs = append(errs, err)
	_, err = c.CreateIntegration(context.Background(), &gatewayv1.CreateIntegrationRequest{Provider: "slack", UniqueKey: "gh-secret", Credentials: creds})
	errs = append(errs, err) // Nango refuses: OAUTH2 credentials, key taken
	h.sim.InjectFault(simulator.Fault{Method: "PATCH", Status: http.StatusInternalServerError, Times: 100})
	_, err = c.UpdateIntegration(context.Background(), &gatewayv1.UpdateIntegrationRequest{UniqueKey: "gh-secret", Patch: &gatewayv1.IntegrationPatch{Credentials: creds}})
	errs = append(errs, err)
	h.sim.ClearFaults()

	if errs[0] != nil {
		t.Fatalf("CreateIntegration: %v", errs[0])
	}
	if errs[1] == nil || errs[2] == nil {
		t.Fatalf("want the second create and the faulty update to fail, got %v, %v", errs[1], errs[2])
	}
	for _, e := range errs[1:] {
		st, _ := status.FromError(e)
		text := st.Message()
		for _, d := range st.Details() {
			if ei, ok := d.(*errdetails.ErrorInfo); ok {
				text += fmt.Sprint(ei.GetMetadata())
			}
		}
		if strings.Contains(text, secret) {
			t.Errorf("error carries the client secret: %s", text)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the log carries the client secret")
	}
}
