# Sourced by up.sh and down.sh. The state file records what `make up` created, one line per
# object, fields separated by "|":
#   kind|<cluster>                                    a kind cluster make up created
#   namespace|<kubeconfig>|<context>|<ns>|created     a namespace make up created
#   namespace|<kubeconfig>|<context>|<ns>|labelled|<enforce>|<enforce-version>
#                                                     an existing namespace make up labelled, with
#                                                     its labels from before ("-": none)
#   release|<kubeconfig>|<context>|<ns>|<release>     a release make up installed
# <kubeconfig> is the KUBECONFIG make up ran with (empty: kubectl's default) and <context> the
# context it resolved, so that `make down` reaches the same cluster whatever the environment says
# by then. A line is written before the step that creates its object: `make down` also removes
# what a failed `make up` left half made.
state="${STATE:-.up}"

# record LINE: append LINE to the state file unless it is there already.
record() {
  if [ -f "$state" ] && grep -qxF -- "$1" "$state"; then return 0; fi
  printf '%s\n' "$1" >> "$state"
}

# use_cluster KUBECONFIG CONTEXT: k and h talk to exactly that cluster from now on.
use_cluster() { cluster_kubeconfig="$1" cluster_context="$2"; }

k() {
  if [ -n "$cluster_kubeconfig" ]; then
    KUBECONFIG="$cluster_kubeconfig" kubectl --context "$cluster_context" --request-timeout=30s "$@"
  else
    env -u KUBECONFIG kubectl --context "$cluster_context" --request-timeout=30s "$@"
  fi
}

h() {
  if [ -n "$cluster_kubeconfig" ]; then
    KUBECONFIG="$cluster_kubeconfig" "$HELM" --kube-context "$cluster_context" "$@"
  else
    env -u KUBECONFIG "$HELM" --kube-context "$cluster_context" "$@"
  fi
}

# reachable: whether the cluster's API server answers; prints kubectl's last line when not.
reachable() {
  local out
  if out="$(k get --raw /readyz 2>&1)"; then return 0; fi
  printf '%s\n' "$out" | tail -n 1
  return 1
}
