package server_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/drivers"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/proc"
	"github.com/datastores/datastores/tools/datastores/certs"
	"github.com/datastores/datastores/tools/datastores/secrets"
)

// The GitOps install end to end on a real server: `datastores certs` and `datastores secrets` make
// the TLS and password Secrets once, the chart in GitOps mode (which generates nothing) names
// them, the server starts with them, and an application connects with the connection Secret's
// uri, verifying the server against the CA the tools made.
func TestGitOpsInstallWithTheToolsSecrets(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	requireDrivers(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	port, err := proc.FreePort()
	require.NoError(t, err)
	values := []byte(`global:
  connection:
    caFile: ` + caFile + `
postgres:
  port: ` + strconv.Itoa(port) + `
  tls:
    source: existingSecret
  instances:
    app:
      database: app_db
      user: app_user
      tls:
        existingSecret: {name: test-postgres-app-tls}
      auth:
        existingSecret: test-postgres-app-auth
        existingSuperuserSecret: test-postgres-app-superuser
redis:
  enabled: false
`)
	valuesFile := filepath.Join(dir, "values.yaml")
	require.NoError(t, os.WriteFile(valuesFile, values, 0o644))

	servers, err := certs.Servers(values, "test", "datastores")
	require.NoError(t, err)
	tlsSecrets, err := certs.Issue(servers, certs.Options{Release: "test", Namespace: "datastores"})
	require.NoError(t, err)
	made := map[string]map[string][]byte{}
	var ca []byte
	for _, s := range tlsSecrets {
		made[s.Name] = s.Data
		ca = s.Data["ca.crt"]
	}
	require.Contains(t, made, "test-postgres-app-tls")
	passwords, err := secrets.Make(secrets.Options{Chart: chart.ChartDir(), ValuesFiles: []string{valuesFile}, Release: "test", Namespace: "datastores", CA: ca})
	require.NoError(t, err)
	var connection *corev1.Secret
	for _, s := range passwords {
		made[s.Name] = s.Data
		if s.Name == "test-postgres-app-auth" {
			connection = s
		}
	}
	require.NotNil(t, connection, "the instance's Secret: its user's password and connection strings")
	assert.NotContains(t, connection.Data, "postgres-password", "the superuser's password is not the application's to read")
	require.Contains(t, made, "test-postgres-app-superuser")
	assert.Len(t, made["test-postgres-app-superuser"]["postgres-password"], 32)

	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Secrets: made, Chart: chart.Options{ValuesFiles: []string{valuesFile},
		SetValues: map[string]string{"global.gitops": "true", "postgres.port": strconv.Itoa(port)}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	for _, s := range chart.All[*corev1.Secret](srv.Release) {
		t.Errorf("GitOps mode rendered Secret %s", s.Name)
	}

	require.NoError(t, os.WriteFile(caFile, connection.Data["ca.crt"], 0o644))
	env, err := drivers.New(dir, string(connection.Data["host"]))
	require.NoError(t, err)
	uri := string(connection.Data["uri"])
	require.Contains(t, uri, ":"+strconv.Itoa(port)+"/", "the uri names the server's port")
	out, err := env.Run(filepath.Join(srv.Bin(), "psql"), uri, "-XAtc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
	require.NoError(t, err, out)
	assert.Equal(t, "t", out)

	// The superuser's password came from its own Secret, and the server took it.
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(ca))
	assert.Equal(t, string(made["test-postgres-app-superuser"]["postgres-password"]), srv.AdminPassword)
	conn, err := srv.Connect(t.Context(), srv.AsAdmin(pool))
	require.NoError(t, err, "the superuser logs in with -superuser's password")
	require.NoError(t, conn.Close(t.Context()))
}
