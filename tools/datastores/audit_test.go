package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/grade"
)

// fault is one entry of testdata/faults.yaml (see the file's header).
type fault struct {
	Name    string            `json:"name"`
	Values  string            `json:"values"`
	File    string            `json:"file"`
	Set     map[string]string `json:"set"`
	Replace []struct {
		Old   string `json:"old"`
		New   string `json:"new"`
		Regex bool   `json:"regex"`
	} `json:"replace"`
	Append  string `json:"append"`
	TLS     *struct{ Secret, Cert string }
	Finding string `json:"finding"`
	Target  string `json:"target"`
}

func loadFaults(t *testing.T) []fault {
	t.Helper()
	data, err := os.ReadFile("testdata/faults.yaml")
	require.NoError(t, err)
	var faults []fault
	require.NoError(t, yaml.UnmarshalStrict(data, &faults))
	require.NotEmpty(t, faults)
	return faults
}

// render renders a values file as `helm install` would (release "test", namespace
// "datastores") and returns the manifests as one YAML stream, with the release.
func render(t *testing.T, values string, set map[string]string) (string, *chart.Release) {
	t.Helper()
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{values}, SetValues: set})
	var b strings.Builder
	for _, m := range rel.Manifests {
		b.WriteString("---\n" + m.Content + "\n")
	}
	return b.String(), rel
}

// base is the fixture's starting point as YAML, and the release when it is a render.
func (f fault) base(t *testing.T) (string, *chart.Release) {
	t.Helper()
	if f.File != "" {
		data, err := os.ReadFile(filepath.Join("testdata", f.File))
		require.NoError(t, err)
		return string(data), nil
	}
	return render(t, f.Values, f.Set)
}

// seed applies the fixture's fault to the base manifests.
func (f fault) seed(t *testing.T, manifests string, rel *chart.Release) string {
	t.Helper()
	for _, r := range f.Replace {
		if r.Regex {
			re := regexp.MustCompile(r.Old)
			require.True(t, re.MatchString(manifests), "pattern %q matches nothing in the base", r.Old)
			manifests = re.ReplaceAllString(manifests, r.New)
			continue
		}
		require.Contains(t, manifests, r.Old, "the text to replace is not in the base (did the chart change?)")
		manifests = strings.ReplaceAll(manifests, r.Old, r.New)
	}
	if f.TLS != nil {
		manifests = replaceCertificate(t, manifests, rel, f.TLS.Secret, f.TLS.Cert)
	}
	if f.Append != "" {
		manifests += "---\n" + f.Append
	}
	return manifests
}

// replaceCertificate swaps a TLS Secret's certificate and key for one with the given fault,
// issued by the release CA unless the fault is the CA.
func replaceCertificate(t *testing.T, manifests string, rel *chart.Release, secret, kind string) string {
	t.Helper()
	require.NotNil(t, rel, "tls faults need a rendered base")
	caSecret := chart.Get[*corev1.Secret](t, rel, "test-datastores-ca")
	ca, err := certs.Load(caSecret.Data["tls.crt"], caSecret.Data["tls.key"])
	require.NoError(t, err)
	old := chart.Get[*corev1.Secret](t, rel, secret)
	oldCert, err := certs.Parse(old.Data["tls.crt"])
	require.NoError(t, err)
	var p *certs.Pair
	year := time.Now().AddDate(1, 0, 0) // far from expiring: one fault at a time
	switch kind {
	case "expired":
		p, err = ca.Reissue(oldCert, time.Now().Add(-time.Hour))
	case "expiring":
		p, err = ca.Reissue(oldCert, time.Now().Add(10*24*time.Hour))
	case "wrong-names":
		other := *oldCert
		other.DNSNames, other.IPAddresses = []string{"db.example.com"}, nil
		p, err = ca.Reissue(&other, year)
	case "other-ca":
		var other *certs.Pair
		if other, err = certs.NewCAUntil("nobody's CA", year.AddDate(1, 0, 0)); err == nil {
			p, err = other.Reissue(oldCert, year)
		}
	default:
		t.Fatalf("unknown tls fault %q", kind)
	}
	require.NoError(t, err)
	for _, swap := range [][2][]byte{{old.Data["tls.crt"], p.CertPEM}, {old.Data["tls.key"], p.KeyPEM}} {
		from := base64.StdEncoding.EncodeToString(swap[0])
		require.Contains(t, manifests, from)
		manifests = strings.ReplaceAll(manifests, from, base64.StdEncoding.EncodeToString(swap[1]))
	}
	return manifests
}

// auditOf runs `datastores audit -f <manifests> --format json` and decodes its report.
func auditOf(t *testing.T, manifests string, args ...string) grade.Report {
	t.Helper()
	path := filepath.Join(t.TempDir(), "manifests.yaml")
	require.NoError(t, os.WriteFile(path, []byte(manifests), 0o600))
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"audit", "-f", path, "--format", "json"}, args...), nil, &stdout, &stderr)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	var r grade.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), stdout.String())
	return r
}

// failing lists the failing checks as "check target: message", for failure messages.
func failing(r grade.Report) string {
	var out []string
	for _, f := range r.Failed() {
		out = append(out, f.Check+" "+f.Target+": "+f.Message)
	}
	return strings.Join(out, "\n")
}

func TestChartValuesGradeA(t *testing.T) {
	const ageKey = "age10mqne0k8gcv8304kc7lf4uwnzs5g5ryea67wjj4ma7rnqel9vutq38q33p" // a public key
	for _, tc := range []struct {
		values string
		set    map[string]string
	}{
		{"values/dev.yaml", nil},
		{"values/bakery-ia.yaml", nil},
		{"values/external-managed.yaml", nil},
		{"values/dev.yaml", map[string]string{"postgres.backup.enabled": "true", "postgres.backup.encryption.method": "age", "postgres.backup.encryption.ageRecipients[0]": ageKey}},
	} {
		t.Run(tc.values+descr(tc.set), func(t *testing.T) {
			manifests, _ := render(t, tc.values, tc.set)
			r := auditOf(t, manifests)
			assert.Equal(t, "A", r.Grade, failing(r))
			for _, f := range r.Failed() {
				assert.LessOrEqual(t, f.Severity, grade.Low, "%s %s: %s", f.Check, f.Target, f.Message)
			}
		})
	}
}

func descr(set map[string]string) string {
	if len(set) == 0 {
		return ""
	}
	return " with backups encrypted"
}

func TestEachFaultLowersTheGrade(t *testing.T) {
	baseGrades := map[string]grade.Report{}
	for _, f := range loadFaults(t) {
		t.Run(f.Name, func(t *testing.T) {
			manifests, rel := f.base(t)
			key := f.Values + f.File
			base, ok := baseGrades[key]
			if !ok {
				base = auditOf(t, manifests)
				baseGrades[key] = base
			}
			require.False(t, base.Has(f.Finding), "the base already fails %s:\n%s", f.Finding, failing(base))

			r := auditOf(t, f.seed(t, manifests, rel))
			var named []grade.Finding
			for _, x := range r.Failed() {
				if x.Check == f.Finding && strings.Contains(x.Target, f.Target) {
					named = append(named, x)
				}
			}
			require.NotEmpty(t, named, "no failing %s on %q; failures:\n%s", f.Finding, f.Target, failing(r))
			assert.NotEmpty(t, named[0].Fix, "a failure names its fix")
			t.Logf("%s: grade %s (score %d), base %s (score %d)\n%s", f.Finding, r.Grade, r.Score, base.Grade, base.Score, failing(r))
			below, err := grade.Below(r.Grade, base.Grade)
			require.NoError(t, err)
			assert.True(t, below, "grade %s (score %d) is not below the base's %s (score %d)", r.Grade, r.Score, base.Grade, base.Score)
		})
	}
}

func TestHandWrittenManifests(t *testing.T) {
	for _, tc := range []struct {
		file  string
		grade string
		score int
		fails []string // every failing check, sorted
	}{
		// Another chart's servers, hardened: only what that chart cannot avoid.
		{"bitnami-postgresql.yaml", "A", 98, []string{"backup-missing"}},
		{"bitnami-redis.yaml", "B", 92, []string{"password-exposed"}},
		// The source documents' platform before (D-) and after (A-) its hand-run hardening.
		{"bakery-before.yaml", "F", 0, []string{"aof-disabled", "backup-missing", "client-verify-disabled", "data-ephemeral",
			"password-exposed", "password-weak", "plaintext-accepted", "tls-disabled"}},
		{"bakery-after.yaml", "F", 30, []string{"backup-missing", "client-verify-disabled", "key-permissions", "password-exposed", "plaintext-accepted"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			r := auditOf(t, string(data))
			seen := map[string]bool{}
			var fails []string
			for _, f := range r.Failed() {
				if !seen[f.Check] {
					seen[f.Check] = true
					fails = append(fails, f.Check)
				}
			}
			assert.ElementsMatch(t, tc.fails, fails, failing(r))
			assert.Equal(t, tc.grade, r.Grade)
			assert.Equal(t, tc.score, r.Score)
		})
	}
}

func TestFailUnderSetsTheExitCode(t *testing.T) {
	clean, _ := render(t, "values/dev.yaml", nil)
	faulty := strings.Replace(clean, "ssl = on", "ssl = off", 1)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	cleanFile, faultyFile := write("clean.yaml", clean), write("faulty.yaml", faulty)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"A passes --fail-under A", []string{"audit", "-f", cleanFile, "--fail-under", "A"}, 0},
		{"D fails --fail-under B", []string{"audit", "-f", faultyFile, "--fail-under", "B"}, 1},
		{"D passes --fail-under D", []string{"audit", "-f", faultyFile, "--fail-under", "D"}, 0},
		{"without --fail-under the grade does not matter", []string{"audit", "-f", faultyFile}, 0},
		{"an unknown grade is a usage error", []string{"audit", "-f", cleanFile, "--fail-under", "E"}, 2},
		{"an unknown format is a usage error", []string{"audit", "-f", cleanFile, "--format", "xml"}, 2},
		{"a missing file is an error", []string{"audit", "-f", filepath.Join(dir, "missing.yaml")}, 2},
		{"an unknown command is a usage error", []string{"inspect"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.code, run(tc.args, nil, &stdout, &stderr), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
		})
	}
}

func TestFormatsCarryTheGradeAndTheFix(t *testing.T) {
	clean, _ := render(t, "values/dev.yaml", nil)
	faulty := strings.Replace(clean, "appendonly yes", "appendonly no", 1)
	path := filepath.Join(t.TempDir(), "m.yaml")
	require.NoError(t, os.WriteFile(path, []byte(faulty), 0o600))
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"Grade B (score 90/100)", "FAIL", "aof-disabled", "fix: appendonly yes"}},
		{"markdown", []string{"## Data plane audit: grade B", "| fail | medium | `aof-disabled` |", "appendonly yes with appendfsync everysec"}},
		{"json", []string{`"grade": "B"`, `"check": "aof-disabled"`, `"severity": "medium"`, `"status": "fail"`}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run([]string{"audit", "-f", path, "--format", tc.format}, nil, &stdout, &stderr), stderr.String())
			for _, w := range tc.want {
				assert.Contains(t, stdout.String(), w)
			}
		})
	}
}

func TestManifestsFromStdin(t *testing.T) {
	clean, _ := render(t, "values/dev.yaml", nil)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"audit", "-f", "-", "--format", "json"}, strings.NewReader(clean), &stdout, &stderr), stderr.String())
	var r grade.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r))
	assert.Equal(t, []string{"postgres datastores/test-postgres-app", "redis datastores/test-redis"}, r.Servers)
}
