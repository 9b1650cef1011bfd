package server_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/drivers"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/redisserver"
)

// The connection Secrets, proven with the real drivers: each driver gets the string of its key
// exactly as the Secret holds it, with the CA where the string says (global.connection.caFile),
// connects to the real server over verified TLS, and refuses the server once the CA is another
// one or the name is not the certificate's.

// refused is what a driver says when it does not trust the server.
var refused = regexp.MustCompile(`(?i)certificate|verif|hostname|ssl`)

// wrongHost is a name that resolves to the test server but is not in its certificate.
const wrongHost = "not-in-the-certificate.datastores.svc.cluster.local"

// connectionFixture is a server, its connection Secret, and drivers that resolve the Secret's
// host (and wrongHost) to it.
type connectionFixture struct {
	secret *corev1.Secret
	caFile string
	env    *drivers.Env
	host   string
}

func newConnectionFixture(t *testing.T, secret *corev1.Secret, caFile string) *connectionFixture {
	t.Helper()
	require.NotEmpty(t, secret.Data["ca.crt"], "the connection Secret holds the CA")
	require.NoError(t, os.WriteFile(caFile, secret.Data["ca.crt"], 0o644), "the application mounts ca.crt at caFile")
	host := string(secret.Data["host"])
	env, err := drivers.New(t.TempDir(), host, wrongHost)
	require.NoError(t, err)
	return &connectionFixture{secret: secret, caFile: caFile, env: env, host: host}
}

func (f *connectionFixture) key(k string) string { return string(f.secret.Data[k]) }

// withForeignCA puts another CA where the CA file was, for the duration of check.
func (f *connectionFixture) withForeignCA(t *testing.T, check func()) {
	t.Helper()
	other, err := certs.NewCA("another CA")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f.caFile, other.CertPEM, 0o644))
	defer func() { require.NoError(t, os.WriteFile(f.caFile, f.secret.Data["ca.crt"], 0o644)) }()
	check()
}

func requireDrivers(t *testing.T) {
	t.Helper()
	requireBinaries(t, func() (string, error) { return "", drivers.Available() })
}

// postgresConnections starts a server whose connection strings name caFile, once per test.
func postgresConnections(t *testing.T) (*pgserver.Server, *connectionFixture) {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	requireDrivers(t)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"},
		SetValues: map[string]string{"global.connection.caFile": caFile}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	secret, ok := srv.Secret(srv.Fullname + "-auth")
	require.True(t, ok)
	return srv, newConnectionFixture(t, secret, caFile)
}

// pgx resolves in-process: a LookupFunc sends the Service's name (or wrongHost) to loopback.
func pgxConnect(ctx context.Context, conn string) (string, error) {
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		return "", err
	}
	cfg.LookupFunc = func(context.Context, string) ([]string, error) { return []string{"127.0.0.1"}, nil }
	cfg.ConnectTimeout = 10 * time.Second
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var ssl bool
	var user string
	if err := c.QueryRow(ctx, "SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &user); err != nil {
		return "", err
	}
	if ssl {
		return "ssl=true user=" + user, nil
	}
	return "ssl=false user=" + user, nil
}

// postgresDrivers are the ways an application connects with the Secret: the key it reads, and
// the driver. Each returns "ssl=true user=<user>" on success.
func postgresDrivers(t *testing.T, srv *pgserver.Server, f *connectionFixture) []struct {
	name, key string
	connect   func(conn string) (string, error)
} {
	psql := filepath.Join(srv.Bin(), "psql")
	viaPsql := func(env *drivers.Env) func(string) (string, error) {
		return func(conn string) (string, error) {
			return env.Run(psql, conn, "-XAtc", "SELECT 'ssl=' || ssl || ' user=' || current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
		}
	}
	python := func(driver string, env *drivers.Env) func(string) (string, error) {
		return func(conn string) (string, error) { return env.Python("postgres_drivers.py", driver, conn) }
	}
	// .pgpass: libpq finds the password for a connection that names none.
	pgpass := filepath.Join(t.TempDir(), "pgpass")
	require.NoError(t, os.WriteFile(pgpass, f.secret.Data["pgpass"], 0o600))
	withPgpass := f.env.With("PGPASSFILE=" + pgpass)
	return []struct {
		name, key string
		connect   func(conn string) (string, error)
	}{
		{"psql (libpq) with uri", "uri", viaPsql(f.env)},
		{"psql (libpq) with the keyword/value dsn", "dsn", viaPsql(f.env)},
		{"psql (libpq) with .pgpass", "pgpass-only", viaPsql(withPgpass)},
		{"pgx with uri", "uri", func(c string) (string, error) { return pgxConnect(t.Context(), c) }},
		{"pgx with dsn", "dsn", func(c string) (string, error) { return pgxConnect(t.Context(), c) }},
		{"psycopg2 with uri", "uri", python("psycopg2", f.env)},
		{"psycopg2 with dsn", "dsn", python("psycopg2", f.env)},
		{"SQLAlchemy with psycopg2", "sqlalchemy-uri", python("sqlalchemy-psycopg2", f.env)},
		{"SQLAlchemy with asyncpg (CA in PGSSLROOTCERT)", "sqlalchemy-asyncpg-uri", python("sqlalchemy-asyncpg", f.env.With("PGSSLROOTCERT="+f.caFile))},
		{"pgjdbc on Java", "jdbc-uri", f.env.JDBC},
	}
}

// connectionString is the string of key, or for "pgpass-only" a dsn without the password.
func (f *connectionFixture) connectionString(key string) string {
	if key == "pgpass-only" {
		return "host=" + f.key("host") + " port=" + f.key("port") + " dbname=" + f.key("dbname") + " user=" + f.key("username") +
			" sslmode=" + f.key("sslmode") + " sslrootcert=" + f.key("sslrootcert")
	}
	return f.key(key)
}

func TestPostgresConnectionSecretWorksWithEveryDriver(t *testing.T) {
	t.Parallel()
	srv, f := postgresConnections(t)
	for _, d := range postgresDrivers(t, srv, f) {
		t.Run(d.name, func(t *testing.T) {
			out, err := d.connect(f.connectionString(d.key))
			require.NoError(t, err, out)
			assert.Equal(t, "ssl=true user=app_user", out)
		})
	}
}

func TestPostgresDriversRefuseAServerOfAnotherCA(t *testing.T) {
	t.Parallel()
	srv, f := postgresConnections(t)
	f.withForeignCA(t, func() {
		for _, d := range postgresDrivers(t, srv, f) {
			t.Run(d.name, func(t *testing.T) {
				out, err := d.connect(f.connectionString(d.key))
				require.Error(t, err, out)
				assert.Regexp(t, refused, out+errString(err))
			})
		}
	})
}

func TestPostgresDriversRefuseANameNotInTheCertificate(t *testing.T) {
	t.Parallel()
	srv, f := postgresConnections(t)
	for _, d := range postgresDrivers(t, srv, f) {
		t.Run(d.name, func(t *testing.T) {
			out, err := d.connect(strings.ReplaceAll(f.connectionString(d.key), f.host, wrongHost))
			require.Error(t, err, out)
			assert.Regexp(t, refused, out+errString(err))
		})
	}
}

// The source documents' first fault, kept as a test: asyncpg behind SQLAlchemy refuses libpq's
// sslmode parameter, which is why the Secret has a URL of its own for it.
func TestAsyncpgRefusesTheLibpqURLWhichIsWhyItHasItsOwn(t *testing.T) {
	t.Parallel()
	_, f := postgresConnections(t)
	asyncpgWithLibpqParams := strings.Replace(f.key("sqlalchemy-uri"), "postgresql+psycopg2://", "postgresql+asyncpg://", 1)
	out, err := f.env.Python("postgres_drivers.py", "sqlalchemy-asyncpg", asyncpgWithLibpqParams)
	require.Error(t, err, out)
	assert.Contains(t, out, "sslmode")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return " " + err.Error()
}

// redisConnections starts a Redis with an ACL user and returns the user's connection Secret.
func redisConnections(t *testing.T) *connectionFixture {
	t.Helper()
	requireBinaries(t, redisserver.Binaries)
	requireDrivers(t)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	srv, err := redisserver.Start(chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: map[string]string{
		"global.connection.caFile":      caFile,
		"redis.auth.disableDefaultUser": "true",
		"redis.auth.users[0].name":      "orders",
		"redis.auth.users[0].rules":     "~orders:* +@all -@dangerous",
	}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	secret, ok := srv.Secret("test-redis-user-orders")
	require.True(t, ok)
	return newConnectionFixture(t, secret, caFile)
}

// goRedis connects with go-redis's ParseURL and the CA as its TLS roots, resolving in-process.
func goRedis(ctx context.Context, url, caFile string) (string, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return "", err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	pool, err := certs.Pool(ca)
	if err != nil {
		return "", err
	}
	opt.TLSConfig.RootCAs = pool
	opt.MaxRetries = -1
	opt.DialTimeout = 5 * time.Second
	opt.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		d := tls.Dialer{Config: opt.TLSConfig}
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	c := redis.NewClient(opt)
	defer c.Close()
	reply, err := c.Ping(ctx).Result()
	return "ping=" + reply, err
}

// redisDrivers are the Redis clients, each with the key it reads.
func redisDrivers(t *testing.T, f *connectionFixture) []struct {
	name, key string
	connect   func(url string) (string, error)
	ok        string
} {
	return []struct {
		name, key string
		connect   func(url string) (string, error)
		ok        string
	}{
		{"go-redis ParseURL, CA as RootCAs", "url", func(u string) (string, error) { return goRedis(t.Context(), u, f.caFile) }, "ping=PONG"},
		{"redis-py from_url", "redis-py-url", func(u string) (string, error) { return f.env.Python("redis_py.py", u) }, "ping=True"},
		{"redis-cli -u, --cacert", "url", func(u string) (string, error) {
			return f.env.Run("redis-cli", "--no-auth-warning", "-u", u, "--cacert", f.caFile, "PING")
		}, "PONG"},
	}
}

func TestRedisConnectionURLWorksWithEveryClient(t *testing.T) {
	t.Parallel()
	f := redisConnections(t)
	for _, d := range redisDrivers(t, f) {
		t.Run(d.name, func(t *testing.T) {
			out, err := d.connect(f.key(d.key))
			require.NoError(t, err, out)
			assert.Equal(t, d.ok, out)
		})
	}
}

func TestRedisClientsRefuseAServerOfAnotherCA(t *testing.T) {
	t.Parallel()
	f := redisConnections(t)
	f.withForeignCA(t, func() {
		for _, d := range redisDrivers(t, f) {
			t.Run(d.name, func(t *testing.T) {
				out, err := d.connect(f.key(d.key))
				assert.NotEqual(t, d.ok, out)
				assert.Regexp(t, refused, out+errString(err))
			})
		}
	})
}

func TestRedisClientsRefuseANameNotInTheCertificate(t *testing.T) {
	t.Parallel()
	f := redisConnections(t)
	for _, d := range redisDrivers(t, f) {
		if strings.HasPrefix(d.name, "redis-cli") {
			continue // see TestRedisCliChecksTheChainButNotTheName
		}
		t.Run(d.name, func(t *testing.T) {
			out, err := d.connect(strings.ReplaceAll(f.key(d.key), f.host, wrongHost))
			assert.NotEqual(t, d.ok, out)
			assert.Regexp(t, refused, out+errString(err))
		})
	}
}

// Two clients verify less than their users may think, which is why the README says so and the
// Secret has redis-py-url. redis-py checks the name only when asked (ssl_check_hostname), so the
// plain url, which it parses, verifies the chain alone; redis-cli (hiredis) never checks the
// name. Should a release of either start checking, these tests fail and the README must change.
func TestRedisPyChecksTheNameOnlyWithRedisPyURL(t *testing.T) {
	t.Parallel()
	f := redisConnections(t)
	out, err := f.env.Python("redis_py.py", strings.ReplaceAll(f.key("url"), f.host, wrongHost), f.caFile)
	require.NoError(t, err, out)
	assert.Equal(t, "ping=True", out, "the plain url under another name: chain checked, name not")
	out, err = f.env.Python("redis_py.py", strings.ReplaceAll(f.key("redis-py-url"), f.host, wrongHost))
	require.Error(t, err, out)
	assert.Contains(t, out, "match")
}

func TestRedisCliChecksTheChainButNotTheName(t *testing.T) {
	t.Parallel()
	f := redisConnections(t)
	out, err := f.env.Run("redis-cli", "--no-auth-warning", "-u", strings.ReplaceAll(f.key("url"), f.host, wrongHost), "--cacert", f.caFile, "PING")
	require.NoError(t, err, out)
	assert.Equal(t, "PONG", out)
}
