package audit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"sort"
	"strconv"
	"strings"

	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/probe"
)

// via runs one probe over a connection of its own to the server's port: with a port-forward,
// a connection the server resets (as it should a plaintext client on a TLS port) ends the whole
// tunnel, so no two probes share one.
func (a *auditor) via(ctx context.Context, s *discover.Server, port int, run func(addr string)) error {
	addr, release, err := a.opts.Connect(ctx, s, port)
	if err != nil {
		return err
	}
	defer release()
	run(addr)
	return nil
}

// postgresWire probes a PostgreSQL server as clients see it: the TLS handshake and its
// certificate, a client capped at TLS 1.1, a plaintext client, the authentication method, and,
// with a password over verified TLS, the running configuration.
func (a *auditor) postgresWire(ctx context.Context, s *discover.Server) {
	t, k := s.Target(), s.Kind
	sni, user := serverName(s), probeUser(s)
	attempt := func(plaintext bool, minV, maxV uint16) (probe.PGResult, error) {
		var r probe.PGResult
		err := a.via(ctx, s, s.Port, func(addr string) { r = probe.Postgres(ctx, addr, sni, user, plaintext, minV, maxV) })
		if err == nil && r.Network != nil {
			err = r.Network
		}
		return r, err
	}

	r, err := attempt(false, 0, 0)
	if err != nil {
		a.unknown("tls-disabled", t, FromServer, k, "cannot reach port %d: %v", s.Port, err)
		return
	}
	var served *x509.Certificate
	if !r.Handshake.OK() {
		a.fail("tls-disabled", t, FromServer, k, "no TLS on port %d: %v", s.Port, r.Handshake.Err)
	} else {
		st := r.Handshake.State
		a.pass("tls-disabled", t, FromServer, k, "TLS handshake on port %d: %s", s.Port, tls.VersionName(st.Version))
		a.negotiated(s, st.Version)
		if len(st.PeerCertificates) > 0 {
			served = st.PeerCertificates[0]
			a.certificate(s, FromServer, "the served certificate", served, st.PeerCertificates[1:], a.cas(s))
		}
		switch old, err := attempt(false, tls.VersionTLS10, tls.VersionTLS11); {
		case err != nil:
			a.unknown("tls-protocol", t, FromServer, k, "TLS 1.1 probe: %v", err)
		case old.Handshake.OK():
			a.fail("tls-protocol", t, FromServer, k, "a client capped at TLS 1.1 was accepted (%s)", tls.VersionName(old.Handshake.State.Version))
		default:
			a.pass("tls-protocol", t, FromServer, k, "a client capped at TLS 1.1 was refused: %v", old.Handshake.Err)
		}
		a.authMethod(s, user, r)
	}

	switch plain, err := attempt(true, 0, 0); {
	case err != nil:
		a.unknown("plaintext-accepted", t, FromServer, k, "plaintext probe: %v", err)
	case plain.Auth == "reject":
		a.pass("plaintext-accepted", t, FromServer, k, "a plaintext client was refused: %s", plain.Message)
	case plain.Auth != "":
		a.fail("plaintext-accepted", t, FromServer, k, "a plaintext client reached authentication (%s): the server accepts connections without TLS", plain.Auth)
	default:
		a.unknown("plaintext-accepted", t, FromServer, k, "plaintext probe: %s", plain.Message)
	}

	if served != nil {
		a.postgresState(ctx, s, served)
	}
}

// authMethod reports the method the server asked the probe user for over TLS.
func (a *auditor) authMethod(s *discover.Server, user string, r probe.PGResult) {
	t, k := s.Target(), s.Kind
	switch r.Auth {
	case "trust":
		a.fail("auth-missing", t, FromServer, k, "user %q was let in over TLS without a password", user)
	case "md5", "password":
		a.fail("auth-weak-method", t, FromServer, k, "the server asked user %q for a %s password", user, r.Auth)
	case "scram-sha-256", "cert":
		a.pass("auth-weak-method", t, FromServer, k, "the server asked user %q for %s", user, r.Auth)
	}
}

// postgresState logs in with a password from the manifests, over TLS verified against the
// published CA, and checks the running configuration the same way as the manifests'.
func (a *auditor) postgresState(ctx context.Context, s *discover.Server, served *x509.Certificate) {
	t, k := s.Target(), s.Kind
	cfg := a.verifying(s, served)
	cred := adminFirst(s.Credentials)
	switch {
	case cfg == nil:
		a.unknown("listen-localhost", t, FromServer, k, "the running configuration is not read: the served certificate does not verify, and no password is sent to a server that is not verified")
		return
	case cred == nil:
		a.unknown("listen-localhost", t, FromServer, k, "the running configuration is not read: no password in the manifests")
		return
	}
	db := "postgres"
	if !cred.Admin {
		db = ""
	}
	var st *probe.PGState
	var err error
	if verr := a.via(ctx, s, s.Port, func(addr string) { st, err = probe.PostgresState(ctx, addr, cfg, cred.User, cred.Password, db) }); verr != nil {
		err = verr
	}
	if err != nil {
		a.unknown("listen-localhost", t, FromServer, k, "logging in as %s to read the configuration: %v", cred.User, err)
		return
	}
	a.postgresSettings(s, FromServer, st.Settings, true)
	if st.Superuser {
		a.postgresHBA(s, FromServer, st.HBA, "pg_hba_file_rules")
		if len(st.WeakVerifiers) > 0 {
			a.fail("auth-weak-method", t, FromServer, k, "passwords stored as MD5 or in clear for %s", strings.Join(st.WeakVerifiers, ", "))
		} else {
			a.pass("auth-weak-method", t, FromServer, k, "every login role's password is a SCRAM-SHA-256 verifier")
		}
	}
}

// redisWire probes a Redis server: plaintext first (a TLS ClientHello sent to a plaintext
// Redis gets no answer until the timeout, so a port that answers RESP in plaintext is not tried
// with TLS), then TLS and the certificate, a client capped at TLS 1.1, PING without a password,
// plaintext on every other port it listens on, and, with a password over verified TLS, the
// running configuration.
func (a *auditor) redisWire(ctx context.Context, s *discover.Server) {
	t, k := s.Target(), s.Kind
	port := s.Port
	if port == 0 {
		port = firstContainerPort(s)
	}
	answered, err := a.redisPlaintext(ctx, s, port)
	switch {
	case err != nil:
		a.unknown("tls-disabled", t, FromServer, k, "cannot reach port %d: %v", port, err)
		return
	case answered:
		a.fail("tls-disabled", t, FromServer, k, "port %d answers in plaintext: no TLS", port)
		return
	}
	sni := serverName(s)
	attempt := func(minV, maxV uint16) (r probe.RedisResult, err error) {
		err = a.via(ctx, s, port, func(addr string) { r = probe.Redis(ctx, addr, sni, false, minV, maxV) })
		return r, err
	}
	r, err := attempt(0, 0)
	switch {
	case err != nil:
		a.unknown("tls-disabled", t, FromServer, k, "cannot reach port %d: %v", port, err)
		return
	case !r.Handshake.OK():
		a.fail("tls-disabled", t, FromServer, k, "no TLS on port %d: %v", port, r.Handshake.Err)
		return
	}
	st := r.Handshake.State
	a.pass("tls-disabled", t, FromServer, k, "TLS handshake on port %d: %s", port, tls.VersionName(st.Version))
	a.negotiated(s, st.Version)
	var served *x509.Certificate
	if len(st.PeerCertificates) > 0 {
		served = st.PeerCertificates[0]
		a.certificate(s, FromServer, "the served certificate", served, st.PeerCertificates[1:], a.cas(s))
	}
	switch old, err := attempt(tls.VersionTLS10, tls.VersionTLS11); {
	case err != nil:
		a.unknown("tls-protocol", t, FromServer, k, "TLS 1.1 probe: %v", err)
	case old.Handshake.OK():
		a.fail("tls-protocol", t, FromServer, k, "a client capped at TLS 1.1 was accepted (%s)", tls.VersionName(old.Handshake.State.Version))
	default:
		a.pass("tls-protocol", t, FromServer, k, "a client capped at TLS 1.1 was refused: %v", old.Handshake.Err)
	}
	switch {
	case r.Reply == "PONG":
		a.fail("auth-missing", t, FromServer, k, "PING over TLS without a password answered PONG")
	case r.Answered():
		a.pass("auth-missing", t, FromServer, k, "PING over TLS without a password: %s", r.Reply)
	default:
		a.unknown("auth-missing", t, FromServer, k, "PING over TLS without a password: %s", r.Message)
	}

	others := map[int]bool{}
	if s.PlainPort != 0 && s.PlainPort != port {
		others[s.PlainPort] = true
	}
	if served != nil {
		if st := a.redisState(ctx, s, port, served); st != nil {
			if p, _ := strconv.Atoi(st.Settings["port"]); p != 0 && p != port {
				others[p] = true
			}
		}
	}
	for _, p := range sortedInts(others) {
		if _, err := a.redisPlaintext(ctx, s, p); err != nil {
			a.unknown("plaintext-accepted", t, FromServer, k, "cannot reach port %d: %v", p, err)
		}
	}
}

// redisPlaintext sends PING without TLS or password to a port and reports whether Redis
// answered.
func (a *auditor) redisPlaintext(ctx context.Context, s *discover.Server, port int) (bool, error) {
	t, k := s.Target(), s.Kind
	var r probe.RedisResult
	if err := a.via(ctx, s, port, func(addr string) { r = probe.Redis(ctx, addr, "", true, 0, 0) }); err != nil {
		return false, err
	}
	if !r.Answered() {
		a.pass("plaintext-accepted", t, FromServer, k, "a plaintext PING on port %d got no answer (%s)", port, r.Message)
		return false, nil
	}
	a.fail("plaintext-accepted", t, FromServer, k, "a plaintext PING on port %d was answered: %s", port, r.Reply)
	if r.Reply == "PONG" {
		a.fail("auth-missing", t, FromServer, k, "a plaintext PING on port %d without a password answered PONG", port)
	}
	return true, nil
}

// redisState reads the running configuration and checks it the same way as the manifests'.
func (a *auditor) redisState(ctx context.Context, s *discover.Server, port int, served *x509.Certificate) *probe.RedisState {
	t, k := s.Target(), s.Kind
	cfg := a.verifying(s, served)
	cred := adminFirst(s.Credentials)
	switch {
	case cfg == nil:
		a.unknown("aof-disabled", t, FromServer, k, "the running configuration is not read: the served certificate does not verify, and no password is sent to a server that is not verified")
		return nil
	case cred == nil:
		a.unknown("aof-disabled", t, FromServer, k, "the running configuration is not read: no password in the manifests")
		return nil
	}
	var st *probe.RedisState
	var err error
	if verr := a.via(ctx, s, port, func(addr string) { st, err = probe.RedisStateOf(ctx, addr, cfg, cred.User, cred.Password) }); verr != nil {
		err = verr
	}
	if err != nil {
		a.unknown("aof-disabled", t, FromServer, k, "logging in as %s to read the configuration: %v", cred.User, err)
		return nil
	}
	auth := "ACL"
	for _, u := range st.Users {
		if f := strings.Fields(u); len(f) > 0 && f[0] == "default" && strings.Contains(" "+u+" ", " nopass ") && strings.Contains(" "+u+" ", " on ") {
			auth = ""
		}
	}
	a.redisSettings(s, FromServer, st.Settings, auth)
	return st
}

// negotiated fails a session below TLS 1.2.
func (a *auditor) negotiated(s *discover.Server, v uint16) {
	if v < tls.VersionTLS12 {
		a.fail("tls-protocol", s.Target(), FromServer, s.Kind, "a default client negotiated %s", tls.VersionName(v))
	}
}

// cas are the CA certificates clients of the server are given.
func (a *auditor) cas(s *discover.Server) []*x509.Certificate {
	if s.TLS == nil {
		return nil
	}
	return s.TLS.CAs
}

// verifying is a TLS configuration that verifies the server against the published CA (and
// --ca) and a name the served certificate holds, or nil when the served certificate would not
// verify: passwords go to verified servers only.
func (a *auditor) verifying(s *discover.Server, served *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	n := 0
	for _, c := range append(a.cas(s), a.opts.ExtraCAs...) {
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil
	}
	name := ""
	for _, candidate := range append(append([]string{}, s.Names...), "localhost") {
		if served.VerifyHostname(candidate) == nil {
			name = candidate
			break
		}
	}
	if name == "" {
		return nil
	}
	if _, err := served.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: a.opts.Now}); err != nil {
		return nil
	}
	return &tls.Config{RootCAs: pool, ServerName: name, MinVersion: tls.VersionTLS12}
}

// serverName is the SNI a client of the first Service would send.
func serverName(s *discover.Server) string {
	if len(s.Names) > 3 {
		return s.Names[3]
	}
	return "localhost"
}

// probeUser is the user the PostgreSQL probes name: the application's if known (pg_hba may
// treat it apart), else postgres. No password is sent.
func probeUser(s *discover.Server) string {
	for _, c := range s.Credentials {
		if !c.Admin && c.User != "" {
			return c.User
		}
	}
	return "postgres"
}

func adminFirst(creds []discover.Credential) *discover.Credential {
	for i := range creds {
		if creds[i].Admin && creds[i].User != "" {
			return &creds[i]
		}
	}
	for i := range creds {
		if creds[i].User != "" {
			return &creds[i]
		}
	}
	return nil
}

func firstContainerPort(s *discover.Server) int {
	for _, p := range s.Container.Ports {
		return int(p.ContainerPort)
	}
	return 6379
}

func sortedInts(m map[int]bool) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
