package k8sschema_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/internal/k8sschema"
)

func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		require.NotEqual(t, dir, filepath.Dir(dir), "go.mod not found")
		dir = filepath.Dir(dir)
	}
}

// The charts hold what the generator makes from the pinned definitions: `make schema` after a
// change of the rules or of k8s.io/kubernetes.
func TestChartsCarryTheGeneratedDefinitions(t *testing.T) {
	files, err := k8sschema.Files(root(t))
	require.NoError(t, err)
	require.Len(t, files, len(k8sschema.SchemaFiles)+1)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root(t), name))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s is stale: run make schema", name)
	}
}

func definitions(t *testing.T) map[string]map[string]any {
	t.Helper()
	defs, err := k8sschema.Build()
	require.NoError(t, err)
	return defs
}

func property(t *testing.T, defs map[string]map[string]any, def, name string) map[string]any {
	t.Helper()
	d, ok := defs[def]
	require.True(t, ok, def)
	p, ok := d["properties"].(map[string]any)[name].(map[string]any)
	require.True(t, ok, "%s has no property %s", def, name)
	return p
}

// Every reference resolves, every object refuses fields it does not define (as the API server's
// strict field validation does), and nothing but the chart's policy fields is left untyped.
func TestDefinitionsAreClosed(t *testing.T) {
	defs := definitions(t)
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				_, found := defs[strings.TrimPrefix(ref, "#/definitions/")]
				assert.True(t, found, "%s: %s does not resolve", where, ref)
			}
			if _, ok := x["properties"]; ok {
				assert.Equal(t, false, x["additionalProperties"], "%s takes unknown fields", where)
			}
			for k, e := range x {
				walk(where+"/"+k, e)
			}
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		}
	}
	for name, d := range defs {
		walk(name, d)
	}
}

func TestDefinitionsCarryTheAPIsEnums(t *testing.T) {
	defs := definitions(t)
	tests := []struct{ def, field string }{
		{"io.k8s.api.core.v1.Toleration", "effect"},
		{"io.k8s.api.core.v1.TopologySpreadConstraint", "whenUnsatisfiable"},
		{"io.k8s.api.core.v1.NodeSelectorRequirement", "operator"},
		{"io.k8s.api.networking.v1.NetworkPolicyPort", "protocol"},
		{"io.k8s.api.core.v1.Container", "imagePullPolicy"},
	}
	for _, tt := range tests {
		assert.NotEmpty(t, property(t, defs, tt.def, tt.field)["enum"], "%s.%s", tt.def, tt.field)
	}
}

// What the rules add to the OpenAPI definitions: formats, ranges, the operators without their
// alpha feature gate, and the chart's policy left to the templates (untyped here, so that the
// chart's own message is the one a user sees).
func TestRulesNarrowTheDefinitions(t *testing.T) {
	defs := definitions(t)
	assert.Equal(t, []any{"Equal", "Exists"}, property(t, defs, "io.k8s.api.core.v1.Toleration", "operator")["enum"], "Gt and Lt need an alpha gate")
	assert.NotEmpty(t, property(t, defs, "io.k8s.api.core.v1.Toleration", "key")["pattern"])
	assert.EqualValues(t, 1, property(t, defs, "io.k8s.api.core.v1.TopologySpreadConstraint", "maxSkew")["minimum"])
	assert.EqualValues(t, 0o777, property(t, defs, "io.k8s.api.core.v1.SecretVolumeSource", "defaultMode")["maximum"])
	for _, policy := range []struct{ def, field string }{
		{"io.k8s.api.core.v1.Volume", "hostPath"},
		{"io.k8s.api.core.v1.VolumeProjection", "serviceAccountToken"},
		{"io.k8s.api.core.v1.ContainerPort", "hostPort"},
		{"io.k8s.api.core.v1.SecurityContext", "privileged"},
	} {
		assert.Empty(t, property(t, defs, policy.def, policy.field), "%s.%s: the templates refuse it with the chart's reason", policy.def, policy.field)
	}
	assert.NotContains(t, defs["io.k8s.api.core.v1.Container"]["properties"], "tty", "a sidecar's fields only")
	_, ok := defs["io.k8s.api.core.v1.HostPathVolumeSource"]
	assert.False(t, ok, "policy fields are not followed")
}

func TestIntOrStringAndQuantityTakeBothForms(t *testing.T) {
	defs := definitions(t)
	assert.Equal(t, []any{"integer", "string"}, defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"])
	assert.Equal(t, []any{"string", "number"}, defs["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"])
}

// The schema files keep their hand-written part as written: only the generated definitions move.
func TestUpdateSchemaKeepsTheRestOfTheFile(t *testing.T) {
	in := "{\n  \"b\": 1,\n  \"a\": {\n    \"z\": [\n      \"\\u00e9\"\n    ]\n  },\n  \"definitions\": {\n    \"own\": {},\n    \"io.k8s.old\": {}\n  }\n}\n"
	out, err := k8sschema.UpdateSchema([]byte(in), map[string]map[string]any{"io.k8s.new": {"type": "string", "propertyNames": map[string]any{"pattern": "x"}}})
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"b\": 1,\n  \"a\": {\n    \"z\": [\n      \"\\u00e9\"\n    ]\n  },\n  \"definitions\": {\n    \"own\": {},\n    \"io.k8s.new\": {\n      \"type\": \"string\"\n    }\n  }\n}\n", string(out),
		"order, layout and escapes kept; the old generated definition replaced; propertyNames left to the templates")
}
