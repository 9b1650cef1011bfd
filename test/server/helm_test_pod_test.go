package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
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
		assert.Regexp(t, `server certificate: sha256 [0-9a-f]{64}, expires 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC, [0-9]+ days left`, out)
		assert.Regexp(t, `CA: sha256 [0-9a-f]{64}, expires 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC, [0-9]+ days left`, out)
		assert.Contains(t, out, "ok: no certificate expires within 7 days")
	})
}

// The same pod fails once the certificate in the TLS Secret expires within 7 days, naming it,
// even though the connection itself still works.
func TestHelmTestPodFailsOnACertificateAboutToExpire(t *testing.T) {
	srv := postgresServers(t, "defaults", defaults)[0]
	secret, ok := srv.Secret(srv.Fullname + "-tls")
	require.True(t, ok)
	caSecret, ok := srv.Secret("test-datastores-ca")
	require.True(t, ok)
	ca, err := certs.Load(caSecret.Data["tls.crt"], caSecret.Data["tls.key"])
	require.NoError(t, err)
	old, err := certs.Parse(secret.Data["tls.crt"])
	require.NoError(t, err)
	tests := []struct {
		name    string
		expires time.Duration
		want    string
	}{
		{"3 days left", 3 * 24 * time.Hour, "FAIL: the server certificate expires within 7 days"},
		{"expired", -time.Hour, "FAIL: the server certificate expires within 7 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			soon, err := ca.Reissue(old, time.Now().Add(tt.expires))
			require.NoError(t, err)
			data := map[string][]byte{"tls.crt": soon.CertPEM, "tls.key": soon.KeyPEM, "ca.crt": secret.Data["ca.crt"]}
			job, err := srv.Job("Pod/"+srv.Fullname+"-test", pgserver.JobOptions{Secrets: map[string]map[string][]byte{srv.Fullname + "-tls": data}})
			require.NoError(t, err)
			defer job.Remove()

			out, err := pgserver.RunJob(job)
			require.Error(t, err, out)
			assert.Contains(t, out, "ok: verify-full TLS", "the server is fine; only the expiry fails")
			assert.Contains(t, out, tt.want)
		})
	}
}
