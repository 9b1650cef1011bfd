//go:build e2e

package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// The official images declare VOLUMEs (/var/lib/postgresql/data, /data): whatever the chart's
// claim does not cover lands in a volume of the container's own, which a new container does not
// get. Restarting every container of the node (as a node reboot or a containerd restart does)
// keeps the pods but gives them new containers: the data must still be there, in PostgreSQL and
// in Redis (from its AOF).
func TestDataSurvivesARestartOfTheNodesContainers(t *testing.T) {
	requireCluster(t)
	if restartNode == nil {
		t.Skip("E2E_RESTART_NODE is not set: give the shell command that stops and starts the cluster node's containers (on the lab cluster: \"$LAB/stop-cluster.sh && $LAB/start-cluster.sh\"); on its own kind cluster the suite restarts the node itself")
	}
	e := newEnv(t, "ds-node")
	r := install(t, e, "nd", "dev.yaml", map[string]string{})
	pool := r.caPool(t)

	_, err := r.postgres(t, "app", pool, "").Exec(t.Context(), `CREATE TABLE orders (id int PRIMARY KEY, item text);
		INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 1000) g`)
	require.NoError(t, err)
	password := string(r.secret(t, "nd-redis-auth").Data["password"])
	require.NoError(t, r.redis(t, password, false).Set(t.Context(), "survivor", "yes", 0).Err())
	time.Sleep(1500 * time.Millisecond) // appendfsync everysec

	pods := []string{"nd-postgres-app-0", "nd-redis-0"}
	containers := map[string]string{}
	for _, name := range pods {
		p := r.pod(t, name)
		containers[name] = p.Status.ContainerStatuses[0].ContainerID
	}

	start := time.Now()
	require.NoError(t, restartNode())
	// The same pods, with new containers, Ready again.
	require.NoError(t, wait.PollUntilContextTimeout(t.Context(), 3*time.Second, 8*time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, name := range pods {
			p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil || !k8s.IsPodAvailable(p) || len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].ContainerID == containers[name] {
				return false, nil
			}
		}
		return true, nil
	}), "the pods did not come back with new containers after the node restart")
	recordTiming("%s: node restarted and pods Ready again in %s", t.Name(), time.Since(start).Round(time.Second))

	var n int
	require.NoError(t, r.postgres(t, "app", pool, "").QueryRow(t.Context(), "SELECT count(*) FROM orders").Scan(&n))
	assert.Equal(t, 1000, n)
	assert.Equal(t, "yes", r.redis(t, password, false).Get(t.Context(), "survivor").Val())
}
