package pgserver

import (
	"context"
	"crypto/x509"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/datastores/datastores/test/harness/pgclient"
)

// Client is pgclient.Client; see there.
type Client = pgclient.Client

// VerifyFull is pgclient.VerifyFull.
var VerifyFull = pgclient.VerifyFull

// AsApp is the application user with its password and database, over verify-full TLS to
// "localhost" (a name every certificate of the chart carries).
func (s *Server) AsApp(pool *x509.CertPool) Client {
	return Client{User: s.AppUser, Password: s.Password, Database: s.Database, TLS: VerifyFull(pool, "localhost")}
}

// AsAdmin is the superuser, over verify-full TLS.
func (s *Server) AsAdmin(pool *x509.CertPool) Client {
	return Client{User: "postgres", Password: s.AdminPassword, Database: s.Database, TLS: VerifyFull(pool, "localhost")}
}

// Connect opens a pgx connection to the server over TCP on 127.0.0.1.
func (s *Server) Connect(ctx context.Context, c Client) (*pgx.Conn, error) {
	return pgclient.Connect(ctx, "127.0.0.1:"+strconv.Itoa(s.Port), c)
}
