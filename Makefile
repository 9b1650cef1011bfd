# datastores: TLS-first PostgreSQL and Redis for Kubernetes.
#   make test    everything that runs without a cluster: lint, render tests, real-server tests,
#                and the cluster tier built and skipping
#   make lint    helm lint of the chart with every values file, go vet (also with -tags e2e), gofmt
#   make render  VALUES=values/dev.yaml: print the manifests
#   make bench   Go benchmarks
#   make schema  regenerate the Kubernetes definitions in the charts (internal/k8sschema)
#   make up      a kind cluster (or KUBECONFIG/KUBE_CONTEXT's), the chart with VALUES, helm test
#   make down    remove what make up created
#   make e2e     the cluster tier (terratest): kind, or E2E_KUBECONFIG's cluster
# The helm CLI is built from its Go module into ./bin, at the version go.mod pins (a `tool`
# there, so it shares the tests' build cache); kind likewise at KIND_VERSION. Never downloaded.

KIND_VERSION := v0.30.0
GO           ?= go
BIN          := $(CURDIR)/bin
HELM         := $(BIN)/helm
KIND         := $(BIN)/kind
CHART        := charts/datastores
VALUES       ?= values/dev.yaml
RELEASE      ?= datastores
NAMESPACE    ?= datastores

export GOFLAGS ?= -buildvcs=false

.PHONY: test lint unit fuzz-short fuzz server exporters e2e-skip render bench tools kind up down e2e clean schema

test: lint unit fuzz-short server e2e-skip

tools: $(HELM)
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/datastores ./tools/datastores

# As helm's own release builds do, the Kubernetes version `helm template` assumes is the client-go
# it was built with (otherwise v1.20, which the chart's kubeVersion refuses).
$(HELM): go.mod go.sum
	@mkdir -p $(BIN)
	$(GO) build -o $@ -ldflags "-X helm.sh/helm/v3/internal/version.version=$$($(GO) list -m -f '{{.Version}}' helm.sh/helm/v3) \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
		-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$$($(GO) list -m -f '{{.Version}}' k8s.io/client-go | cut -d. -f2)" helm.sh/helm/v3/cmd/helm

$(BIN)/.kind-$(KIND_VERSION):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kind@$(KIND_VERSION)
	@touch $@

kind: $(BIN)/.kind-$(KIND_VERSION)

lint: $(HELM)
	@for f in values/*.yaml; do \
		echo "helm lint $(CHART) -f $$f"; \
		$(HELM) lint --strict --quiet $(CHART) -f $$f || exit 1; \
	done
	$(HELM) lint --strict --quiet $(CHART)/charts/common
	@# Each subchart on its own, as a user would after `helm dependency build` (it vendors common).
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cp -r $(CHART) "$$tmp/" && \
	for sub in "postgres --set instances.app.database=app_db,instances.app.user=app_user" redis; do \
		set -- $$sub; echo "helm lint $(CHART)/charts/$$1 (after helm dependency build)"; \
		$(HELM) dependency build "$$tmp/datastores/charts/$$1" >/dev/null && \
		$(HELM) lint --strict --quiet "$$tmp/datastores/charts/$$@" || exit 1; \
	done
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	@unformatted=$$(gofmt -l internal test tools 2>/dev/null); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# Tier 1: render the chart in-process and check the typed objects.
unit:
	$(GO) test ./internal/... ./test/harness/... ./test/render/... ./test/ci/... ./tools/...

# The Kubernetes structures values pass through (tolerations, sidecars, ...), typed from the
# OpenAPI definitions of the pinned k8s.io/kubernetes into both subcharts' values.schema.json and
# the library chart's common.k8s.definitions; unit fails while they are stale.
schema:
	$(GO) run ./internal/k8sschema/gen

# The values fuzzer: its corpus (test/render/testdata/fuzz) runs in unit; fuzz-short explores a
# few hundred more inputs (the count includes the corpus), fuzz FUZZTIME (new finds land in the
# Go cache, failures in testdata). Budgets are counts, not durations: with a duration, Go 1.26's
# fuzz coordinator can fail a clean run with "context deadline exceeded" when a slow render
# straddles the deadline (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 20000x
fuzz-short:
	$(GO) test -run '^$$' -fuzz FuzzValues -fuzztime 600x -parallel 2 ./test/render/

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzValues -fuzztime $(FUZZTIME) -parallel 2 ./test/render/

# Tier 2: the rendered configuration on real servers (Debian's postgresql; see .ci/run). Without
# the binaries the tests skip with the install command, or fail when CI=true. The two 60 s
# rotation proofs mostly wait: -parallel 4 lets the driver tests run beside them.
server: exporters
	$(GO) test -count=1 -parallel 4 ./test/server/...

# The metrics sidecars' exporters, built from their Go modules at the default images' versions.
exporters:
	@bash ci/build-exporters.sh $(BIN)

# Tier 3 without a cluster: it must build and skip, naming what is missing.
e2e-skip:
	@out=$$(PATH="$(BIN):$$PATH" $(GO) test -tags e2e -count=1 -v -run TestRelease ./test/e2e/... 2>&1) ; status=$$?; \
	echo "$$out" | grep -E '^(--- |ok|FAIL)|skipping' ; \
	[ $$status -eq 0 ] || { echo "$$out"; exit 1; }

# Tier 3: the chart in a cluster, end to end: E2E_KUBECONFIG's cluster, or a kind cluster of its own.
e2e: tools $(if $(E2E_KUBECONFIG),,kind)
	PATH="$(BIN):$$PATH" E2E_KIND=$(KIND) $(GO) test -tags e2e -count=1 -v -timeout 40m ./test/e2e/...

up:
	@HELM=$(HELM) KIND=$(KIND) VALUES=$(VALUES) RELEASE=$(RELEASE) NAMESPACE=$(NAMESPACE) ci/up.sh

down:
	@HELM=$(HELM) KIND=$(KIND) ci/down.sh

render: $(HELM)
	@$(HELM) template $(RELEASE) $(CHART) --namespace $(NAMESPACE) -f $(VALUES)

# Render benchmarks, and backup throughput on a ~1 GB database (BENCH_PGBENCH_SCALE=70;
# BENCH_DATA=text for less compressible rows; BENCH_ROUNDS=3).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -v ./test/render/ ./test/server/

clean:
	rm -rf $(BIN)
