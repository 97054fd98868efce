# The quick start is `make run` and `make test`; both install what they need.
SHELL := /bin/bash
BUF := tools/node_modules/.bin/buf
GO ?= go

.PHONY: run test soak fuzz race generate check-generated lint tools bench build image clean client-deps generate-clients

run: ## the gateway with its built-in Nango simulator (no account needed)
	$(GO) run ./cmd/server --demo

build:
	$(GO) build -o bin/nango-gateway ./cmd/server

test: check-generated ## every test, after checking gen/ is fresh, a one-minute soak and a short run of each fuzz target
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 10m $$($(GO) list ./... | grep -v '/internal/soak$$')
	$(MAKE) soak SOAK_DURATION=1m
	FUZZTIME=3s scripts/fuzz.sh

# The soak runs alone, after the other tests, so their load does not blur its samples.
SOAK_DURATION ?= 10m
SOAK_TIMEOUT ?= 3h
soak: ## the gateway under mixed traffic for SOAK_DURATION (default 10m); prints a summary table
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -count=1 -v -timeout $(SOAK_TIMEOUT) ./internal/soak

fuzz: ## every fuzz target for FUZZTIME each (default 5s)
	scripts/fuzz.sh

race: check-generated ## every test under the race detector
	$(GO) test -race -count=1 -timeout 15m ./...

bench: tools ## the gateway side by side with what it replaces; prints one table
	$(GO) run ./internal/benchmark/cmd/bench -tools tools
	$(GO) test -run '^$$' -bench . -benchmem ./...

tools: $(BUF)

$(BUF): tools/package.json tools/package-lock.json
	cd tools && npm install --no-audit --no-fund --loglevel=error
	touch $(BUF)

lint: tools
	scripts/protodeps.sh
	$(BUF) lint

generate: tools ## regenerate gen/ from proto/ with pinned, local plugins
	scripts/protodeps.sh
	$(BUF) lint
	rm -rf gen/nango gen/openapiv2/gateway.swagger.json
	$(BUF) generate

# Fails when gen/ differs from what `make generate` produces.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen)" ]; then \
		echo "gen/ is stale: run 'make generate' and commit the result" >&2; \
		git status --porcelain -- gen >&2; git diff --stat -- gen >&2; exit 1; \
	fi

# The container image as an OCI archive, built without Docker or a base image. The commit's
# time stamps every file, so the same commit gives the same digest.
IMAGE ?= ghcr.io/nango-gateway/nango-gateway
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
image: ## bin/nango-gateway-image.tar: load with docker/podman load, push with skopeo
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || echo 0) \
		$(GO) run ./internal/image/cmd/build-image -o bin/nango-gateway-image.tar \
		-ref $(IMAGE):$(IMAGE_TAG) -revision "$$(git rev-parse HEAD 2>/dev/null)"

clean:
	rm -rf bin .protodeps

# What the client examples and packages need: npm packages for Node and, as root on Debian,
# python3-grpcio and python3-protobuf (apt-get only when they are missing).
DEBIAN_PY := python3-grpcio python3-protobuf
client-deps:
	npm ci --prefix clients/node --no-audit --no-fund --loglevel=error
	npm ci --prefix examples/node --no-audit --no-fund --loglevel=error
	@missing=$$(for p in $(DEBIAN_PY); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
		else echo "install for the Python client: apt-get install $$missing" >&2; fi; \
	fi

# Regenerates the committed stubs of clients/python and clients/node with Debian's protoc
# (apt-get install protobuf-compiler protobuf-compiler-grpc libprotobuf-dev).
generate-clients:
	npm ci --prefix clients/node --no-audit --no-fund --loglevel=error
	clients/python/generate.sh
	clients/node/generate.sh
