package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/pgserver"
)

// Without the init container, the key is as a Secret volume presents it by default, and
// PostgreSQL refuses to start; the servers of every other test started with it.
func TestServerRefusesTheKeyWithoutTheInitStep(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	opts := targets[0].options(defaults)
	opts.SkipPrepareTLS = true

	srv, err := pgserver.Start(opts)
	if srv != nil {
		srv.Stop()
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has group or world access")
}

func TestInitStepNamesAMissingKey(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	opts := targets[0].options(defaults)
	opts.TLSSecretData = map[string][]byte{"tls.crt": []byte("cert"), "ca.crt": []byte("ca")}
	pod, err := pgserver.Prepare(opts)
	require.NoError(t, err)
	defer pod.Remove()

	out, err := pod.PrepareTLS()
	require.Error(t, err)
	assert.Contains(t, out, `prepare-tls: the TLS Secret "test-postgres-app-tls" has no key "tls.key"`)
}
