# imgdiff — see README.md. Every target runs on a fresh machine with Go at
# /usr/local/go; e2e installs and starts what it needs itself.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

STATICCHECK_VERSION := v0.8.2
BIN := bin/imgdiff
DEMO := testdata/demo

.PHONY: build test demo lint fuzz e2e bench clean vendor-d3 release

build:
	go build -o $(BIN) ./cmd/imgdiff

# Unit and integration tests: no network, no Docker. go test's own lines,
# printed as each package finishes (testdata/testsum reads go test -json),
# then a summary naming every skipped test (the browser tests skip without
# chromium unless IMGDIFF_REQUIRE_TOOLS=1, as CI sets).
test:
	set -o pipefail; go test -race -count=1 -timeout 30m -json ./... ./testdata/testsum | go run ./testdata/testsum

# The main job on a generated example: a single-stage image against its
# multi-stage rewrite.
demo: build
	@go run ./testdata/gen -set demo -out $(DEMO) >/dev/null
	$(BIN) compare --config testdata/demo-budgets.yaml oci:$(DEMO)/single oci:$(DEMO)/multi
	@echo; echo "# imgdiff suggest: the multi-stage Dockerfile for the single-stage image, from its own evidence"
	$(BIN) suggest oci:$(DEMO)/single --dockerfile $(DEMO)/Dockerfile.single

# ./... leaves out testdata/, so the programs there (the image generator,
# the benchmark driver and the test summary) are named: they are built, vetted and linked
# against the packages like the rest.
LINT_PKGS := ./... ./testdata/gen ./testdata/bench ./testdata/realworld/tosingle ./testdata/testsum

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	go vet $(LINT_PKGS)
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(LINT_PKGS)

# Release archives for linux/darwin x amd64/arm64 and windows/amd64, and
# SHA256SUMS, in $(DIST) (tools/release: reproducible, -trimpath, fixed
# mtimes; `imgdiff --version` prints VERSION). VERSION is a tag, v1.2.3.
DIST ?= dist
release:
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=v1.2.3 [DIST=dist]" >&2; exit 2; }
	go run ./tools/release -version "$(VERSION)" -out "$(DIST)" $(if $(PLATFORMS),-platforms "$(PLATFORMS)")

# Every Go fuzz target (found with go test -list, see .ci/fuzz) for
# FUZZTIME each (default 30s); FUZZPARALLEL=1 on a shared machine. A failing
# input lands in the package's testdata/fuzz/FuzzX: commit it.
FUZZTIME ?= 30s
fuzz:
	FUZZTIME=$(FUZZTIME) .ci/fuzz

# End-to-end against a real dockerd and registry that the script starts and
# stops itself (root; installs docker.io, skopeo, ... when missing). Builds
# the testdata/dockerfiles images with BuildKit (and Go, Node, C with the
# legacy builder too: both history formats), then runs
# cmd/imgdiff/e2e_test.go. Under 15 minutes on 2 cores; prints phase timings.
e2e:
	testdata/e2e/run.sh

# Performance targets on generated multi-GB images, timed against baselines
# in the same run (docs/performance.md). Needs ~12 GB free under $$TMPDIR.
bench:
	go run ./testdata/bench

# Refresh the vendored d3-hierarchy of the HTML report (npm pack, integrity
# checked, version and checksums recorded in report/html/assets/).
D3_HIERARCHY_VERSION := 3.1.3
vendor-d3:
	report/html/assets/vendor-d3.sh $(D3_HIERARCHY_VERSION)

clean:
	rm -rf bin dist $(DEMO)
