package service_test

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func TestScriptsGetConfig(t *testing.T) {
	tests := []struct {
		name     string
		format   *string
		rawQuery string
		field    string // where Nango's body lands in the answer; "" = the whole answer
	}{
		{"format defaults to nango and is always sent", nil, "format=nango", "configs"},
		{"format nango is a bare array into configs", proto.String("nango"), "format=nango", "configs"},
		{"format openai is {data} into data", proto.String("openai"), "format=openai", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{Seed: true})
			got, err := gatewayv1.NewScriptsServiceClient(h.conn).GetScriptsConfig(context.Background(), &gatewayv1.GetScriptsConfigRequest{Format: tt.format})
			if err != nil {
				t.Fatalf("GetScriptsConfig: %v", err)
			}
			integCheckAnswer(t, h, integWant{method: "GET", path: "/scripts/config", rawQuery: tt.rawQuery}, got, "/scripts/config?"+tt.rawQuery, tt.field)
			if tt.field == "configs" {
				if len(got.GetConfigs()) == 0 || len(got.GetData()) != 0 {
					t.Errorf("configs = %d, data = %d; want configs only", len(got.GetConfigs()), len(got.GetData()))
				}
				keys := map[string]bool{}
				for _, c := range got.GetConfigs() {
					keys[c.GetFields()["providerConfigKey"].GetStringValue()] = true
				}
				if !keys["github"] {
					t.Errorf("providerConfigKeys = %v, want github among them", keys)
				}
				return
			}
			if len(got.GetData()) == 0 || len(got.GetConfigs()) != 0 {
				t.Errorf("configs = %d, data = %d; want data only", len(got.GetConfigs()), len(got.GetData()))
			}
			for _, f := range got.GetData() {
				if f.GetName() == "" || f.GetParameters().GetFields()["type"].GetStringValue() != "object" {
					t.Errorf("function %v lacks a name or an object schema", f)
				}
			}
		})
	}
}

func TestScriptsGetConfigShapes(t *testing.T) {
	tests := []struct {
		name   string
		format string
		body   string
		code   codes.Code
	}{
		{"nothing deployed is an empty array", "nango", `[]`, codes.OK},
		{"openai with no action is empty data", "openai", `{"data":[]}`, codes.OK},
		{"nango answered with an object", "nango", `{"data":[]}`, codes.Internal},
		// Nango answers [] before it looks at format when nothing is deployed.
		{"openai with nothing deployed is an empty array", "openai", `[]`, codes.OK},
		{"openai answered with a non-empty array of another shape", "openai", `[1]`, codes.Internal},
		{"openai data is not an array", "openai", `{"data":{}}`, codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{Seed: true})
			h.sim.InjectFault(simulator.Fault{PathPrefix: "/scripts/config", Status: http.StatusOK, Body: []byte(tt.body)})
			got, err := gatewayv1.NewScriptsServiceClient(h.conn).GetScriptsConfig(context.Background(), &gatewayv1.GetScriptsConfigRequest{Format: proto.String(tt.format)})
			if tt.code != codes.OK {
				wantCode(t, err, tt.code, nangohttp.ReasonMalformedResponse)
				return
			}
			if err != nil {
				t.Fatalf("GetScriptsConfig: %v", err)
			}
			if len(got.GetConfigs()) != 0 || len(got.GetData()) != 0 {
				t.Errorf("answer = %v, want empty", got)
			}
		})
	}
}

func TestScriptsInvalidFormatNeverReachesNango(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true})
	_, err := gatewayv1.NewScriptsServiceClient(h.conn).GetScriptsConfig(context.Background(), &gatewayv1.GetScriptsConfigRequest{Format: proto.String("yaml")})
	wantViolation(t, h, err, "format")
}

func TestScriptsWrongKeyIsUnauthenticated(t *testing.T) {
	h := integWrongKeyHarness(t)
	_, err := gatewayv1.NewScriptsServiceClient(h.conn).GetScriptsConfig(context.Background(), &gatewayv1.GetScriptsConfigRequest{})
	wantUpstreamError(t, err, codes.Unauthenticated, "unknown_account", http.StatusUnauthorized)
}

func TestScriptsUpstreamErrorsAreMapped(t *testing.T) {
	integRunFaults(t, []integRPC{
		{"GetScriptsConfig/nango", "GET", "/scripts/config", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewScriptsServiceClient(conn).GetScriptsConfig(ctx, &gatewayv1.GetScriptsConfigRequest{})
			return err
		}},
		{"GetScriptsConfig/openai", "GET", "/scripts/config", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewScriptsServiceClient(conn).GetScriptsConfig(ctx, &gatewayv1.GetScriptsConfigRequest{Format: proto.String("openai")})
			return err
		}},
	})
}
