package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/datastores/datastores/test/harness/chart"
)

// peerAllows says whether a NetworkPolicy peer without namespaceSelector or ipBlock admits a pod
// with these labels from the policy's own namespace.
func peerAllows(t *testing.T, peer networkingv1.NetworkPolicyPeer, podLabels map[string]string) bool {
	t.Helper()
	if peer.NamespaceSelector != nil || peer.IPBlock != nil || peer.PodSelector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector)
	require.NoError(t, err)
	return sel.Matches(labels.Set(podLabels))
}

// allowedFromNamespace says whether a pod with these labels in the same namespace may reach port.
func allowedFromNamespace(t *testing.T, np *networkingv1.NetworkPolicy, port int32, podLabels map[string]string) bool {
	t.Helper()
	for _, rule := range np.Spec.Ingress {
		opens := false
		for _, p := range rule.Ports {
			opens = opens || p.Port.IntVal == port
		}
		if !opens {
			continue
		}
		for _, peer := range rule.From {
			if peerAllows(t, peer, podLabels) {
				return true
			}
		}
	}
	return false
}

// Each server's NetworkPolicy selects its pod and opens only its port, to the namespace's pods by
// default and always to the chart's own backup, restore and test pods; egress is DNS only.
func TestNetworkPolicyOpensOnlyTheServerPort(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.backup.enabled": "true"})
	for _, s := range []struct {
		name string
		port int32
	}{{devInstance, 5432}, {redisName, 6379}} {
		t.Run(s.name, func(t *testing.T) {
			np := chart.Get[*networkingv1.NetworkPolicy](t, rel, s.name)
			sts := chart.Get[*appsv1.StatefulSet](t, rel, s.name)
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			require.NoError(t, err)
			assert.True(t, sel.Matches(labels.Set(sts.Spec.Template.Labels)), "it selects the server's pod")
			assert.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
			require.Len(t, np.Spec.Ingress, 1)
			require.Len(t, np.Spec.Ingress[0].Ports, 1)
			assert.Equal(t, s.port, np.Spec.Ingress[0].Ports[0].Port.IntVal)

			assert.True(t, allowedFromNamespace(t, np, s.port, map[string]string{"app": "anything"}), "the namespace's pods, by default")
			require.Len(t, np.Spec.Egress, 1)
			for _, p := range np.Spec.Egress[0].Ports {
				assert.Equal(t, int32(53), p.Port.IntVal, "egress: DNS only")
			}
			assert.Empty(t, np.Spec.Egress[0].To)
		})
	}
}

// With from: [] only the chart's own pods may connect: the backup job's and the helm test pods
// (their real labels, as rendered), nobody else.
func TestNetworkPolicyAlwaysAdmitsTheChartsOwnPods(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.backup.enabled": "true", "postgres.networkPolicy.from": "null", "redis.networkPolicy.from": "null"})
	np := chart.Get[*networkingv1.NetworkPolicy](t, rel, devInstance)
	backup := jobTemplateLabels(t, rel, backupName)
	test := hookPod(t, rel, devInstance+"-test").Labels
	assert.True(t, allowedFromNamespace(t, np, 5432, backup), "the backup job")
	assert.True(t, allowedFromNamespace(t, np, 5432, jobTemplateLabels(t, rel, restoreName)), "the restore job")
	assert.True(t, allowedFromNamespace(t, np, 5432, test), "the helm test pod")
	assert.False(t, allowedFromNamespace(t, np, 5432, map[string]string{"app": "anything"}), "nobody else")
	other := map[string]string{"app.kubernetes.io/instance": "another-release", "app.kubernetes.io/component": "backup"}
	assert.False(t, allowedFromNamespace(t, np, 5432, other), "not another release's backup")
	assert.True(t, allowedFromNamespace(t, chart.Get[*networkingv1.NetworkPolicy](t, rel, redisName), 6379, hookPod(t, rel, "test-redis-test").Labels))
}

func jobTemplateLabels(t *testing.T, rel *chart.Release, cronJob string) map[string]string {
	t.Helper()
	for _, tpl := range rel.PodTemplates() {
		if tpl.Owner == "CronJob/"+cronJob {
			return tpl.Meta.Labels
		}
	}
	t.Fatalf("no pod template of CronJob %s", cronJob)
	return nil
}

func TestNetworkPolicyPeersFromValues(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.instances.app.networkPolicy.from[0].namespaceSelector.matchLabels.team": "shop",
		"redis.networkPolicy.extraEgress[0].ports[0].port":                                "443",
	})
	np := chart.Get[*networkingv1.NetworkPolicy](t, rel, devInstance)
	from := np.Spec.Ingress[0].From
	require.Len(t, from, 2, "the chart's own pods and the peer given (lists replace)")
	assert.Equal(t, map[string]string{"team": "shop"}, from[1].NamespaceSelector.MatchLabels)
	assert.Len(t, chart.Get[*networkingv1.NetworkPolicy](t, rel, redisName).Spec.Egress, 2)

	off := renderDev(t, map[string]string{"postgres.networkPolicy.enabled": "false"})
	_, found := chart.Find[*networkingv1.NetworkPolicy](off, devInstance)
	assert.False(t, found)
}

func TestPodDisruptionBudgetPerServer(t *testing.T) {
	rel := renderDev(t, map[string]string{"redis.podDisruptionBudget.maxUnavailable": "null", "redis.podDisruptionBudget.minAvailable": "1"})
	pg := chart.Get[*policyv1.PodDisruptionBudget](t, rel, devInstance)
	require.NotNil(t, pg.Spec.MaxUnavailable)
	assert.Equal(t, int32(1), pg.Spec.MaxUnavailable.IntVal, "a drain may move the single pod")
	assert.Nil(t, pg.Spec.MinAvailable)
	sel, err := metav1.LabelSelectorAsSelector(pg.Spec.Selector)
	require.NoError(t, err)
	assert.True(t, sel.Matches(labels.Set(chart.Get[*appsv1.StatefulSet](t, rel, devInstance).Spec.Template.Labels)))
	r := chart.Get[*policyv1.PodDisruptionBudget](t, rel, redisName)
	require.NotNil(t, r.Spec.MinAvailable)
	assert.Equal(t, int32(1), r.Spec.MinAvailable.IntVal)
	assert.Nil(t, r.Spec.MaxUnavailable)
}

// A spread constraint without a selector spreads all of the chart's servers of the release.
func TestTopologySpreadDefaultsToTheReleasesServers(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{
		"postgres.topologySpreadConstraints[0].maxSkew":           "1",
		"postgres.topologySpreadConstraints[0].topologyKey":       "topology.kubernetes.io/zone",
		"postgres.topologySpreadConstraints[0].whenUnsatisfiable": "ScheduleAnyway",
	}})
	var selected int
	var selector labels.Selector
	for _, sts := range chart.All[*appsv1.StatefulSet](rel) {
		c := sts.Spec.Template.Spec.TopologySpreadConstraints
		if sts.Name == redisName {
			assert.Empty(t, c)
			continue
		}
		require.Len(t, c, 1, sts.Name)
		assert.Equal(t, "topology.kubernetes.io/zone", c[0].TopologyKey)
		assert.Equal(t, corev1.ScheduleAnyway, c[0].WhenUnsatisfiable)
		var err error
		selector, err = metav1.LabelSelectorAsSelector(c[0].LabelSelector)
		require.NoError(t, err)
	}
	for _, sts := range chart.All[*appsv1.StatefulSet](rel) {
		if selector.Matches(labels.Set(sts.Spec.Template.Labels)) {
			selected++
		}
	}
	assert.Equal(t, 14, selected, "every PostgreSQL instance, not Redis")
}

func TestPolicyValuesAreChecked(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"both PDB fields", map[string]string{"postgres.podDisruptionBudget.minAvailable": "1"}, "give minAvailable or maxUnavailable, not both"},
		{"a PDB of two pods", map[string]string{"redis.podDisruptionBudget.maxUnavailable": "2"}, "maxUnavailable"},
		{"a constraint without a key", map[string]string{"postgres.topologySpreadConstraints[0].maxSkew": "1"}, "topologySpreadConstraints"},
		{"peers as a map", map[string]string{"postgres.networkPolicy.from.podSelector.matchLabels.a": "b"}, "networkPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, schema := range []bool{true, false} {
				_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: tt.set, SkipSchemaValidation: !schema})
				require.Error(t, err, "schema %v", schema)
				assert.Contains(t, err.Error(), tt.want, "schema %v", schema)
			}
		})
	}
}
