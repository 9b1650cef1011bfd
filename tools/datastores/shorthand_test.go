package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every subcommand that takes a namespace takes -n as well as --namespace, and its -h says so.
func TestHelpListsTheNamespaceShorthand(t *testing.T) {
	shorthand := regexp.MustCompile(`(?m)^\s+-n string\n\s+shorthand for --namespace$`)
	long := regexp.MustCompile(`(?m)^\s+-namespace string$`)
	for _, tc := range []struct {
		args      []string
		namespace bool
	}{
		{[]string{"audit", "-h"}, true},
		{[]string{"certs", "-h"}, true},
		{[]string{"certs", "renew", "-h"}, false}, // renews the Secrets' own namespaces
		{[]string{"secrets", "-h"}, true},
		{[]string{"expand", "-h"}, true},
		{[]string{"expand", "--help"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCommand(t, tc.args...)
			require.Equal(t, 0, r.code, "help is not an error: %s", r.stderr)
			assert.Empty(t, r.stderr)
			assert.Contains(t, r.stdout, "Usage: datastores "+strings.Join(tc.args[:len(tc.args)-1], " "))
			assert.Equal(t, tc.namespace, shorthand.MatchString(r.stdout), "-n listed:\n%s", r.stdout)
			assert.Equal(t, tc.namespace, long.MatchString(r.stdout), "--namespace listed:\n%s", r.stdout)
		})
	}
}

// The README's `expand -n ...` parses: the command gets as far as the cluster, whose kubeconfig
// does not exist here (no cluster is contacted).
func TestExpandTakesTheNamespaceShorthand(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	t.Setenv("KUBECONFIG", missing)
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not the in-cluster configuration either
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"-n", []string{"expand", "-n", "x", "--release", "r", "--instance", "a", "--size", "1Gi", "--dry-run"}},
		{"--namespace", []string{"expand", "--namespace", "x", "--release", "r", "--instance", "a", "--size", "1Gi", "--dry-run"}},
		{"-n with --redis", []string{"expand", "-n", "x", "--release", "r", "--redis", "--size", "1Gi", "--dry-run"}},
		{"-n with --kubeconfig", []string{"expand", "-n", "x", "--release", "r", "--instance", "a", "--size", "1Gi", "--dry-run", "--kubeconfig", missing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCommand(t, tc.args...)
			assert.Equal(t, 2, r.code)
			assert.True(t, strings.HasPrefix(r.stderr, "datastores expand: kubeconfig: "), "failed on the cluster, not a flag:\n%s", r.stderr)
			assert.NotContains(t, r.stderr, "flag")
			assert.Empty(t, r.stdout)
		})
	}
}

// secrets takes -n too (it did not).
func TestSecretsTakesTheNamespaceShorthand(t *testing.T) {
	f := newFixture(t)
	r := runCommand(t, "secrets", "-f", f.values, "--release", "data", "-n", "apps", "--chart", f.chart)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "namespace: apps")
}
