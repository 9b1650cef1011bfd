#!/usr/bin/env bash
# make up: a cluster (the one KUBECONFIG/KUBE_CONTEXT name, or a new kind cluster when neither is
# set), the umbrella chart installed with $VALUES in a namespace that enforces the restricted Pod
# Security profile, `helm test`, and how to connect. `make down` removes what this created.
# Everything that can be checked before creating anything is checked first (the cluster answers,
# the values render, the namespace runs nothing else, the StorageClasses the claims need exist),
# so bad input ends with one message and nothing left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HELM:?}" "${KIND:?}" "${VALUES:=values/dev.yaml}" "${RELEASE:=datastores}" "${NAMESPACE:=datastores}"
CLUSTER="${CLUSTER:-datastores}"
TIMEOUT="${TIMEOUT:-10m}"
# shellcheck source=ci/cluster.sh
. ci/cluster.sh

fail() { echo "make up: $*" >&2; exit 1; }

command -v kubectl >/dev/null 2>&1 || fail "kubectl is not on PATH: install it (make up creates, labels and checks the namespace with it)"
[ -f "$VALUES" ] || fail "VALUES=$VALUES: no such file"
make -s tools

# 1. The cluster, named once and used by every command below.
if [ -n "${KUBECONFIG:-}" ] || [ -n "${KUBE_CONTEXT:-}" ]; then
  kc="${KUBECONFIG:-}"
  ctx="${KUBE_CONTEXT:-$(if [ -n "$kc" ]; then KUBECONFIG="$kc" kubectl config current-context; else kubectl config current-context; fi 2>/dev/null || true)}"
  [ -n "$ctx" ] || fail "KUBECONFIG=${kc:-<default>} has no current context: set KUBE_CONTEXT"
  use_cluster "$kc" "$ctx"
  server="$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}' 2>/dev/null || true)"
  echo "make up: using context \"$ctx\" (${server:-no server}) of KUBECONFIG=${kc:-<default>}, as KUBECONFIG/KUBE_CONTEXT say; unset both for a kind cluster of its own"
  if ! why="$(reachable)"; then
    fail "the cluster of context \"$ctx\" (${server:-no server}) does not answer: $why. Fix KUBECONFIG/KUBE_CONTEXT, or unset both to let make up create a kind cluster (needs Docker)"
  fi
else
  if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
    fail "no cluster to use: give one with KUBECONFIG=<file> (and KUBE_CONTEXT=<context>), or start Docker so make up can create a kind cluster"
  fi
  make -s kind
  if ! "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    record "kind|$CLUSTER"
    "$KIND" create cluster --name "$CLUSTER" --config ci/kind-config.yaml --wait 180s
  fi
  use_cluster "" "kind-$CLUSTER"
  echo "make up: using kind cluster $CLUSTER (context kind-$CLUSTER)"
  if ! why="$(reachable)"; then fail "kind cluster $CLUSTER does not answer: $why"; fi
fi
kubectl_cmd="kubectl --context $cluster_context"
[ -z "$cluster_kubeconfig" ] || kubectl_cmd="KUBECONFIG=$cluster_kubeconfig $kubectl_cmd"

# 2. The values render (the chart's own messages for bad input), before anything is created.
manifest="$(h template "$RELEASE" charts/datastores --namespace "$NAMESPACE" -f "$VALUES")" ||
  fail "VALUES=$VALUES does not render (helm's message above); nothing was created"

# 3. Every claim can be provisioned: the StorageClasses it names exist, and there is a default
# one for claims that name none (a claim with storageClassName "" wants a PersistentVolume made
# by hand and is not checked). Otherwise the install would wait for its timeout.
claims="$(grep -cE '^ *kind: PersistentVolumeClaim$' <<<"$manifest" || true)"
classes="$(grep -E '^ *storageClassName:' <<<"$manifest" | sed -E 's/^ *storageClassName: *//; s/^"(.*)"$/\1/' || true)"
named="$(grep -cE '^ *storageClassName:' <<<"$manifest" || true)"
available="$(k get storageclass -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' 2>/dev/null | paste -sd' ' -)"
for class in $(sort -u <<<"$classes"); do
  k get storageclass "$class" >/dev/null 2>&1 ||
    fail "StorageClass \"$class\", which VALUES=$VALUES asks for, does not exist on the cluster (it has: ${available:-none}); nothing was created"
done
if [ "$claims" -gt "$named" ]; then
  default="$(k get storageclass -o jsonpath='{range .items[?(@.metadata.annotations.storageclass\.kubernetes\.io/is-default-class=="true")]}{.metadata.name}{"\n"}{end}')"
  [ -n "$default" ] ||
    fail "the cluster has no default StorageClass, and $((claims - named)) claim(s) of VALUES=$VALUES name none: set postgres.persistence.storageClass, redis.persistence.storageClass (and postgres.backup.storage.storageClass) to one of: ${available:-none (install a provisioner)}; nothing was created"
fi

# 4. The namespace: one of its own, or an existing one that runs nothing but this release.
created_line="namespace|$cluster_kubeconfig|$cluster_context|$NAMESPACE|created"
if k get namespace "$NAMESPACE" >/dev/null 2>&1; then
  others="$(k -n "$NAMESPACE" get pods -l "app.kubernetes.io/instance!=$RELEASE" -o name | sed 's|^pod/||' | head -n 5 | paste -sd, -)"
  [ -z "$others" ] ||
    fail "namespace $NAMESPACE exists and runs pods that are not release $RELEASE's ($others): choose another NAMESPACE=; nothing was created"
  if [ -n "$(h status "$RELEASE" -n "$NAMESPACE" -o json 2>/dev/null)" ] && ! grep -qxF "release|$cluster_kubeconfig|$cluster_context|$NAMESPACE|$RELEASE" "$state" 2>/dev/null; then
    fail "release $RELEASE already exists in namespace $NAMESPACE and make up did not install it: choose another RELEASE= or NAMESPACE="
  fi
  enforce="$(k get namespace "$NAMESPACE" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')"
  version="$(k get namespace "$NAMESPACE" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce-version}')"
  if [ "$enforce" != restricted ] || [ "$version" != latest ]; then
    grep -qxF "$created_line" "$state" 2>/dev/null ||
      record "namespace|$cluster_kubeconfig|$cluster_context|$NAMESPACE|labelled|${enforce:--}|${version:--}"
    k label namespace "$NAMESPACE" --overwrite \
      pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null
    echo "make up: namespace $NAMESPACE already existed: labelled pod-security.kubernetes.io/enforce=restricted (was: ${enforce:-unset}); make down restores its labels and leaves it"
  fi
else
  record "$created_line"
  k create namespace "$NAMESPACE" >/dev/null
  k label namespace "$NAMESPACE" pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=latest >/dev/null
  echo "make up: created namespace $NAMESPACE, enforcing the restricted Pod Security profile"
fi

# 5. The release, Ready, then its tests.
record "release|$cluster_kubeconfig|$cluster_context|$NAMESPACE|$RELEASE"
start=$(date +%s)
if ! h upgrade --install "$RELEASE" charts/datastores --namespace "$NAMESPACE" -f "$VALUES" --wait --timeout "$TIMEOUT"; then
  echo "make up: release $RELEASE is not Ready after $TIMEOUT; what the namespace holds:" >&2
  k -n "$NAMESPACE" get pods,pvc >&2 || true
  fail "see above (and $kubectl_cmd -n $NAMESPACE describe pod ...); make down removes what make up created"
fi
echo "make up: installed and Ready in $(( $(date +%s) - start ))s; running helm test"
h test "$RELEASE" --namespace "$NAMESPACE" --logs --timeout 5m ||
  fail "helm test failed (logs above); the test pods stay for: $kubectl_cmd -n $NAMESPACE logs <pod>"
echo "make up: done. kubectl for this cluster: $kubectl_cmd -n $NAMESPACE ...; make down removes what make up created"
