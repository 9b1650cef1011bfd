package chart

import (
	"os"
	"path/filepath"
	"testing"
)

// ValuesFile writes a values file for one test and returns its path, for Options.ValuesFiles.
func ValuesFile(t testing.TB, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
