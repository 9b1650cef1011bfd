package server_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/pgserver"
)

func TestPgcryptoRoundTrip(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
		require.NoError(t, err)
		defer conn.Close(ctx(t))

		var plain string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT pgp_sym_decrypt(pgp_sym_encrypt($1, 'k3y'), 'k3y')", "card 4111").Scan(&plain))
		assert.Equal(t, "card 4111", plain)
	})
}

func TestAuditLogRecordsConnectionsAndStatements(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		c := srv.AsApp(caPool(t, srv))
		c.ApplicationName = "audit-probe"
		conn, err := srv.Connect(ctx(t), c)
		require.NoError(t, err)
		table := fmt.Sprintf("audit_probe_%d", time.Now().UnixNano())
		_, err = conn.Exec(ctx(t), "CREATE TABLE "+table+" (id int)")
		require.NoError(t, err)
		conn.Close(ctx(t))

		prefix := fmt.Sprintf("user=%s,db=%s,app=audit-probe,client=127.0.0.1 ", srv.AppUser, srv.Database)
		assert.Eventually(t, func() bool { return strings.Contains(srv.Log(), prefix+"LOG:  disconnection") }, 5*time.Second, 50*time.Millisecond)
		log := srv.Log()
		// The connection is logged before application_name takes effect, hence app=[unknown].
		authorized := fmt.Sprintf(`user=%s,db=%s,app=\[unknown\],client=127\.0\.0\.1 LOG:  connection authorized: user=%s database=%s application_name=audit-probe SSL enabled \(protocol=TLSv1\.[23]`,
			srv.AppUser, srv.Database, srv.AppUser, srv.Database)
		assert.Regexp(t, regexp.MustCompile(authorized), log)
		assert.Contains(t, log, prefix+"LOG:  statement: CREATE TABLE "+table)
	})
}
