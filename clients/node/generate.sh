#!/usr/bin/env bash
# Regenerates src/gen/ from proto/ with ts-proto (pinned in devDependencies) under Debian's
# protoc (protobuf-compiler, and libprotobuf-dev for the well-known types). The imported
# protos (google/api, google/rpc, buf/validate) are generated too. The output is committed:
# a Node team builds the package without generating anything.
set -euo pipefail
cd "$(dirname "$0")"
root=../..
"$root/scripts/protodeps.sh"
# google/rpc comes as descriptors from the pinned Go module (its .proto files are not shipped).
rpc=$(mktemp)
trap 'rm -f "$rpc"' EXIT
(cd "$root" && go run ./clients/rpcdesc "$rpc")
out=src/gen
rm -rf "$out"
mkdir -p "$out"
protoc -I "$root/proto" -I /usr/include -I "$root/.protodeps" --descriptor_set_in="$rpc" \
	--plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
	--ts_proto_out="$out" \
	--ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,forceLong=string,useOptionals=all,exportCommonSymbols=false,emitImportedFiles=false \
	"$root"/proto/nango/gateway/v1/*.proto google/rpc/status.proto google/rpc/error_details.proto \
	google/protobuf/{any,duration,struct,timestamp,wrappers}.proto
