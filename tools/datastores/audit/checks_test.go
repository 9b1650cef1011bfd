package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The audit checks table of docs/datastores-command.md documents every check of the catalogue,
// with its severity.
func TestChecksTableIsInTheDocs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "datastores-command.md"))
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		for _, name := range strings.Split(cells[1], "/") {
			rows[strings.Trim(strings.TrimSpace(name), "`")] = cells[2]
		}
	}
	for name, c := range checks {
		row, ok := rows[name]
		if assert.True(t, ok, "check %s has no row in the audit checks table of docs/datastores-command.md", name) {
			assert.Contains(t, row, c.severity.String(), "the severity of %s", name)
		}
	}
}

// repoRoot is the directory holding go.mod, above the test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "go.mod not found above %s", dir)
		dir = parent
	}
}
