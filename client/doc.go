// Package client connects Go services to the gateway: dial options with a bearer token and a
// retry policy, Nango's error details read from a gRPC status, and streams that resume where
// they stopped. The generated package (gen/nango/gateway/v1, imported as gatewayv1) holds the
// typed clients; this package adds what every caller otherwise writes by hand.
package client
