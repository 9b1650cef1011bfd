package audit

import (
	"fmt"
	"strings"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/discover"
)

// postgresSettings checks postgresql.conf's TLS, listen and password settings, read from the
// manifests (source FromConfig) or from the running server (FromServer). readConfig says a
// configuration was found at all: without one, settings left unset are unknown, not defaults.
func (a *auditor) postgresSettings(s *discover.Server, source string, set conf.Settings, readConfig bool) {
	t, k := s.Target(), s.Kind
	switch ssl, ok := set["ssl"]; {
	case isOn(ssl):
		a.pass("tls-disabled", t, source, k, "ssl = %s", ssl)
	case ok:
		a.fail("tls-disabled", t, source, k, "ssl = %s", ssl)
	case readConfig:
		a.fail("tls-disabled", t, source, k, "ssl is not set, and PostgreSQL's default is off")
	default:
		a.unknown("tls-disabled", t, source, k, "no postgresql.conf in the manifests")
	}

	switch v := set["ssl_min_protocol_version"]; strings.ToLower(v) {
	case "tlsv1", "tlsv1.1":
		a.fail("tls-protocol", t, source, k, "ssl_min_protocol_version = %s", v)
	case "":
		a.pass("tls-protocol", t, source, k, "ssl_min_protocol_version is PostgreSQL's default, TLSv1.2")
	default:
		a.pass("tls-protocol", t, source, k, "ssl_min_protocol_version = %s", v)
	}

	switch v, ok := set["listen_addresses"]; {
	case ok && localOnly(v):
		a.fail("listen-localhost", t, source, k, "listen_addresses = '%s'", v)
	case ok:
		a.pass("listen-localhost", t, source, k, "listen_addresses = '%s'", v)
	case readConfig:
		a.fail("listen-localhost", t, source, k, "listen_addresses is not set in the configuration file, and PostgreSQL's default is 'localhost'")
	default:
		a.unknown("listen-localhost", t, source, k, "no postgresql.conf in the manifests")
	}

	if v := set["password_encryption"]; strings.EqualFold(v, "md5") || v == "on" {
		a.fail("auth-weak-method", t, source, k, "password_encryption = %s: new passwords are stored as MD5", v)
	}
}

// localOnly reports whether listen_addresses names loopback addresses only.
func localOnly(v string) bool {
	for _, addr := range strings.Split(v, ",") {
		switch strings.Trim(strings.TrimSpace(addr), "'\"") {
		case "localhost", "127.0.0.1", "::1":
		case "":
		default:
			return false
		}
	}
	return true
}

func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1":
		return true
	}
	return false
}

// postgresHBA checks pg_hba.conf as PostgreSQL reads it, first matching line wins: a plaintext
// TCP client from outside the pod must meet a reject rule before any rule that accepts it, and
// every rule that lets remote clients in must ask for a SCRAM password or a certificate.
func (a *auditor) postgresHBA(s *discover.Server, source string, rules []conf.HBARule, from string) {
	t, k := s.Target(), s.Kind
	if rules == nil {
		a.unknown("plaintext-accepted", t, source, k, "pg_hba.conf is not in the manifests (the image's own, or written at start)")
		return
	}
	var plaintext, missing, weak []string
	for i, r := range rules {
		if !r.Remote() || r.Method == "reject" {
			continue
		}
		if (r.Type == "host" || r.Type == "hostnossl") && !shadowed(rules[:i], r) {
			plaintext = append(plaintext, describe(r))
		}
		if r.Type == "host" || r.Type == "hostssl" || r.Type == "hostnossl" {
			switch r.Method {
			case "trust":
				missing = append(missing, describe(r))
			case "md5", "password", "ident":
				weak = append(weak, describe(r))
			}
		}
	}
	in := ""
	if from != "" {
		in = " in " + from
	}
	if len(plaintext) > 0 {
		a.fail("plaintext-accepted", t, source, k, "plaintext TCP clients are accepted%s: %s", in, strings.Join(plaintext, "; "))
	} else {
		a.pass("plaintext-accepted", t, source, k, "every plaintext TCP client meets a reject rule first%s", in)
	}
	if len(missing) > 0 {
		a.fail("auth-missing", t, source, k, "trust lets remote clients in without a password%s: %s", in, strings.Join(missing, "; "))
	} else {
		a.pass("auth-missing", t, source, k, "no remote rule trusts clients%s", in)
	}
	if len(weak) > 0 {
		a.fail("auth-weak-method", t, source, k, "remote rules without SCRAM%s: %s", in, strings.Join(weak, "; "))
	} else {
		a.pass("auth-weak-method", t, source, k, "remote rules ask for scram-sha-256, a certificate or reject%s", in)
	}
}

// shadowed reports whether an earlier rule rejects every plaintext client r would match.
func shadowed(earlier []conf.HBARule, r conf.HBARule) bool {
	for _, e := range earlier {
		if (e.Type == "host" || e.Type == "hostnossl") && e.Method == "reject" && e.AllScopes() && e.Covers(r) {
			return true
		}
	}
	return false
}

func describe(r conf.HBARule) string {
	if r.Line > 0 {
		return fmt.Sprintf("line %d %q", r.Line, strings.Join([]string{r.Type, r.Database, r.User, r.Address, r.Method}, " "))
	}
	return fmt.Sprintf("%q", strings.Join([]string{r.Type, r.Database, r.User, r.Address, r.Method}, " "))
}

// redisSettings checks Redis' listeners, TLS versions, AOF and authentication; auth is how it
// asks for a password ("" when it does not).
func (a *auditor) redisSettings(s *discover.Server, source string, set conf.Settings, auth string) {
	t, k := s.Target(), s.Kind
	if p := set["tls-port"]; p == "" || p == "0" {
		a.fail("tls-disabled", t, source, k, "tls-port is %s: Redis serves no TLS", orDefault(p, "not set"))
	} else {
		a.pass("tls-disabled", t, source, k, "tls-port %s", p)
	}
	if p := set["port"]; p != "" && p != "0" {
		a.fail("plaintext-accepted", t, source, k, "port %s: Redis also listens in plaintext", p)
	} else {
		a.pass("plaintext-accepted", t, source, k, "port 0: no plaintext listener")
	}
	var old []string
	for _, p := range strings.Fields(set["tls-protocols"]) {
		if strings.EqualFold(p, "TLSv1") || strings.EqualFold(p, "TLSv1.1") {
			old = append(old, p)
		}
	}
	if len(old) > 0 {
		a.fail("tls-protocol", t, source, k, "tls-protocols %q allows %s", set["tls-protocols"], strings.Join(old, ", "))
	} else {
		a.pass("tls-protocol", t, source, k, "tls-protocols %q", set["tls-protocols"])
	}
	if v := set["appendonly"]; v != "yes" {
		a.fail("aof-disabled", t, source, k, "appendonly %s", orDefault(v, "no (Redis' default)"))
	} else {
		a.pass("aof-disabled", t, source, k, "appendonly yes")
	}
	if auth == "" {
		a.fail("auth-missing", t, source, k, "no requirepass, no ACL file and no password for the default user: anyone who reaches the port is in")
	} else {
		a.pass("auth-missing", t, source, k, "clients authenticate (%s)", auth)
	}
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
