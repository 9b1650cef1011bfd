package audit

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's checks table documents every check of the catalogue, with its severity.
func TestChecksTableIsInREADME(t *testing.T) {
	data, err := os.ReadFile("../../../README.md")
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
		if assert.True(t, ok, "check %s has no row in the README's audit checks table", name) {
			assert.Contains(t, row, c.severity.String(), "the severity of %s", name)
		}
	}
}
