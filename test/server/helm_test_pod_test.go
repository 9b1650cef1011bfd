package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/pgserver"
)

// The `helm test` pod's script, run against the real server with only what the pod mounts,
// passes; it would fail on a server that took plaintext or lacked pgcrypto.
func TestHelmTestPodPassesAgainstTheServer(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		job, err := srv.Job("Pod/"+srv.Fullname+"-test", pgserver.JobOptions{})
		require.NoError(t, err)
		defer job.Remove()

		out, err := pgserver.RunJob(job)
		require.NoError(t, err, out)
		assert.Contains(t, out, "ok: verify-full TLS")
		assert.Contains(t, out, "ok: pgcrypto")
		assert.Contains(t, out, "ok: plaintext refused")
	})
}
