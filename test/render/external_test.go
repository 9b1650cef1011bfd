package render_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
)

// External managed mode: managed PostgreSQL and Redis get the same connection Secrets as the
// chart's own servers, and nothing else of a server. Connecting with them to a real server that
// stands in for the managed one is in the server tier (test/server/external_test.go).

const externalValues = "values/external-managed.yaml"

// externalObjects are what the user creates before installing: the password Secrets and the CA.
func externalObjects(t *testing.T) []runtime.Object {
	t.Helper()
	ca, err := certs.NewCA("managed CA")
	require.NoError(t, err)
	secret := func(name, password string) *corev1.Secret {
		return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "datastores"}, Data: map[string][]byte{"password": []byte(password)}}
	}
	caMap := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "rds-ca", Namespace: "datastores"}, Data: map[string]string{"ca.crt": string(ca.CertPEM)}}
	return []runtime.Object{secret("orders-db", "orders-password"), secret("cache-auth", "cache-password"), caMap}
}

func renderExternal(t *testing.T, set map[string]string) *chart.Release {
	t.Helper()
	return chart.Render(t, chart.Options{ValuesFiles: []string{externalValues}, Existing: externalObjects(t), SetValues: set})
}

func TestExternalServersDeployNoServer(t *testing.T) {
	rel := renderExternal(t, nil)
	assert.Empty(t, chart.All[*appsv1.StatefulSet](rel))
	assert.Empty(t, chart.All[*corev1.Service](rel))
	var tlsSecrets []string
	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Type == corev1.SecretTypeTLS {
			tlsSecrets = append(tlsSecrets, s.Name)
		}
	}
	assert.Empty(t, tlsSecrets, "no certificate and no CA: the managed servers have their own")
	assert.Empty(t, rel.Hooks, "no helm test pod: there is no server of the chart's to test")
	for _, name := range []string{"test-postgres-orders-auth", "test-redis-auth"} {
		s := chart.Get[*corev1.Secret](t, rel, name)
		assert.Equal(t, "true", s.Annotations["datastores.io/external"], name)
		assert.NotContains(t, s.Annotations, "datastores.io/incomplete", name)
	}
}

// The PostgreSQL Secret has every key an instance's has, for the managed host, with the weak
// sslmode of the URL upgraded and the CA from the ConfigMap.
func TestExternalPostgresSecretUpgradesAWeakSslmode(t *testing.T) {
	objs := externalObjects(t)
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{externalValues}, Existing: objs})
	s := chart.Get[*corev1.Secret](t, rel, "test-postgres-orders-auth")
	u, err := url.Parse(string(s.Data["uri"]))
	require.NoError(t, err)
	assert.Equal(t, "orders.cluster-abc123.eu-west-1.rds.amazonaws.com:5432", u.Host)
	assert.Equal(t, "/orders_db", u.Path)
	assert.Equal(t, "orders_user", u.User.Username())
	p, _ := u.User.Password()
	assert.Equal(t, "orders-password", p, "from the existing Secret")
	assert.Equal(t, "verify-full", u.Query().Get("sslmode"), "the URL's require became verify-full")
	assert.Equal(t, "/etc/datastores/ca.crt", u.Query().Get("sslrootcert"))
	assert.Equal(t, objs[2].(*corev1.ConfigMap).Data["ca.crt"], string(s.Data["ca.crt"]))
	for _, k := range []string{"dsn", "jdbc-uri", "sqlalchemy-uri", "sqlalchemy-asyncpg-uri", "pgpass"} {
		assert.NotEmpty(t, s.Data[k], k)
	}
	assert.Contains(t, rel.Notes, "sslmode=verify-full (the URL said require: upgraded)")
}

// verify-ca checks the chain but not the name, so it is upgraded too (any certificate of the CA
// would pass, another server's of the same provider among them).
func TestExternalSslmodeIsUpgradedToVerifyFull(t *testing.T) {
	tests := []struct{ requested, want string }{
		{"", "verify-full"}, {"disable", "verify-full"}, {"allow", "verify-full"}, {"prefer", "verify-full"},
		{"require", "verify-full"}, {"verify-ca", "verify-full"}, {"verify-full", "verify-full"},
	}
	for _, tt := range tests {
		t.Run("sslmode="+tt.requested, func(t *testing.T) {
			u := "postgresql://orders_user@db.example.com:5432/orders_db"
			if tt.requested != "" {
				u += "?sslmode=" + tt.requested
			}
			rel := renderExternal(t, map[string]string{"postgres.external.orders.url": u})
			assert.Equal(t, tt.want, string(chart.Get[*corev1.Secret](t, rel, "test-postgres-orders-auth").Data["sslmode"]))
		})
	}
}

// tlsEnforce: false keeps the mode as written, and says so on the Secret and in NOTES.
func TestExternalTLSEnforceOffWarns(t *testing.T) {
	rel := renderExternal(t, map[string]string{
		"postgres.external.orders.tlsEnforce": "false",
		"redis.external.url":                  "redis://cache.example.com:6379/0",
		"redis.external.tlsEnforce":           "false",
	})
	pg := chart.Get[*corev1.Secret](t, rel, "test-postgres-orders-auth")
	assert.Equal(t, "require", string(pg.Data["sslmode"]))
	assert.Contains(t, pg.Annotations["datastores.io/tls-enforce"], "sslmode=require as written")
	assert.Contains(t, rel.Notes, "WARNING: postgres.external.orders.tlsEnforce is false: sslmode=require is used as written.")
	assert.Contains(t, rel.Notes, "Clients do NOT verify the server")

	r := chart.Get[*corev1.Secret](t, rel, "test-redis-auth")
	assert.Equal(t, "redis://default:cache-password@cache.example.com:6379/0", string(r.Data["url"]))
	assert.Equal(t, "false", string(r.Data["ssl"]))
	assert.NotContains(t, r.Data, "redis-py-url")
	assert.Contains(t, r.Annotations["datastores.io/tls-enforce"], "plaintext")
	assert.Contains(t, rel.Notes, "WARNING: redis.external.tlsEnforce is false and the URL is redis://")
}

func TestExternalRedisSecret(t *testing.T) {
	rel := renderExternal(t, nil)
	s := chart.Get[*corev1.Secret](t, rel, "test-redis-auth")
	assert.Equal(t, "rediss://app:cache-password@master.cache-abc123.euw1.cache.amazonaws.com:6379/0", string(s.Data["url"]))
	assert.Equal(t, "rediss://app:cache-password@master.cache-abc123.euw1.cache.amazonaws.com:6379/0?ssl_cert_reqs=required&ssl_check_hostname=true&ssl_ca_certs=%2Fetc%2Fssl%2Fcerts%2Fca-certificates.crt",
		string(s.Data["redis-py-url"]), "a public CA: the system bundle")
	assert.NotContains(t, s.Data, "ca.crt")
}

// What external mode refuses, each with the value and the fix.
func TestExternalModeRefuses(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"a password in the PostgreSQL URL", map[string]string{"postgres.external.orders.url": "postgresql://u:secret@db.example.com/db"}, "postgres.external.orders.url holds a password"},
		{"a password in the Redis URL", map[string]string{"redis.external.url": "rediss://:secret@cache.example.com:6379"}, "redis.external.url holds a password"},
		{"plaintext Redis", map[string]string{"redis.external.url": "redis://cache.example.com:6379"}, "redis:// is plaintext"},
		{"another scheme", map[string]string{"postgres.external.orders.url": "mysql://u@db.example.com/db"}, "is not a postgresql:// URL"},
		{"an unknown sslmode", map[string]string{"postgres.external.orders.url": "postgresql://u@db.example.com/db?sslmode=verify"}, "sslmode=verify is not a libpq sslmode"},
		{"URL parameters the chart does not write", map[string]string{"postgres.external.orders.url": "postgresql://u@db.example.com/db?options=-c%20x"}, `the parameter "options" is not taken`},
		{"no CA", map[string]string{"postgres.external.orders.ca.configMap.name": ""}, "postgres.external.orders.ca: name the CA"},
		{"two CAs", map[string]string{"postgres.external.orders.ca.system": "true"}, "give one CA source, not configMap and system"},
		{"no password Secret", map[string]string{"postgres.external.orders.existingSecret.name": ""}, "postgres.external.orders.existingSecret.name"},
		{"a host with a space", map[string]string{"postgres.external.orders.url": "", "postgres.external.orders.host": "db example", "postgres.external.orders.database": "d", "postgres.external.orders.user": "u"}, "is not a host name or IP address"},
		{"a database name with a quote", map[string]string{"postgres.external.orders.url": "", "postgres.external.orders.host": "db.example.com", "postgres.external.orders.database": "d'x", "postgres.external.orders.user": "u"}, "the database \"d'x\""},
		{"url and host both", map[string]string{"postgres.external.orders.host": "db.example.com"}, "give url or host/database/user, not both"},
		{"the name of an instance", map[string]string{"postgres.instances.orders.database": "orders_db", "postgres.instances.orders.user": "orders_user"}, "is also an instance"},
		{"a Redis URL with parameters", map[string]string{"redis.external.url": "rediss://cache.example.com:6379?ssl_cert_reqs=none"}, "parameters (ssl_cert_reqs=none) are not taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{externalValues}, Existing: externalObjects(t), SetValues: tt.set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// helm template (no cluster) cannot read the password Secret: the Secret says so instead of
// carrying a connection string without a password.
func TestExternalSecretWithoutLookupIsMarkedIncomplete(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{externalValues}})
	s := chart.Get[*corev1.Secret](t, rel, "test-postgres-orders-auth")
	assert.Contains(t, s.Annotations["datastores.io/incomplete"], "Secret orders-db has no key password")
	assert.NotContains(t, s.Data, "uri")
	assert.Equal(t, "verify-full", string(s.Data["sslmode"]))
}

// The backup dumps the managed server with its own password Secret and CA, over verify-full.
func TestBackupDumpsExternalServers(t *testing.T) {
	rel := renderExternal(t, nil)
	cj := chart.Get[*batchv1.CronJob](t, rel, backupName)
	assert.Equal(t, "orders orders.cluster-abc123.eu-west-1.rds.amazonaws.com 5432 orders_db orders_user verify-full /run/secrets/backup/orders/ca.crt",
		strings.TrimSpace(configFile(t, rel, backupName, "targets")))
	var sources []string
	for _, s := range jobVolume(t, cj, "secrets").Projected.Sources {
		switch {
		case s.Secret != nil:
			sources = append(sources, "secret "+s.Secret.Name+":"+s.Secret.Items[0].Key+"->"+s.Secret.Items[0].Path)
		case s.ConfigMap != nil:
			sources = append(sources, "configMap "+s.ConfigMap.Name+":"+s.ConfigMap.Items[0].Key+"->"+s.ConfigMap.Items[0].Path)
		}
	}
	assert.Equal(t, []string{"secret orders-db:password->orders/password", "configMap rds-ca:ca.crt->orders/ca.crt"}, sources)

	system := renderExternal(t, map[string]string{"postgres.external.orders.ca.configMap.name": "", "postgres.external.orders.ca.system": "true"})
	assert.Contains(t, configFile(t, system, backupName, "targets"), "verify-full /etc/ssl/certs/ca-certificates.crt",
		"a public CA: the system bundle of the backup image")
}

// Without a URL: host, port, user and database; tls: false is plaintext, refused unless
// tlsEnforce is false.
func TestExternalRedisByHost(t *testing.T) {
	set := map[string]string{"redis.external.url": "", "redis.external.host": "10.0.0.7", "redis.external.port": "6380",
		"redis.external.user": "app", "redis.external.database": "3"}
	rel := renderExternal(t, set)
	assert.Equal(t, "rediss://app:cache-password@10.0.0.7:6380/3", string(chart.Get[*corev1.Secret](t, rel, "test-redis-auth").Data["url"]))

	set["redis.external.tls"] = "false"
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{externalValues}, Existing: externalObjects(t), SetValues: set})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis:// is plaintext")
	set["redis.external.tlsEnforce"] = "false"
	rel = renderExternal(t, set)
	assert.Equal(t, "redis://app:cache-password@10.0.0.7:6380/3", string(chart.Get[*corev1.Secret](t, rel, "test-redis-auth").Data["url"]))
}

// An IPv6 address reaches every URL in brackets (RFC 3986), so the drivers' own parsers take
// the address, not a host cut at its first colon.
func TestExternalIPv6HostsKeepTheirBrackets(t *testing.T) {
	rel := renderExternal(t, map[string]string{
		"postgres.external.orders.url": "postgresql://orders_user@[fd00::10]:5433/orders_db",
		"redis.external.url":           "rediss://app@[fd00::11]:6380/0",
	})
	pg := chart.Get[*corev1.Secret](t, rel, "test-postgres-orders-auth")
	for _, key := range []string{"uri", "sqlalchemy-uri", "sqlalchemy-asyncpg-uri"} {
		u, err := url.Parse(string(pg.Data[key]))
		require.NoError(t, err, key)
		assert.Equal(t, "fd00::10", u.Hostname(), key)
		assert.Equal(t, "5433", u.Port(), key)
	}
	// pgx reads sslrootcert while it parses: the CA where the strings expect it.
	ca := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(ca, pg.Data["ca.crt"], 0o600))
	atCA := strings.NewReplacer(url.QueryEscape("/etc/datastores/ca.crt"), url.QueryEscape(ca), "/etc/datastores/ca.crt", ca)
	cfg, err := pgconn.ParseConfig(atCA.Replace(string(pg.Data["uri"])))
	require.NoError(t, err, "pgx parses the uri")
	assert.Equal(t, "fd00::10", cfg.Host)
	assert.Equal(t, uint16(5433), cfg.Port)
	dsn, err := pgconn.ParseConfig(atCA.Replace(string(pg.Data["dsn"])))
	require.NoError(t, err, "and the dsn")
	assert.Equal(t, "fd00::10", dsn.Host)
	assert.True(t, strings.HasPrefix(string(pg.Data["jdbc-uri"]), "jdbc:postgresql://[fd00::10]:5433/orders_db?"), string(pg.Data["jdbc-uri"]))
	assert.Equal(t, `fd00\:\:10:5433:orders_db:orders_user:orders-password`+"\n", string(pg.Data["pgpass"]), "pgpass escapes the colons instead")

	r := chart.Get[*corev1.Secret](t, rel, "test-redis-auth")
	opt, err := redis.ParseURL(string(r.Data["url"]))
	require.NoError(t, err, "go-redis parses the url")
	assert.Equal(t, "[fd00::11]:6380", opt.Addr)
	assert.Equal(t, "fd00::11", string(r.Data["host"]), "the plain key stays the address")
}
