package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

// hookPod returns a `helm test` pod by name.
func hookPod(t *testing.T, rel *chart.Release, name string) *corev1.Pod {
	t.Helper()
	p, ok := chart.FindHook[*corev1.Pod](rel, name)
	require.True(t, ok, "no hook pod %s", name)
	return p
}

// Test pods mount the password, the CA and the server's certificate (for its expiry), never the
// server's key.
func TestHelmTestPodsUseOnlyTheCAAndThePassword(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}})
	pods := 0
	for _, h := range rel.Hooks {
		if _, ok := h.(*corev1.Pod); ok {
			pods++
		}
	}
	assert.Equal(t, 15, pods, "one per PostgreSQL instance and one for Redis")

	for _, name := range []string{"test-postgres-orders-test", "test-redis-test"} {
		p := hookPod(t, rel, name)
		assert.Equal(t, "test", p.Annotations["helm.sh/hook"], name)
		for _, v := range p.Spec.Volumes {
			if v.Secret != nil && v.Name == "ca" {
				assert.Equal(t, []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}, {Key: "tls.crt", Path: "server.crt"}}, v.Secret.Items, "%s: the certificates of the TLS Secret, not its key", name)
			}
		}
	}
	pg := hookPod(t, rel, "test-postgres-orders-test")
	vars := env(pg.Spec.Containers[0])
	assert.Equal(t, "verify-full", vars["PGSSLMODE"])
	assert.Equal(t, "test-postgres-orders.datastores.svc.cluster.local", vars["PGHOST"], "the name in the certificate, not an IP")
	assert.Equal(t, "orders_user", vars["PGUSER"])
	assert.Equal(t, "docker.io/library/postgres:17.6-alpine", pg.Spec.Containers[0].Image, "the server image")
}

func TestHelmTestPodsPresentClientCertificatesWhenRequired(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.tls.clientCertificates": "true", "redis.tls.authClients": "yes"})

	pg := hookPod(t, rel, devInstance+"-test")
	assert.Equal(t, "/tls/client/tls.key", env(pg.Spec.Containers[0])["PGSSLKEY"])
	redis := hookPod(t, rel, "test-redis-test")
	require.Len(t, redis.Spec.Containers[0].Command, 3)
	assert.Contains(t, redis.Spec.Containers[0].Command[2], "--cert /tls/client/tls.crt --key /tls/client/tls.key")
}

// `helm test --logs` reads each pod's log after the last test pod finished: a pod deleted on
// success ("hook-succeeded") has no log left to read and the command fails. Test pods stay until
// the next `helm test` replaces them.
func TestHelmTestPodsStayForTheirLogs(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}})
	for _, name := range []string{devInstance + "-test", "test-redis-test"} {
		assert.Equal(t, "before-hook-creation", hookPod(t, rel, name).Annotations["helm.sh/hook-delete-policy"], name)
	}
}

// Each test pod prints the certificates' expiry and fails within 7 days of it (run for real in
// the server tier: TestHelmTestPodFailsOnACertificateAboutToExpire); with an existing Secret it
// reads that Secret's own key names.
func TestHelmTestPodsCheckCertificateExpiry(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.tls.source": "existingSecret", "postgres.instances.app.tls.existingSecret.name": "app-tls",
		"postgres.tls.existingSecret.keys.certificate": "server.pem", "postgres.tls.existingSecret.keys.ca": "chain.pem",
	})
	for _, name := range []string{devInstance + "-test", "test-redis-test"} {
		p := hookPod(t, rel, name)
		script := p.Spec.Containers[0].Command[2]
		assert.Contains(t, script, `for pair in "server certificate:/tls/server.crt" "CA:/tls/ca.crt"; do`, name)
		assert.Contains(t, script, `[ "$left" -ge 7 ] || { echo "FAIL: the $what expires within 7 days: renew it"; exit 1; }`, name)
	}
	for _, v := range hookPod(t, rel, devInstance+"-test").Spec.Volumes {
		if v.Name == "ca" {
			assert.Equal(t, "app-tls", v.Secret.SecretName)
			assert.Equal(t, []corev1.KeyToPath{{Key: "chain.pem", Path: "ca.crt"}, {Key: "server.pem", Path: "server.crt"}}, v.Secret.Items)
		}
	}
}
