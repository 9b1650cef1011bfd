// Command gen writes the Kubernetes definitions of internal/k8sschema into the charts: the
// subcharts' values.schema.json and the library chart's common.k8s.definitions template.
// Run by `make schema`; a test fails when the files are stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

import "github.com/datastores/datastores/internal/k8sschema"

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	files, err := k8sschema.Files(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sschema:", err)
		os.Exit(1)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "k8sschema:", err)
			os.Exit(1)
		}
	}
}
