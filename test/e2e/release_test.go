//go:build e2e

package e2e_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/datastores/datastores/test/harness/certs"
)

// TestRelease installs values/dev.yaml (a PostgreSQL instance, Redis) with backups on, once,
// and proves in turn what a platform engineer relies on. The steps share the install: each is a
// subtest, and they run in this order because later ones (upgrade, backup) build on the data
// the earlier ones wrote.
func TestRelease(t *testing.T) {
	e := newEnv(t, "ds-release")
	r := install(t, e, "ds", "dev.yaml", map[string]string{"postgres.backup.enabled": "true", "postgres.backup.storage.size": "1Gi", "postgres.backup.verify.enabled": "true"})
	pool := r.caPool(t)

	t.Run("every PostgreSQL instance takes only verified TLS", func(t *testing.T) {
		stss, err := e.client.AppsV1().StatefulSets(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=postgres"})
		require.NoError(t, err)
		require.NotEmpty(t, stss.Items)
		for _, sts := range stss.Items {
			instance := strings.TrimPrefix(sts.Name, "ds-postgres-")
			conn := r.postgres(t, instance, pool, "")
			var ssl bool
			var version string
			require.NoError(t, conn.QueryRow(t.Context(), "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &version))
			assert.True(t, ssl, instance)
			assert.Contains(t, []string{"TLSv1.2", "TLSv1.3"}, version, instance)
			var pgcrypto int
			require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'").Scan(&pgcrypto))
			assert.Equal(t, 1, pgcrypto, "%s: pgcrypto", instance)

			_, err := r.postgresE(t, instance, nil, "")
			require.Error(t, err, "%s: sslmode=disable must be refused", instance)
			assert.Contains(t, err.Error(), "no encryption")

			cert, err := certs.Parse(r.secret(t, sts.Name+"-tls").Data["tls.crt"])
			require.NoError(t, err)
			for _, name := range []string{sts.Name, sts.Name + "." + e.ns, sts.Name + "." + e.ns + ".svc", r.serviceDNS(sts.Name), r.serviceDNS(sts.Name + "-hl")} {
				assert.Contains(t, cert.DNSNames, name, "%s: SANs", instance)
			}
		}
	})

	t.Run("Redis answers only TLS with AUTH", func(t *testing.T) {
		password := string(r.secret(t, "ds-redis-auth").Data["password"])
		assert.Equal(t, "PONG", r.redis(t, password, false).Ping(t.Context()).Val())
		err := r.redis(t, "", false).Ping(t.Context()).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "NOAUTH")
		assert.Error(t, r.redis(t, password, true).Ping(t.Context()).Err(), "plaintext must get no answer")
	})

	t.Run("helm test passes", func(t *testing.T) {
		out, err := helm.RunHelmCommandAndGetOutputE(t, r.opts, "test", r.name, "--logs", "--timeout", "5m")
		require.NoError(t, err, out)
		assert.Contains(t, out, "ok: plaintext refused")
	})

	t.Run("a client inside the cluster verifies by Service name with only the chart's Secrets", func(t *testing.T) {
		sts, err := e.client.AppsV1().StatefulSets(e.ns).Get(t.Context(), "ds-postgres-app", metav1.GetOptions{})
		require.NoError(t, err)
		logs, ok := r.runJob(t, inClusterClient(r, "app", sts.Spec.Template.Spec.Containers[0]))
		require.True(t, ok, logs)
		assert.Contains(t, logs, "ssl=t")
	})

	t.Run("data outlives its pods", func(t *testing.T) {
		_, err := r.postgres(t, "app", pool, "").Exec(t.Context(), `CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, item text);
			INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING`)
		require.NoError(t, err)
		password := string(r.secret(t, "ds-redis-auth").Data["password"])
		require.NoError(t, r.redis(t, password, false).Set(t.Context(), "survivor", "yes", 0).Err())
		time.Sleep(1500 * time.Millisecond) // appendfsync everysec

		r.restartPod(t, "ds-postgres-app-0")
		r.restartPod(t, "ds-redis-0")

		var n int
		require.NoError(t, r.postgres(t, "app", pool, "").QueryRow(t.Context(), "SELECT count(*) FROM orders").Scan(&n))
		assert.Equal(t, 1000, n)
		assert.Equal(t, "yes", r.redis(t, password, false).Get(t.Context(), "survivor").Val())
	})

	t.Run("helm upgrade keeps passwords, CA, certificates and data", func(t *testing.T) {
		keep := map[string]string{
			"ds-postgres-app-auth": "password", "ds-redis-auth": "password",
		}
		before := map[string]string{}
		for s, k := range keep {
			before[s] = string(r.secret(t, s).Data[k])
		}
		caBefore := fingerprint(r.secret(t, "ds-datastores-ca").Data["tls.crt"])
		pgCertBefore := fingerprint(r.secret(t, "ds-postgres-app-tls").Data["tls.crt"])
		redisCertBefore := fingerprint(r.secret(t, "ds-redis-tls").Data["tls.crt"])

		r.upgrade(t, map[string]string{"postgres.podAnnotations.upgraded": "yes", "redis.config.maxmemory": "200mb"})

		for s, k := range keep {
			assert.Equal(t, before[s], string(r.secret(t, s).Data[k]), s)
		}
		assert.Equal(t, caBefore, fingerprint(r.secret(t, "ds-datastores-ca").Data["tls.crt"]))
		assert.Equal(t, pgCertBefore, fingerprint(r.secret(t, "ds-postgres-app-tls").Data["tls.crt"]))
		assert.Equal(t, redisCertBefore, fingerprint(r.secret(t, "ds-redis-tls").Data["tls.crt"]))
		var n int
		require.NoError(t, r.postgres(t, "app", r.caPool(t), "").QueryRow(t.Context(), "SELECT count(*) FROM orders").Scan(&n))
		assert.Equal(t, 1000, n, "the old password still opens the old data")
	})

	t.Run("a backup restores into a fresh database", func(t *testing.T) {
		_, err := k8s.CreateJobFromCronJobE(t, e.kubectl, "ds-postgres-backup", "ds-backup-now")
		require.NoError(t, err)
		logs, ok := r.waitJob(t, "ds-backup-now")
		require.True(t, ok, logs)
		dump := regexp.MustCompile(`wrote (app/\S+\.dump)`).FindStringSubmatch(logs)
		require.NotNil(t, dump, logs)

		// The restore target: a fresh database owned by the application user.
		out, err := k8s.ExecPodE(t, e.kubectl, "ds-postgres-app-0", "postgres", "sh", "-c",
			`PGPASSWORD="$(cat /run/secrets/postgres/postgres-password)" psql -h /var/run/postgresql -U postgres -d postgres -v ON_ERROR_STOP=1 -c 'CREATE DATABASE restored OWNER app_user'`)
		require.NoError(t, err, out)
		_, err = e.client.CoreV1().ConfigMaps(e.ns).Create(t.Context(), &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "ds-postgres-restore-request"},
			Data:       map[string]string{"file": dump[1], "instance": "app", "database": "restored"},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = k8s.CreateJobFromCronJobE(t, e.kubectl, "ds-postgres-restore", "ds-restore-now")
		require.NoError(t, err)
		logs, ok = r.waitJob(t, "ds-restore-now")
		require.True(t, ok, logs)
		assert.Contains(t, logs, "checksum verified")

		var n int
		require.NoError(t, r.postgres(t, "app", r.caPool(t), "restored").QueryRow(t.Context(), "SELECT count(*) FROM orders").Scan(&n))
		assert.Equal(t, 1000, n)
	})

	t.Run("the restore drill restores the newest dump in its own pod", func(t *testing.T) {
		_, err := k8s.CreateJobFromCronJobE(t, e.kubectl, "ds-postgres-backup-verify", "ds-verify-now")
		require.NoError(t, err)
		logs, ok := r.waitJob(t, "ds-verify-now")
		require.True(t, ok, logs)
		assert.Regexp(t, `app: app_app_db_\d{8}T\d{6}Z\.dump restored: \d+ tables, about \d+ rows`, logs)
		assert.Contains(t, logs, "every target's newest dump restored")
	})
}

// inClusterClient is a Job that connects to an instance the way the README tells applications
// to: DATABASE_URL from the connection Secret's uri (the Service's DNS name, verify-full), and the
// Secret's ca.crt mounted at /etc/datastores/ca.crt, where the uri looks for it. It runs the
// server's image (the cluster already has it, mirrors included) under the restricted profile.
func inClusterClient(r *release, instance string, server corev1.Container) *batchv1.Job {
	full := r.name + "-postgres-" + instance
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("client-%s-%d", instance, time.Now().Unix()%100000)},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                corev1.RestartPolicyNever,
				AutomountServiceAccountToken: ptr.To(false),
				SecurityContext:              &corev1.PodSecurityContext{FSGroup: ptr.To[int64](70)},
				Containers: []corev1.Container{{
					Name:            "psql",
					Image:           server.Image,
					ImagePullPolicy: server.ImagePullPolicy,
					Command:         []string{"/bin/sh", "-c", `psql "$DATABASE_URL" -XAtc "SELECT 'ssl=' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"`},
					Env: []corev1.EnvVar{
						{Name: "DATABASE_URL", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: full + "-auth"}, Key: "uri"}}},
						{Name: "HOME", Value: "/tmp"},
					},
					SecurityContext: restrictedContainer(70),
					VolumeMounts: []corev1.VolumeMount{
						{Name: "db-ca", MountPath: "/etc/datastores", ReadOnly: true},
						{Name: "tmp", MountPath: "/tmp"},
					},
				}},
				Volumes: []corev1.Volume{
					{Name: "db-ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: full + "-auth", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}}},
					{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				},
			}},
		},
	}
}
