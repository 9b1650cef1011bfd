package render_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
)

// The connection Secrets in the render tier: every key is there, parses, names the server by its
// Service name with verification on, and carries the password as it is. Each driver connecting
// with them to a real server is in the server tier (test/server/connection_drivers_test.go).

const devHost = devInstance + ".datastores.svc.cluster.local"

// caFileFor renders with global.connection.caFile pointing at a file that holds the release CA,
// so that parsers which read sslrootcert (pgx) find it.
func caFileFor(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "ca.crt")
}

func writeCA(t *testing.T, rel *chart.Release, path string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, chart.Get[*corev1.Secret](t, rel, caName).Data["ca.crt"], 0o600))
}

func TestPostgresConnectionSecretHasEveryForm(t *testing.T) {
	caFile := caFileFor(t)
	rel := renderDev(t, map[string]string{"global.connection.caFile": caFile})
	writeCA(t, rel, caFile)
	s := chart.Get[*corev1.Secret](t, rel, authSecret)
	d := func(k string) string { return string(s.Data[k]) }
	password := d("password")
	require.Len(t, password, 32)

	for _, k := range []string{"type", "provider", "host", "port", "database", "dbname", "username", "password", "sslmode", "sslrootcert",
		"uri", "jdbc-uri", "pgpass", "dsn", "sqlalchemy-uri", "sqlalchemy-asyncpg-uri", "ca.crt"} {
		assert.NotEmpty(t, s.Data[k], k)
	}
	assert.Equal(t, "postgresql", d("type"))
	assert.Equal(t, devHost, d("host"))
	assert.Equal(t, "verify-full", d("sslmode"))
	assert.Equal(t, caFile, d("sslrootcert"))
	assert.Equal(t, chart.Get[*corev1.Secret](t, rel, caName).Data["ca.crt"], s.Data["ca.crt"])

	for _, k := range []string{"uri", "dsn"} {
		cfg, err := pgx.ParseConfig(d(k))
		require.NoError(t, err, k)
		assert.Equal(t, devHost, cfg.Host, k)
		assert.Equal(t, uint16(5432), cfg.Port, k)
		assert.Equal(t, "app_db", cfg.Database, k)
		assert.Equal(t, "app_user", cfg.User, k)
		assert.Equal(t, password, cfg.Password, k)
		require.NotNil(t, cfg.TLSConfig, "%s: TLS", k)
		assert.Equal(t, devHost, cfg.TLSConfig.ServerName, "%s: the host name is verified", k)
		assert.False(t, cfg.TLSConfig.InsecureSkipVerify && cfg.TLSConfig.VerifyPeerCertificate == nil, k)
		assert.Empty(t, cfg.Fallbacks, "%s: no fallback to a weaker mode", k)
	}
	assert.Equal(t, devHost+":5432:app_db:app_user:"+password+"\n", d("pgpass"))
	for k, prefix := range map[string]string{
		"jdbc-uri":               "jdbc:postgresql://" + devHost + ":5432/app_db?",
		"sqlalchemy-uri":         "postgresql+psycopg2://app_user:" + password + "@" + devHost + ":5432/app_db?",
		"sqlalchemy-asyncpg-uri": "postgresql+asyncpg://app_user:" + password + "@" + devHost + ":5432/app_db?",
	} {
		require.True(t, strings.HasPrefix(d(k), prefix), "%s: %s", k, d(k))
		q, err := url.ParseQuery(strings.TrimPrefix(d(k), prefix))
		require.NoError(t, err, k)
		if k == "sqlalchemy-asyncpg-uri" {
			assert.Equal(t, url.Values{"ssl": {"verify-full"}}, q, "asyncpg takes ssl=, never sslmode (the CA comes from PGSSLROOTCERT)")
			continue
		}
		assert.Equal(t, "verify-full", q.Get("sslmode"), k)
		assert.Equal(t, caFile, q.Get("sslrootcert"), k)
		if k == "jdbc-uri" {
			assert.Equal(t, "app_user", q.Get("user"))
			assert.Equal(t, password, q.Get("password"))
		}
	}
}

// A password from an existing Secret may hold anything; each form quotes it for its own grammar,
// and reading the form back gives the password as it was.
func TestConnectionStringsQuoteAnyPassword(t *testing.T) {
	hostile := `p@ss:w/o'rd\ %20?&#=` + "\"é"
	existing := existingSecret("app-credentials", map[string]string{"password": hostile, "postgres-password": "x"})
	users := existingSecret("orders-redis", map[string]string{"password": hostile})
	caFile := caFileFor(t)
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: []runtime.Object{existing, users}, SetValues: map[string]string{
		"global.connection.caFile":                   caFile,
		"postgres.instances.app.auth.existingSecret": "app-credentials",
		"redis.auth.users[0].name":                   "orders", "redis.auth.users[0].rules": "~orders:* +@all",
		"redis.auth.users[0].existingSecret": "orders-redis",
	}})
	writeCA(t, rel, caFile)
	s := chart.Get[*corev1.Secret](t, rel, authSecret)
	assert.NotContains(t, s.Annotations, "datastores.io/incomplete")
	assert.Equal(t, hostile, string(s.Data["password"]))
	for _, k := range []string{"uri", "dsn"} {
		cfg, err := pgx.ParseConfig(string(s.Data[k]))
		require.NoError(t, err, k)
		assert.Equal(t, hostile, cfg.Password, k)
		assert.Equal(t, "app_db", cfg.Database, k)
	}
	for _, k := range []string{"sqlalchemy-uri", "sqlalchemy-asyncpg-uri"} {
		u, err := url.Parse(string(s.Data[k]))
		require.NoError(t, err, k)
		p, _ := u.User.Password()
		assert.Equal(t, hostile, p, k)
		assert.Equal(t, devHost, u.Hostname(), k)
	}
	jdbc, err := url.ParseQuery(string(s.Data["jdbc-uri"])[strings.Index(string(s.Data["jdbc-uri"]), "?")+1:])
	require.NoError(t, err)
	assert.Equal(t, hostile, jdbc.Get("password"))
	assert.Equal(t, devHost+`:5432:app_db:app_user:p@ss\:w/o'rd\\ %20?&#="é`+"\n", string(s.Data["pgpass"]))

	r := chart.Get[*corev1.Secret](t, rel, redisName+"-user-orders")
	opt, err := redis.ParseURL(string(r.Data["url"]))
	require.NoError(t, err, "go-redis parses the url")
	assert.Equal(t, "orders", opt.Username)
	assert.Equal(t, hostile, opt.Password)
	assert.NotContains(t, r.Data, "secret")
}

// go-redis parses every Redis url the chart writes, with TLS on and verification left on.
func TestRedisURLIsParsedByGoRedisWithVerification(t *testing.T) {
	rel := renderDev(t, map[string]string{"redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@all"})
	for _, name := range []string{redisName + "-auth", redisName + "-user-orders"} {
		s := chart.Get[*corev1.Secret](t, rel, name)
		opt, err := redis.ParseURL(string(s.Data["url"]))
		require.NoError(t, err, name)
		require.NotNil(t, opt.TLSConfig, name)
		assert.False(t, opt.TLSConfig.InsecureSkipVerify, name)
		assert.Equal(t, "test-redis.datastores.svc.cluster.local", opt.TLSConfig.ServerName, name)
		assert.Equal(t, string(s.Data["username"]), opt.Username, name)
		assert.Equal(t, string(s.Data["password"]), opt.Password, name)
		assert.Equal(t, "true", string(s.Data["ssl"]), name)
		assert.NotEmpty(t, s.Data["ca.crt"], name)
		assert.Equal(t, string(s.Data["url"])+"?ssl_cert_reqs=required&ssl_check_hostname=true&ssl_ca_certs=%2Fetc%2Fdatastores%2Fca.crt", string(s.Data["redis-py-url"]),
			"%s: redis-py checks the name only when told", name)
	}
}

// With the default user off, its password only lets the probes PING: its Secret gives no url.
func TestRedisDefaultSecretHasNoURLWhenTheDefaultUserIsOff(t *testing.T) {
	rel := renderDev(t, map[string]string{"redis.auth.disableDefaultUser": "true", "redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@all"})
	s := chart.Get[*corev1.Secret](t, rel, redisName+"-auth")
	assert.NotContains(t, s.Data, "url")
	assert.NotContains(t, s.Data, "redis-py-url")
	assert.NotContains(t, s.Data, "username")
	assert.NotEmpty(t, s.Data["password"], "the probes' password")
	assert.Contains(t, chart.Get[*corev1.Secret](t, rel, redisName+"-user-orders").Data, "url")
}

// Password keys cannot take the name of a connection key, or the password would be overwritten by
// (or published as) a connection string.
func TestPasswordKeysCannotCollideWithConnectionKeys(t *testing.T) {
	for _, key := range []string{"uri", "dsn", "pgpass", "jdbc-uri", "ca.crt", "sslrootcert"} {
		_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.auth.userPasswordKey": key}})
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "postgres.auth.userPasswordKey is \""+key+"\": the chart writes that key")
	}
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.auth.userPasswordKey": "app", "postgres.auth.adminPasswordKey": "password"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `postgres.auth.adminPasswordKey is "password"`)
	_, err = chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.instances.app.auth.existingSecret": "test-postgres-app-auth"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the name of the connection Secret the chart writes")
}

// The CA path the connection strings assume is a value, checked like any path that reaches a URL.
func TestConnectionCAFileIsChecked(t *testing.T) {
	for _, bad := range []string{"relative/ca.crt", "/etc/ca.crt'; drop", "/etc/ca\ncrt"} {
		_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"global.connection.caFile": bad}})
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "caFile", bad)
	}
	rel := renderDev(t, map[string]string{"global.connection.caFile": "/var/run/secrets/db/ca.crt"})
	assert.Equal(t, "/var/run/secrets/db/ca.crt", string(chart.Get[*corev1.Secret](t, rel, authSecret).Data["sslrootcert"]))
}
