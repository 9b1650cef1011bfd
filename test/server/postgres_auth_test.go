package server_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/pgserver"
)

func TestPasswordIsStoredAsSCRAMVerifier(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		conn, err := srv.Connect(ctx(t), srv.AsAdmin(caPool(t, srv)))
		require.NoError(t, err)
		defer conn.Close(ctx(t))

		var stored string
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT rolpassword FROM pg_authid WHERE rolname = $1", srv.AppUser).Scan(&stored))
		assert.True(t, strings.HasPrefix(stored, "SCRAM-SHA-256$"), "stored: %.20s...", stored)
	})
}

func TestWrongPasswordIsRefused(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		c := srv.AsApp(caPool(t, srv))
		c.Password = "not-" + c.Password
		_, err := srv.Connect(ctx(t), c)
		var pgErr *pgconn.PgError
		require.ErrorAs(t, err, &pgErr)
		assert.Equal(t, "28P01", pgErr.Code, pgErr.Message)
	})
}

func TestApplicationUserOwnsItsDatabaseOnly(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		conn, err := srv.Connect(ctx(t), srv.AsApp(caPool(t, srv)))
		require.NoError(t, err)
		defer conn.Close(ctx(t))

		var owner string
		var super bool
		require.NoError(t, conn.QueryRow(ctx(t), "SELECT pg_get_userbyid(datdba), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) FROM pg_database WHERE datname = current_database()").Scan(&owner, &super))
		assert.Equal(t, srv.AppUser, owner)
		assert.False(t, super, "the application user is not a superuser")
		_, err = conn.Exec(ctx(t), "CREATE TABLE owned_here (id int)")
		assert.NoError(t, err)
	})
}

// The init SQL sets the password with logging off, so even log_statement=all (bakery-ia) never
// writes it to the log.
func TestPasswordsNeverReachTheServerLog(t *testing.T) {
	forEachServer(t, "defaults", defaults, func(t *testing.T, srv *pgserver.Server) {
		log := srv.Log()
		require.Contains(t, log, "database system is ready to accept connections")
		assert.NotContains(t, log, srv.Password)
		assert.NotContains(t, log, srv.AdminPassword)
	})
}
