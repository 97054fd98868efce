// Package sdkparity holds the parity test of the REST face: it drives the official Node SDK
// (@nangohq/node, pinned in tools/package.json) through tools/sdk-parity/parity.mjs once
// against the Nango simulator and once against the gateway in front of an identical
// simulator, and requires the SDK to return the same data and the simulator to receive the
// same requests both times. The package has no code of its own; it exists for that test,
// which needs `node` and `make tools` (it fails, rather than skips, without them, so a
// missing toolchain cannot pass for parity).
package sdkparity
