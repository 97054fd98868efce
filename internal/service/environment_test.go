package service_test

import (
	"context"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	gatewayv1 "github.com/nango-gateway/nango-gateway/gen/nango/gateway/v1"
	"github.com/nango-gateway/nango-gateway/internal/nangohttp"
	"github.com/nango-gateway/nango-gateway/internal/simulator"
)

func TestEnvironmentGetVariablesReadsTheBareArray(t *testing.T) {
	h := newHarness(t, simulator.Options{Seed: true})
	got, err := gatewayv1.NewEnvironmentServiceClient(h.conn).GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
	if err != nil {
		t.Fatalf("GetEnvironmentVariables: %v", err)
	}
	integCheckAnswer(t, h, integWant{method: "GET", path: "/environment-variables", contentType: "application/json"}, got, "/environment-variables", "variables")
	if len(got.GetVariables()) == 0 {
		t.Error("no variables, want the seeded ones")
	}
	for _, v := range got.GetVariables() {
		if v.GetName() == "" {
			t.Errorf("variable without a name: %v", v)
		}
	}
}

func TestEnvironmentGetVariablesShapes(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []*gatewayv1.EnvironmentVariable
		code codes.Code
	}{
		{"an empty array", `[]`, nil, codes.OK},
		{"an empty body, as the SDK reads it", ``, nil, codes.OK},
		{"unknown keys are ignored", `[{"name":"A","value":"1","created_at":"x"}]`, []*gatewayv1.EnvironmentVariable{{Name: "A", Value: "1"}}, codes.OK},
		{"an object instead of an array", `{"data":[]}`, nil, codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, simulator.Options{Seed: true})
			h.sim.InjectFault(simulator.Fault{PathPrefix: "/environment-variables", Status: http.StatusOK, Body: []byte(tt.body)})
			got, err := gatewayv1.NewEnvironmentServiceClient(h.conn).GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
			if tt.code != codes.OK {
				wantCode(t, err, tt.code, nangohttp.ReasonMalformedResponse)
				return
			}
			if err != nil {
				t.Fatalf("GetEnvironmentVariables: %v", err)
			}
			if len(got.GetVariables()) != len(tt.want) {
				t.Fatalf("variables = %v, want %v", got.GetVariables(), tt.want)
			}
			for i := range tt.want {
				if got.GetVariables()[i].GetName() != tt.want[i].GetName() || got.GetVariables()[i].GetValue() != tt.want[i].GetValue() {
					t.Errorf("variable %d = %v, want %v", i, got.GetVariables()[i], tt.want[i])
				}
			}
		})
	}
}

func TestEnvironmentWrongKeyIsUnauthenticated(t *testing.T) {
	h := integWrongKeyHarness(t)
	_, err := gatewayv1.NewEnvironmentServiceClient(h.conn).GetEnvironmentVariables(context.Background(), &gatewayv1.GetEnvironmentVariablesRequest{})
	wantUpstreamError(t, err, codes.Unauthenticated, "unknown_account", http.StatusUnauthorized)
}

func TestEnvironmentUpstreamErrorsAreMapped(t *testing.T) {
	integRunFaults(t, []integRPC{
		{"GetEnvironmentVariables", "GET", "/environment-variables", func(ctx context.Context, conn *grpc.ClientConn) error {
			_, err := gatewayv1.NewEnvironmentServiceClient(conn).GetEnvironmentVariables(ctx, &gatewayv1.GetEnvironmentVariablesRequest{})
			return err
		}},
	})
}
