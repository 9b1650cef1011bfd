package render_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/invariants"
)

// definedValues: every value of the charts' values.yaml files (postgres.*, redis.*, global.*)
// with its default.
func definedValues(t *testing.T) map[string]any {
	t.Helper()
	out := map[string]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, e := range m {
				walk(prefix+"."+k, e)
			}
			return
		}
		out[prefix] = v
	}
	for _, sub := range []string{"postgres", "redis"} {
		data, err := os.ReadFile(filepath.Join(chart.ChartDir(), "charts", sub, "values.yaml"))
		require.NoError(t, err)
		var v map[string]any
		require.NoError(t, yaml.Unmarshal(data, &v))
		walk(sub, v)
	}
	data, err := os.ReadFile(filepath.Join(chart.ChartDir(), "values.yaml"))
	require.NoError(t, err)
	var umbrella map[string]any
	require.NoError(t, yaml.Unmarshal(data, &umbrella))
	walk("global", umbrella["global"])
	return out
}

// enablers: what makes a value reachable (the templates read backup.* only with backups on).
var enablers = []struct {
	prefix string
	extra  []any
}{
	{"postgres.backup.verify.", []any{"postgres.backup.enabled", true, "postgres.backup.verify.enabled", true}},
	{"postgres.backup.", []any{"postgres.backup.enabled", true}},
	{"postgres.metrics.serviceMonitor.", []any{"postgres.metrics.enabled", true, "postgres.metrics.serviceMonitor.enabled", true}},
	{"postgres.metrics.podMonitor.", []any{"postgres.metrics.enabled", true, "postgres.metrics.podMonitor.enabled", true}},
	{"postgres.metrics.prometheusRule.", []any{"postgres.metrics.enabled", true, "postgres.metrics.prometheusRule.enabled", true}},
	{"postgres.metrics.", []any{"postgres.metrics.enabled", true}},
	{"redis.metrics.serviceMonitor.", []any{"redis.metrics.enabled", true, "redis.metrics.serviceMonitor.enabled", true}},
	{"redis.metrics.podMonitor.", []any{"redis.metrics.enabled", true, "redis.metrics.podMonitor.enabled", true}},
	{"redis.metrics.prometheusRule.", []any{"redis.metrics.enabled", true, "redis.metrics.prometheusRule.enabled", true}},
	{"redis.metrics.", []any{"redis.metrics.enabled", true}},
	{"postgres.tls.certManager.", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
	{"redis.tls.certManager.", []any{"redis.tls.source", "certManager", "redis.tls.certManager.issuerRef.name", "ca"}},
	{"postgres.tls.existingSecret.", []any{"postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"}},
	{"redis.tls.existingSecret.", []any{"redis.tls.source", "existingSecret", "redis.tls.existingSecret.name", "t"}},
	{"redis.external.", []any{"redis.external.enabled", true, "redis.external.host", "cache.example.com", "redis.external.existingSecret.name", "c", "redis.external.ca.system", true}},
}

// hostileForms: what a careless or hostile values file may write instead of a value: the wrong
// kind, null, and for text the payloads that would add a line, a quote or a command.
func hostileForms(def any) map[string]any {
	out := map[string]any{"null": nil}
	switch def.(type) {
	case string:
		out["a map"] = map[string]any{"a": 1}
		out[payloads[0].name] = payloads[0].value
		out[payloads[3].name] = payloads[3].value
	case bool:
		out["text"] = "yes"
	case float64, int64, int:
		out["text"] = "5"
		out["a negative number"] = -1
	case []any:
		out["text"] = "x"
		out["a list of a map"] = []any{map[string]any{"x": "y"}}
	case map[string]any:
		out["text"] = "x"
		out["a list"] = []any{"x"}
	}
	return out
}

// Every value the charts define, in every hostile form, with and without the schema: the render
// fails naming the value (never a crash, never a manifest the API server refuses), or keeps every
// promise. The same rule as FuzzValues, applied to every value instead of the free-text ones.
func TestEveryValueTakesHostileInput(t *testing.T) {
	values := definedValues(t)
	paths := make([]string, 0, len(values))
	for p := range values {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	n := 0
	for _, path := range paths {
		if path == "postgres.enabled" || path == "redis.enabled" {
			continue // turning a subchart off by text is Helm's condition, not the chart's
		}
		var extra []any
		for _, e := range enablers {
			if strings.HasPrefix(path, e.prefix) {
				extra = e.extra
				break
			}
		}
		for form, v := range hostileForms(values[path]) {
			n++
			t.Run(fmt.Sprintf("%s as %s", path, form), func(t *testing.T) {
				t.Parallel()
				file := chart.ValuesFile(t, at(path, v, extra...))
				for _, skip := range []bool{false, true} {
					rel, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues, file}, SkipSchemaValidation: skip})
					if err == nil {
						require.NoError(t, invariants.Check(rel), "schema skipped: %v", skip)
						continue
					}
					msg := err.Error()
					require.NotContains(t, msg, "nil pointer", "schema skipped: %v", skip)
					require.NotContains(t, msg, "panic", "schema skipped: %v", skip)
					require.NotContains(t, msg, "the render would not be accepted", "schema skipped: %v: refused by the API checks, not the chart", skip)
					require.True(t, namesKey(msg, path) || namesKey(msg, parent(path)) || strings.Contains(msg, "values:"),
						"schema skipped: %v: the refusal names neither %s nor its block:\n%v", skip, path, err)
				}
			})
		}
	}
	t.Logf("%d values, %d hostile values files", len(paths), n)
}

// parent: the block a value sits in (a refusal may name the block: "postgres.backup.image is ...").
func parent(path string) string {
	if i := strings.LastIndex(path, "."); i > 0 {
		return path[:i]
	}
	return path
}
