package secrets_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/tools/datastores/secrets"
)

func repo() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// The Secrets a GitOps install names: every generated password Secret of the chart, connection
// strings included, none of its TLS material, nothing that ties them to a Helm release; with a
// CA, each connection Secret carries it.
func TestMakeGivesTheChartsGeneratedSecrets(t *testing.T) {
	values := filepath.Join(t.TempDir(), "values.yaml")
	require.NoError(t, os.WriteFile(values, []byte(`global: {gitops: true}
postgres:
  instances:
    app:
      database: app_db
      user: app_user
      auth: {existingSecret: data-postgres-app-auth, existingSuperuserSecret: data-postgres-app-superuser}
      metrics: {enabled: true, existingSecret: data-postgres-app-monitor}
redis:
  enabled: true
  auth:
    existingSecret: data-redis-auth
    users: [{name: orders, rules: "~orders:* +@all", existingSecret: data-redis-user-orders}]
`), 0o644))
	out, err := secrets.Make(secrets.Options{Chart: filepath.Join(repo(), "charts", "datastores"), ValuesFiles: []string{values},
		Release: "data", Namespace: "apps", CA: []byte("the CA")})
	require.NoError(t, err)
	var names []string
	for _, s := range out {
		names = append(names, s.Name)
		assert.Equal(t, "apps", s.Namespace)
		assert.Equal(t, "datastores-secrets", s.Labels["app.kubernetes.io/managed-by"], s.Name)
		assert.NotContains(t, s.Labels, "helm.sh/chart")
		assert.NotContains(t, s.Annotations, "helm.sh/resource-policy")
		if _, ok := s.Data["host"]; ok {
			assert.Equal(t, "the CA", string(s.Data["ca.crt"]), s.Name)
		}
	}
	assert.Equal(t, []string{"data-postgres-app-auth", "data-postgres-app-monitor", "data-postgres-app-superuser", "data-redis-auth", "data-redis-user-orders"}, names,
		"exactly the names the values give existingSecret and existingSuperuserSecret")
	for _, s := range out {
		if s.Name == "data-postgres-app-auth" {
			assert.NotContains(t, s.Data, "postgres-password", "the application's Secret holds no superuser password")
		}
		if s.Name == "data-postgres-app-superuser" {
			assert.Len(t, s.Data["postgres-password"], 32, "the superuser's password, apart")
		}
	}
	b, err := secrets.Write(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), "kind: Secret")
}
