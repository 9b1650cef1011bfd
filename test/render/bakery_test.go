package render_test

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/datastores/datastores/test/harness/chart"
)

var bakeryInstances = []string{
	"auth", "tenant", "training", "forecasting", "sales", "external", "notification", "inventory",
	"recipes", "suppliers", "pos", "orders", "production", "alert-processor",
}

// Each of the platform's 14 services gets a server of its own: its own credentials, volume,
// Services and a certificate for exactly those Service names.
func TestBakeryIAHasFourteenIsolatedInstances(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, ReleaseName: "bakery", Namespace: "bakery-ia"})
	require.Equal(t, len(bakeryInstances), len(chart.AllOf[*appsv1.StatefulSet](rel, "postgres")))

	passwords := map[string]string{}
	for _, name := range bakeryInstances {
		t.Run(name, func(t *testing.T) {
			full := "bakery-postgres-" + name
			db := strings.ReplaceAll(name, "-", "_")

			auth := chart.Get[*corev1.Secret](t, rel, full+"-auth")
			password := string(auth.Data["password"])
			assert.GreaterOrEqual(t, len(password), 32)
			assert.NotContains(t, passwords, password, "shared with %s", passwords[password])
			passwords[password] = name
			assert.Equal(t, db+"_user", string(auth.Data["username"]))
			assert.Equal(t, db+"_db", string(auth.Data["database"]))

			sts := chart.Get[*appsv1.StatefulSet](t, rel, full)
			require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
			assert.True(t, resource.MustParse("2Gi").Equal(sts.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage]))
			assert.Equal(t, map[string]string{"password": full + "-auth/password", "postgres-password": full + "-superuser/postgres-password"}, passwordFiles(t, sts))
			assert.Equal(t, full+"-tls", volume(t, sts, "tls-secret").Secret.SecretName)

			chart.Get[*corev1.Service](t, rel, full)
			chart.Get[*corev1.Service](t, rel, full+"-hl")
			assert.Equal(t, "'all'", settings(configFile(t, rel, full, "postgresql.conf"))["log_statement"])

			cert, pool := serverCert(t, rel, full+"-tls")
			for _, host := range serviceNames(full, "bakery-ia") {
				_, err := cert.Verify(x509.VerifyOptions{DNSName: host, Roots: pool})
				assert.NoError(t, err, host)
			}
			other := "bakery-postgres-" + bakeryInstances[(indexOf(name)+1)%len(bakeryInstances)]
			_, err := cert.Verify(x509.VerifyOptions{DNSName: other + ".bakery-ia.svc.cluster.local", Roots: pool})
			assert.Error(t, err, "the certificate must not cover %s", other)
		})
	}
}

func indexOf(name string) int {
	for i, n := range bakeryInstances {
		if n == name {
			return i
		}
	}
	return -1
}

func TestNotesExplainVerifiedConnections(t *testing.T) {
	notes := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, ReleaseName: "bakery", Namespace: "bakery-ia"}).Notes

	assert.Contains(t, notes, "PostgreSQL: 14 instance(s)")
	assert.Contains(t, notes, "alert-processor: host bakery-postgres-alert-processor.bakery-ia.svc.cluster.local:5432  database alert_processor_db  user alert_processor_user")
	assert.Contains(t, notes, "sslmode=verify-full sslrootcert=ca.crt")
	assert.Contains(t, notes, "get configmap bakery-datastores-ca")
	assert.Contains(t, notes, "sqlalchemy-asyncpg-uri")
	assert.Contains(t, notes, "asyncpg: also PGSSLROOTCERT=/etc/datastores/ca.crt")
}

func TestSubchartsCanBeDisabled(t *testing.T) {
	tests := []struct {
		name, disable, gone, kept string
	}{
		{"postgres off", "postgres.enabled", "postgres", "redis"},
		{"redis off", "redis.enabled", "redis", "postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{tt.disable: "false"}})

			assert.Empty(t, chart.AllOf[*appsv1.StatefulSet](rel, tt.gone))
			assert.NotEmpty(t, chart.AllOf[*appsv1.StatefulSet](rel, tt.kept))
		})
	}
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{"postgres.enabled": "false", "redis.enabled": "false"}})
	require.Error(t, err, "both off would install nothing")
	assert.Contains(t, err.Error(), "nothing to install")
}
