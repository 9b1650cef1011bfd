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
	for _, h := range rel.Hooks {
		if p, ok := h.(*corev1.Pod); ok && p.Name == name {
			return p
		}
	}
	t.Fatalf("no hook pod %s", name)
	return nil
}

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
				assert.Equal(t, []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, v.Secret.Items, "%s: only the CA of the TLS Secret", name)
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
