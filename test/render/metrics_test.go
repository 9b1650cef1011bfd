package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

// The metrics sidecars and Prometheus Operator objects as rendered; the exporters themselves run
// against real servers in the server tier (test/server/metrics_test.go).

var metricsOn = map[string]string{
	"postgres.metrics.enabled": "true", "redis.metrics.enabled": "true",
	"postgres.metrics.serviceMonitor.enabled": "true", "redis.metrics.podMonitor.enabled": "true",
	"postgres.metrics.prometheusRule.enabled": "true", "redis.metrics.prometheusRule.enabled": "true",
}

func TestMetricsAreOffByDefault(t *testing.T) {
	rel := renderDev(t, nil)
	for _, sts := range chart.All[*appsv1.StatefulSet](rel) {
		for _, c := range sts.Spec.Template.Spec.Containers {
			assert.NotContains(t, []string{"metrics", "certificate-exporter"}, c.Name, sts.Name)
		}
	}
	assert.Empty(t, chart.All[*chart.PrometheusRule](rel))
}

// Both exporters and the certificate exporter run as the server's user with its restricted
// security context, read only the CA, the password file and the served certificate, and verify the
// server.
func TestMetricsSidecarsVerifyTheServerAsTheServersUser(t *testing.T) {
	rel := renderDev(t, metricsOn)
	pg := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	exp := container(t, pg, "metrics")
	assert.Equal(t, "quay.io/prometheuscommunity/postgres-exporter:v0.19.1", exp.Image)
	assert.Equal(t, container(t, pg, "postgres").SecurityContext, exp.SecurityContext)
	vars := env(exp)
	assert.Equal(t, "localhost:5432/app_db?sslmode=verify-full&sslrootcert=/tls/ca.crt", vars["DATA_SOURCE_URI"])
	assert.Equal(t, "datastores_monitor", vars["DATA_SOURCE_USER"])
	assert.Equal(t, "/run/secrets/postgres-monitor/password", vars["DATA_SOURCE_PASS_FILE"])
	assert.NotContains(t, vars, "DATA_SOURCE_NAME", "it would take precedence")
	assert.Equal(t, "/run/secrets/postgres-monitor", mountPath(t, exp, "monitor"))
	assert.Equal(t, "test-postgres-app-monitor", volume(t, pg, "monitor").Secret.SecretName)

	r := chart.Get[*appsv1.StatefulSet](t, rel, redisName)
	rexp := container(t, r, "metrics")
	assert.Equal(t, "docker.io/oliver006/redis_exporter:v1.88.0", rexp.Image)
	args := strings.Join(rexp.Args, " ")
	assert.Contains(t, args, "--redis.addr=rediss://localhost:6379")
	assert.Contains(t, args, "--tls-ca-cert-file=/tls/ca.crt")
	assert.Contains(t, args, "--config-command=-", "no CONFIG GET, which shows masterauth")
	assert.NotContains(t, args, "skip-tls-verification")
	assert.NotContains(t, args, "password", "the password comes from the environment")
	require.Len(t, rexp.Env, 1)
	assert.Equal(t, "test-redis-monitor", rexp.Env[0].ValueFrom.SecretKeyRef.Name)
	assert.Contains(t, configFile(t, rel, redisName, "start-redis.sh"),
		`echo "user datastores-monitor on #$(hash /run/secrets/redis-users/datastores-monitor/password) -@all +info +client|setname +latency|latest +latency|histogram +slowlog|len +slowlog|get"`)

	for _, sts := range []*appsv1.StatefulSet{pg, r} {
		certs := container(t, sts, "certificate-exporter")
		assert.Equal(t, "quay.io/enix/x509-certificate-exporter:4.2.0", certs.Image)
		assert.Equal(t, "/tls", mountPath(t, certs, "tls"), "the files the server serves")
		for _, m := range certs.VolumeMounts {
			assert.NotEqual(t, "tls-secret", m.Name)
		}
	}
	assert.Contains(t, configFile(t, rel, devInstance, "x509-exporter.yaml"), "skipUnchanged: false")
}

func TestRedisExporterPresentsAClientCertificateWhenRequired(t *testing.T) {
	rel := renderDev(t, map[string]string{"redis.metrics.enabled": "true", "redis.tls.authClients": "yes"})
	args := strings.Join(container(t, chart.Get[*appsv1.StatefulSet](t, rel, redisName), "metrics").Args, " ")
	assert.Contains(t, args, "--tls-client-cert-file=/tls/tls.crt --tls-client-key-file=/tls/tls.key")
}

// The monitoring password is generated once and kept, like the servers'; or from an existing
// Secret, which GitOps mode requires.
func TestMonitoringPasswordIsKept(t *testing.T) {
	first := renderDev(t, metricsOn)
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: installed(first), IsUpgrade: true, SetValues: metricsOn})
	for _, name := range []string{"test-postgres-app-monitor", "test-redis-monitor"} {
		s := chart.Get[*corev1.Secret](t, first, name)
		assert.GreaterOrEqual(t, len(s.Data["password"]), 32)
		assert.Equal(t, s.Data["password"], chart.Get[*corev1.Secret](t, upgrade, name).Data["password"], name)
		assert.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"])
	}
	set := map[string]string{"postgres.metrics.existingSecret": "pg-monitor"}
	for k, v := range metricsOn {
		set[k] = v
	}
	rel := renderDev(t, set)
	_, found := chart.Find[*corev1.Secret](rel, "test-postgres-app-monitor")
	assert.False(t, found)
	assert.Equal(t, "pg-monitor", volume(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance), "monitor").Secret.SecretName)

	for k, v := range gitopsValues {
		set[k] = v
	}
	set["redis.metrics.enabled"] = "true"
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis.metrics.existingSecret is empty, but global.gitops is true")
}

// The metrics ports open only to networkPolicy.metricsFrom: a rule without peers would admit
// every pod in the cluster.
func TestMetricsPortsOpenOnlyToTheScraper(t *testing.T) {
	np := chart.Get[*networkingv1.NetworkPolicy](t, renderDev(t, metricsOn), devInstance)
	require.Len(t, np.Spec.Ingress, 1, "no metricsFrom: the ports stay closed")

	set := map[string]string{"postgres.networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team": "monitoring"}
	for k, v := range metricsOn {
		set[k] = v
	}
	np = chart.Get[*networkingv1.NetworkPolicy](t, renderDev(t, set), devInstance)
	require.Len(t, np.Spec.Ingress, 2)
	var ports []int32
	for _, p := range np.Spec.Ingress[1].Ports {
		ports = append(ports, p.Port.IntVal)
	}
	assert.Equal(t, []int32{9187, 9793}, ports)
	require.Len(t, np.Spec.Ingress[1].From, 1)
	assert.Equal(t, map[string]string{"team": "monitoring"}, np.Spec.Ingress[1].From[0].NamespaceSelector.MatchLabels)
}

// The monitors scrape ports the pods have (the ServiceMonitor's through the metrics Service) and
// carry the labels a Prometheus selects them by.
func TestMonitorsScrapeThePodsPorts(t *testing.T) {
	set := map[string]string{"postgres.metrics.serviceMonitor.labels.release": "kube-prometheus", "redis.metrics.podMonitor.labels.release": "kube-prometheus",
		"postgres.metrics.prometheusRule.labels.release": "kube-prometheus", "postgres.metrics.serviceMonitor.interval": "15s"}
	for k, v := range metricsOn {
		set[k] = v
	}
	rel := renderDev(t, set)
	assert.Equal(t, "kube-prometheus", chart.Get[*chart.ServiceMonitor](t, rel, devInstance).Labels["release"])
	assert.Equal(t, "kube-prometheus", chart.Get[*chart.PodMonitor](t, rel, redisName).Labels["release"])
	assert.Equal(t, "kube-prometheus", chart.Get[*chart.PrometheusRule](t, rel, "test-postgres").Labels["release"])
	assert.Equal(t, "15s", chart.Get[*chart.ServiceMonitor](t, rel, devInstance).Spec.Endpoints[0].Interval)
	pgPorts := map[string]bool{}
	for _, c := range chart.Get[*appsv1.StatefulSet](t, rel, devInstance).Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			pgPorts[p.Name] = true
		}
	}
	sm := chart.Get[*chart.ServiceMonitor](t, rel, devInstance)
	svc := chart.Get[*corev1.Service](t, rel, devInstance+"-metrics")
	svcPorts := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		svcPorts[p.Name] = true
		assert.True(t, pgPorts[p.TargetPort.StrVal], "the Service targets a pod port: %s", p.TargetPort.StrVal)
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		assert.Equal(t, v, svc.Labels[k], "the ServiceMonitor selects the metrics Service (%s)", k)
	}
	for _, ep := range sm.Spec.Endpoints {
		assert.True(t, svcPorts[ep.Port], ep.Port)
	}
	pm := chart.Get[*chart.PodMonitor](t, rel, redisName)
	redisPorts := map[string]bool{}
	for _, c := range chart.Get[*appsv1.StatefulSet](t, rel, redisName).Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			redisPorts[p.Name] = true
		}
	}
	for _, ep := range pm.Spec.PodMetricsEndpoints {
		assert.True(t, redisPorts[ep.Port], ep.Port)
	}
}

func TestAlertRulesCoverDownConnectionsAndCertificates(t *testing.T) {
	rel := renderDev(t, metricsOn)
	alerts := map[string]string{}
	for _, r := range chart.All[*chart.PrometheusRule](rel) {
		for _, g := range r.Spec.Groups {
			for _, rule := range g.Rules {
				alerts[rule.Alert] = rule.Expr
			}
		}
	}
	for _, a := range []string{"DatastoresPostgresDown", "DatastoresPostgresTooManyConnections", "DatastoresRedisDown",
		"DatastoresRedisTooManyClients", "DatastoresRedisRejectsConnections", "DatastoresCertificateExpiresSoon", "DatastoresCertificateExpired"} {
		assert.Contains(t, alerts, a)
	}
	assert.Contains(t, alerts["DatastoresCertificateExpiresSoon"], "< 14 * 86400")
	assert.Contains(t, alerts["DatastoresPostgresDown"], `namespace="datastores"`)
}

func TestMetricsValuesAreChecked(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"the same port twice", map[string]string{"postgres.metrics.enabled": "true", "postgres.metrics.certificates.port": "9187"}, "give each exporter its own port"},
		{"an exporter on latest", map[string]string{"redis.metrics.enabled": "true", "redis.metrics.image.tag": "latest"}, "redis.metrics.image.tag"},
		{"a privileged port", map[string]string{"postgres.metrics.port": "80"}, "postgres.metrics.port"},
		{"an interval that is no duration", map[string]string{"redis.metrics.serviceMonitor.interval": "often"}, "redis.metrics.serviceMonitor.interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: tt.set, SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// NOTES say when the NetworkPolicy keeps the metrics ports closed.
func TestNotesSayWhenMetricsPortsAreClosed(t *testing.T) {
	assert.Contains(t, renderDev(t, metricsOn).Notes, "keeps the exporters' ports of test-postgres-app, test-redis closed until")
	set := map[string]string{"postgres.networkPolicy.metricsFrom[0].podSelector.matchLabels.app": "prometheus", "redis.networkPolicy.metricsFrom[0].podSelector.matchLabels.app": "prometheus"}
	for k, v := range metricsOn {
		set[k] = v
	}
	assert.NotContains(t, renderDev(t, set).Notes, "Metrics: the NetworkPolicy")
	assert.NotContains(t, renderDev(t, nil).Notes, "Metrics: the NetworkPolicy")
}
