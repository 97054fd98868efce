#!/usr/bin/env bash
# Regenerates nango_gateway/_gen/ from proto/ with Debian's protoc (protobuf-compiler, and
# libprotobuf-dev for the well-known types) and grpc_python_plugin (protobuf-compiler-grpc).
# The imported protos (google/api, google/rpc, buf/validate) are generated too, and every
# import is rewritten under nango_gateway._gen,
# so the package needs only python3-grpcio and python3-protobuf and clashes with nothing.
set -euo pipefail
cd "$(dirname "$0")"
root=../..
"$root/scripts/protodeps.sh"
# google/rpc comes as descriptors from the pinned Go module (its .proto files are not shipped).
rpc=$(mktemp)
trap 'rm -f "$rpc"' EXIT
(cd "$root" && go run ./clients/rpcdesc "$rpc")
out=nango_gateway/_gen
rm -rf "$out"
mkdir -p "$out"
protoc -I "$root/proto" -I /usr/include -I "$root/.protodeps" --descriptor_set_in="$rpc" \
	--python_out="$out" --pyi_out="$out" \
	--grpc_python_out="$out" --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
	"$root"/proto/nango/gateway/v1/*.proto \
	google/api/annotations.proto google/api/http.proto buf/validate/validate.proto \
	google/rpc/status.proto google/rpc/error_details.proto
# Each generated folder becomes a package; google/protobuf stays the installed runtime's.
find "$out" -type d -exec touch {}/__init__.py \;
find "$out" -name '*.py' -o -name '*.pyi' | xargs sed -i -E \
	-e 's/^from (google\.api|google\.rpc|buf\.validate|nango\.gateway\.v1) import/from nango_gateway._gen.\1 import/' \
	-e 's/^import (google\.api|google\.rpc|buf\.validate|nango\.gateway\.v1)\.([a-z_0-9]+_pb2)/from nango_gateway._gen.\1 import \2/'
