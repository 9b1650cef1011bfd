package audit

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/grade"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

func TestWeakClientSettings(t *testing.T) {
	for _, tc := range []struct {
		text string
		weak bool
	}{
		{"uri=postgresql://u:p@db:5432/app?sslmode=verify-full&sslrootcert=/etc/datastores/ca.crt", false},
		{"uri=postgresql://u:p@db:5432/app?sslmode=require", true},
		{"dsn=host='db' sslmode=prefer", true},
		{"sslmode=verify-ca", false},
		{"sslmode=disable", true},
		{"PGSSLMODE=require", true},
		{"DATABASE_URL=postgresql+asyncpg://u:p@db/app?ssl=require", true},
		{"DATABASE_URL=postgresql+asyncpg://u:p@db/app?ssl=verify-full", false},
		{"redis-py-url=rediss://default:p@cache:6379/0?ssl_cert_reqs=required&ssl_check_hostname=true", false},
		{"REDIS_URL=rediss://:p@cache:6379?ssl_cert_reqs=none", true},
		{"REDIS_URL=rediss://:p@cache:6379?ssl_cert_reqs=CERT_NONE", true},
		{"REDIS_URL=redis://:p@cache:6379/0", true},
		{"ssl=true", false}, // the chart's Redis connection Secret: a flag, not a URL parameter
		{`export PGSSLMODE=verify-full`, false},
		{`sslmode=${6:-verify-full}`, false},
	} {
		assert.Equal(t, tc.weak, weakClient(tc.text) != "", tc.text)
	}
}

// hbaFindings runs the pg_hba checks on rules and returns each check's status.
func hbaFindings(text string) map[string]grade.Status {
	a := &auditor{}
	s := &discover.Server{Kind: discover.Postgres, Workload: &inventory.Workload{Name: "db", Namespace: "ns"}}
	a.postgresHBA(s, FromConfig, conf.HBA(text), "pg_hba.conf")
	out := map[string]grade.Status{}
	for _, f := range a.findings {
		out[f.Check] = f.Status
	}
	return out
}

func TestPgHBAFirstMatchingLineWins(t *testing.T) {
	const tlsOnly = "hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\n"
	for _, tc := range []struct {
		name, hba                  string
		plaintext, trust, weakAuth grade.Status
	}{
		{"the chart's rules", "local all all scram-sha-256\n" + tlsOnly + "hostssl all all 0.0.0.0/0 scram-sha-256\nhostssl all all ::/0 scram-sha-256",
			grade.Pass, grade.Pass, grade.Pass},
		{"host after the reject rules only takes TLS", tlsOnly + "host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256",
			grade.Pass, grade.Pass, grade.Pass},
		{"host before the reject rules takes plaintext", "host all all 0.0.0.0/0 scram-sha-256\n" + tlsOnly,
			grade.Fail, grade.Pass, grade.Pass},
		{"a reject for IPv4 only leaves IPv6 plaintext", "hostnossl all all 0.0.0.0/0 reject\nhost all all all scram-sha-256",
			grade.Fail, grade.Pass, grade.Pass},
		{"a reject for one database does not cover the others", "hostnossl app all 0.0.0.0/0 reject\nhost all all 0.0.0.0/0 scram-sha-256",
			grade.Fail, grade.Pass, grade.Pass},
		{"plaintext and trust on loopback are the pod's own", "host all all 127.0.0.1/32 trust\n" + tlsOnly + "hostssl all all 0.0.0.0/0 scram-sha-256",
			grade.Pass, grade.Pass, grade.Pass},
		{"trust for remote TLS clients", tlsOnly + "hostssl all all 0.0.0.0/0 trust", grade.Pass, grade.Fail, grade.Pass},
		{"md5 for remote TLS clients", tlsOnly + "hostssl all all 0.0.0.0/0 md5", grade.Pass, grade.Pass, grade.Fail},
		{"client certificates", tlsOnly + "hostssl all all 0.0.0.0/0 cert", grade.Pass, grade.Pass, grade.Pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hbaFindings(tc.hba)
			assert.Equal(t, tc.plaintext, got["plaintext-accepted"], "plaintext-accepted")
			assert.Equal(t, tc.trust, got["auth-missing"], "auth-missing")
			assert.Equal(t, tc.weakAuth, got["auth-weak-method"], "auth-weak-method")
		})
	}
}

func TestLooseKeyIsPostgreSQLsRule(t *testing.T) {
	for _, tc := range []struct {
		mode  int32
		uid   int
		loose bool
	}{
		{0o600, 70, false}, {0o400, 70, false}, {0o640, 70, true}, {0o644, 70, true},
		{0o640, 0, false}, {0o440, 0, false}, {0o644, 0, true}, {0o660, 0, true},
	} {
		assert.Equal(t, tc.loose, looseKey(tc.mode, tc.uid), "%04o owned by %d", tc.mode, tc.uid)
	}
}
