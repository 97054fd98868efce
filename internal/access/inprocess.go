package access

import (
	"context"
	"net"

	"google.golang.org/grpc/credentials"
)

// CertificateIdentityMetadata carries, on the gateway's in-process connection only,
// the identities of the client certificate an HTTPS caller of /v1 presented. The
// HTTP face must never forward a caller's own header of this name.
const CertificateIdentityMetadata = "x-nango-gateway-client-certificate"

// InProcessNetwork is the network name of the in-process listener the /v1 mapping
// reaches the gRPC server through.
const InProcessNetwork = "bufconn"

type inProcessAuthInfo struct{ credentials.CommonAuthInfo }

func (inProcessAuthInfo) AuthType() string { return "in-process" }

// ServerCredentials wraps the gRPC listener's credentials (TLS or none) so that
// connections from the in-process listener skip the handshake and are known as
// in-process: only they may state a certificate identity in metadata. No remote
// connection can claim that network.
func ServerCredentials(remote credentials.TransportCredentials) credentials.TransportCredentials {
	return &serverCreds{TransportCredentials: remote}
}

type serverCreds struct {
	credentials.TransportCredentials
}

func (c *serverCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if conn.LocalAddr().Network() == InProcessNetwork {
		return conn, inProcessAuthInfo{credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}, nil
	}
	return c.TransportCredentials.ServerHandshake(conn)
}

func (c *serverCreds) Clone() credentials.TransportCredentials {
	return &serverCreds{TransportCredentials: c.TransportCredentials.Clone()}
}

// ClientHandshake is never used on a server's credentials; it is here to satisfy
// the interface with the wrapped behaviour.
func (c *serverCreds) ClientHandshake(ctx context.Context, authority string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return c.TransportCredentials.ClientHandshake(ctx, authority, conn)
}
