package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/invariants"
)

// Every ready-made values file renders objects the API server accepts (RenderE checks that) and
// keeps every promise on the parsed configuration files.
func TestEveryValuesFileKeepsEveryPromise(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chart.RepoRoot(), "values", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, set := range []map[string]string{nil, {"postgres.backup.enabled": "true"}} {
				rel := chart.Render(t, chart.Options{ValuesFiles: []string{f}, SetValues: set})
				assert.NoError(t, invariants.Check(rel))
			}
		})
	}
}

// `helm install x charts/datastores` with the chart's own values would deploy nothing and report
// success; it fails instead, saying what to set.
func TestDefaultValuesRefuseToInstallNothing(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
	}{
		{"chart defaults", nil},
		{"postgres without instances, redis off", map[string]string{"postgres.enabled": "true"}},
		{"both subcharts off", map[string]string{"postgres.enabled": "false", "redis.enabled": "false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{SetValues: tt.set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "nothing to install")
			assert.Contains(t, err.Error(), "postgres.instances.app.database=app_db")
			assert.Contains(t, err.Error(), "redis.enabled=true")
		})
	}
}

func TestRedisAloneIsSomethingToInstall(t *testing.T) {
	rel := chart.Render(t, chart.Options{SetValues: map[string]string{"redis.enabled": "true"}})
	assert.Len(t, chart.AllOf[*appsv1.StatefulSet](rel, "redis"), 1)
}

// A parent chart that depends on this one shares its globals with it: globals the chart does not
// know pass the schema, and the chart's own still work.
func TestGlobalsOfAParentChartAreAccepted(t *testing.T) {
	values := chart.ValuesFile(t, `
global:
  storageClass: fast-ssd
  parent: {team: payments, replicas: 3}
  tls: {issuer: corp}
  imageRegistry: mirror.example.com
`)
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues, values}})
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	assert.Equal(t, "mirror.example.com/library/postgres:17.6-alpine", sts.Spec.Template.Spec.Containers[0].Image)
}

// Each subchart declares the library it includes, so it lints and installs on its own after
// `helm dependency build` (make lint does exactly that).
func TestSubchartsDeclareTheCommonLibrary(t *testing.T) {
	for _, sub := range []string{"postgres", "redis"} {
		t.Run(sub, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(chart.ChartDir(), "charts", sub, "Chart.yaml"))
			require.NoError(t, err)
			var meta struct {
				Dependencies []struct{ Name, Version, Repository string }
			}
			require.NoError(t, yaml.Unmarshal(raw, &meta))
			require.Len(t, meta.Dependencies, 1)
			assert.Equal(t, "common", meta.Dependencies[0].Name)
			assert.Equal(t, "file://../common", meta.Dependencies[0].Repository)
		})
	}
}
