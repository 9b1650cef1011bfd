#!/usr/bin/env bash
# make down: remove what make up created (the release and its namespace, the kind cluster if it
# made one), as recorded in .up.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HELM:?}" "${KIND:?}"
state=".up"
if [ ! -f "$state" ]; then
  echo "make down: nothing recorded in $state; nothing to remove"
  exit 0
fi
# Releases first, clusters last.
grep '^release ' "$state" | sort -u | while read -r _ nsrel ctxflag ctxname; do
  ns="${nsrel%%/*}" rel="${nsrel#*/}"
  ctx=(); [ -z "${ctxflag:-}" ] || ctx=("$ctxflag" "$ctxname")
  "$HELM" uninstall "$rel" --namespace "$ns" "${ctx[@]}" || true
  if command -v kubectl >/dev/null 2>&1; then
    kctx=(); [ -z "${ctxname:-}" ] || kctx=(--context "$ctxname")
    # The namespace holds what helm keeps on purpose (password Secrets, PVCs).
    kubectl "${kctx[@]}" delete namespace "$ns" --ignore-not-found
  fi
done
grep '^kind ' "$state" | sort -u | while read -r _ cluster; do
  "$KIND" delete cluster --name "$cluster"
done
rm -f "$state"
