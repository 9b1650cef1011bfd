package pgserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Client says how a test connects: every TLS detail is explicit, so each check controls the
// handshake. A nil TLS connects in plaintext (sslmode=disable).
type Client struct {
	User, Password, Database string
	TLS                      *tls.Config
	ApplicationName          string
}

// VerifyFull is the TLS configuration of a client with sslmode=verify-full: the given CA, the
// given host name, TLS 1.2 or later.
func VerifyFull(ca *x509.CertPool, serverName string) *tls.Config {
	return &tls.Config{RootCAs: ca, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

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
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d sslmode=disable connect_timeout=5", s.Port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password, cfg.Database = c.User, c.Password, c.Database
	cfg.TLSConfig = c.TLS
	cfg.Fallbacks = nil
	if c.ApplicationName != "" {
		cfg.RuntimeParams["application_name"] = c.ApplicationName
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}
