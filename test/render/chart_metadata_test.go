package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
)

// What chart repositories (ct lint, Artifact Hub) expect of the chart's metadata, and what a user
// gets from the packaged chart.

func loadChart(t *testing.T) *helmchart.Chart {
	t.Helper()
	c, err := loader.Load(chart.ChartDir())
	require.NoError(t, err)
	return c
}

func TestChartMetadataIsComplete(t *testing.T) {
	m := loadChart(t).Metadata
	assert.NotEmpty(t, m.Home)
	assert.NotEmpty(t, m.Sources)
	assert.NotEmpty(t, m.Icon)
	assert.NotEmpty(t, m.Maintainers)
	assert.Equal(t, "Apache-2.0", m.Annotations["artifacthub.io/license"])
	license, err := os.ReadFile(filepath.Join(chart.ChartDir(), "LICENSE"))
	require.NoError(t, err)
	assert.Contains(t, string(license), "Apache License")
	for _, k := range []string{"v1.27.0", "v1.32.5", "v1.37.2"} {
		assert.True(t, chartutil.IsCompatibleRange(m.KubeVersion, k), "installs on Kubernetes %s", k)
	}
	assert.False(t, chartutil.IsCompatibleRange(m.KubeVersion, "v1.26.9"), "CronJob timeZone and StatefulSet claim retention need 1.27")
}

// The images Artifact Hub lists are the ones the chart runs, metrics on.
func TestChartMetadataMatchesTheDefaults(t *testing.T) {
	var listed []struct{ Name, Image string }
	require.NoError(t, yaml.Unmarshal([]byte(loadChart(t).Metadata.Annotations["artifacthub.io/images"]), &listed))
	var images []string
	for _, i := range listed {
		images = append(images, i.Image)
	}
	rendered := map[string]bool{}
	for _, sts := range chart.All[*appsv1.StatefulSet](renderDev(t, metricsOn)) {
		for _, c := range sts.Spec.Template.Spec.Containers {
			rendered[c.Image] = true
		}
	}
	var want []string
	for img := range rendered {
		want = append(want, img)
	}
	assert.ElementsMatch(t, want, images)
}

// The subcharts move in lockstep with the umbrella chart, and the CHANGELOG has the version.
func TestChartVersionsAndChangelogAgree(t *testing.T) {
	c := loadChart(t)
	for _, dep := range c.Dependencies() {
		assert.Equal(t, c.Metadata.Version, dep.Metadata.Version, dep.Name())
	}
	for _, dep := range c.Metadata.Dependencies {
		assert.Equal(t, c.Metadata.Version, dep.Version, dep.Name)
	}
	changelog, err := os.ReadFile(filepath.Join(chart.ChartDir(), "CHANGELOG.md"))
	require.NoError(t, err)
	assert.Contains(t, string(changelog), "\n## "+c.Metadata.Version+"\n")
}

// `helm package` ships the README (what `helm show readme` and Artifact Hub show), the CHANGELOG
// and the LICENSE.
func TestPackagedChartCarriesItsDocuments(t *testing.T) {
	dir := t.TempDir()
	p := action.NewPackage()
	p.Destination = dir
	path, err := p.Run(chart.ChartDir(), nil)
	require.NoError(t, err)
	packaged, err := loader.Load(path)
	require.NoError(t, err)
	files := map[string]string{}
	for _, f := range packaged.Files {
		files[f.Name] = string(f.Data)
	}
	assert.True(t, strings.HasPrefix(files["README.md"], "# datastores"), "README.md")
	assert.Contains(t, files["CHANGELOG.md"], "## "+packaged.Metadata.Version)
	assert.Contains(t, files["LICENSE"], "Apache License")
}

// The packaged chart's README is the repository's (a copy, not a link: Helm warns about links
// at every command).
func TestChartREADMEIsTheRepositorysREADME(t *testing.T) {
	repo, err := os.ReadFile(filepath.Join(chart.RepoRoot(), "README.md"))
	require.NoError(t, err)
	inChart, err := os.ReadFile(filepath.Join(chart.ChartDir(), "README.md"))
	require.NoError(t, err)
	assert.True(t, string(repo) == string(inChart), "charts/datastores/README.md differs from README.md: cp README.md charts/datastores/README.md")
}
