package service_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/corpus"
	"github.com/nango-gateway/nango-gateway/internal/jsonvalue"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/service"
)

// projection says which part of Nango's answer an RPC's answer stands for, where it is not
// the whole answer message: answer is the part of the gRPC answer (as JSON), nango the
// part of Nango's body it must equal (for the RPC's request in).
type projection struct {
	answer func(m proto.Message) (any, error)
	nango  func(in proto.Message, body any) any
}

// field is the JSON of one field of an answer message.
func field(name string) func(m proto.Message) (any, error) {
	return func(m proto.Message) (any, error) {
		r := m.ProtoReflect()
		fd := r.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd.IsList() {
			list := r.Get(fd).List()
			out := make([]any, 0, list.Len())
			for i := range list.Len() {
				v, err := jsonvalue.ToJSON(list.Get(i).Message().Interface())
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
		if !r.Has(fd) {
			return nil, nil
		}
		return jsonvalue.ToJSON(r.Get(fd).Message().Interface())
	}
}

// at is the value at a path of keys in Nango's body.
func at(keys ...string) func(in proto.Message, body any) any {
	return func(_ proto.Message, body any) any {
		for _, k := range keys {
			obj, _ := body.(map[string]any)
			body = obj[k]
		}
		return body
	}
}

func whole(_ proto.Message, body any) any { return body }

// projections are the RPCs whose answer is a part of Nango's, as the SDK's method returns it.
var projections = map[string]projection{
	"GetConnection":           {field("connection"), whole},
	"ImportConnection":        {field("connection"), whole},
	"GetRawTokenResponse":     {field("raw"), at("credentials", "raw")},
	"GetMetadata":             {field("metadata"), at("metadata")},
	"GetEnvironmentVariables": {field("variables"), whole},
	"TriggerAction":           {field("output"), whole},
	"GetAsyncActionResult":    {field("output"), whole},
	"GetToken":                {tokenAnswer, sdkToken},
	"GetScriptsConfig":        {scriptsAnswer, whole},
	"WaitForConnection":       {field("connection"), waitedConnection},
}

// waitedConnection is the first listed connection of the awaited integration, as the
// SDK's waitForConnection returns it.
func waitedConnection(in proto.Message, body any) any {
	list, _ := at("connections")(in, body).([]any)
	for _, c := range list {
		if obj, _ := c.(map[string]any); obj["provider_config_key"] == in.(*gatewayv1.WaitForConnectionRequest).GetIntegrationKey() {
			return obj
		}
	}
	return nil
}

// tokenAnswer is GetToken's oneof as the SDK's getToken returns it.
func tokenAnswer(m proto.Message) (any, error) {
	r := m.(*gatewayv1.GetTokenResponse)
	switch t := r.GetToken().(type) {
	case *gatewayv1.GetTokenResponse_AccessToken:
		return t.AccessToken, nil
	case *gatewayv1.GetTokenResponse_Oauth1:
		return jsonvalue.ToJSON(t.Oauth1)
	}
	return jsonvalue.ToJSON(r.GetCredentials())
}

// sdkToken is what the SDK's getToken makes of the connection Nango answered.
func sdkToken(in proto.Message, body any) any {
	creds, _ := at("credentials")(in, body).(map[string]any)
	switch creds["type"] {
	case "OAUTH2":
		return creds["access_token"]
	case "OAUTH1":
		return map[string]any{"oAuthToken": creds["oauth_token"], "oAuthTokenSecret": creds["oauth_token_secret"]}
	}
	return creds
}

// scriptsAnswer is configs when Nango answered the array form, else the {data} object.
func scriptsAnswer(m proto.Message) (any, error) {
	r := m.(*gatewayv1.GetScriptsConfigResponse)
	if len(r.GetData()) == 0 && r.GetExtra() == nil {
		return field("configs")(m)
	}
	v, err := jsonvalue.ToJSON(r)
	if obj, ok := v.(map[string]any); ok {
		delete(obj, "configs")
	}
	return v, err
}

// TestCorpusEveryKeyAndNullOfNangosAnswerReachesGRPC replays every corpus case over gRPC:
// the gateway must send exactly the recorded request, and its answer, written back as
// JSON (extra merged in), must equal Nango's; an error must carry Nango's code, status
// and, when it fits, its whole error object.
func TestCorpusEveryKeyAndNullOfNangosAnswerReachesGRPC(t *testing.T) {
	for _, c := range corpus.Load(t) {
		t.Run(c.Name, func(t *testing.T) {
			srv := corpus.Upstream(t, c)
			up, err := nangohttp.New(nangohttp.Config{BaseURL: srv.URL, SecretKey: corpus.SecretKey})
			if err != nil {
				t.Fatal(err)
			}
			h := newHarnessWithDeps(t, nil, service.Deps{Upstream: up})

			method := corpusMethod(t, c.RPC)
			in := dynamicMessage(t, method.Input())
			if err := protojson.Unmarshal(c.GRPCRequest, in); err != nil {
				t.Fatalf("grpc_request is not a %s: %v", method.Input().FullName(), err)
			}
			out := dynamicMessage(t, method.Output())
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err = h.conn.Invoke(ctx, c.RPC, in, out)

			var body any
			if c.Response.BodyText == nil {
				_ = json.Unmarshal(c.Response.Body, &body)
			}
			switch {
			case c.Response.IsError():
				wantCorpusError(t, c, err)
			case !isJSONContainer(body, method.Output()):
				// An answer of another shape than the message's is an error, never an
				// empty success.
				wantCode(t, err, codes.Internal, nangohttp.ReasonMalformedResponse)
				if msg := status.Convert(err).Message(); !strings.Contains(msg, "expected") {
					t.Errorf("message %q does not say what was expected", msg)
				}
			default:
				if err != nil {
					t.Fatalf("%s: %v", c.RPC, err)
				}
				wantSameAnswer(t, method, in, out, body)
			}
		})
	}
}

// isJSONContainer reports whether body has a shape an answer can be read from: an object,
// or an array for the RPCs whose answer Nango sends bare.
func isJSONContainer(body any, out protoreflect.MessageDescriptor) bool {
	switch body.(type) {
	case map[string]any:
		return true
	case []any:
		switch out.Name() {
		case "GetEnvironmentVariablesResponse", "GetScriptsConfigResponse", "TriggerActionResponse", "GetAsyncActionResultResponse":
			return true
		}
		return false
	}
	return true // scalars: action outputs
}

func wantSameAnswer(t *testing.T, method protoreflect.MethodDescriptor, in, out proto.Message, body any) {
	t.Helper()
	p, ok := projections[string(method.Name())]
	if !ok {
		p = projection{func(m proto.Message) (any, error) { return jsonvalue.ToJSON(m) }, whole}
	}
	got, err := p.answer(out)
	if err != nil {
		t.Fatalf("answer as JSON: %v", err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(p.nango(in, body))
	same, err := corpus.SameJSON(gotJSON, wantJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Errorf("the gRPC answer lost or changed part of Nango's\n got: %s\nwant: %s", gotJSON, wantJSON)
	}
}

// wantCorpusError checks an error answer: Nango's code as ErrorInfo reason (http_<status>
// when the body is not Nango's envelope), its status, its error object when it is small
// enough to travel, and Retry-After as RetryInfo.
func wantCorpusError(t *testing.T, c corpus.Case, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want the error of Nango's %d", c.RPC, c.Response.Status)
	}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	var code string
	if c.Response.BodyText == nil && json.Unmarshal(c.Response.Body, &env) == nil {
		var e struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(env.Error, &e)
		code = e.Code
	}
	if code == "" {
		code = "http_" + strconv.Itoa(c.Response.Status)
	}
	wantUpstreamError(t, err, nangohttp.CodeFromHTTP(c.Response.Status), code, c.Response.Status)
	ei, _ := nangohttp.ErrorInfoFrom(err)
	if raw, ok := ei.GetMetadata()[nangohttp.MetadataUpstreamError]; ok {
		if same, jerr := corpus.SameJSON([]byte(raw), env.Error); jerr != nil || !same {
			t.Errorf("upstream_error %s, want Nango's error object %s", raw, env.Error)
		}
	} else if len(env.Error) > 0 && len(env.Error) <= nangohttp.MaxUpstreamErrorBytes {
		t.Errorf("Nango's error object (%d bytes) is missing from ErrorInfo", len(env.Error))
	}
	if ra := c.Response.Headers["Retry-After"]; ra != "" {
		secs, _ := strconv.Atoi(ra)
		if d, ok := nangohttp.RetryDelayFromError(err); !ok || d != time.Duration(secs)*time.Second {
			t.Errorf("RetryInfo = %v, %v; want %ss", d, ok, ra)
		}
	}
}

func corpusMethod(t *testing.T, rpc string) protoreflect.MethodDescriptor {
	t.Helper()
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(rpc, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		t.Fatalf("rpc %s: %v", rpc, err)
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		t.Fatalf("rpc %s is not a method", rpc)
	}
	return md
}

func dynamicMessage(t *testing.T, md protoreflect.MessageDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatalf("message %s: %v", md.FullName(), err)
	}
	return mt.New().Interface()
}
