package server_test

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/pgserver"
)

func TestVerifyFullClientConnectsOverTLS(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
		require.NoError(t, err)
		defer conn.Close(ctx(t))

		var ssl bool
		var version string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &version))
		assert.True(t, ssl)
		assert.Contains(t, []string{"TLSv1.2", "TLSv1.3"}, version)

		var on, listen string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT current_setting('ssl'), current_setting('listen_addresses')").Scan(&on, &listen))
		assert.Equal(t, "on", on)
		assert.Equal(t, "*", listen)
	})
}

func TestPlaintextClientIsRefused(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		c := srv.AsApp(nil)
		c.TLS = nil
		_, err := srv.Connect(ctx(t), c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "pg_hba.conf rejects connection", "refused by the reject rule, not for want of a rule")
		assert.Contains(t, err.Error(), "no encryption")
	})
}

func TestClientCappedAtTLS11IsRefused(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		c := srv.AsApp(caPool(t, srv))
		c.TLS.MinVersion, c.TLS.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		_, err := srv.Connect(ctx(t), c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "tls: ", "refused in the handshake, before authentication")
	})
}

func TestTLS12ClientIsRefusedWhenTheMinimumIsTLS13(t *testing.T) {
	forEachServer(t, "tls13", tls13Minimum, func(t *testing.T, srv *pgserver.Server) {
		old := srv.AsApp(caPool(t, srv))
		old.TLS.MaxVersion = tls.VersionTLS12
		_, err := srv.Connect(ctx(t), old)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "tls: ")

		conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
		require.NoError(t, err, "a TLS 1.3 client still connects")
		var version string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&version))
		assert.Equal(t, "TLSv1.3", version)
		conn.Close(ctx(t))
	})
}

func TestUnknownCAFailsVerification(t *testing.T) {
	other, err := certs.NewCA("some other CA")
	require.NoError(t, err)
	pool, err := certs.Pool(other.CertPEM)
	require.NoError(t, err)
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		_, err := srv.Connect(ctx(t), srv.AsApp(pool))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate signed by unknown authority")
	})
}

func TestWrongHostNameFailsVerification(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		c := srv.AsApp(caPool(t, srv))
		c.TLS.ServerName = "postgres.attacker.example"
		_, err := srv.Connect(ctx(t), c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "certificate is valid for")
	})
}
