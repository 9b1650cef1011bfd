//go:build e2e

package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgclient"
)

// TestUpgradeFromThePreviousRelease installs the chart as it was at its previous version (the
// CHANGELOG's second entry, taken from git history) and upgrades that release to this checkout,
// the path every existing user takes. What the database already holds must survive the new
// templates: the data, both passwords (the superuser's in -superuser, where 0.1.0's -auth moves it), the CA;
// and the upgraded release must pass its own helm test. Backups are on, so a Job whose spec the
// new version changes is upgraded too.
func TestUpgradeFromThePreviousRelease(t *testing.T) {
	e := newEnv(t, "ds-upgrade")
	previous, version := previousRelease(t)
	set := map[string]string{"postgres.backup.enabled": "true", "postgres.backup.storage.size": "1Gi"}
	r := installFrom(t, e, "up", previous, "dev.yaml", set)
	t.Logf("installed chart %s from git history", version)

	full := r.name + "-postgres-app"
	before := r.secret(t, full+"-auth")
	userPassword, adminPassword := string(before.Data["password"]), string(before.Data["postgres-password"])
	require.NotEmpty(t, userPassword)
	if adminPassword == "" {
		// Charts from 0.2.0 on keep it in its own Secret; 0.1.0 kept it in -auth.
		adminPassword = string(r.secret(t, full+"-superuser").Data["postgres-password"])
	}
	require.NotEmpty(t, adminPassword, "chart %s kept the superuser's password in -auth or -superuser", version)
	ca := fingerprint(r.secret(t, r.name+"-datastores-ca").Data["tls.crt"])
	pool := r.caPool(t)
	conn := r.postgres(t, "app", pool, "")
	_, err := conn.Exec(t.Context(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('written by "+version+"')")
	require.NoError(t, err)

	r.opts.ValuesFiles[0] = filepath.Join(chart.RepoRoot(), "values", "dev.yaml")
	r.upgrade(t, nil)

	after := r.secret(t, full+"-auth")
	assert.Equal(t, userPassword, string(after.Data["password"]), "the application user's password")
	assert.NotContains(t, after.Data, "postgres-password", "the superuser's password left the application's Secret")
	assert.Equal(t, adminPassword, string(r.secret(t, full+"-superuser").Data["postgres-password"]), "the superuser's password, moved")
	assert.Equal(t, ca, fingerprint(r.secret(t, r.name+"-datastores-ca").Data["tls.crt"]), "the CA")

	conn = r.postgres(t, "app", r.caPool(t), "")
	var kept string
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT v FROM kept").Scan(&kept))
	assert.Equal(t, "written by "+version, kept)
	addr := r.tunnel(t, full, 5432)
	admin, err := pgclient.Connect(t.Context(), addr, pgclient.Client{User: "postgres", Password: adminPassword, Database: "postgres",
		TLS: pgclient.VerifyFull(r.caPool(t), r.serviceDNS(full))})
	require.NoError(t, err, "the superuser logs in with the password it had before the upgrade")
	require.NoError(t, admin.Close(t.Context()))

	out, err := helm.RunHelmCommandAndGetOutputE(t, r.opts, "test", r.name, "--logs", "--timeout", "5m")
	require.NoError(t, err, out)
}

// previousRelease extracts into a temporary directory the repository as it last was at the
// chart's previous version: the parent of the commit that moved Chart.yaml off it. It needs the
// git history (CI checks out with fetch-depth: 0).
func previousRelease(t *testing.T) (dir, version string) {
	t.Helper()
	changelog, err := os.ReadFile(filepath.Join(chart.ChartDir(), "CHANGELOG.md"))
	require.NoError(t, err)
	versions := regexp.MustCompile(`(?m)^## (\d+\.\d+\.\d+)$`).FindAllStringSubmatch(string(changelog), -1)
	require.GreaterOrEqual(t, len(versions), 2, "the CHANGELOG names no previous version")
	version = versions[1][1]

	chartYAML := "charts/datastores/Chart.yaml"
	commits := strings.Fields(gitOutput(t, "log", "--format=%H", "--", chartYAML))
	require.NotEmpty(t, commits, "no git history of %s: check out the whole history (fetch-depth: 0)", chartYAML)
	bump := ""
	for _, c := range commits { // newest first
		if chartVersion(gitOutput(t, "show", c+":"+chartYAML)) == version {
			break
		}
		bump = c
	}
	require.NotEmpty(t, bump, "no commit moved %s off version %s", chartYAML, version)
	rev := bump + "^"
	require.Equal(t, version, chartVersion(gitOutput(t, "show", rev+":"+chartYAML)), "the parent of %s", bump)

	dir = t.TempDir()
	archive := exec.Command("git", "archive", "--format=tar", rev, "charts", "values")
	archive.Dir = chart.RepoRoot()
	var tarball, stderr bytes.Buffer
	archive.Stdout, archive.Stderr = &tarball, &stderr
	require.NoError(t, archive.Run(), stderr.String())
	untar := exec.Command("tar", "-x", "-C", dir)
	untar.Stdin = &tarball
	out, err := untar.CombinedOutput()
	require.NoError(t, err, string(out))
	return dir, version
}

func chartVersion(chartYAML string) string {
	m := regexp.MustCompile(`(?m)^version:\s*"?([^"\s]+)"?\s*$`).FindStringSubmatch(chartYAML)
	if m == nil {
		return ""
	}
	return m[1]
}

func gitOutput(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = chart.RepoRoot()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, fmt.Sprintf("git %s: %s", strings.Join(args, " "), stderr.String()))
	return string(out)
}
