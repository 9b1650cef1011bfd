// Package pgclient connects to PostgreSQL with pgx and a TLS configuration the test spells out:
// every check controls its own handshake (CA, server name, versions, client certificate).
package pgclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
)

// Client says how a test connects. A nil TLS connects in plaintext (sslmode=disable).
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

// Connect opens a connection to addr ("host:port").
func Connect(ctx context.Context, addr string, c Client) (*pgx.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s sslmode=disable connect_timeout=5", host, port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password, cfg.Database = c.User, c.Password, c.Database
	cfg.TLSConfig = c.TLS
	cfg.Fallbacks = nil
	if c.ApplicationName != "" {
		cfg.RuntimeParams["application_name"] = c.ApplicationName
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}
