#!/usr/bin/env bash
# Copies the third-party protos our API imports into .protodeps/ (ignored by git).
# They ship inside Go modules pinned below, so no schema registry is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
gateway_v1=github.com/grpc-ecosystem/grpc-gateway@v1.16.0
protovalidate=github.com/bufbuild/protovalidate@v1.2.2

dir_of() { go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }

gw=$(dir_of "$gateway_v1")
pv=$(dir_of "$protovalidate")
rm -rf .protodeps
mkdir -p .protodeps/google/api .protodeps/buf/validate
cp "$gw/third_party/googleapis/google/api/annotations.proto" \
   "$gw/third_party/googleapis/google/api/http.proto" \
   "$gw/third_party/googleapis/google/api/httpbody.proto" .protodeps/google/api/
cp "$pv/proto/protovalidate/buf/validate/validate.proto" .protodeps/buf/validate/
chmod -R u+w .protodeps
