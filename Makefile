# central-config: the two commands are `make run` and `make test`.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO            ?= go
TOOLS         := $(CURDIR)/.tools
BIN           := $(CURDIR)/bin
GOLANGCI_LINT := $(TOOLS)/bin/golangci-lint
GOLANGCI_VERSION := v2.15.0
# Go modules: the engine's (the root) and the Helm chart's tests
# (deploy/helm, its own module so that Helm and k8s.io stay out of the
# engine's build).
MODULES       := . deploy/helm
EXAMPLE       := examples/central-config
# make bench: which sections, and runs per figure.
SECTIONS      ?= engine,api,stock,kafka,hostile
COUNT         ?= 3
STOCK_COUNT   ?= 1
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# make image: the platform (linux/IMAGE_ARCH), the labels, and the time of
# the image and its files (the commit's, so a commit gives one digest).
IMAGE_ARCH    ?= amd64
IMAGE_SOURCE  ?= https://github.com/central-config/central-config
REVISION      ?= $(shell git rev-parse HEAD 2>/dev/null)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: help build image manifests run run-pg run-engine test test-go test-backstage test-backstage-integration test-install lint test-oracle fuzz bench bench-doc bench-api clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build the static engine binary into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(BIN)/central-config ./cmd/central-config

image: ## the engine's container image, built without Docker (deploy/image): bin/central-config-image.tar for docker/podman load, bin/central-config-image.oci (OCI layout) for crane push; IMAGE_ARCH=arm64
	$(GO) run ./deploy/image -go '$(GO)' -arch '$(IMAGE_ARCH)' -version '$(VERSION)' -revision '$(REVISION)' \
	  -source '$(IMAGE_SOURCE)' -created '$(SOURCE_DATE_EPOCH)' \
	  -out '$(BIN)/central-config-image.tar' -oci-layout '$(BIN)/central-config-image.oci'

manifests: ## rewrite deploy/kubernetes/central-config.yaml: the Helm chart deploy/helm/central-config rendered with deploy/kubernetes/values.yaml
	cd deploy/helm && $(GO) test . -count=1 -run TestTheKubernetesManifestsAreTheRenderedChart -update

run: build ## the engine (SQLite) syncing the example repo as a local git repository, and Backstage at :3000 (Ctrl-C stops both)
	bash scripts/run.sh

run-pg: build ## the same stack on PostgreSQL: PG_URL=postgres://... or a throwaway local cluster
	bash scripts/run.sh --postgres $(PG_URL)

run-engine: build ## the engine alone
	bash scripts/run.sh --engine-only

test: lint test-go test-oracle test-backstage test-backstage-integration ## run every test (lint, Go unit/integration/fuzz seeds, Backstage validity oracle, Backstage app)

test-go: ## Go tests of both modules (the engine, deploy/helm), including real git smart-HTTP server tests and fuzz seed corpora
	for m in $(MODULES); do (cd $$m && $(GO) test -count=1 -race ./...) || exit 1; done

test-backstage: ## the Backstage app: install, tsc, lint, prettier, unit tests (provider on SQLite and PostgreSQL)
	bash backstage/scripts/check.sh

test-backstage-integration: ## engine + Backstage on PostgreSQL, end to end: catalog API, and the UI in Chromium (screenshots in test-output/)
	bash backstage/scripts/setup.sh
	backstage/scripts/yarn workspace app build
	$(GO) test -tags backstage -count=1 -v -timeout 15m ./backstage/test/integration

test-install: ## our plugin packages as an adopter installs them: packed tarballs in new apps of the current and previous Backstage release lines (@backstage/create-app), against a real engine; about 14 min, not in make test. CENTRAL_CONFIG_INSTALL_LINES=current, CENTRAL_CONFIG_KEEP_INSTALL=1
	bash backstage/scripts/setup.sh
	$(GO) test -tags backstage,install -run TestInstallIntoNewApp -count=1 -v -timeout 90m ./backstage/test/integration

$(GOLANGCI_LINT):
	GOBIN=$(TOOLS)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

lint: $(GOLANGCI_LINT) ## gofmt, go vet, golangci-lint
	@unformatted=$$(gofmt -l cmd internal bench backstage/test deploy); if [ -n "$$unformatted" ]; then echo "not gofmt'ed: $$unformatted"; exit 1; fi
	for m in $(MODULES); do (cd $$m && $(GO) vet ./... && $(GOLANGCI_LINT) run ./...) || exit 1; done

test-oracle: build ## every entity render emits passes @backstage/catalog-model's own validators
	bash scripts/catalog-oracle.sh --self-test
	$(BIN)/central-config --config examples/app-config.yaml render --format json $(EXAMPLE) | bash scripts/catalog-oracle.sh
	$(GO) run ./bench/genrepo -entities 2000 -out $(TOOLS)/oracle-repo
	$(BIN)/central-config render --format json $(TOOLS)/oracle-repo | bash scripts/catalog-oracle.sh
	$(BIN)/central-config render --format json internal/testrepo/testdata/catalog-repo | bash scripts/catalog-oracle.sh

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	for pkg_target in ./internal/document:FuzzDecode ./internal/mapping:FuzzMap ./internal/mapping:FuzzJSONSizeIsTheLengthOfTheEncoding ./internal/mapping:FuzzAppendJSON \
	  ./internal/config:FuzzLoad ./internal/catalog:FuzzParseRef ./internal/source/githubauth:FuzzParseKey ./internal/review:FuzzCompare \
	  ./internal/kafka/gitops:FuzzRead ./internal/kafka/strimzi:FuzzRead ./internal/kafka/dialect:FuzzRead ./internal/kafka/native:FuzzRead \
	  ./internal/kafka/julieops:FuzzRead ./bench/nodeprof:FuzzSummarize; do \
	  $(GO) test -run XXX -fuzz "^$${pkg_target#*:}\$$" -fuzztime $${FUZZTIME:-30s} "$${pkg_target%%:*}" || exit 1; done

bench: ## every benchmark, side by side with stock Backstage (about 50 min on a quiet machine); writes bench/results/ and docs/benchmarks.md. SECTIONS=engine,api,stock,kafka,hostile COUNT=3 STOCK_COUNT=1 APPEND=1 (add runs)
	bash backstage/scripts/setup.sh
	backstage/scripts/yarn workspace app build
	$(GO) run ./bench/report -sections $(SECTIONS) -count $(COUNT) -stock-count $(STOCK_COUNT) $(if $(APPEND),-append)

bench-doc: ## re-render docs/benchmarks.md from bench/results/ and bench/report/benchmarks.md.tmpl
	$(GO) run ./bench/report -render

bench-api: ## open-loop HTTP load test of the engine API (last-sync, entities 304) at 1000 and 2000 req/s
	bash bench/api.sh

clean: ## remove build output
	rm -rf $(BIN)
