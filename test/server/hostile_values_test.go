package server_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
)

// Text that would have added settings to postgresql.conf (a quote, a backslash before the
// closing quote, something that looks like `ssl = off`) renders, and a real server reads it back
// as the literal text: it starts, TLS stays on and plaintext is still refused.
func TestHostileTextStaysTextOnTheServer(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	texts := map[string]string{
		"log_line_prefix":  `%m x' ssl = off # \ "$(id)" `,
		"cluster_name":     `x\' ssl = off #`,
		"application_name": `a''b\\c\`,
	}
	values := map[string]any{"postgres": map[string]any{
		"audit":  map[string]any{"logLinePrefix": texts["log_line_prefix"]},
		"config": map[string]any{"cluster_name": texts["cluster_name"]},
		"instances": map[string]any{"app": map[string]any{
			"config": map[string]any{"application_name": texts["application_name"]}}},
	}}
	raw, err := json.Marshal(values)
	require.NoError(t, err)
	srv, err := pgserver.Start(pgserver.Options{
		Chart:    chart.Options{ValuesFiles: []string{"values/dev.yaml", chart.ValuesFile(t, string(raw))}},
		Instance: "app",
	})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)

	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	for name, want := range texts {
		var got string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT current_setting($1)", name).Scan(&got))
		assert.Equal(t, want, got, name)
	}
	var ssl string
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT current_setting('ssl')").Scan(&ssl))
	assert.Equal(t, "on", ssl)

	plain := srv.AsApp(nil)
	plain.TLS = nil
	_, err = srv.Connect(ctx(t), plain)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no encryption")
}

// ACL rules may hold the glob characters of key patterns; the start script writes them inside
// double quotes, so the shell expands none of them, and Redis enforces them as written.
func TestRedisACLPatternsReachRedisAsWritten(t *testing.T) {
	srv := redisServer(t, "glob-rules", map[string]string{
		"redis.auth.users[0].name":  "cache",
		"redis.auth.users[0].rules": "~cache:[ab]?* ~{tmp}* +@all -@dangerous",
	})
	c := aclUser(t, srv, "cache")

	assert.NoError(t, c.Set(ctx(t), "cache:ax1", "v", 0).Err())
	assert.NoError(t, c.Set(ctx(t), "{tmp}1", "v", 0).Err())
	for _, key := range []string{"cache:cx1", "cache:a", "tmp1"} {
		err := c.Set(ctx(t), key, "v", 0).Err()
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "NOPERM", key)
	}
}
