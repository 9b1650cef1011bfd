package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

// GitOps tools render with `helm template`: no cluster, so lookup finds nothing, and whatever the
// chart generates at render (passwords, CA, certificates) comes out new every time and would be
// applied as a change at every sync.

// gitopsValues: certificates from cert-manager, every password from an existing Secret.
var gitopsValues = map[string]string{
	"global.gitops":                           "true",
	"postgres.tls.source":                     "certManager",
	"postgres.tls.certManager.issuerRef.name": "internal-ca",
	"postgres.auth.existingSecret":            "app-db-credentials",
	"redis.tls.source":                        "certManager",
	"redis.tls.certManager.issuerRef.name":    "internal-ca",
	"redis.auth.existingSecret":               "cache-credentials",
}

func manifests(rel *chart.Release) string {
	var b strings.Builder
	for _, m := range rel.Manifests {
		b.WriteString(m.Name + "\n" + m.Content + "\n")
	}
	return b.String()
}

// What goes wrong without the mode: two renders of the default values differ.
func TestDefaultRendersChangeWithoutACluster(t *testing.T) {
	assert.NotEqual(t, manifests(renderDev(t, nil)), manifests(renderDev(t, nil)), "generated passwords and certificates")
}

// With global.gitops, two renders without a cluster are the same, to the byte.
func TestGitOpsRendersAreTheSameEveryTime(t *testing.T) {
	first := renderDev(t, gitopsValues)
	second := renderDev(t, gitopsValues)
	assert.Equal(t, manifests(first), manifests(second))
	for _, s := range chart.All[*corev1.Secret](first) {
		t.Errorf("Secret %s rendered: in GitOps mode the chart renders no Secret", s.Name)
	}
	assert.NotEmpty(t, chart.All[*chart.Certificate](first), "cert-manager Certificates instead")
}

// Everything that would be generated at render is refused, naming the value and the way out.
func TestGitOpsRefusesWhatItWouldGenerate(t *testing.T) {
	tests := []struct {
		name  string
		unset string
		want  string
	}{
		{"generated certificates", "postgres.tls.source", "postgres.tls.source is generate, but global.gitops is true"},
		{"a generated PostgreSQL password", "postgres.auth.existingSecret", "postgres.auth.existingSecret is empty, but global.gitops is true"},
		{"a generated Redis password", "redis.auth.existingSecret", "redis.auth.existingSecret is empty, but global.gitops is true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{}
			for k, v := range gitopsValues {
				set[k] = v
			}
			delete(set, tt.unset)
			if tt.unset == "postgres.tls.source" {
				set["postgres.tls.source"] = "generate"
			}
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	set := map[string]string{"redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@all"}
	for k, v := range gitopsValues {
		set[k] = v
	}
	_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis.auth.users[0].existingSecret is empty, but global.gitops is true")
}
