package k8sschema

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Charts whose values.schema.json carries the definitions, and the library chart's template.
var (
	SchemaFiles = []string{
		"charts/datastores/charts/postgres/values.schema.json",
		"charts/datastores/charts/redis/values.schema.json",
	}
	TemplateFile = "charts/datastores/charts/common/templates/_k8s_definitions.tpl"
)

// Files returns every generated file's new content, by path relative to the repository root.
func Files(root string) (map[string][]byte, error) {
	defs, err := Build()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range SchemaFiles {
		old, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			return nil, err
		}
		if out[name], err = UpdateSchema(old, defs); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if out[TemplateFile], err = Template(defs, source(root)); err != nil {
		return nil, err
	}
	return out, nil
}

// source names the module the definitions come from, at the version go.mod pins.
func source(root string) string {
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err == nil {
		if m := regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v\S+)`).FindSubmatch(mod); m != nil {
			return "k8s.io/kubernetes " + string(m[1])
		}
	}
	return "k8s.io/kubernetes"
}
