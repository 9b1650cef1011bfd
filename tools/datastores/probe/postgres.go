// Package probe talks to servers on the wire, as a client would, and reports what they accept:
// whether they speak TLS and which version, the certificate they present, whether they accept
// plaintext, which authentication method they ask for, and (with a password, over verified TLS
// only) their effective settings.
//
// PostgreSQL goes through pgconn (SSLRequest, TLS, startup, authentication), Redis through
// go-redis. No probe ever sends a password before the server's certificate has been verified
// against the CA the caller trusts: the handshake probes present no password at all.
package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/datastores/datastores/tools/datastores/conf"
)

// Timeout bounds each probe's connection.
var Timeout = 10 * time.Second

// Handshake is what a TLS handshake showed.
type Handshake struct {
	// State is the session, nil when no TLS session was established.
	State *tls.ConnectionState
	// Err says why not (the server refused TLS, or the handshake failed).
	Err error
}

// OK reports whether TLS was established.
func (h Handshake) OK() bool { return h.State != nil }

// capture is a TLS configuration that accepts any certificate and records the session: the
// audit verifies the chain and names itself, so it can report each fault on its own.
func capture(serverName string, minV, maxV uint16, into *Handshake) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // verified by the caller from into.State, see above
		ServerName:         serverName,
		MinVersion:         minV,
		MaxVersion:         maxV,
		VerifyConnection: func(cs tls.ConnectionState) error {
			into.State = &cs
			return nil
		},
	}
}

// pgConfig is a pgconn configuration for addr that takes nothing from the environment (no
// PGPASSWORD, no passfile, no fallbacks): a probe presents only what it is given.
func pgConfig(addr, user, database string) (*pgconn.Config, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg, err := pgconn.ParseConfig(fmt.Sprintf("host=%s port=%s sslmode=disable", host, port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Database, cfg.Password = user, database, ""
	cfg.Fallbacks = nil
	cfg.ConnectTimeout = Timeout
	cfg.RuntimeParams = map[string]string{"application_name": "datastores-audit"}
	// Authentication stops before anything is sent unless the server asks for SCRAM; then the
	// exchange fails on the empty password. The error says which method the server asked for.
	cfg.RequireAuth = "scram-sha-256"
	return cfg, nil
}

// PGResult is one PostgreSQL connection attempt.
type PGResult struct {
	Handshake Handshake
	// Auth is the method the server asked for: "scram-sha-256", "md5", "password", "trust"
	// (no authentication), "cert" (a client certificate), "reject" (pg_hba refused the
	// connection), or "" when the attempt ended before authentication.
	Auth string
	// Message is the server's (or pgconn's) last word.
	Message string
	// Network is set when the server could not be reached at all.
	Network error
}

// Postgres connects to addr as user, over TLS between minV and maxV (0, 0: Go's defaults) or in
// plaintext (plaintext true), and reports how far it got. It presents no password.
func Postgres(ctx context.Context, addr, serverName, user string, plaintext bool, minV, maxV uint16) PGResult {
	var r PGResult
	cfg, err := pgConfig(addr, user, "postgres")
	if err != nil {
		r.Network = err
		return r
	}
	if !plaintext {
		cfg.TLSConfig = capture(serverName, minV, maxV, &r.Handshake)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err == nil {
		conn.Close(ctx)
		r.Auth, r.Message = "trust", "connected without a password"
		return r
	}
	r.Message = err.Error()
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "pg_hba.conf"):
		r.Auth, r.Message = "reject", pgErr.Message
	case errors.As(err, &pgErr) && pgErr.Code == "28P01":
		r.Auth, r.Message = "scram-sha-256", pgErr.Message
	case errors.As(err, &pgErr) && strings.Contains(pgErr.Message, "certificate"):
		r.Auth, r.Message = "cert", pgErr.Message
	case errors.As(err, &pgErr):
		r.Message = pgErr.Message
	case strings.Contains(err.Error(), "server did not complete authentication"):
		r.Auth = "trust"
	case strings.Contains(err.Error(), "server requested md5"):
		r.Auth = "md5"
	case strings.Contains(err.Error(), "server requested password"):
		r.Auth = "password"
	case strings.Contains(err.Error(), "server refused TLS"):
		r.Handshake.Err = errors.New("the server answered the SSLRequest with 'N': no TLS")
	case !plaintext && r.Handshake.State == nil:
		r.Handshake.Err = unwrapTLS(err)
		if isNetwork(err) && !strings.Contains(err.Error(), "tls:") {
			r.Network = err
		}
	case isNetwork(err):
		r.Network = err
	}
	return r
}

// PGState is what a logged-in session reads of the server's configuration.
type PGState struct {
	Settings  conf.Settings
	Superuser bool
	// HBA are the rules of pg_hba.conf (superusers only; nil otherwise).
	HBA []conf.HBARule
	// WeakVerifiers are login roles whose password is stored other than as a SCRAM verifier
	// (superusers only).
	WeakVerifiers []string
}

// PostgresState logs in over tlsConfig (which must verify the server) and reads the settings the
// checks need, and, as a superuser, pg_hba.conf's rules and the password verifiers.
func PostgresState(ctx context.Context, addr string, tlsConfig *tls.Config, user, password, database string) (*PGState, error) {
	if tlsConfig == nil || tlsConfig.InsecureSkipVerify {
		return nil, errors.New("refusing to send a password without a verified TLS session")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s sslmode=disable", host, port))
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password, cfg.Database = user, password, database
	cfg.TLSConfig, cfg.Fallbacks, cfg.ConnectTimeout = tlsConfig, nil, Timeout
	cfg.RuntimeParams = map[string]string{"application_name": "datastores-audit"}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)

	st := &PGState{Settings: conf.Settings{}}
	rows, err := conn.Query(ctx, `SELECT name, setting FROM pg_settings
		WHERE name IN ('ssl', 'ssl_min_protocol_version', 'listen_addresses', 'password_encryption', 'port')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		st.Settings[name] = value
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := conn.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&st.Superuser); err != nil || !st.Superuser {
		return st, nil
	}
	rows, err = conn.Query(ctx, `SELECT line_number, type, array_to_string(database, ','), array_to_string(user_name, ','),
		coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, '')
		FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r conf.HBARule
		var netmask string
		if err := rows.Scan(&r.Line, &r.Type, &r.Database, &r.User, &r.Address, &netmask, &r.Method); err != nil {
			return nil, err
		}
		if netmask != "" {
			r.Address = conf.CIDR(r.Address, netmask)
		}
		st.HBA = append(st.HBA, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, `SELECT rolname FROM pg_authid
		WHERE rolcanlogin AND rolpassword IS NOT NULL AND rolpassword NOT LIKE 'SCRAM-SHA-256$%' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	st.WeakVerifiers, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return st, err
}

func unwrapTLS(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "tls: "); i >= 0 {
		return errors.New(msg[i:])
	}
	return err
}

func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || strings.Contains(err.Error(), "connection refused") ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection reset")
}
