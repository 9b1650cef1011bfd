package server_test

import (
	"crypto/tls"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
)

// chartCA is the release CA, with its key, from the chart's CA Secret.
func chartCA(t *testing.T, srv *pgserver.Server) *certs.Pair {
	t.Helper()
	for _, s := range chart.All[*corev1.Secret](srv.Release) {
		if s.Labels["app.kubernetes.io/component"] == "certificate-authority" {
			ca, err := certs.Load(s.Data["tls.crt"], s.Data["tls.key"])
			require.NoError(t, err)
			return ca
		}
	}
	t.Fatal("no CA Secret in the render")
	return nil
}

func withClientCert(t *testing.T, c pgserver.Client, pair *certs.Pair) pgserver.Client {
	t.Helper()
	cert, err := pair.TLSCertificate()
	require.NoError(t, err)
	c.TLS.Certificates = []tls.Certificate{cert}
	return c
}

func TestClientCertificateMode(t *testing.T) {
	other, err := certs.NewCA("some other CA")
	require.NoError(t, err)

	forEachServer(t, "client-certs", clientCerts, func(t *testing.T, srv *pgserver.Server) {
		pool := caPool(t, srv)
		ca := chartCA(t, srv)
		issued := func(ca *certs.Pair, cn string) *certs.Pair {
			p, err := ca.Client(cn)
			require.NoError(t, err)
			return p
		}

		t.Run("password without a certificate is refused", func(t *testing.T) {
			_, err := srv.Connect(ctx(t), srv.AsApp(pool))
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			assert.Equal(t, "28000", pgErr.Code, pgErr.Message)
		})
		t.Run("the chart's client certificate is accepted", func(t *testing.T) {
			require.NotEmpty(t, srv.ClientCert, "tls.clientCertificates issues one")
			pair := &certs.Pair{CertPEM: srv.ClientCert, KeyPEM: srv.ClientKey}
			conn, err := srv.Connect(ctx(t), withClientCert(t, srv.AsApp(pool), pair))
			require.NoError(t, err)
			conn.Close(ctx(t))
		})
		t.Run("a certificate from the CA for the user is accepted", func(t *testing.T) {
			conn, err := srv.Connect(ctx(t), withClientCert(t, srv.AsApp(pool), issued(ca, srv.AppUser)))
			require.NoError(t, err)
			conn.Close(ctx(t))
		})
		t.Run("a certificate from the CA for another user is refused", func(t *testing.T) {
			_, err := srv.Connect(ctx(t), withClientCert(t, srv.AsApp(pool), issued(ca, "someone_else")))
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			// PostgreSQL reports it as a failed authentication and logs the reason.
			assert.Equal(t, "28P01", pgErr.Code, pgErr.Message)
			assert.Contains(t, srv.Log(), `certificate validation (clientcert=verify-full) failed for user "`+srv.AppUser+`"`)
		})
		t.Run("a certificate from another CA is refused", func(t *testing.T) {
			_, err := srv.Connect(ctx(t), withClientCert(t, srv.AsApp(pool), issued(other, srv.AppUser)))
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr)
			assert.Equal(t, "28000", pgErr.Code, pgErr.Message)
			assert.Contains(t, pgErr.Message, "connection requires a valid client certificate")
		})
	})
}
