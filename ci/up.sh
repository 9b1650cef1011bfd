#!/usr/bin/env bash
# make up: a cluster (the one KUBECONFIG/KUBE_CONTEXT name, or a new kind cluster when neither
# is given), the umbrella chart installed with $VALUES in a namespace that enforces the restricted
# Pod Security profile, `helm test`, and how to connect. `make down` removes what this created.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HELM:?}" "${KIND:?}" "${VALUES:=values/dev.yaml}" "${RELEASE:=datastores}" "${NAMESPACE:=datastores}"
CLUSTER="${CLUSTER:-datastores}"
state=".up"

ctx=()
if [ -n "${KUBECONFIG:-}" ] || [ -n "${KUBE_CONTEXT:-}" ]; then
  [ -z "${KUBE_CONTEXT:-}" ] || ctx=(--kube-context "$KUBE_CONTEXT")
  make -s tools
  if ! "$HELM" list -A "${ctx[@]}" >/dev/null 2>&1; then
    echo "make up: the cluster named by KUBECONFIG=${KUBECONFIG:-} KUBE_CONTEXT=${KUBE_CONTEXT:-} is not reachable; fix the kubeconfig, or unset both to let make up create a kind cluster (needs Docker)" >&2
    exit 1
  fi
else
  if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    echo "make up: no cluster to use. Give one with KUBECONFIG=<file> (and KUBE_CONTEXT=<context>), or start Docker so make up can create a kind cluster." >&2
    exit 1
  fi
  make -s tools kind
  if ! "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    "$KIND" create cluster --name "$CLUSTER" --config ci/kind-config.yaml --wait 180s
    echo "kind $CLUSTER" >> "$state"
  fi
  ctx=(--kube-context "kind-$CLUSTER")
fi

if command -v kubectl >/dev/null 2>&1; then
  kctx=()
  [ "${#ctx[@]}" -eq 0 ] || kctx=(--context "${ctx[1]}")
  kubectl "${kctx[@]}" create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl "${kctx[@]}" apply -f - >/dev/null
  kubectl "${kctx[@]}" label namespace "$NAMESPACE" --overwrite \
    pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null
else
  echo "make up: kubectl not found; the namespace is created by helm, without the restricted Pod Security label" >&2
fi

start=$(date +%s)
"$HELM" upgrade --install "$RELEASE" charts/datastores --namespace "$NAMESPACE" --create-namespace \
  -f "$VALUES" --wait --timeout 10m "${ctx[@]}"
echo "release $NAMESPACE/$RELEASE ${ctx[*]:-}" >> "$state"
echo "make up: installed and Ready in $(( $(date +%s) - start ))s; running helm test"
"$HELM" test "$RELEASE" --namespace "$NAMESPACE" --logs --timeout 5m "${ctx[@]}"
echo
"$HELM" get notes "$RELEASE" --namespace "$NAMESPACE" "${ctx[@]}"
