package server_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
)

// Graceful shutdown: what the kubelet does to a PostgreSQL pod, on a real server with a client
// that keeps a session open the whole time.

// shutdownServer starts a server of its own (these tests stop it) with committed rows and an
// idle-in-transaction session that smart shutdown would wait for.
func shutdownServer(t *testing.T) (*pgserver.Server, *pgx.Conn) {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	writer, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	_, err = writer.Exec(ctx(t), `CREATE TABLE committed (id int PRIMARY KEY); INSERT INTO committed SELECT generate_series(1, 1000)`)
	require.NoError(t, err)
	require.NoError(t, writer.Close(ctx(t)))

	idle, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	t.Cleanup(func() { idle.Close(context.Background()) })
	_, err = idle.Exec(ctx(t), "BEGIN; SELECT count(*) FROM committed")
	require.NoError(t, err)
	return srv, idle
}

func waitExited(srv *pgserver.Server, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if srv.Exited() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return srv.Exited()
}

// The chart's preStop hook stops the server at once although a session is open, and every
// committed row is there after the restart.
func TestPreStopShutsDownFastWithASessionOpen(t *testing.T) {
	srv, idle := shutdownServer(t)

	start := time.Now()
	out, err := srv.PreStop()
	took := time.Since(start)
	require.NoError(t, err, out)
	require.True(t, waitExited(srv, 5*time.Second), "the postmaster is gone when the hook returns")
	assert.Less(t, took, 10*time.Second, "far inside the 60 s grace period")
	t.Logf("preStop hook: the server stopped %s after it began, with a session open", took.Round(10*time.Millisecond))
	assert.Contains(t, srv.Log(), "fast shutdown request")
	assert.Error(t, idle.Ping(ctx(t)), "the open session was ended, not waited for")

	require.NoError(t, srv.Restart())
	conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
	require.NoError(t, err)
	defer conn.Close(ctx(t))
	var n int
	require.NoError(t, conn.QueryRow(ctx(t), "SELECT count(*) FROM committed").Scan(&n))
	assert.Equal(t, 1000, n, "no committed row lost")
	assert.NotContains(t, srv.Log(), "database system was interrupted", "a clean shutdown: no crash recovery")
}

// Why the hook: SIGTERM, what Kubernetes sends by default, is PostgreSQL's smart shutdown, which
// waits for the open session, here for as long as we watch.
func TestSIGTERMAloneWaitsForOpenSessions(t *testing.T) {
	srv, idle := shutdownServer(t)
	require.NoError(t, srv.Signal(syscall.SIGTERM))
	assert.False(t, waitExited(srv, 3*time.Second), "smart shutdown is still waiting for the session")
	assert.Contains(t, srv.Log(), "smart shutdown request")
	require.NoError(t, idle.Close(ctx(t)))
	assert.True(t, waitExited(srv, 10*time.Second), "and stops once the session ends")
}
