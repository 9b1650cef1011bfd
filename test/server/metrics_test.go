package server_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
	"github.com/datastores/datastores/test/harness/redisserver"
)

// The metrics sidecars with the real exporters, built from their Go modules (make exporters):
// each run as the rendered container (its arguments, environment, mounts) beside a real server,
// scraped over HTTP. What the exporters see comes over verified TLS with the least-privileged
// login, and every metric the rendered alert rules use is one they really expose.

// exporter is the path of an exporter binary built into bin/.
func exporter(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(chart.RepoRoot(), "bin", name)
	requireBinaries(t, func() (string, error) {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%s not built: run make exporters", name)
		}
		return path, nil
	})
	return path
}

// freePorts returns n free TCP ports.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for range n {
		port, err := proc.FreePort()
		require.NoError(t, err)
		out = append(out, strconv.Itoa(port))
	}
	return out
}

// runSidecar starts container name of p with binary and stops it when the test ends.
func runSidecar(t *testing.T, p *pod.Pod, name, binary string) *syncBuffer {
	t.Helper()
	var log syncBuffer
	d, err := p.StartSidecarWith(name, binary, &log)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Stop(syscall.SIGTERM, 5*time.Second) })
	return &log
}

// scrape polls http://127.0.0.1:port/metrics until want matches, and returns the last body.
func scrape(t *testing.T, port string, want *regexp.Regexp, log *syncBuffer) string {
	t.Helper()
	var body string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			if want.MatchString(body) {
				return body
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("no %s on :%s within 20 s; exporter log:\n%s\nlast scrape:\n%s", want, port, log.String(), body)
	return ""
}

// ruleMetrics are the metric names the expressions of the render's PrometheusRules use.
func ruleMetrics(t *testing.T, rel *chart.Release) []string {
	t.Helper()
	functions := map[string]bool{"sum": true, "max": true, "by": true, "time": true, "increase": true, "namespace": true, "pod": true}
	seen := map[string]bool{}
	ident := regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	for _, r := range chart.All[*chart.PrometheusRule](rel) {
		for _, g := range r.Spec.Groups {
			for _, rule := range g.Rules {
				expr := regexp.MustCompile(`\{[^}]*\}|\[[^]]*\]`).ReplaceAllString(rule.Expr, "")
				for _, name := range ident.FindAllString(expr, -1) {
					if !functions[name] && strings.Contains(name, "_") {
						seen[name] = true
					}
				}
			}
		}
	}
	var out []string
	for name := range seen {
		out = append(out, name)
	}
	sort.Strings(out)
	require.NotEmpty(t, out, "the render has alert rules")
	return out
}

// assertExposes checks that body has every metric of names whose prefix is (or is not, with
// exclude) prefix.
func assertExposes(t *testing.T, body string, names []string, prefix string, exclude bool) {
	t.Helper()
	for _, m := range names {
		if strings.HasPrefix(m, prefix) == exclude {
			continue
		}
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(m)+`[{ ]`), body, "an alert uses %s", m)
	}
}

func metricsValues(ports []string) map[string]string {
	return map[string]string{
		"metrics.enabled": "true", "metrics.port": ports[0], "metrics.certificates.port": ports[1],
		"metrics.prometheusRule.enabled": "true",
	}
}

func prefixed(prefix string, m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[prefix+"."+k] = v
	}
	return out
}

func TestPostgresExporterScrapesOverVerifiedTLSWithTheMonitorLogin(t *testing.T) {
	binary := exporter(t, "postgres_exporter")
	requireBinaries(t, pgserver.Binaries)
	ports := freePorts(t, 2)
	set := prefixed("postgres", metricsValues(ports))
	set["postgres.extensions"] = "{pgcrypto,pg_stat_statements}"
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: set}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)

	log := runSidecar(t, srv.Pod, "metrics", binary)
	body := scrape(t, ports[0], regexp.MustCompile(`(?m)^pg_up 1$`), log)
	assert.Regexp(t, `pg_stat_database_numbackends\{[^}]*datname="app_db"`, body)
	assert.Contains(t, body, "pg_stat_statements_calls_total", "the pg_stat_statements collector, on with the extension")
	// x509_* are the certificate exporter's (TestCertificateExporterReportsTheServedCertificate).
	assertExposes(t, body, ruleMetrics(t, srv.Release), "x509_", true)

	admin, err := srv.Connect(ctx(t), srv.AsAdmin(caPool(t, srv)))
	require.NoError(t, err)
	defer admin.Close(ctx(t))
	var ssl bool
	require.NoError(t, admin.QueryRow(ctx(t), `SELECT bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'datastores_monitor'`).Scan(&ssl),
		"the exporter's session")
	assert.True(t, ssl, "the exporter connects over TLS")

	// Least privilege: the monitoring login reads statistics, not data.
	_, err = admin.Exec(ctx(t), `CREATE TABLE app_secrets (v text); INSERT INTO app_secrets VALUES ('x')`)
	require.NoError(t, err)
	secret, ok := srv.Secret(srv.Fullname + "-monitor")
	require.True(t, ok)
	monitor := srv.AsApp(caPool(t, srv))
	monitor.User, monitor.Password = "datastores_monitor", string(secret.Data["password"])
	conn, err := srv.Connect(ctx(t), monitor)
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	_, err = conn.Exec(ctx(t), "SELECT * FROM app_secrets")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "permission denied")
	assert.NotContains(t, log.String(), string(secret.Data["password"]), "the password is never logged")
}

func TestRedisExporterScrapesOverVerifiedTLSWithTheMonitorUser(t *testing.T) {
	binary := exporter(t, "redis_exporter")
	requireBinaries(t, redisserver.Binaries)
	ports := freePorts(t, 2)
	srv, err := redisserver.Start(chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: prefixed("redis", metricsValues(ports))})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)

	log := runSidecar(t, srv.Pod, "metrics", binary)
	body := scrape(t, ports[0], regexp.MustCompile(`(?m)^redis_up 1$`), log)
	assertExposes(t, body, ruleMetrics(t, srv.Release), "x509_", true)

	admin, err := srv.Client(redisserver.Client{Password: srv.Password})
	require.NoError(t, err)
	defer admin.Close()
	entries, err := admin.Do(ctx(t), "ACL", "LOG").Slice()
	require.NoError(t, err)
	assert.Empty(t, entries, "the exporter's ACL is enough: no denied command")

	secret, ok := srv.Secret("test-redis-monitor")
	require.True(t, ok)
	monitor, err := srv.Client(redisserver.Client{User: "datastores-monitor", Password: string(secret.Data["password"])})
	require.NoError(t, err)
	defer monitor.Close()
	require.NoError(t, admin.Set(ctx(t), "session:1", "secret", 0).Err())
	err = monitor.Get(ctx(t), "session:1").Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NOPERM", "the monitoring user reads no key")
	err = monitor.ConfigGet(ctx(t), "masterauth").Err()
	require.Error(t, err, "nor the configuration (masterauth)")
}

// The exporter verifies the server: with another CA in its trust file it reports the server down.
func TestPostgresExporterRefusesAServerOfAnotherCA(t *testing.T) {
	binary := exporter(t, "postgres_exporter")
	requireBinaries(t, pgserver.Binaries)
	ports := freePorts(t, 2)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: prefixed("postgres", metricsValues(ports))}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	other, err := certs.NewCA("another CA")
	require.NoError(t, err)
	tlsDir, err := srv.MountPath("tls")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(tlsDir, "ca.crt"), other.CertPEM, 0o644))

	log := runSidecar(t, srv.Pod, "metrics", binary)
	scrape(t, ports[0], regexp.MustCompile(`(?m)^pg_up 0$`), log)
	assert.Contains(t, log.String(), "certificate signed by unknown authority")
}

// The served certificate's expiry as a metric, read from the files the server serves. The
// exporter is not on the Go module proxy: this runs where X509_EXPORTER names a build of it.
func TestCertificateExporterReportsTheServedCertificate(t *testing.T) {
	binary := os.Getenv("X509_EXPORTER")
	if binary == "" {
		t.Skip("X509_EXPORTER is not set: x509-certificate-exporter is not on the Go module proxy (the cluster tier runs its image)")
	}
	requireBinaries(t, pgserver.Binaries)
	ports := freePorts(t, 2)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: prefixed("postgres", metricsValues(ports))}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	log := runSidecar(t, srv.Pod, "certificate-exporter", binary)
	body := scrape(t, ports[1], regexp.MustCompile(`x509_cert_not_after\{[^}]*filename="tls.crt"`), log)
	secret, ok := srv.Secret(srv.Fullname + "-tls")
	require.True(t, ok)
	cert, err := certs.Parse(secret.Data["tls.crt"])
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^x509_cert_not_after\{[^}]*filename="tls.crt"[^}]*\} ([0-9.e+]+)$`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	got, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.Equal(t, cert.NotAfter.Unix(), int64(got))
	assertExposes(t, body, ruleMetrics(t, srv.Release), "x509_", false)
}
