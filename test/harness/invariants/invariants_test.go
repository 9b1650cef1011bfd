package invariants_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/invariants"
)

// Each broken promise, written into a good render, is reported; the good render passes.
func TestCheckReportsEachBrokenPromise(t *testing.T) {
	tests := []struct {
		name, want string
		breakIt    func(rel *chart.Release)
	}{
		{"ssl off", "ssl is \"off\"", editFile("test-postgres-app", "postgresql.conf", "ssl = on", "ssl = off")},
		{"a setting twice", "set twice", editFile("test-postgres-app", "postgresql.conf", "ssl = on", "ssl = on\nssl = off")},
		{"an include", "reads another file", editFile("test-postgres-app", "postgresql.conf", "ssl = on", "ssl = on\ninclude '/tmp/x'")},
		{"an unterminated string", "unterminated", editFile("test-postgres-app", "postgresql.conf", "log_destination = 'stderr'", "log_destination = 'stderr")},
		{"localhost only", "listen_addresses", editFile("test-postgres-app", "postgresql.conf", "listen_addresses = '*'", "listen_addresses = 'localhost'")},
		{"a plaintext hba rule", "rule type \"host\"", editFile("test-postgres-app", "pg_hba.conf", "# TLS:", "host all all 0.0.0.0/0 trust\n# TLS:")},
		{"trust over TLS", "method other than", editFile("test-postgres-app", "pg_hba.conf", "# TLS:", "hostssl all all 0.0.0.0/0 trust\n# TLS:")},
		{"an hba file include", "includes a file", editFile("test-postgres-app", "pg_hba.conf", "# TLS:", "hostssl @/etc/x all 0.0.0.0/0 cert\n# TLS:")},
		{"a plaintext Redis port", "port is \"6379\"", editFile("test-redis", "redis.conf", "port 0", "port 6379")},
		{"TLS 1.1 for Redis", "tls-protocols accepts", editFile("test-redis", "redis.conf", `tls-protocols "TLSv1.2 TLSv1.3"`, `tls-protocols "TLSv1.1 TLSv1.2"`)},
		{"a cluster bus", "cluster-enabled", editFile("test-redis", "redis.conf", "port 0", "port 0\ncluster-enabled yes")},
		{"a Redis user without a password", `rule "NoPass"`, editFile("test-redis", "start-redis.sh", "~* &* +@all", "~* &* +@all NoPass")},
		{"one key for both passwords", "both", func(rel *chart.Release) {
			sources := credentials(rel).Projected.Sources
			sources[1].Secret.Name, sources[1].Secret.Items[0].Key = sources[0].Secret.Name, sources[0].Secret.Items[0].Key
		}},
		{"the superuser's password in the connection Secret", "the connection Secret applications mount", func(rel *chart.Release) {
			s, _ := chart.Find[*corev1.Secret](rel, "test-postgres-app-auth")
			su, _ := chart.Find[*corev1.Secret](rel, "test-postgres-app-superuser")
			s.Data["postgres-password"] = su.Data["postgres-password"]
			credentials(rel).Projected.Sources[1].Secret.Name = s.Name
		}},
		{"a mount of a key the Secret does not have", "has no such key", func(rel *chart.Release) {
			s, _ := chart.Find[*corev1.Secret](rel, "test-postgres-app-auth")
			s.Data["true"] = s.Data["password"]
			delete(s.Data, "password")
		}},
		{"a password in a ConfigMap", "holds a secret value", func(rel *chart.Release) {
			s, _ := chart.Find[*corev1.Secret](rel, "test-postgres-app-auth")
			cm, _ := chart.Find[*corev1.ConfigMap](rel, "test-postgres-app")
			cm.Data["postgresql.conf"] += "\n# " + string(s.Data["password"])
		}},
	}
	good := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}})
	require.NoError(t, invariants.Check(good))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}})
			tt.breakIt(rel)
			err := invariants.Check(rel)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func credentials(rel *chart.Release) *corev1.Volume {
	sts, _ := chart.Find[*appsv1.StatefulSet](rel, "test-postgres-app")
	for i, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == "credentials" {
			return &sts.Spec.Template.Spec.Volumes[i]
		}
	}
	panic("the StatefulSet has no credentials volume")
}

func editFile(configMap, file, old, new string) func(*chart.Release) {
	return func(rel *chart.Release) {
		cm, ok := chart.Find[*corev1.ConfigMap](rel, configMap)
		if !ok || !strings.Contains(cm.Data[file], old) {
			panic("the render has no " + old + " in " + configMap + " " + file)
		}
		cm.Data[file] = strings.Replace(cm.Data[file], old, new, 1)
	}
}
