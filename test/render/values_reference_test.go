package render_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/datastores/datastores/test/harness/chart"
)

// chartValues are the charts whose values users set, with the prefix their keys have in the
// umbrella chart's values.
var chartValues = []struct{ dir, prefix string }{
	{"charts/datastores", ""},
	{"charts/datastores/charts/postgres", "postgres."},
	{"charts/datastores/charts/redis", "redis."},
}

// leaves lists the dotted paths of every value a values.yaml defines (maps are walked; lists and
// empty maps are values).
func leaves(prefix string, v any) []string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return []string{strings.TrimSuffix(prefix, ".")}
	}
	var out []string
	for k, sub := range m {
		out = append(out, leaves(prefix+k+".", sub)...)
	}
	sort.Strings(out)
	return out
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chart.RepoRoot(), path))
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, yaml.Unmarshal(b, &out))
	return out
}

// Every value is described in the chart README's values reference, which helm-docs generates from
// the values.yaml comments (`make docs`): it has a row of its own with a description, or a map it
// belongs to does (postgres.resources covers postgres.resources.limits.memory). A value without a
// `# --` comment gets a row with an empty description, or none.
func TestEveryValueIsDescribedInTheChartREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chart.ChartDir(), "README.md"))
	require.NoError(t, err)
	described := map[string]string{} // key -> description
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) < 4 || !strings.HasPrefix(line, "| `") {
			continue
		}
		key := strings.Trim(strings.TrimPrefix(cells[0], "| "), "`")
		described[key] = strings.TrimSpace(strings.TrimSuffix(strings.Join(cells[3:], " | "), "|"))
	}
	documented := func(path string) bool {
		for p := path; p != ""; p = p[:max(strings.LastIndex(p, "."), 0)] {
			if described[p] != "" {
				return true
			}
		}
		return false
	}
	for _, c := range chartValues {
		for _, path := range leaves(c.prefix, readYAML(t, c.dir+"/values.yaml")) {
			assert.True(t, documented(path), "the chart README describes no %s: give it a `# --` comment in %s/values.yaml and run make docs", path, c.dir)
		}
	}
}

// Every value is declared in its chart's values.schema.json, so a typo or a wrong type fails.
func TestEveryValueIsInTheSchema(t *testing.T) {
	for _, c := range chartValues {
		b, err := os.ReadFile(filepath.Join(chart.RepoRoot(), c.dir, "values.schema.json"))
		require.NoError(t, err)
		var schema map[string]any
		require.NoError(t, json.Unmarshal(b, &schema))
		for _, path := range leaves("", readYAML(t, c.dir+"/values.yaml")) {
			assert.True(t, schemaHas(schema, schema, strings.Split(path, ".")), "%s values.schema.json misses %s", c.dir, path)
		}
	}
}

func schemaHas(root, node map[string]any, path []string) bool {
	if ref, ok := node["$ref"].(string); ok {
		node = resolve(root, ref)
	}
	if len(path) == 0 {
		return true
	}
	props, hasProps := node["properties"].(map[string]any)
	if !hasProps {
		// A free-form map (resources, nodeSelector, config): its keys are the user's.
		return node["type"] == "object" || node["additionalProperties"] != nil
	}
	next, ok := props[path[0]].(map[string]any)
	if !ok {
		return false
	}
	return schemaHas(root, next, path[1:])
}

func resolve(root map[string]any, ref string) map[string]any {
	node := root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		node, _ = node[part].(map[string]any)
	}
	return node
}
