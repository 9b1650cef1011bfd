package ci_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
)

// chartRepo is a git repository with a chart laid out as this one's, committed at version
// 1.0.0 on branch base, and the check script.
func chartRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"charts/datastores/Chart.yaml":               "apiVersion: v2\nname: datastores\nversion: 1.0.0\n",
		"charts/datastores/charts/redis/Chart.yaml":  "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
		"charts/datastores/CHANGELOG.md":             "# Changelog\n\n## 1.0.0\n",
		"charts/datastores/templates/configmap.yaml": "kind: ConfigMap\n",
		"README.md": "readme\n",
	}
	for name, content := range files {
		write(t, dir, name, content)
	}
	git(t, dir, "init", "-q", "-b", "base")
	git(t, dir, "add", "-A")
	git(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
	return dir
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}

// checkVersion runs the script against branch base, or with --agree when agreeOnly.
func checkVersion(t *testing.T, dir string, agreeOnly bool) (string, error) {
	t.Helper()
	arg := "base"
	if agreeOnly {
		arg = "--agree"
	}
	cmd := exec.Command("bash", filepath.Join(chart.RepoRoot(), "ci", "check-chart-version.sh"), arg)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestChartVersionCheck(t *testing.T) {
	tests := []struct {
		name      string
		change    map[string]string
		agreeOnly bool
		wantErr   string
	}{
		{"nothing in charts/ changed", map[string]string{"README.md": "new\n"}, false, ""},
		{"a template changed without a bump", map[string]string{"charts/datastores/templates/configmap.yaml": "kind: ConfigMap # x\n"}, false, "bump version"},
		{"--agree ignores an uncommitted edit", map[string]string{"charts/datastores/templates/configmap.yaml": "kind: ConfigMap # x\n"}, true, ""},
		{"bumped with a CHANGELOG entry and the subcharts", map[string]string{
			"charts/datastores/templates/configmap.yaml": "kind: ConfigMap # x\n",
			"charts/datastores/Chart.yaml":               "apiVersion: v2\nname: datastores\nversion: 1.1.0\n",
			"charts/datastores/charts/redis/Chart.yaml":  "apiVersion: v2\nname: redis\nversion: 1.1.0\n",
			"charts/datastores/CHANGELOG.md":             "# Changelog\n\n## 1.1.0\n\n## 1.0.0\n",
		}, false, ""},
		{"bumped without a CHANGELOG entry", map[string]string{
			"charts/datastores/Chart.yaml":              "apiVersion: v2\nname: datastores\nversion: 1.1.0\n",
			"charts/datastores/charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.1.0\n",
		}, false, `has no "## 1.1.0" entry`},
		{"a subchart left behind", map[string]string{
			"charts/datastores/Chart.yaml":   "apiVersion: v2\nname: datastores\nversion: 1.1.0\n",
			"charts/datastores/CHANGELOG.md": "# Changelog\n\n## 1.1.0\n",
		}, false, "the subcharts move with the umbrella chart"},
		{"--agree still refuses a subchart left behind", map[string]string{
			"charts/datastores/Chart.yaml":   "apiVersion: v2\nname: datastores\nversion: 1.1.0\n",
			"charts/datastores/CHANGELOG.md": "# Changelog\n\n## 1.1.0\n",
		}, true, "the subcharts move with the umbrella chart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := chartRepo(t)
			for name, content := range tt.change {
				write(t, dir, name, content)
			}
			out, err := checkVersion(t, dir, tt.agreeOnly)
			if tt.wantErr == "" {
				assert.NoError(t, err, out)
				return
			}
			require.Error(t, err, out)
			assert.Contains(t, out, tt.wantErr)
		})
	}
}

// The repository itself: the versions agree and the CHANGELOG has the current one.
func TestThisChartsVersionsAgree(t *testing.T) {
	cmd := exec.Command("bash", filepath.Join(chart.RepoRoot(), "ci", "check-chart-version.sh"), "--agree")
	cmd.Dir = chart.RepoRoot()
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, string(out))
}
