//go:build e2e

package e2e_test

import (
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/volume"
)

// expandableClass is a copy of the cluster's default StorageClass that allows volume expansion,
// deleted when the test ends. (Whether the volume then grows is the driver's business: the lab's
// local-path does not resize; what this test proves is the procedure around it.)
func expandableClass(t *testing.T, e *env) string {
	t.Helper()
	classes, err := e.client.StorageV1().StorageClasses().List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	var base *storagev1.StorageClass
	for i, c := range classes.Items {
		if c.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
			base = &classes.Items[i]
		}
	}
	require.NotNil(t, base, "a default StorageClass")
	sc := &storagev1.StorageClass{
		ObjectMeta:           metav1.ObjectMeta{Name: e.ns + "-expandable"},
		Provisioner:          base.Provisioner,
		Parameters:           base.Parameters,
		ReclaimPolicy:        ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode:    base.VolumeBindingMode,
		AllowVolumeExpansion: ptr.To(true),
	}
	_, err = e.client.StorageV1().StorageClasses().Create(t.Context(), sc, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.client.StorageV1().StorageClasses().Delete(t.Context(), sc.Name, metav1.DeleteOptions{}) })
	return sc.Name
}

// A new persistence.size: helm upgrade alone fails on the StatefulSet's immutable claim
// templates; after `datastores expand` (claims grown, StatefulSet deleted with its pod left
// running) the same upgrade succeeds, the pod is adopted without a restart, and the data stays.
func TestVolumeExpansionWithoutARestart(t *testing.T) {
	e := newEnv(t, "ds-expand")
	class := expandableClass(t, e)
	r := install(t, e, "exp", "dev.yaml", map[string]string{"redis.enabled": "false", "postgres.persistence.storageClass": class})
	pool := r.caPool(t)
	_, err := r.postgres(t, "app", pool, "").Exec(t.Context(), `CREATE TABLE kept AS SELECT generate_series(1, 500) AS id`)
	require.NoError(t, err)
	before := r.pod(t, "exp-postgres-app-0").UID

	grown := map[string]string{"postgres.instances.app.persistence.size": "2Gi"}
	opts := *r.opts
	opts.SetValues = map[string]string{}
	for k, v := range r.opts.SetValues {
		opts.SetValues[k] = v
	}
	for k, v := range grown {
		opts.SetValues[k] = v
	}
	err = helm.UpgradeE(t, &opts, chart.ChartDir(), r.name)
	require.Error(t, err, "helm upgrade alone")
	assert.Contains(t, err.Error(), "spec: Forbidden: updates to statefulset spec for fields other than")

	size := resource.MustParse("2Gi")
	_, err = volume.Prepare(t.Context(), e.client, e.ns, "exp-postgres-app", resource.MustParse("512Mi"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot shrink")
	plan, err := volume.Prepare(t.Context(), e.client, e.ns, "exp-postgres-app", size)
	require.NoError(t, err)
	assert.Equal(t, []string{"data-exp-postgres-app-0"}, plan.Claims)
	require.NoError(t, volume.Expand(t.Context(), e.client, e.ns, plan, testWriter{t}))
	assert.Equal(t, before, r.pod(t, "exp-postgres-app-0").UID, "the pod keeps running without its StatefulSet")

	r.upgrade(t, grown)
	sts, err := e.client.AppsV1().StatefulSets(e.ns).Get(t.Context(), "exp-postgres-app", metav1.GetOptions{})
	require.NoError(t, err)
	want := sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]
	assert.Equal(t, "2Gi", want.String(), "the StatefulSet is back with the new size")
	time.Sleep(5 * time.Second) // room for a wrongly triggered rollout to show
	assert.Equal(t, before, r.pod(t, "exp-postgres-app-0").UID, "adopted, not restarted")
	pvc, err := e.client.CoreV1().PersistentVolumeClaims(e.ns).Get(t.Context(), "data-exp-postgres-app-0", metav1.GetOptions{})
	require.NoError(t, err)
	requested := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	assert.Equal(t, "2Gi", requested.String())
	var n int
	require.NoError(t, r.postgres(t, "app", pool, "").QueryRow(t.Context(), "SELECT count(*) FROM kept").Scan(&n))
	assert.Equal(t, 500, n)
}

// A StorageClass that does not allow expansion is refused before anything changes.
func TestVolumeExpansionNeedsAnExpandableClass(t *testing.T) {
	e := newEnv(t, "ds-noexpand")
	install(t, e, "fix", "dev.yaml", map[string]string{"redis.enabled": "false"})
	classes, err := e.client.StorageV1().StorageClasses().List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	for _, c := range classes.Items {
		if c.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" && c.AllowVolumeExpansion != nil && *c.AllowVolumeExpansion {
			t.Skipf("the default StorageClass %s allows expansion", c.Name)
		}
	}
	_, err = volume.Prepare(t.Context(), e.client, e.ns, "fix-postgres-app", resource.MustParse("2Gi"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not allow volume expansion")
	_, err = e.client.AppsV1().StatefulSets(e.ns).Get(t.Context(), "fix-postgres-app", metav1.GetOptions{})
	assert.NoError(t, err, "nothing was changed")
}

// testWriter sends a helper's progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
