package server_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
)

// The rendered PrometheusRules, evaluated by Prometheus's own rule engine (promtool, from Debian's
// prometheus package): every expression parses, every alert fires on the series of its fault
// with its labels and its annotations expanded, and none fires on a healthy server's series.
// The metric names themselves are checked against the real exporters' output in metrics_test.go.
func TestAlertRulesFireOnTheirFaultAndOnlyThen(t *testing.T) {
	promtool := requirePromtool(t)
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: map[string]string{
		"postgres.metrics.enabled": "true", "postgres.metrics.prometheusRule.enabled": "true",
		"redis.metrics.enabled": "true", "redis.metrics.prometheusRule.enabled": "true",
	}})
	rules := map[string]chart.Rule{}
	var groups []chart.RuleGroup
	for _, r := range chart.All[*chart.PrometheusRule](rel) {
		for _, g := range r.Spec.Groups {
			groups = append(groups, g)
			for _, rule := range g.Rules {
				rules[rule.Alert] = rule
			}
		}
	}
	require.NotEmpty(t, groups, "the render has PrometheusRules")

	const pg, redis = `namespace="datastores",pod="test-postgres-app-0"`, `namespace="datastores",pod="test-redis-0"`
	cert := func(server string) string {
		return server + `,filename="/tls/tls.crt",subject_CN="` + strings.Split(strings.Split(server, `pod="`)[1], "-0")[0] + `"`
	}
	// Seven days left at the 10-minute evaluation: the certificate alert's humanizeDuration.
	const sevenDays, ninetyDays = 7 * 86400, 90 * 86400
	type fires struct {
		alert  string
		labels string // the series labels the alert keeps
		value  string // what {{ $value | humanize... }} prints
	}
	tests := []struct {
		name   string
		series map[string]string
		fires  []fires
		quiet  []string // alerts that must not fire
	}{
		{"PostgreSQL at fault", map[string]string{
			"pg_up{" + pg + "}": "0x15",
			"pg_stat_database_numbackends{" + pg + `,datname="app_db"}`:   "60x15",
			"pg_stat_database_numbackends{" + pg + `,datname="postgres"}`: "25x15",
			"pg_settings_max_connections{" + pg + "}":                     "100x15",
			"x509_cert_not_after{" + cert(pg) + "}":                       fmt.Sprintf("%dx15", sevenDays),
			"x509_cert_expired{" + cert(pg) + "}":                         "1x15",
		}, []fires{
			{"DatastoresPostgresDown", pg, ""},
			{"DatastoresPostgresTooManyConnections", pg, "85%"},
			{"DatastoresCertificateExpiresSoon", cert(pg), "6d 23h 50m 0s"},
			{"DatastoresCertificateExpired", cert(pg), ""},
		}, nil},
		{"PostgreSQL healthy", map[string]string{
			"pg_up{" + pg + "}": "1x15",
			"pg_stat_database_numbackends{" + pg + `,datname="app_db"}`: "20x15",
			"pg_settings_max_connections{" + pg + "}":                   "100x15",
			"x509_cert_not_after{" + cert(pg) + "}":                     fmt.Sprintf("%dx15", ninetyDays),
			"x509_cert_expired{" + cert(pg) + "}":                       "0x15",
		}, nil, []string{"DatastoresPostgresDown", "DatastoresPostgresTooManyConnections", "DatastoresCertificateExpiresSoon", "DatastoresCertificateExpired"}},
		{"Redis at fault", map[string]string{
			"redis_up{" + redis + "}":                         "0x15",
			"redis_connected_clients{" + redis + "}":          "9000x15",
			"redis_max_clients{" + redis + "}":                "10000x15",
			"redis_rejected_connections_total{" + redis + "}": "0+4x15",
			"x509_cert_not_after{" + cert(redis) + "}":        fmt.Sprintf("%dx15", sevenDays),
			"x509_cert_expired{" + cert(redis) + "}":          "1x15",
		}, []fires{
			{"DatastoresRedisDown", redis, ""},
			{"DatastoresRedisTooManyClients", redis, "90%"},
			{"DatastoresRedisRejectsConnections", redis, ""},
			{"DatastoresCertificateExpiresSoon", cert(redis), "6d 23h 50m 0s"},
			{"DatastoresCertificateExpired", cert(redis), ""},
		}, nil},
		{"Redis healthy", map[string]string{
			"redis_up{" + redis + "}":                         "1x15",
			"redis_connected_clients{" + redis + "}":          "12x15",
			"redis_max_clients{" + redis + "}":                "10000x15",
			"redis_rejected_connections_total{" + redis + "}": "3x15",
			"x509_cert_not_after{" + cert(redis) + "}":        fmt.Sprintf("%dx15", ninetyDays),
			"x509_cert_expired{" + cert(redis) + "}":          "0x15",
		}, nil, []string{"DatastoresRedisDown", "DatastoresRedisTooManyClients", "DatastoresRedisRejectsConnections", "DatastoresCertificateExpiresSoon", "DatastoresCertificateExpired"}},
	}

	var cases []promtoolTest
	for _, tt := range tests {
		c := promtoolTest{Name: tt.name, Interval: "1m"}
		for series, values := range tt.series {
			c.InputSeries = append(c.InputSeries, promtoolSeries{series, values})
		}
		sort.Slice(c.InputSeries, func(i, j int) bool { return c.InputSeries[i].Series < c.InputSeries[j].Series })
		for _, f := range tt.fires {
			rule, ok := rules[f.alert]
			require.True(t, ok, "%s: the render has no alert %s", tt.name, f.alert)
			labels := seriesLabels(f.labels)
			for k, v := range rule.Labels {
				labels[k] = v
			}
			annotations := map[string]string{}
			for k, text := range rule.Annotations {
				annotations[k] = expand(t, f.alert, text, labels, f.value)
			}
			c.AlertRuleTests = append(c.AlertRuleTests, promtoolAlertTest{EvalTime: "10m", Alertname: f.alert,
				ExpAlerts: []promtoolAlert{{ExpLabels: labels, ExpAnnotations: annotations}}})
		}
		for _, alert := range tt.quiet {
			require.Contains(t, rules, alert, "%s: the render has no alert %s", tt.name, alert)
			c.AlertRuleTests = append(c.AlertRuleTests, promtoolAlertTest{EvalTime: "10m", Alertname: alert, ExpAlerts: []promtoolAlert{}})
		}
		cases = append(cases, c)
	}

	dir := t.TempDir()
	writeYAML(t, filepath.Join(dir, "rules.yaml"), map[string]any{"groups": groups})
	writeYAML(t, filepath.Join(dir, "tests.yaml"), map[string]any{"rule_files": []string{"rules.yaml"}, "evaluation_interval": "1m", "tests": cases})
	for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "tests.yaml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	}
}

// promtool's unit-test file (https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/).
type promtoolTest struct {
	Name           string              `json:"name"`
	Interval       string              `json:"interval"`
	InputSeries    []promtoolSeries    `json:"input_series"`
	AlertRuleTests []promtoolAlertTest `json:"alert_rule_test"`
}

type promtoolSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type promtoolAlertTest struct {
	EvalTime  string          `json:"eval_time"`
	Alertname string          `json:"alertname"`
	ExpAlerts []promtoolAlert `json:"exp_alerts"`
}

type promtoolAlert struct {
	ExpLabels      map[string]string `json:"exp_labels"`
	ExpAnnotations map[string]string `json:"exp_annotations"`
}

// seriesLabels parses `a="x",b="y"`.
func seriesLabels(s string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// expand fills an annotation's {{ $labels.x }} from the alert's labels and {{ $value | ... }}
// with the humanized value the case expects. A label the alert does not carry is a fault of
// the rule (Prometheus would print nothing), and anything else in braces is left for the test
// to report.
func expand(t *testing.T, alert, text string, labels map[string]string, value string) string {
	t.Helper()
	out := regexp.MustCompile(`\{\{\s*\$labels\.(\w+)\s*\}\}`).ReplaceAllStringFunc(text, func(m string) string {
		name := regexp.MustCompile(`\$labels\.(\w+)`).FindStringSubmatch(m)[1]
		v, ok := labels[name]
		if !ok {
			t.Errorf("%s: an annotation prints label %s, which the alert does not carry", alert, name)
		}
		return v
	})
	out = regexp.MustCompile(`\{\{\s*\$value\s*\|\s*humanize\w*\s*\}\}`).ReplaceAllString(out, value)
	require.NotContains(t, out, "{{", "%s: an annotation template this test does not know", alert)
	return out
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func requirePromtool(t *testing.T) string {
	t.Helper()
	var path string
	requireBinaries(t, func() (string, error) {
		p, err := exec.LookPath("promtool")
		if err != nil {
			return "", fmt.Errorf("promtool is not installed (apt-get install prometheus): %w", err)
		}
		path = p
		return p, nil
	})
	return path
}
