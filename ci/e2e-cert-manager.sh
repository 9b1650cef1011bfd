#!/usr/bin/env bash
# The workflow's second e2e job: a kind cluster with cert-manager from its official chart, then
# the e2e suite's cert-manager test against it.
set -euo pipefail
cd "$(dirname "$0")/.."
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.18.2}"
make -s tools kind
export PATH="$PWD/bin:$PATH"
kubeconfig="$(mktemp)"
kind create cluster --name cert-manager-e2e --config ci/kind-config.yaml --kubeconfig "$kubeconfig" --wait 180s
trap 'kind delete cluster --name cert-manager-e2e' EXIT
helm --kubeconfig "$kubeconfig" install cert-manager cert-manager \
  --repo https://charts.jetstack.io --version "$CERT_MANAGER_VERSION" \
  --namespace cert-manager --create-namespace --set crds.enabled=true --wait --timeout 5m
E2E_REQUIRE=1 E2E_CERT_MANAGER=1 E2E_KUBECONFIG="$kubeconfig" \
  go test -tags e2e -count=1 -v -timeout 30m -run 'TestCertManagerTLSSource' ./test/e2e/...
