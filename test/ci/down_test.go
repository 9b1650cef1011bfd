// Package ci_test checks the scripts behind `make up` and `make down` without a cluster: the
// state file make up writes is replayed by ci/down.sh against stand-in kubectl, helm and kind
// commands that record how they were called. (On a real cluster both run in the lab; no cluster
// runs where `make test` does.)
package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
)

// stub records each call as one line "<command> <args>" in $CALLS; kubectl fails to reach the
// context named by $UNREACHABLE.
const stub = `#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$(basename "$0")" = kubectl ] && [ -n "${UNREACHABLE:-}" ]; then
  case " $* " in *" --context $UNREACHABLE "*" /readyz "*) echo "dial tcp: connection refused" >&2; exit 1 ;; esac
fi
exit 0
`

// down runs ci/down.sh on a state file and returns its output, its exit status, the calls it
// made, and the state file left (empty: removed).
func down(t *testing.T, state, unreachable string) (out string, code int, calls []string, left string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"kubectl", "helm", "kind"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(stub), 0o755))
	}
	statePath := filepath.Join(dir, "up-state")
	if state != "" {
		require.NoError(t, os.WriteFile(statePath, []byte(state), 0o644))
	}
	cmd := exec.Command("bash", filepath.Join(chart.RepoRoot(), "ci", "down.sh"))
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "HELM="+filepath.Join(dir, "helm"), "KIND="+filepath.Join(dir, "kind"),
		"STATE="+statePath, "CALLS="+filepath.Join(dir, "calls"), "UNREACHABLE="+unreachable)
	raw, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "calls")); err == nil {
		calls = strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	if data, err := os.ReadFile(statePath); err == nil {
		left = string(data)
	}
	return string(raw), code, calls, left
}

// called reports whether some call contains every part, in order.
func called(calls []string, parts ...string) bool {
	for _, c := range calls {
		rest, ok := c, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestDownWithNothingRecordedRemovesNothing(t *testing.T) {
	out, code, calls, _ := down(t, "", "")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "nothing recorded")
	assert.Empty(t, calls)
}

// After `make up` on an existing cluster: no kind line (that once made `make down` exit 1 and
// keep its state), a namespace it created and a release.
func TestDownAfterUpOnAnExistingCluster(t *testing.T) {
	out, code, calls, left := down(t, "namespace|/k/config|staging|datastores|created\nrelease|/k/config|staging|datastores|datastores\n", "")
	require.Equal(t, 0, code, out)
	assert.True(t, called(calls, "helm", "uninstall datastores", "--namespace datastores"), calls)
	assert.True(t, called(calls, "kubectl --context staging", "-n datastores delete secret,pvc -l app.kubernetes.io/instance=datastores"), "what Helm keeps: %v", calls)
	assert.True(t, called(calls, "kubectl --context staging", "delete namespace datastores"), calls)
	assert.False(t, called(calls, "kind"), calls)
	assert.Empty(t, left, "the state file is gone")
}

// A namespace that existed before `make up` is never deleted; its labels are put back as they
// were ("-": there was none).
func TestDownLeavesANamespaceItDidNotCreate(t *testing.T) {
	out, code, calls, _ := down(t, "namespace||prod|shared|labelled|baseline|-\nrelease||prod|shared|ds\n", "")
	require.Equal(t, 0, code, out)
	assert.False(t, called(calls, "delete namespace"), calls)
	assert.True(t, called(calls, "label namespace shared --overwrite pod-security.kubernetes.io/enforce=baseline pod-security.kubernetes.io/enforce-version-"), calls)
	assert.True(t, called(calls, "delete secret,pvc -l app.kubernetes.io/instance=ds"), calls)
	assert.Contains(t, out, "left in place")
}

// After a failed install on a kind cluster make up created: the cluster goes, and with it
// everything on it; nothing is asked of its API server.
func TestDownAfterAFailedInstallOnANewKindCluster(t *testing.T) {
	out, code, calls, left := down(t, "kind|datastores\nnamespace||kind-datastores|datastores|created\nrelease||kind-datastores|datastores|datastores\n", "kind-datastores")
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{"kind delete cluster --name datastores"}, calls)
	assert.Empty(t, left)
}

// A cluster that does not answer keeps its lines for the next `make down`; the others go.
func TestDownKeepsWhatItCouldNotReach(t *testing.T) {
	state := "release||gone|a|one\nrelease||here|b|two\n"
	out, code, calls, left := down(t, state, "gone")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, `context "gone"`)
	assert.Contains(t, out, "run make down again")
	assert.Equal(t, "release||gone|a|one\n", left)
	assert.True(t, called(calls, "helm", "uninstall two"), calls)
	assert.False(t, called(calls, "uninstall one"), calls)
}
