package server_test

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/redisserver"
)

// redisServer starts (once per configuration) the Redis pod of values/dev.yaml.
func redisServer(t *testing.T, config string, set map[string]string) *redisserver.Server {
	t.Helper()
	requireBinaries(t, redisserver.Binaries)
	srv, err := shared("redis/"+config, func() (*redisserver.Server, error) {
		return redisserver.Start(chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: set})
	})
	require.NoError(t, err)
	return srv
}

func ping(t *testing.T, srv *redisserver.Server, c redisserver.Client) (string, error) {
	t.Helper()
	client, err := srv.Client(c)
	require.NoError(t, err)
	defer client.Close()
	return client.Ping(ctx(t)).Result()
}

// aclUser connects as one of redis.auth.users, with the password of its generated Secret.
func aclUser(t *testing.T, srv *redisserver.Server, name string) *redis.Client {
	t.Helper()
	secret, ok := srv.Secret("test-redis-user-" + name)
	require.True(t, ok)
	c, err := srv.Client(redisserver.Client{User: name, Password: string(secret.Data["password"])})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisPingWithPasswordAndCA(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	reply, err := ping(t, srv, redisserver.Client{Password: srv.Password})

	require.NoError(t, err)
	assert.Equal(t, "PONG", reply)
}

func TestRedisWithoutPasswordIsNOAUTH(t *testing.T) {
	_, err := ping(t, redisServer(t, "defaults", nil), redisserver.Client{})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOAUTH")
}

func TestRedisWrongPasswordIsWRONGPASS(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	_, err := ping(t, srv, redisserver.Client{Password: "not-" + srv.Password})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "WRONGPASS")
}

func TestRedisPlaintextIsRefused(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	_, err := ping(t, srv, redisserver.Client{Password: srv.Password, Plaintext: true})
	require.Error(t, err, "a plaintext client on the TLS port gets no answer")

	client, err := srv.Client(redisserver.Client{Password: srv.Password})
	require.NoError(t, err)
	defer client.Close()
	port, err := client.ConfigGet(ctx(t), "port").Result()
	require.NoError(t, err)
	assert.Equal(t, "0", port["port"], "and there is no plaintext port")
}

func TestRedisUnknownCAFailsTheHandshake(t *testing.T) {
	other, err := certs.NewCA("some other CA")
	require.NoError(t, err)
	pool, err := certs.Pool(other.CertPEM)
	require.NoError(t, err)
	srv := redisServer(t, "defaults", nil)

	_, err = ping(t, srv, redisserver.Client{Password: srv.Password, TLS: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "certificate signed by unknown authority")
}

func TestRedisRefusesTLSBelow12(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	pool, err := srv.CAPool()
	require.NoError(t, err)

	_, err = ping(t, srv, redisserver.Client{Password: srv.Password, TLS: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tls: ")
}

func TestRedisClientCertificateRequired(t *testing.T) {
	srv := redisServer(t, "client-certs", map[string]string{"redis.tls.authClients": "yes"})

	_, err := ping(t, srv, redisserver.Client{Password: srv.Password})
	require.Error(t, err, "no client certificate")

	require.NotEmpty(t, srv.ClientCert, "the chart issues a client certificate")
	reply, err := ping(t, srv, redisserver.Client{Password: srv.Password, WithClientCert: true})
	require.NoError(t, err)
	assert.Equal(t, "PONG", reply)
}

// The password must not be visible to anyone who can list processes.
func TestRedisPasswordIsNotOnTheCommandLine(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", srv.Pid()))
	require.NoError(t, err)
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", srv.Pid()))
	require.NoError(t, err)

	args := strings.ReplaceAll(string(cmdline), "\x00", " ")
	assert.True(t, strings.HasPrefix(args, "redis-server"), "this is the redis-server process: %q", args)
	assert.NotContains(t, args, srv.Password)
	assert.NotContains(t, string(environ), srv.Password)
}

func TestRedisProbeAuthenticatesOverTLS(t *testing.T) {
	srv := redisServer(t, "defaults", nil)
	out, err := srv.Probe()

	require.NoError(t, err, out)
}

func TestRedisKeepsDataAcrossARestart(t *testing.T) {
	srv := redisServer(t, "restart", nil)
	client, err := srv.Client(redisserver.Client{Password: srv.Password})
	require.NoError(t, err)
	key := fmt.Sprintf("survivor-%d", time.Now().UnixNano())
	require.NoError(t, client.Set(ctx(t), key, "still here", 0).Err())
	client.Close()

	// appendfsync everysec: within a second the write is on disk. SIGKILL leaves no time for an
	// RDB snapshot at shutdown, so what comes back comes from the append-only file.
	time.Sleep(1500 * time.Millisecond)
	srv.Kill()
	data, err := srv.MountPath("data")
	require.NoError(t, err)
	aof, _ := filepath.Glob(filepath.Join(data, "appendonlydir", "*.aof"))
	assert.NotEmpty(t, aof, "the AOF lives on the data volume")
	_, err = os.Stat(filepath.Join(data, "dump.rdb"))
	assert.True(t, os.IsNotExist(err), "no RDB snapshot was taken: the key can only come from the AOF")

	require.NoError(t, srv.Restart())
	client, err = srv.Client(redisserver.Client{Password: srv.Password})
	require.NoError(t, err)
	defer client.Close()
	got, err := client.Get(ctx(t), key).Result()
	require.NoError(t, err)
	assert.Equal(t, "still here", got)
}

func TestRedisACLUsers(t *testing.T) {
	srv := redisServer(t, "users", map[string]string{
		"redis.auth.disableDefaultUser": "true",
		"redis.auth.users[0].name":      "orders",
		"redis.auth.users[0].rules":     "~orders:* +@all -@dangerous",
	})
	orders := aclUser(t, srv, "orders")

	assert.NoError(t, orders.Set(ctx(t), "orders:1", "x", 0).Err())
	err := orders.Set(ctx(t), "sessions:1", "x", 0).Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM")

	_, err = ping(t, srv, redisserver.Client{Password: srv.Password})
	require.Error(t, err, "the default user is off")
	assert.Contains(t, err.Error(), "WRONGPASS")

	probe, err := srv.Client(redisserver.Client{User: "datastores-probe", Password: srv.Password})
	require.NoError(t, err)
	defer probe.Close()
	assert.NoError(t, probe.Ping(ctx(t)).Err(), "the probe user may PING")
	err = probe.Get(ctx(t), "orders:1").Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM", "and nothing else")
	out, err := srv.Probe()
	assert.NoError(t, err, out)
}

// The tls-reloader's user takes only the password the start script made inside the pod, and may
// run CONFIG SET only: the password Secret a client or the probe holds never grants it.
func TestRedisReloadUserIsOnlyForThePod(t *testing.T) {
	srv := redisServer(t, "users", map[string]string{
		"redis.auth.disableDefaultUser": "true",
		"redis.auth.users[0].name":      "orders",
		"redis.auth.users[0].rules":     "~orders:* +@all -@dangerous",
	})
	_, err := ping(t, srv, redisserver.Client{User: "datastores-reload", Password: srv.Password})
	require.Error(t, err, "the Secret's password")
	assert.Contains(t, err.Error(), "WRONGPASS")

	run, err := srv.MountPath("run")
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(run, "reload.password"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	password, err := os.ReadFile(filepath.Join(run, "reload.password"))
	require.NoError(t, err)
	assert.Len(t, string(password), 64)
	reload, err := srv.Client(redisserver.Client{User: "datastores-reload", Password: string(password)})
	require.NoError(t, err)
	defer reload.Close()
	err = reload.Get(ctx(t), "orders:1").Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM")
	tlsDir, err := srv.MountPath("tls")
	require.NoError(t, err)
	assert.NoError(t, reload.ConfigSet(ctx(t), "tls-cert-file", filepath.Join(tlsDir, "tls.crt")).Err(), "CONFIG SET is its job")
}
