package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

// The hooks for what the chart does not know (extraEnv, extraVolumes, extraVolumeMounts,
// sidecars), extensions and the user's init scripts. Every render here also passes the restricted
// Pod Security profile and the API server's validation (chart.RenderE), so a hook that rendered a
// weaker pod would fail every test that renders it.

func TestExtraHooksReachTheServerPod(t *testing.T) {
	for _, s := range []struct{ prefix, sts, container string }{{"postgres", devInstance, "postgres"}, {"redis", redisName, "redis"}} {
		t.Run(s.prefix, func(t *testing.T) {
			rel := renderDev(t, map[string]string{
				s.prefix + ".extraEnv[0].name":                                   "TZ",
				s.prefix + ".extraEnv[0].value":                                  "Europe/Madrid",
				s.prefix + ".extraEnv[1].name":                                   "SHIPPER_TOKEN",
				s.prefix + ".extraEnv[1].valueFrom.secretKeyRef.name":            "shipper",
				s.prefix + ".extraEnv[1].valueFrom.secretKeyRef.key":             "token",
				s.prefix + ".extraVolumes[0].name":                               "shared-logs",
				s.prefix + ".extraVolumes[0].emptyDir.sizeLimit":                 "64Mi",
				s.prefix + ".extraVolumeMounts[0].name":                          "shared-logs",
				s.prefix + ".extraVolumeMounts[0].mountPath":                     "/var/log/shared",
				s.prefix + ".sidecars[0].name":                                   "shipper",
				s.prefix + ".sidecars[0].image":                                  "docker.io/fluent/fluent-bit:3.2.4",
				s.prefix + ".sidecars[0].volumeMounts[0].name":                   "shared-logs",
				s.prefix + ".sidecars[0].volumeMounts[0].mountPath":              "/logs",
				s.prefix + ".sidecars[0].securityContext.readOnlyRootFilesystem": "false",
			})
			sts := chart.Get[*appsv1.StatefulSet](t, rel, s.sts)
			server := container(t, sts, s.container)
			assert.Equal(t, "Europe/Madrid", env(server)["TZ"])
			assert.Equal(t, "/var/log/shared", mountPath(t, server, "shared-logs"))
			assert.NotNil(t, volume(t, sts, "shared-logs").EmptyDir)
			shipper := container(t, sts, "shipper")
			require.NotNil(t, shipper.SecurityContext)
			sc := shipper.SecurityContext
			assert.True(t, *sc.RunAsNonRoot)
			assert.False(t, *sc.AllowPrivilegeEscalation)
			assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
			assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, sc.SeccompProfile.Type)
			assert.False(t, *sc.ReadOnlyRootFilesystem, "the one field it may relax")
			assert.Equal(t, *container(t, sts, s.container).SecurityContext.RunAsUser, *sc.RunAsUser, "the server's uid unless given")
		})
	}
}

func TestExtraHooksCannotWeakenThePod(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"a host path", map[string]string{"postgres.extraVolumes[0].name": "host", "postgres.extraVolumes[0].hostPath.path": "/etc"}, "postgres.extraVolumes[0] \"host\": give one volume source of"},
		{"a volume named like the chart's", map[string]string{"redis.extraVolumes[0].name": "tls", "redis.extraVolumes[0].emptyDir.medium": "Memory"}, "redis.extraVolumes[0].name \"tls\" is one of the chart's own volumes"},
		{"a mount over the data", map[string]string{"postgres.extraVolumes[0].name": "x", "postgres.extraVolumes[0].emptyDir.medium": "Memory", "postgres.extraVolumeMounts[0].name": "x", "postgres.extraVolumeMounts[0].mountPath": "/var/lib/postgresql/data"}, "would cover or sit inside /var/lib/postgresql"},
		{"a mount over the certificates", map[string]string{"redis.extraVolumes[0].name": "x", "redis.extraVolumes[0].emptyDir.medium": "Memory", "redis.extraVolumeMounts[0].name": "x", "redis.extraVolumeMounts[0].mountPath": "/tls/tls.key"}, "would cover or sit inside /tls"},
		{"a mount of an unknown volume", map[string]string{"postgres.extraVolumeMounts[0].name": "nope", "postgres.extraVolumeMounts[0].mountPath": "/x"}, "is not a volume of extraVolumes"},
		{"an env var the chart sets", map[string]string{"postgres.extraEnv[0].name": "POSTGRES_HOST_AUTH_METHOD", "postgres.extraEnv[0].value": "trust"}, "POSTGRES_HOST_AUTH_METHOD\" is set by the chart"},
		{"session settings for the chart's psql", map[string]string{"postgres.extraEnv[0].name": "PGOPTIONS", "postgres.extraEnv[0].value": "-c log_statement=all"}, "postgres.extraEnv[0].name \"PGOPTIONS\" is set by the chart, or changes how it works: no name starting with POSTGRES_ or PG is accepted"},
		{"a libpq variable the chart never named", map[string]string{"postgres.extraEnv[1].name": "PGSERVICEFILE", "postgres.extraEnv[1].value": "/tmp/x", "postgres.extraEnv[0].name": "TZ", "postgres.extraEnv[0].value": "UTC"}, "postgres.extraEnv[1].name \"PGSERVICEFILE\""},
		{"an entrypoint variable on one instance", map[string]string{"postgres.instances.app.extraEnv[0].name": "POSTGRES_INITDB_ARGS", "postgres.instances.app.extraEnv[0].value": "--auth=trust"}, "postgres.instances.app.extraEnv[0].name \"POSTGRES_INITDB_ARGS\""},
		{"the image's major version", map[string]string{"postgres.extraEnv[0].name": "PG_MAJOR", "postgres.extraEnv[0].value": "16"}, "remove it: server parameters go in postgres.config"},
		{"a literal secret", map[string]string{"redis.extraEnv[0].name": "API_TOKEN", "redis.extraEnv[0].value": "hunter2"}, "API_TOKEN looks like a secret"},
		{"a privileged sidecar", map[string]string{"postgres.sidecars[0].name": "x", "postgres.sidecars[0].image": "busybox:1.36", "postgres.sidecars[0].securityContext.privileged": "true"}, "sidecars[0].securityContext.privileged"},
		{"a sidecar as root", map[string]string{"postgres.sidecars[0].name": "x", "postgres.sidecars[0].image": "busybox:1.36", "postgres.sidecars[0].securityContext.runAsUser": "0"}, "sidecars[0].securityContext.runAsUser is 0"},
		{"a sidecar with a host port", map[string]string{"redis.sidecars[0].name": "x", "redis.sidecars[0].image": "busybox:1.36", "redis.sidecars[0].ports[0].containerPort": "80", "redis.sidecars[0].ports[0].hostPort": "80"}, "hostPort is not allowed"},
		{"a sidecar on latest", map[string]string{"redis.sidecars[0].name": "x", "redis.sidecars[0].image": "busybox:latest"}, "pin a version"},
		{"a sidecar without a tag", map[string]string{"redis.sidecars[0].name": "x", "redis.sidecars[0].image": "registry.local:5000/busybox"}, "pin a version"},
		{"a sidecar named like the reloader", map[string]string{"postgres.sidecars[0].name": "tls-reloader", "postgres.sidecars[0].image": "busybox:1.36"}, "is a container of the chart"},
		{"an extension with a quote", map[string]string{"postgres.instances.app.extensions[0]": "x\"y"}, "extensions"},
		{"an extension twice", map[string]string{"postgres.extensions": "{pgcrypto,pgcrypto}"}, "\"pgcrypto\" appears twice"},
		{"init scripts from a bad name", map[string]string{"postgres.initdb.scriptsConfigMap": "Bad_Name"}, "postgres.initdb.scriptsConfigMap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: tt.set, SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Extensions that must be preloaded go into shared_preload_libraries, merged with the config's;
// the post-upgrade Job exists only when some instance asks for more than pgcrypto.
func TestExtensionsArePreloadedAndCreated(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.extensions":                      "{pgcrypto,pg_stat_statements,hstore}",
		"postgres.config.shared_preload_libraries": "auto_explain",
	})
	conf := settings(configFile(t, rel, devInstance, "postgresql.conf"))
	assert.Equal(t, "'auto_explain,pg_stat_statements'", conf["shared_preload_libraries"])
	sql := configFile(t, rel, devInstance, "init.sql")
	for _, e := range []string{"pgcrypto", "pg_stat_statements", "hstore"} {
		assert.Contains(t, sql, `CREATE EXTENSION IF NOT EXISTS "`+e+`";`)
	}
	job, ok := chart.FindHook[*batchv1.Job](rel, "test-postgres-maintenance")
	require.True(t, ok, "the post-upgrade Job")
	assert.Equal(t, "post-upgrade", job.Annotations["helm.sh/hook"])
	assert.Contains(t, configFile(t, rel, "test-postgres-maintenance", "targets"), "app test-postgres-app.datastores.svc.cluster.local 5432 app_db pgcrypto,pg_stat_statements,hstore,- -")

	_, ok = chart.FindHook[*batchv1.Job](renderDev(t, nil), "test-postgres-maintenance")
	assert.False(t, ok, "no Job for the default list")
}

func TestUserInitScriptsJoinTheChartsInOrder(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.initdb.scriptsConfigMap": "app-schema", "postgres.initdb.scriptsSecret": "app-seed"})
	initdb := volume(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance), "initdb").Projected
	require.NotNil(t, initdb)
	require.Len(t, initdb.Sources, 3)
	chartScript := initdb.Sources[0].ConfigMap.Items[0]
	assert.Equal(t, "10-datastores-init.sh", chartScript.Path, "the chart's first")
	require.NotNil(t, chartScript.Mode)
	assert.Equal(t, int32(0o555), *chartScript.Mode, "executable: the entrypoint runs it with /bin/sh instead of sourcing it in its bash")
	assert.Len(t, initdb.Sources[0].ConfigMap.Items, 1, "the SQL it runs is not the entrypoint's to run")
	assert.Equal(t, "app-schema", initdb.Sources[1].ConfigMap.Name)
	assert.Equal(t, "app-seed", initdb.Sources[2].Secret.Name)
}
