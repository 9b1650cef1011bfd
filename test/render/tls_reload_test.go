package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

// servers are the StatefulSets of values/dev.yaml with the name of their server container.
var servers = []struct{ sts, server, prefix string }{
	{devInstance, "postgres", "postgres"},
	{redisName, "redis", "redis"},
}

// The tls-reloader runs the server's own image, as the server's user, with the script the init
// container runs, in watch mode, and mounts what its reload command needs.
func TestTLSReloaderSidecarRunsBesideEachServer(t *testing.T) {
	rel := renderDev(t, nil)
	for _, s := range servers {
		t.Run(s.server, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, rel, s.sts)
			reloader := container(t, sts, "tls-reloader")
			server := container(t, sts, s.server)
			initC := container(t, sts, "prepare-tls")

			assert.Equal(t, server.Image, reloader.Image, "no other image to pull")
			assert.Equal(t, server.SecurityContext, reloader.SecurityContext)
			assert.Equal(t, append(append([]string{}, initC.Command...), "watch"), reloader.Command)
			vars := env(reloader)
			assert.Equal(t, "10", vars["TLS_RELOAD_SECONDS"])
			assert.Equal(t, "/opt/datastores/reload-tls.sh", vars["TLS_RELOAD_COMMAND"])
			for k, v := range env(initC) {
				assert.Equal(t, v, vars[k], "the same Secret keys as the init container: %s", k)
			}
			for _, m := range []string{"scripts", "tls-secret", "tls", "credentials", "run"} {
				mountPath(t, reloader, m)
			}
			assert.Equal(t, mountPath(t, server, "tls"), mountPath(t, reloader, "tls"), "it writes where the server reads")
			assert.Equal(t, mountPath(t, server, "run"), mountPath(t, reloader, "run"), "it reaches the server's socket")
			assert.NotEmpty(t, configFile(t, rel, s.sts, "reload-tls.sh"))
			paths := map[string]bool{}
			for _, it := range volume(t, sts, "scripts").ConfigMap.Items {
				paths[it.Path] = true
			}
			assert.True(t, paths["reload-tls.sh"], "the scripts volume holds reload-tls.sh")
			assert.NotContains(t, sts.Spec.Template.Annotations, "checksum/tls", "a new certificate does not roll the pod")
		})
	}
}

func TestTLSReloadIntervalIsConfigurable(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.instances.app.tls.reload.intervalSeconds": "3", "redis.tls.reload.intervalSeconds": "7"})
	assert.Equal(t, "3", env(container(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance), "tls-reloader"))["TLS_RELOAD_SECONDS"])
	assert.Equal(t, "7", env(container(t, chart.Get[*appsv1.StatefulSet](t, rel, redisName), "tls-reloader"))["TLS_RELOAD_SECONDS"])
}

// Without the reloader the pod rolls when helm upgrade changes the certificate, as the only way
// the server would see it.
func TestWithoutTLSReloadANewCertificateRollsThePod(t *testing.T) {
	set := map[string]string{"postgres.tls.reload.enabled": "false", "redis.tls.reload.enabled": "false"}
	first := renderDev(t, set)
	upgradeSet := map[string]string{"global.clusterDomain": "corp.example"}
	for k, v := range set {
		upgradeSet[k] = v
	}
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: installed(first), IsUpgrade: true, SetValues: upgradeSet})
	for _, s := range servers {
		t.Run(s.server, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, first, s.sts)
			for _, c := range sts.Spec.Template.Spec.Containers {
				assert.NotEqual(t, "tls-reloader", c.Name)
			}
			before := sts.Spec.Template.Annotations["checksum/tls"]
			require.NotEmpty(t, before)
			assert.NotEqual(t, before, chart.Get[*appsv1.StatefulSet](t, upgrade, s.sts).Spec.Template.Annotations["checksum/tls"])
		})
	}
}

// The reload commands go through the servers' sockets (no certificate needed, so a new CA cannot
// lock them out) and read passwords from files (Redis's is checked in
// TestRedisReloadUserHasAPasswordOfItsOwn).
func TestReloadCommandsUseTheSocketAndPasswordFiles(t *testing.T) {
	rel := renderDev(t, nil)
	pg := configFile(t, rel, devInstance, "reload-tls.sh")
	assert.Contains(t, pg, "-h /var/run/postgresql")
	assert.Contains(t, pg, "SELECT pg_reload_conf()")
	assert.Contains(t, pg, `PGPASSWORD="$(cat /run/secrets/postgres/postgres-password)"`)

	r := configFile(t, rel, redisName, "reload-tls.sh")
	assert.Contains(t, r, "-s /run/redis/redis.sock")
	assert.Contains(t, r, "CONFIG SET tls-cert-file /tls/tls.crt tls-key-file /tls/tls.key tls-ca-cert-file /tls/ca.crt")
	conf := configFile(t, rel, redisName, "redis.conf")
	assert.Contains(t, conf, "\nunixsocket /run/redis/redis.sock\n")
	assert.Contains(t, conf, "\nunixsocketperm 700\n")
}

// The reload runs as datastores-reload, whose password the start script makes at every start in
// the in-memory run volume: no Secret a client holds (the default or probe password) grants
// CONFIG SET, with the default user on or off.
func TestRedisReloadUserHasAPasswordOfItsOwn(t *testing.T) {
	for _, set := range []map[string]string{nil, {"redis.auth.disableDefaultUser": "true", "redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@all"}} {
		rel := renderDev(t, set)
		reload := configFile(t, rel, redisName, "reload-tls.sh")
		assert.Contains(t, reload, "--user datastores-reload")
		assert.Contains(t, reload, `REDISCLI_AUTH="$(cat /run/redis/reload.password)"`)
		assert.NotContains(t, reload, "/run/secrets")
		start := configFile(t, rel, redisName, "start-redis.sh")
		assert.Contains(t, start, "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /run/redis/reload.password")
	}
}

// Without the reloader there is no reload user and no socket.
func TestRedisWithoutReloadHasNoSocketAndNoReloadUser(t *testing.T) {
	rel := renderDev(t, map[string]string{"redis.tls.reload.enabled": "false"})
	assert.NotContains(t, configFile(t, rel, redisName, "start-redis.sh"), "datastores-reload")
	assert.NotContains(t, configFile(t, rel, redisName, "redis.conf"), "unixsocket")
}
