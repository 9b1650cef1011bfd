package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/certs"
)

// `datastores certs` then `datastores certs renew`, through files, as an operator runs them.
func TestCertsCommandIssuesAndRenews(t *testing.T) {
	dir := t.TempDir()
	secretsFile, caFile := filepath.Join(dir, "tls.yaml"), filepath.Join(dir, "ca.yaml")
	values := filepath.Join(chart.RepoRoot(), "values", "dev.yaml")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"certs", "-f", values, "--release", "test", "--namespace", "datastores", "--ca-out", caFile, "-o", secretsFile}, nil, &stdout, &stderr), stderr.String())
	assert.Contains(t, stderr.String(), "--set postgres.instances.app.tls.existingSecret.name=test-postgres-app-tls,redis.tls.existingSecret.name=test-redis-tls")

	for _, f := range []string{secretsFile, caFile} {
		info, err := os.Stat(f)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "%s holds private keys", f)
	}
	read := func(path string) []string {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		secrets, err := certs.Read(data)
		require.NoError(t, err)
		var names []string
		for _, s := range secrets {
			names = append(names, s.Name)
		}
		return names
	}
	assert.Equal(t, []string{"test-postgres-app-tls", "test-redis-tls"}, read(secretsFile), "the servers' Secrets, ready for kubectl apply")
	assert.Equal(t, []string{"test-datastores-certs-ca"}, read(caFile), "the CA apart")

	renewed := filepath.Join(dir, "renewed.yaml")
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, run([]string{"certs", "renew", "-f", secretsFile, "-f", caFile, "--ca-out", filepath.Join(dir, "ca2.yaml"), "-o", renewed}, nil, &stdout, &stderr), stderr.String())
	assert.Contains(t, stderr.String(), "2 certificates renewed")
	assert.Equal(t, []string{"test-postgres-app-tls", "test-redis-tls"}, read(renewed))
	before, _ := os.ReadFile(caFile)
	after, _ := os.ReadFile(filepath.Join(dir, "ca2.yaml"))
	assert.Equal(t, string(before), string(after), "the CA is kept")
}

func TestCertsCommandRefusesMissingFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"certs", "-f", "values/dev.yaml"}, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "--release and --namespace are required")
}
