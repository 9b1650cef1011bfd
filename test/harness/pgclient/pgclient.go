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

// ServedCertificate is the certificate a PostgreSQL server presents in a TLS handshake, with no
// login: the SSLRequest message (length 8, code 80877103), the server's 'S', then TLS with cfg.
func ServedCertificate(ctx context.Context, addr string, cfg *tls.Config) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(deadline)
	}
	if _, err := raw.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		return nil, err
	}
	answer := make([]byte, 1)
	if _, err := raw.Read(answer); err != nil {
		return nil, fmt.Errorf("SSLRequest: %w", err)
	}
	if answer[0] != 'S' {
		return nil, fmt.Errorf("SSLRequest answered %q, not 'S'", answer[0])
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return conn.ConnectionState().PeerCertificates[0], nil
}
