package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/datastores/datastores/test/harness/chart"
)

func TestPostgresDataLivesOnAPersistentVolumeClaim(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), devInstance)

	require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
	claim := sts.Spec.VolumeClaimTemplates[0]
	assert.Equal(t, "data", claim.Name)
	assert.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, claim.Spec.AccessModes)
	assert.True(t, resource.MustParse("1Gi").Equal(claim.Spec.Resources.Requests[corev1.ResourceStorage]))
	assert.Nil(t, claim.Spec.StorageClassName, "no class: the cluster's default")
	assert.Equal(t, "/var/lib/postgresql/data", mountPath(t, container(t, sts, "postgres"), "data"))
	for _, v := range sts.Spec.Template.Spec.Volumes {
		assert.NotEqual(t, "data", v.Name, "data must come from the claim template, not a pod volume")
	}
}

func TestPostgresStorageClass(t *testing.T) {
	tests := []struct {
		class string
		want  string
	}{{"fast-ssd", "fast-ssd"}, {"-", ""}}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"postgres.persistence.storageClass": tt.class}), devInstance)
			require.NotNil(t, sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName)
			assert.Equal(t, tt.want, *sts.Spec.VolumeClaimTemplates[0].Spec.StorageClassName)
		})
	}
}

func TestPostgresExistingClaimReplacesTheClaimTemplate(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"postgres.instances.app.persistence.existingClaim": "app-data"}), devInstance)

	assert.Empty(t, sts.Spec.VolumeClaimTemplates)
	data := volume(t, sts, "data")
	require.NotNil(t, data.PersistentVolumeClaim)
	assert.Equal(t, "app-data", data.PersistentVolumeClaim.ClaimName)
	assert.Nil(t, data.EmptyDir)
}

func TestPostgresOneStatefulSetPerInstance(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.instances.orders.database": "orders_db", "postgres.instances.orders.user": "orders_user",
		"postgres.instances.orders.persistence.size": "5Gi",
	})

	assert.ElementsMatch(t, []string{"test-postgres-app", "test-postgres-orders"}, names(chart.AllOf[*appsv1.StatefulSet](rel, "postgres")))
	orders := chart.Get[*appsv1.StatefulSet](t, rel, "test-postgres-orders")
	assert.Equal(t, int32(1), *orders.Spec.Replicas)
	assert.Equal(t, "test-postgres-orders-hl", orders.Spec.ServiceName)
	assert.True(t, resource.MustParse("5Gi").Equal(orders.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]))
	assert.Equal(t, "orders_db", env(container(t, orders, "postgres"))["POSTGRES_DB"])
}

func TestPostgresImage(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"pinned default", nil, "docker.io/library/postgres:17.6-alpine"},
		{"private mirror", map[string]string{"global.imageRegistry": "mirror.internal:5000"}, "mirror.internal:5000/library/postgres:17.6-alpine"},
		{"own repository and tag", map[string]string{"postgres.image.registry": "ghcr.io", "postgres.image.repository": "acme/postgres", "postgres.image.tag": "17.5"}, "ghcr.io/acme/postgres:17.5"},
		{"digest", map[string]string{"postgres.image.digest": "sha256:" + strings.Repeat("a", 64)}, "docker.io/library/postgres:17.6-alpine@sha256:" + strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, tt.set), devInstance)
			assert.Equal(t, tt.want, container(t, sts, "postgres").Image)
			assert.Equal(t, tt.want, container(t, sts, "prepare-tls").Image, "the init container uses the server image")
		})
	}
}

func TestPostgresPullPolicyAndPullSecrets(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{
		"postgres.image.pullPolicy":    "Never",
		"global.imagePullSecrets[0]":   "mirror-creds",
		"postgres.imagePullSecrets[0]": "pg-creds",
	}), devInstance)

	assert.Equal(t, corev1.PullNever, container(t, sts, "postgres").ImagePullPolicy)
	assert.Equal(t, corev1.PullNever, container(t, sts, "prepare-tls").ImagePullPolicy)
	assert.Equal(t, []corev1.LocalObjectReference{{Name: "mirror-creds"}, {Name: "pg-creds"}}, sts.Spec.Template.Spec.ImagePullSecrets)
}

func TestPostgresRunsAsTheConfiguredUser(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want int64
	}{
		{"alpine image default", nil, 70},
		{"debian image", map[string]string{"postgres.securityContext.runAsUser": "999", "postgres.securityContext.runAsGroup": "999", "postgres.securityContext.fsGroup": "999"}, 999},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, tt.set), devInstance)
			pod := sts.Spec.Template.Spec.SecurityContext
			assert.Equal(t, tt.want, *pod.RunAsUser)
			assert.Equal(t, tt.want, *pod.RunAsGroup)
			assert.Equal(t, tt.want, *pod.FSGroup, "fsGroup lets the server's group read the Secret volume")
			for _, c := range []string{"prepare-tls", "postgres"} {
				assert.Equal(t, tt.want, *container(t, sts, c).SecurityContext.RunAsUser, c)
			}
		})
	}
}

func TestPostgresInitContainerPreparesTheCertificateFromTheSecret(t *testing.T) {
	rel := renderDev(t, nil)
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	initC := container(t, sts, "prepare-tls")

	require.Len(t, sts.Spec.Template.Spec.InitContainers, 1)
	assert.Equal(t, []string{"/bin/sh", "/opt/datastores/prepare-tls.sh"}, initC.Command)
	scripts := volume(t, sts, "scripts")
	require.NotNil(t, scripts.ConfigMap)
	assert.Equal(t, devInstance, scripts.ConfigMap.Name)
	assert.Equal(t, "/opt/datastores", mountPath(t, initC, "scripts"))
	assert.NotEmpty(t, configFile(t, rel, devInstance, "prepare-tls.sh"))

	secret := volume(t, sts, "tls-secret")
	require.NotNil(t, secret.Secret)
	assert.Equal(t, "test-postgres-app-tls", secret.Secret.SecretName)
	assert.Equal(t, int32(0o440), *secret.Secret.DefaultMode, "readable by the fsGroup, never world-readable")
	assert.Equal(t, env(initC)["TLS_SOURCE_DIR"], mountPath(t, initC, "tls-secret"))
	for _, c := range sts.Spec.Template.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if c.Name != "tls-reloader" {
				assert.NotEqual(t, "tls-secret", m.Name, "only the init container and the tls-reloader read the Secret volume")
			}
		}
	}
	tls := volume(t, sts, "tls")
	require.NotNil(t, tls.EmptyDir)
	assert.Equal(t, corev1.StorageMediumMemory, tls.EmptyDir.Medium, "the private key never touches a disk")
}

func TestPostgresPasswordsReachTheServerAsFiles(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), devInstance)
	server := container(t, sts, "postgres")
	vars := env(server)

	assert.Equal(t, "/run/secrets/postgres/postgres-password", vars["POSTGRES_PASSWORD_FILE"])
	assert.NotContains(t, vars, "POSTGRES_PASSWORD")
	assert.Equal(t, "postgres", vars["POSTGRES_USER"])
	assert.Equal(t, "/run/secrets/postgres", mountPath(t, server, "credentials"))
	assert.Equal(t, map[string]string{"password": "test-postgres-app-auth/password", "postgres-password": "test-postgres-app-superuser/postgres-password"}, passwordFiles(t, sts))
	assert.Equal(t, int32(0o440), *volume(t, sts, "credentials").Projected.DefaultMode)
}

func TestPostgresProbesUsePgIsready(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"postgres.port": "6543"}), devInstance)
	server := container(t, sts, "postgres")
	want := []string{"pg_isready", "-q", "-h", "127.0.0.1", "-p", "6543", "-U", "app_user", "-d", "app_db"}

	for name, p := range map[string]*corev1.Probe{"startup": server.StartupProbe, "readiness": server.ReadinessProbe, "liveness": server.LivenessProbe} {
		require.NotNil(t, p, name)
		require.NotNil(t, p.Exec, name)
		assert.Equal(t, want, p.Exec.Command, name)
	}
	assert.Equal(t, int32(6543), server.Ports[0].ContainerPort)
}

func TestPostgresConfigChangeRollsThePod(t *testing.T) {
	before := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), devInstance).Spec.Template.Annotations
	after := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"postgres.config.work_mem": "8MB"}), devInstance).Spec.Template.Annotations
	hba := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"postgres.tls.clientCertificates": "true"}), devInstance).Spec.Template.Annotations

	require.NotEmpty(t, before["checksum/config"])
	assert.NotEqual(t, before["checksum/config"], after["checksum/config"], "postgresql.conf changed")
	assert.NotEqual(t, before["checksum/config"], hba["checksum/config"], "pg_hba.conf changed")
	assert.Equal(t, before["checksum/config"], renderAgainChecksum(t), "same values, same checksum")
}

func renderAgainChecksum(t *testing.T) string {
	t.Helper()
	return chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), devInstance).Spec.Template.Annotations["checksum/config"]
}

func TestPostgresServicesSelectTheInstancePod(t *testing.T) {
	rel := renderDev(t, nil)
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	podLabels := labels.Set(sts.Spec.Template.Labels)

	svc := chart.Get[*corev1.Service](t, rel, devInstance)
	assert.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type)
	assert.NotEqual(t, corev1.ClusterIPNone, svc.Spec.ClusterIP)
	assert.True(t, labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels))
	assert.Equal(t, int32(5432), svc.Spec.Ports[0].Port)

	hl := chart.Get[*corev1.Service](t, rel, devInstance+"-hl")
	assert.Equal(t, corev1.ClusterIPNone, hl.Spec.ClusterIP)
	assert.True(t, labels.SelectorFromSet(hl.Spec.Selector).Matches(podLabels))
	assert.True(t, labels.SelectorFromSet(sts.Spec.Selector.MatchLabels).Matches(podLabels))
}

func TestPostgresServicesOfTwoInstancesDoNotOverlap(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.instances.orders.database": "orders_db", "postgres.instances.orders.user": "orders_user"})
	app := labels.Set(chart.Get[*appsv1.StatefulSet](t, rel, devInstance).Spec.Template.Labels)
	orders := chart.Get[*corev1.Service](t, rel, "test-postgres-orders")

	assert.False(t, labels.SelectorFromSet(orders.Spec.Selector).Matches(app))
}

func TestPostgresServiceAccountHasNoToken(t *testing.T) {
	rel := renderDev(t, nil)
	sa := chart.Get[*corev1.ServiceAccount](t, rel, devInstance)
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)

	require.NotNil(t, sa.AutomountServiceAccountToken)
	assert.False(t, *sa.AutomountServiceAccountToken)
	assert.Equal(t, devInstance, sts.Spec.Template.Spec.ServiceAccountName)
	assert.False(t, *sts.Spec.Template.Spec.AutomountServiceAccountToken)
}

func TestPostgresSchedulingValues(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{
		"postgres.nodeSelector.disktype":        "ssd",
		"postgres.tolerations[0].key":           "dedicated",
		"postgres.tolerations[0].operator":      "Exists",
		"postgres.priorityClassName":            "databases",
		"postgres.instances.app.podLabels.team": "core",
	}), devInstance)
	spec := sts.Spec.Template.Spec

	assert.Equal(t, map[string]string{"disktype": "ssd"}, spec.NodeSelector)
	assert.Equal(t, "dedicated", spec.Tolerations[0].Key)
	assert.Equal(t, "databases", spec.PriorityClassName)
	assert.Equal(t, "core", sts.Spec.Template.Labels["team"])
}

// The server stops with a fast shutdown from a preStop hook (SIGTERM alone would wait for every
// session), bounded by the grace period; run for real in the server tier
// (TestPreStopShutsDownFastWithASessionOpen).
func TestPostgresStopsFastWithinTheGracePeriod(t *testing.T) {
	tests := []struct {
		grace string
		want  string
	}{
		{"", `pg_ctl stop -D "$PGDATA" -m fast -w -t 55 || pg_ctl stop -D "$PGDATA" -m immediate -w -t 5`},
		{"30", `pg_ctl stop -D "$PGDATA" -m fast -w -t 25 || pg_ctl stop -D "$PGDATA" -m immediate -w -t 5`},
	}
	for _, tt := range tests {
		t.Run("grace "+tt.grace, func(t *testing.T) {
			set := map[string]string{}
			if tt.grace != "" {
				set["postgres.terminationGracePeriodSeconds"] = tt.grace
			}
			sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, set), devInstance)
			c := container(t, sts, "postgres")
			require.NotNil(t, c.Lifecycle)
			require.NotNil(t, c.Lifecycle.PreStop)
			assert.Equal(t, []string{"/bin/sh", "-c", tt.want}, c.Lifecycle.PreStop.Exec.Command)
		})
	}
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.terminationGracePeriodSeconds": "5"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "postgres.terminationGracePeriodSeconds is 5: give a whole number from 10 to 86400")
}
