#!/usr/bin/env bash
# make down: remove what make up created, as recorded in the state file (see ci/cluster.sh), newest
# first: releases (with the Secrets and claims Helm keeps on purpose), then namespaces make up
# created (one it did not create is left, with its labels put back), then kind clusters. Objects
# on a kind cluster that is about to be deleted go with it. Whatever cannot be removed now (the
# cluster does not answer) stays recorded for the next `make down`.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${HELM:?}" "${KIND:?}"
# shellcheck source=ci/cluster.sh
. ci/cluster.sh

if [ ! -s "$state" ]; then
  echo "make down: nothing recorded in $state; nothing to remove"
  rm -f "$state"
  exit 0
fi

doomed=" $(grep '^kind|' "$state" | cut -d'|' -f2 | sed 's/^/kind-/' | tr '\n' ' ')"
left=()
while IFS= read -r line; do
  IFS='|' read -r what kc ctx ns a b c <<<"$line"
  case "$what" in
    kind)
      cluster="$kc"
      echo "make down: deleting kind cluster $cluster"
      "$KIND" delete cluster --name "$cluster" || left+=("$line")
      continue ;;
    release|namespace) ;;
    *) echo "make down: $state: unknown line \"$line\"; left there" >&2; left+=("$line"); continue ;;
  esac
  if [ -z "$kc" ] && [[ "$doomed" == *" $ctx "* ]]; then continue; fi # goes with its kind cluster
  use_cluster "$kc" "$ctx"
  if ! why="$(reachable)"; then
    echo "make down: context \"$ctx\" (KUBECONFIG=${kc:-<default>}) does not answer ($why): $what $ns${a:+/$a} left in $state" >&2
    left+=("$line")
    continue
  fi
  case "$what/$a" in
    release/*)
      echo "make down: uninstalling release $a from namespace $ns"
      if h status "$a" -n "$ns" >/dev/null 2>&1; then
        h uninstall "$a" --namespace "$ns" --wait --timeout 5m || { left+=("$line"); continue; }
      fi
      # What Helm keeps on purpose (the password Secrets, the StatefulSets' data claims, the
      # backup claim) belongs to the release too.
      k -n "$ns" delete secret,pvc -l "app.kubernetes.io/instance=$a" --ignore-not-found --wait=false || left+=("$line")
      ;;
    namespace/created)
      echo "make down: deleting namespace $ns"
      k delete namespace "$ns" --ignore-not-found --timeout=5m || left+=("$line")
      ;;
    namespace/labelled)
      echo "make down: namespace $ns existed before make up: left in place, its Pod Security labels put back"
      restore=()
      for kv in "pod-security.kubernetes.io/enforce=$b" "pod-security.kubernetes.io/enforce-version=$c"; do
        if [ "${kv#*=}" = - ]; then restore+=("${kv%%=*}-"); else restore+=("$kv"); fi
      done
      k label namespace "$ns" --overwrite "${restore[@]}" >/dev/null || left+=("$line")
      ;;
  esac
done < <(tac "$state")

if [ "${#left[@]}" -gt 0 ]; then
  printf '%s\n' "${left[@]}" | tac > "$state"
  echo "make down: ${#left[@]} object(s) could not be removed and stay recorded in $state; run make down again" >&2
  exit 1
fi
rm -f "$state"
echo "make down: everything make up created is gone"
