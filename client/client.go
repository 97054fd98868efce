package client

import (
	"context"
	"crypto/tls"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultServiceConfig retries UNAVAILABLE with exponential backoff. RESOURCE_EXHAUSTED is
// deliberately absent: the gateway already waited as long as the caller's deadline allowed,
// and its RetryInfo says how long to wait before trying again. Calls whose repeat does harm
// are never retried (TriggerAction, TriggerActionAsync, TriggerActionAndWait, and Proxy, whose
// method may be a POST): an UNAVAILABLE may come after Nango ran the action or the provider
// took the request, and a retry would do it twice. Other writes are retried: their repeat is
// refused as a duplicate, sets the same state again, or at worst starts one more sync run.
const DefaultServiceConfig = `{
  "methodConfig": [{
    "name": [{"service": "nango.gateway.v1.ProvidersService"}, {"service": "nango.gateway.v1.IntegrationsService"},
             {"service": "nango.gateway.v1.ConnectionsService"}, {"service": "nango.gateway.v1.MetadataService"},
             {"service": "nango.gateway.v1.ScriptsService"}, {"service": "nango.gateway.v1.RecordsService"},
             {"service": "nango.gateway.v1.SyncsService"}, {"service": "nango.gateway.v1.EnvironmentService"},
             {"service": "nango.gateway.v1.ActionsService"}, {"service": "nango.gateway.v1.ProxyService"},
             {"service": "nango.gateway.v1.ConnectSessionsService"}, {"service": "nango.gateway.v1.WebhooksService"}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.2s",
      "maxBackoff": "5s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }, {
    "name": [{"service": "nango.gateway.v1.ActionsService", "method": "TriggerAction"},
             {"service": "nango.gateway.v1.ActionsService", "method": "TriggerActionAsync"},
             {"service": "nango.gateway.v1.ActionsService", "method": "TriggerActionAndWait"},
             {"service": "nango.gateway.v1.ProxyService", "method": "Proxy"}]
  }]
}`

// Options says how to reach the gateway.
type Options struct {
	// Token is this service's bearer token from the gateway's clients file.
	Token string
	// TLS is the client TLS configuration; nil with Insecure false uses the system roots.
	TLS *tls.Config
	// Insecure sends plaintext, token included: for loopback and tests only.
	Insecure bool
	// ServiceConfig replaces DefaultServiceConfig when set.
	ServiceConfig string
}

// DialOptions returns the grpc.NewClient options for o.
func DialOptions(o Options) []grpc.DialOption {
	sc := o.ServiceConfig
	if sc == "" {
		sc = DefaultServiceConfig
	}
	opts := []grpc.DialOption{grpc.WithDefaultServiceConfig(sc)}
	if o.Insecure {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		cfg := o.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	}
	if o.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(Token(o.Token, o.Insecure)))
	}
	return opts
}

// New opens a client connection to addr (host:port). It does not wait for the gateway: the
// first RPC connects.
func New(addr string, o Options) (*grpc.ClientConn, error) {
	if addr == "" {
		return nil, errors.New("client: empty gateway address")
	}
	return grpc.NewClient(addr, DialOptions(o)...)
}

// Token returns per-RPC credentials sending "authorization: Bearer <token>". Unless
// allowInsecure, gRPC refuses to send it over a connection without TLS, so a token never
// crosses a network in clear by mistake.
func Token(token string, allowInsecure bool) credentials.PerRPCCredentials {
	return bearer{token: token, insecure: allowInsecure}
}

type bearer struct {
	token    string
	insecure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return !b.insecure }

// String keeps the token out of logs and %v output.
func (b bearer) String() string { return "bearer(redacted)" }
