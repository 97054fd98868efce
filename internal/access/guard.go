package access

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/nango-gateway/nango-gateway/internal/certs"
)

// Guard checks every call against the current policy.
type Guard struct {
	path    string
	logger  *slog.Logger
	policy  atomic.Pointer[Policy]
	lastRaw []byte // the file as last read; only the Watch goroutine touches it
}

// Load reads the clients file at path. An unreadable or invalid file is an error:
// the gateway must not start with access it cannot state.
func Load(path string, logger *slog.Logger) (*Guard, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CLIENTS_FILE: %w", err)
	}
	p, err := ParsePolicy(raw)
	if err != nil {
		return nil, fmt.Errorf("CLIENTS_FILE %s: %w", path, err)
	}
	g := &Guard{path: path, logger: logger, lastRaw: raw}
	g.policy.Store(p)
	return g, nil
}

// Watch rereads the file every interval until ctx ends. Polling the content (not
// watching inodes) follows every way a file is replaced, including the symlink
// swap of a mounted Kubernetes secret. A new file that does not parse is logged
// and the last good policy kept.
func (g *Guard) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.reload()
		}
	}
}

func (g *Guard) reload() {
	raw, err := os.ReadFile(g.path)
	if err != nil {
		g.logger.Error("clients file unreadable; keeping the last good one", "path", g.path, "error", err)
		return
	}
	if bytes.Equal(raw, g.lastRaw) {
		return
	}
	g.lastRaw = raw
	p, err := ParsePolicy(raw)
	if err != nil {
		g.logger.Error("clients file invalid; keeping the last good one", "path", g.path, "error", err)
		return
	}
	g.policy.Store(p)
	g.logger.Info("clients file reloaded", "path", g.path, "clients", p.Len())
}

// RateShare is the rate weight and quota of the client named name in the
// current clients file (weight 1 and no quota for a name it does not list),
// so a reloaded file changes them at once.
func (g *Guard) RateShare(name string) (weight, quota int) {
	return g.policy.Load().RateShare(name)
}

type clientKey struct{}

// ClientName is the name of the client the call was authenticated as, or "".
func ClientName(ctx context.Context) string {
	name, _ := ctx.Value(clientKey{}).(string)
	return name
}

// Check authenticates the caller — by its bearer token when it sent one, otherwise
// by the identities of its verified client certificate — and authorises the call
// named name. The error is a gRPC status: Unauthenticated for a missing or unknown
// token or certificate, PermissionDenied for a call the client may not make.
// Neither names the token.
func (g *Guard) Check(ctx context.Context, token string, certIdentities []string, name string) (context.Context, error) {
	policy := g.policy.Load()
	var c *Client
	var ok bool
	switch {
	case token != "":
		if c, ok = policy.Authenticate(token); !ok {
			return ctx, status.Error(codes.Unauthenticated, "unknown bearer token")
		}
	case len(certIdentities) > 0:
		if c, ok = policy.AuthenticateCertificate(certIdentities); !ok {
			return ctx, status.Errorf(codes.Unauthenticated, "no client has the certificate identity %q", certIdentities[0])
		}
	default:
		return ctx, status.Error(codes.Unauthenticated, "missing bearer token: send authorization: Bearer <token>")
	}
	if !c.Allows(name) {
		return ctx, status.Errorf(codes.PermissionDenied, "client %q may not call %s", c.Name, name)
	}
	return context.WithValue(ctx, clientKey{}, c.Name), nil
}

// exempt are the calls anyone may make: health for probes and load balancers,
// reflection because it describes only the public API.
func exempt(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(fullMethod, "/grpc.reflection.")
}

// bearer takes the token out of an Authorization value ("Bearer <token>").
func bearer(value string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(value), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func (g *Guard) checkGRPC(ctx context.Context, fullMethod string) (context.Context, error) {
	if exempt(fullMethod) {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var token string
	if v := md.Get("authorization"); len(v) == 1 {
		token = bearer(v[0])
	}
	var ids []string
	if p, ok := peer.FromContext(ctx); ok {
		switch info := p.AuthInfo.(type) {
		case credentials.TLSInfo:
			ids = certs.Identities(&info.State)
		case inProcessAuthInfo:
			// The /v1 mapping states the certificate its caller presented over HTTPS;
			// only this in-process connection is believed.
			ids = md.Get(CertificateIdentityMetadata)
		}
	}
	return g.Check(ctx, token, ids, strings.TrimPrefix(fullMethod, "/"))
}

// UnaryInterceptor checks unary calls. The /v1 HTTP mapping reaches gRPC with the
// caller's Authorization header as metadata, so it is checked here too.
func (g *Guard) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := g.checkGRPC(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor checks streaming calls.
func (g *Guard) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := g.checkGRPC(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
	}
}

type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// HTTP checks requests relayed to Nango; name gives the RPC each corresponds to,
// and deny writes a refusal (in Nango's envelope). A request with several
// Authorization headers is refused: which one counts must not be a guess.
func (g *Guard) HTTP(name func(*http.Request) string, deny func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var token string
			if v := r.Header.Values("Authorization"); len(v) == 1 {
				token = bearer(v[0])
			}
			ctx, err := g.Check(r.Context(), token, certs.Identities(r.TLS), name(r))
			if err != nil {
				deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
