package server_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
)

// Extensions and the user's init scripts on a real server: what the first start creates, and what
// the post-upgrade Job adds to a database that already exists.

func extensionsServer(t *testing.T, set map[string]string) *pgserver.Server {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	values := map[string]string{"postgres.extensions": "{pgcrypto,pg_stat_statements}"}
	for k, v := range set {
		values[k] = v
	}
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: values}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	return srv
}

func extensionsOf(t *testing.T, srv *pgserver.Server) []string {
	t.Helper()
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	rows, err := conn.Query(ctx(t), "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname")
	require.NoError(t, err)
	var out []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		out = append(out, name)
	}
	require.NoError(t, rows.Err())
	return out
}

// The first start creates every listed extension; pg_stat_statements, preloaded, collects.
func TestListedExtensionsAreCreatedAtFirstStart(t *testing.T) {
	srv := extensionsServer(t, nil)
	assert.Equal(t, []string{"pg_stat_statements", "pgcrypto"}, extensionsOf(t, srv))
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var calls int64
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements").Scan(&calls))
	assert.Positive(t, calls, "shared_preload_libraries loaded it")
}

// upgradeJob lays out the post-upgrade maintenance Job of a second render of the same release
// with another extensions list (and more values, in pairs).
func upgradeJob(t *testing.T, srv *pgserver.Server, extensions string, more ...string) *pod.Pod {
	t.Helper()
	set := map[string]string{"postgres.extensions": extensions}
	for i := 0; i+1 < len(more); i += 2 {
		set[more[i]] = more[i+1]
	}
	return maintenanceJob(t, srv, set)
}

// An extension added to the list after the database exists is created by the Job.
func TestExtensionsJobAddsWhatTheListGained(t *testing.T) {
	srv := extensionsServer(t, map[string]string{"postgres.extensions": "{pgcrypto,pg_stat_statements}"})
	job := upgradeJob(t, srv, "{pgcrypto,pg_stat_statements,hstore}")
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	assert.Contains(t, out, "maintenance: app/app_db: extensions pgcrypto,pg_stat_statements,hstore")
	assert.Equal(t, []string{"hstore", "pg_stat_statements", "pgcrypto"}, extensionsOf(t, srv))

	again, err := pgserver.RunJob(job)
	require.NoError(t, err, again, "idempotent")
}

// An extension the image does not have fails the Job with PostgreSQL's own message.
func TestExtensionsJobFailsOnAnExtensionTheImageLacks(t *testing.T) {
	srv := extensionsServer(t, nil)
	out, err := pgserver.RunJob(upgradeJob(t, srv, "{pgcrypto,no_such_extension}"))
	require.Error(t, err, out)
	assert.Contains(t, out, `maintenance: app/app_db: FAILED`)
	assert.Contains(t, out, `extension "no_such_extension" is not available`)
}

// The user's init scripts (a ConfigMap's and a Secret's keys) run once, after the chart's, in
// file-name order.
func TestUserInitScriptsRunAfterTheCharts(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"},
		SetValues: map[string]string{"postgres.initdb.scriptsConfigMap": "app-schema", "postgres.initdb.scriptsSecret": "app-seed"}},
		ConfigMaps: map[string]map[string]string{"app-schema": {"20-schema.sql": `CREATE TABLE customers (id int PRIMARY KEY, card bytea);
ALTER TABLE customers OWNER TO app_user;`}},
		Secrets: map[string]map[string][]byte{"app-seed": {"30-seed.sql": []byte(`INSERT INTO customers VALUES (1, pgp_sym_encrypt('4111', 'k'));`)}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var card string
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT pgp_sym_decrypt(card, 'k') FROM customers WHERE id = 1").Scan(&card),
		"the schema, then the seed, after the chart's init (the user and pgcrypto)")
	assert.Equal(t, "4111", card)
}

// Metrics turned on for a database that already exists: the Job creates the monitoring login
// (pg_monitor) with the password of the monitoring Secret, which then logs in over TLS.
func TestMaintenanceJobCreatesTheMonitoringLogin(t *testing.T) {
	srv := extensionsServer(t, map[string]string{"postgres.extensions": "{pgcrypto}"})
	job := upgradeJob(t, srv, "{pgcrypto}", "postgres.metrics.enabled", "true")
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	assert.Contains(t, out, "maintenance: app/app_db: extensions pgcrypto, monitoring login")

	secret, ok := job.Secret("test-postgres-app-monitor")
	require.True(t, ok)
	monitor := srv.AsApp(caPool(t, srv))
	monitor.User, monitor.Password = "datastores_monitor", string(secret.Data["password"])
	conn, err := srv.Connect(ctx(t), monitor)
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var isMonitor bool
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT pg_has_role('pg_monitor', 'MEMBER')").Scan(&isMonitor))
	assert.True(t, isMonitor)
	assert.NotContains(t, srv.Log(), string(secret.Data["password"]), "the password is never logged")

	again, err := pgserver.RunJob(job)
	require.NoError(t, err, again, "idempotent")
}

// With client certificates required (clientcert=verify-full on every TLS rule), the Job logs in
// as the superuser with the client certificate the chart issues for it: without one, every
// upgrade of such an instance with metrics or extensions used to fail.
func TestMaintenanceJobPresentsTheSuperusersClientCertificate(t *testing.T) {
	srv := extensionsServer(t, map[string]string{"postgres.extensions": "{pgcrypto}", "postgres.tls.clientCertificates": "true"})
	job := upgradeJob(t, srv, "{pgcrypto,hstore}", "postgres.tls.clientCertificates", "true", "postgres.metrics.enabled", "true")
	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	assert.Contains(t, out, "maintenance: app/app_db: extensions pgcrypto,hstore, monitoring login")
	conn, err := srv.Connect(ctx(t), withClientCert(t, srv.AsApp(caPool(t, srv)), &certs.Pair{CertPEM: srv.ClientCert, KeyPEM: srv.ClientKey}))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var hstore bool
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'hstore')").Scan(&hstore))
	assert.True(t, hstore, "the Job created it")

	// The same Job without the certificate (a render with client certificates off) is refused.
	out, err = pgserver.RunJob(upgradeJob(t, srv, "{pgcrypto,hstore}"))
	require.Error(t, err, "the server refuses the superuser without a certificate: %s", out)
	assert.Contains(t, out, "certificate")
}
