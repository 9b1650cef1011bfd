package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgclient"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
	"github.com/datastores/datastores/test/harness/redisserver"
	"github.com/datastores/datastores/tools/datastores/audit"
	dscerts "github.com/datastores/datastores/tools/datastores/certs"
	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/grade"
	"github.com/datastores/datastores/tools/datastores/inventory"
	"github.com/datastores/datastores/tools/datastores/manifest"
)

// The audit tool (tools/datastores) against real servers: each server runs the chart's render
// of values/dev.yaml, the audit reads that render as `datastores audit -f` would and probes the
// server on the wire (--endpoint), then each fault is made on the running server, audited, and
// undone. These servers are the tests' own: the faults must not reach other tests.

// auditRelease audits a render with its servers reached on 127.0.0.1 at their rendered ports,
// and exec standing in for kubectl exec: the command runs in the pod's layout (pod paths mapped),
// as the pod's user.
func auditRelease(t *testing.T, p *pod.Pod, container, workload string, extra ...string) grade.Report {
	t.Helper()
	inv := &inventory.Inventory{DefaultNamespace: "datastores"}
	var stream strings.Builder
	for _, m := range p.Release.Manifests {
		stream.WriteString("---\n" + m.Content + "\n")
	}
	for _, e := range extra {
		stream.WriteString("---\n" + e + "\n")
	}
	require.NoError(t, manifest.Read(strings.NewReader(stream.String()), inv))
	inv.Normalize()
	return audit.Run(t.Context(), inv, audit.Options{
		Connect: func(_ context.Context, s *discover.Server, port int) (string, func(), error) {
			if s.Workload.Name != workload {
				return "", nil, fmt.Errorf("only %s runs here", workload)
			}
			return "127.0.0.1:" + strconv.Itoa(port), func() {}, nil
		},
		Exec: func(_ context.Context, s *discover.Server, argv []string) (string, error) {
			c, err := p.Container(container)
			if err != nil {
				return "", err
			}
			args := make([]string, len(argv)-1)
			for i, a := range argv[1:] {
				args[i] = p.Layout.Rewrite(a)
			}
			return p.Exec(c, argv[0], args...)
		},
	})
}

// finding returns the findings of one check from one source.
func finding(r grade.Report, check, source string) []grade.Finding {
	var out []grade.Finding
	for _, f := range r.Findings {
		if f.Check == check && f.Source == source {
			out = append(out, f)
		}
	}
	return out
}

// requirePass asserts that the check has findings from source and that all of them pass.
func requirePass(t *testing.T, r grade.Report, check, source string) {
	t.Helper()
	fs := finding(r, check, source)
	require.NotEmpty(t, fs, "no %s finding from the %s", check, source)
	for _, f := range fs {
		assert.Equal(t, grade.Pass, f.Status, "%s (%s): %s", check, source, f.Message)
	}
}

// requireFail asserts that the check failed from source (other evidence of the same check may
// pass: a server that allows TLS 1.0 in its settings may still refuse it in OpenSSL).
func requireFail(t *testing.T, r grade.Report, check, source string) {
	t.Helper()
	var seen []string
	for _, f := range finding(r, check, source) {
		if f.Status == grade.Fail {
			t.Logf("%s (%s): %s", check, source, f.Message)
			return
		}
		seen = append(seen, string(f.Status)+": "+f.Message)
	}
	t.Errorf("no failing %s from the %s; its findings: %v\nfailures: %s", check, source, seen, failures(r))
}

func failures(r grade.Report) string {
	var out []string
	for _, f := range r.Failed() {
		out = append(out, fmt.Sprintf("%s [%s] %s: %s", f.Check, f.Source, f.Target, f.Message))
	}
	return strings.Join(out, "\n")
}

// pgAdmin changes a running PostgreSQL as its superuser, over the Unix socket (which the faults
// below leave alone), and waits for each reload to reach new sessions.
type pgAdmin struct {
	t   *testing.T
	srv *pgserver.Server
}

func (a pgAdmin) conn() *pgx.Conn {
	a.t.Helper()
	dir, err := a.srv.MountPath("run")
	require.NoError(a.t, err)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=postgres sslmode=disable", dir, a.srv.Port))
	require.NoError(a.t, err)
	cfg.User, cfg.Password = "postgres", a.srv.AdminPassword
	c, err := pgx.ConnectConfig(a.t.Context(), cfg)
	require.NoError(a.t, err)
	return c
}

// exec runs statements in one session that logs none of them (passwords are set here).
func (a pgAdmin) exec(statements ...string) {
	a.t.Helper()
	c := a.conn()
	defer c.Close(context.Background())
	for _, s := range append([]string{"SET log_statement = 'none'"}, statements...) {
		_, err := c.Exec(a.t.Context(), s)
		require.NoError(a.t, err, s)
	}
}

// reload makes the server read its configuration files, pg_hba.conf and certificates again, and
// waits until new sessions see the new load.
func (a pgAdmin) reload() {
	a.t.Helper()
	loaded := func() time.Time {
		c := a.conn()
		defer c.Close(context.Background())
		var at time.Time
		require.NoError(a.t, c.QueryRow(a.t.Context(), "SELECT pg_conf_load_time()").Scan(&at))
		return at
	}
	before := loaded()
	a.exec("SELECT pg_reload_conf()")
	require.Eventually(a.t, func() bool { return loaded().After(before) }, 10*time.Second, 20*time.Millisecond, "the server did not reload")
}

// editFile rewrites a file of the pod's layout (a ConfigMap file is a symlink into ..data) and
// returns what restores it.
func editFile(t *testing.T, path string, edit func(string) string) func() {
	t.Helper()
	real, err := filepath.EvalSymlinks(path)
	require.NoError(t, err)
	old, err := os.ReadFile(real)
	require.NoError(t, err)
	changed := edit(string(old))
	require.NotEqual(t, string(old), changed, "the edit of %s changed nothing", path)
	require.NoError(t, os.WriteFile(real, []byte(changed), 0o644))
	return func() { require.NoError(t, os.WriteFile(real, old, 0o644)) }
}

// swapCertificate puts another certificate and key where the server reads them (as the
// tls-reloader does: owned by the server's user, the key 0600) and returns what restores them.
func swapCertificate(t *testing.T, p *pod.Pod, pair *certs.Pair) func() {
	t.Helper()
	dir, err := p.MountPath("tls")
	require.NoError(t, err)
	write := func(name string, data []byte, mode os.FileMode) {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path+".new", data, mode))
		require.NoError(t, os.Chmod(path+".new", mode))
		if os.Geteuid() == 0 {
			require.NoError(t, os.Chown(path+".new", p.User.UID, p.User.GID))
		}
		require.NoError(t, os.Rename(path+".new", path))
	}
	oldCert, err := os.ReadFile(filepath.Join(dir, "tls.crt"))
	require.NoError(t, err)
	oldKey, err := os.ReadFile(filepath.Join(dir, "tls.key"))
	require.NoError(t, err)
	write("tls.crt", pair.CertPEM, 0o644)
	write("tls.key", pair.KeyPEM, 0o600)
	return func() {
		write("tls.crt", oldCert, 0o644)
		write("tls.key", oldKey, 0o600)
	}
}

// chmodKey changes the served key's mode and returns what restores it.
func chmodKey(t *testing.T, p *pod.Pod, mode os.FileMode) func() {
	t.Helper()
	dir, err := p.MountPath("tls")
	require.NoError(t, err)
	key := filepath.Join(dir, "tls.key")
	require.NoError(t, os.Chmod(key, mode))
	return func() { require.NoError(t, os.Chmod(key, 0o600)) }
}

// releaseCA is the release CA of a render, able to issue.
func releaseCA(t *testing.T, rel *chart.Release, name string) *certs.Pair {
	t.Helper()
	s := chart.Get[*corev1.Secret](t, rel, name)
	ca, err := certs.Load(s.Data["tls.crt"], s.Data["tls.key"])
	require.NoError(t, err)
	return ca
}

func servedLeaf(t *testing.T, p *pod.Pod, secret string) *x509.Certificate {
	t.Helper()
	leaf, err := certs.Parse(chart.Get[*corev1.Secret](t, p.Release, secret).Data["tls.crt"])
	require.NoError(t, err)
	return leaf
}

// auditFault is one fault made on a running server: apply makes it and returns what undoes it;
// finding is the check that must fail, from source.
type auditFault struct {
	name            string
	apply           func(t *testing.T) (undo func())
	finding, source string
}

// proveFaults audits the running server at A with the wire checks passing, then makes each
// fault (the named check must fail and the grade drop below A), undoes it, and at the end audits
// the server back at A.
func proveFaults(t *testing.T, run func(t *testing.T) grade.Report, wire []string, faults []auditFault) {
	t.Helper()
	t.Run("without a fault it grades A, on the wire too", func(t *testing.T) {
		began := time.Now()
		r := run(t)
		t.Logf("audit of the running server: %s, grade %s (score %d)", time.Since(began).Round(time.Millisecond), r.Grade, r.Score)
		assert.Equal(t, "A", r.Grade, failures(r))
		for _, check := range wire {
			requirePass(t, r, check, audit.FromServer)
		}
		requirePass(t, r, "key-permissions", audit.FromCluster)
	})
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			undo := f.apply(t)
			r := run(t)
			undo()
			t.Logf("grade %s (score %d)", r.Grade, r.Score)
			requireFail(t, r, f.finding, f.source)
			assert.NotEqual(t, "A", r.Grade)
		})
	}
	t.Run("after the faults are undone it grades A again", func(t *testing.T) {
		r := run(t)
		assert.Equal(t, "A", r.Grade, failures(r))
	})
}

func TestAuditGradesARealPostgresAndEachFault(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	start := time.Now()
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{
		ValuesFiles: []string{"values/dev.yaml"}, ReleaseName: "audit", SetValues: map[string]string{"redis.enabled": "false"}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	t.Logf("PostgreSQL started in %s", time.Since(start).Round(time.Millisecond))
	admin := pgAdmin{t, srv}
	hba := filepath.Join(must(srv.MountPath("config")), "pg_hba.conf")
	ca := releaseCA(t, srv.Release, "audit-datastores-ca")
	leaf := servedLeaf(t, srv.Pod, "audit-postgres-app-tls")
	year := time.Now().AddDate(1, 0, 0) // certificates far from expiring: one fault at a time
	run := func(t *testing.T) grade.Report { return auditRelease(t, srv.Pod, "postgres", "audit-postgres-app") }

	reloadAfter := func(undo func()) func() {
		admin.reload()
		return func() { undo(); admin.reload() }
	}
	hbaEdit := func(old, new string) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			return reloadAfter(editFile(t, hba, func(s string) string { return strings.ReplaceAll(s, old, new) }))
		}
	}
	certificate := func(issue func() (*certs.Pair, error)) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			pair, err := issue()
			require.NoError(t, err)
			return reloadAfter(swapCertificate(t, srv.Pod, pair))
		}
	}
	proveFaults(t, run, []string{"tls-disabled", "plaintext-accepted", "tls-protocol", "cert-chain", "cert-names", "cert-expired", "auth-weak-method", "listen-localhost"}, []auditFault{
		{"ssl off", func(t *testing.T) func() {
			admin.exec("ALTER SYSTEM SET ssl = off")
			return reloadAfter(func() { admin.exec("ALTER SYSTEM RESET ssl") })
		}, "tls-disabled", audit.FromServer},
		{"a host rule before the hostnossl reject", hbaEdit("# Plaintext TCP: refused.", "host all all 0.0.0.0/0 scram-sha-256"), "plaintext-accepted", audit.FromServer},
		{"trust for TLS clients", hbaEdit("0.0.0.0/0  scram-sha-256", "0.0.0.0/0  trust"), "auth-missing", audit.FromServer},
		{"md5 in pg_hba.conf and an MD5 password", func(t *testing.T) func() {
			undoHBA := hbaEdit("0.0.0.0/0  scram-sha-256", "0.0.0.0/0  md5")(t)
			setPassword := func(encryption string) {
				admin.exec("SET password_encryption = '"+encryption+"'", fmt.Sprintf("ALTER ROLE %q PASSWORD '%s'", srv.AppUser, srv.Password))
			}
			setPassword("md5")
			return func() { setPassword("scram-sha-256"); undoHBA() }
		}, "auth-weak-method", audit.FromServer},
		{"ssl_min_protocol_version TLSv1", func(t *testing.T) func() {
			admin.exec("ALTER SYSTEM SET ssl_min_protocol_version = 'TLSv1'")
			return reloadAfter(func() { admin.exec("ALTER SYSTEM RESET ssl_min_protocol_version") })
		}, "tls-protocol", audit.FromServer},
		{"an expired certificate", certificate(func() (*certs.Pair, error) { return ca.Reissue(leaf, time.Now().Add(-time.Hour)) }), "cert-expired", audit.FromServer},
		{"a certificate for other names", certificate(func() (*certs.Pair, error) {
			other := *leaf
			other.DNSNames = []string{"db.example.com", "localhost"}
			return ca.Reissue(&other, year)
		}), "cert-names", audit.FromServer},
		{"a certificate from an unpublished CA", certificate(func() (*certs.Pair, error) {
			other, err := certs.NewCAUntil("nobody's CA", year.AddDate(1, 0, 0))
			if err != nil {
				return nil, err
			}
			return other.Reissue(leaf, year)
		}), "cert-chain", audit.FromServer},
		{"a key the group can read", func(t *testing.T) func() { return chmodKey(t, srv.Pod, 0o640) }, "key-permissions", audit.FromCluster},
	})
}

// redisAdmin is the default user over verified TLS.
func redisAdmin(t *testing.T, srv *redisserver.Server) *redis.Client {
	t.Helper()
	c, err := srv.Client(redisserver.Client{Password: srv.Password})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAuditGradesARealRedisAndEachFault(t *testing.T) {
	requireBinaries(t, redisserver.Binaries)
	start := time.Now()
	srv, err := redisserver.Start(chart.Options{ValuesFiles: []string{"values/dev.yaml"}, ReleaseName: "audit", SetValues: map[string]string{"postgres.enabled": "false"}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	t.Logf("Redis started in %s", time.Since(start).Round(time.Millisecond))
	admin := redisAdmin(t, srv)
	ca := releaseCA(t, srv.Release, "audit-datastores-ca")
	leaf := servedLeaf(t, srv.Pod, "audit-redis-tls")
	tlsDir := must(srv.MountPath("tls"))
	run := func(t *testing.T) grade.Report { return auditRelease(t, srv.Pod, "redis", "audit-redis") }
	config := func(t *testing.T, c *redis.Client, kv ...string) {
		t.Helper()
		for i := 0; i < len(kv); i += 2 {
			require.NoError(t, c.ConfigSet(t.Context(), kv[i], kv[i+1]).Err(), "CONFIG SET %s %s", kv[i], kv[i+1])
		}
	}
	reloadCertificate := func(t *testing.T) {
		config(t, admin, "tls-cert-file", filepath.Join(tlsDir, "tls.crt"), "tls-key-file", filepath.Join(tlsDir, "tls.key"))
	}

	proveFaults(t, run, []string{"tls-disabled", "plaintext-accepted", "tls-protocol", "cert-chain", "cert-names", "cert-expired", "auth-missing", "aof-disabled"}, []auditFault{
		{"a plaintext port", func(t *testing.T) func() {
			port, err := proc.FreePort()
			require.NoError(t, err)
			config(t, admin, "port", strconv.Itoa(port))
			return func() { config(t, admin, "port", "0") }
		}, "plaintext-accepted", audit.FromServer},
		{"tls-protocols with TLSv1", func(t *testing.T) func() {
			config(t, admin, "tls-protocols", "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3")
			return func() { config(t, admin, "tls-protocols", "TLSv1.2 TLSv1.3") }
		}, "tls-protocol", audit.FromServer},
		{"appendonly no", func(t *testing.T) func() {
			config(t, admin, "appendonly", "no")
			return func() {
				config(t, admin, "appendonly", "yes")
				// Turning AOF on writes the file anew; until that is done Redis refuses to stop.
				require.Eventually(t, func() bool {
					info := admin.Info(t.Context(), "persistence").Val()
					return strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0")
				}, 10*time.Second, 20*time.Millisecond)
			}
		}, "aof-disabled", audit.FromServer},
		{"a default user without a password", func(t *testing.T) func() {
			require.NoError(t, admin.Do(t.Context(), "ACL", "SETUSER", "default", "nopass").Err())
			return func() {
				require.NoError(t, admin.Do(t.Context(), "ACL", "SETUSER", "default", "resetpass", ">"+srv.Password).Err())
			}
		}, "auth-missing", audit.FromServer},
		{"no TLS, plaintext only", func(t *testing.T) func() {
			port, err := proc.FreePort()
			require.NoError(t, err)
			config(t, admin, "port", strconv.Itoa(port), "tls-port", "0")
			return func() {
				plain := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Password: srv.Password, Protocol: 2, DisableIdentity: true})
				defer plain.Close()
				config(t, plain, "tls-port", strconv.Itoa(srv.Port), "port", "0")
			}
		}, "tls-disabled", audit.FromServer},
		{"an expired certificate", func(t *testing.T) func() {
			pair, err := ca.Reissue(leaf, time.Now().Add(-time.Hour))
			require.NoError(t, err)
			undo := swapCertificate(t, srv.Pod, pair)
			reloadCertificate(t)
			return func() { undo(); reloadCertificate(t) }
		}, "cert-expired", audit.FromServer},
		{"a key others can read", func(t *testing.T) func() { return chmodKey(t, srv.Pod, 0o644) }, "key-permissions", audit.FromCluster},
	})
}

func must(path string, err error) string {
	if err != nil {
		panic(err)
	}
	return path
}

// issueFor runs `datastores certs` for a values file: the CA's Secret first, then one per server.
func issueFor(t *testing.T, values, release string) ([]dscerts.Server, []corev1.Secret, *x509.CertPool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chart.RepoRoot(), values))
	require.NoError(t, err)
	servers, err := dscerts.Servers(data, release, "datastores")
	require.NoError(t, err)
	secrets, err := dscerts.Issue(servers, dscerts.Options{Release: release, Namespace: "datastores"})
	require.NoError(t, err)
	pool, err := certs.Pool(secrets[0].Data["tls.crt"])
	require.NoError(t, err)
	return servers, secrets, pool
}

// serviceNames are the names clients may use for a server (the certificate's, without the
// pods' wildcard).
func serviceNames(s dscerts.Server) []string {
	var out []string
	for _, n := range s.DNSNames {
		if !strings.HasPrefix(n, "*.") {
			out = append(out, n)
		}
	}
	return out
}

func TestIssuedCertificatesServePostgresVerifyFullAndRenewFromTheSameCA(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	servers, secrets, pool := issueFor(t, "values/dev.yaml", "issued")
	pg := servers[0]
	require.Equal(t, "issued-postgres-app", pg.Fullname)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", TLSSecretData: secrets[1].Data, Chart: chart.Options{
		ValuesFiles: []string{"values/dev.yaml"}, ReleaseName: "issued",
		SetValues: map[string]string{"postgres.tls.source": "existingSecret", pg.Value: pg.Secret, "redis.enabled": "false"}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	connectAll := func(t *testing.T) {
		for _, name := range serviceNames(pg) {
			conn, err := srv.Connect(t.Context(), pgserver.Client{User: srv.AppUser, Password: srv.Password, Database: srv.Database, TLS: pgserver.VerifyFull(pool, name)})
			require.NoError(t, err, "verify-full as %s", name)
			conn.Close(t.Context())
		}
	}

	t.Run("verify-full connects by every Service name", connectAll)

	t.Run("the audit of the render and the Secrets grades A", func(t *testing.T) {
		var b strings.Builder
		require.NoError(t, dscerts.Write(&b, secrets))
		r := auditRelease(t, srv.Pod, "postgres", pg.Fullname, b.String())
		assert.Equal(t, "A", r.Grade, failures(r))
		requirePass(t, r, "cert-chain", audit.FromServer)
		requirePass(t, r, "cert-names", audit.FromServer)
	})

	t.Run("renew: a new certificate from the same CA, served after a reload", func(t *testing.T) {
		renewed, err := dscerts.Renew(secrets, dscerts.Options{})
		require.NoError(t, err)
		want, err := certs.Parse(renewed[1].Data["tls.crt"])
		require.NoError(t, err)
		swapCertificate(t, srv.Pod, &certs.Pair{CertPEM: renewed[1].Data["tls.crt"], KeyPEM: renewed[1].Data["tls.key"]})
		pgAdmin{t, srv}.reload()
		served, err := pgclient.ServedCertificate(t.Context(), "127.0.0.1:"+strconv.Itoa(srv.Port), pgclient.VerifyFull(pool, serviceNames(pg)[0]))
		require.NoError(t, err)
		assert.Equal(t, want.SerialNumber, served.SerialNumber, "the renewed certificate is served")
		connectAll(t)
	})
}

// startRedisWithTLSSecret runs the chart's Redis pod as redisserver does, with the TLS Secret a
// user created (tls.source existingSecret): the rendered init container, start script and
// redis.conf on Debian's redis-server.
func startRedisWithTLSSecret(t *testing.T, opts chart.Options, secret string, data map[string][]byte, pool *x509.CertPool) (port int, password string) {
	t.Helper()
	u, err := proc.Unprivileged("redis")
	require.NoError(t, err)
	port, err = proc.FreePort()
	require.NoError(t, err)
	opts.SetValues["redis.port"] = strconv.Itoa(port)
	p, err := pod.New(pod.Options{Chart: opts, Workload: "StatefulSet/" + opts.ReleaseName + "-redis", User: u, Path: "/usr/bin:/bin", Busybox: true,
		Secrets: map[string]map[string][]byte{secret: data}})
	require.NoError(t, err)
	t.Cleanup(p.Remove)
	out, err := p.PrepareTLS()
	require.NoError(t, err, out)
	creds, err := p.MountPath("credentials")
	require.NoError(t, err)
	pw, err := os.ReadFile(filepath.Join(creds, "password"))
	require.NoError(t, err)
	c, err := p.Container("redis")
	require.NoError(t, err)
	cmd := p.Command(c, p.Argv(c)...)
	d, err := proc.Start(cmd)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Stop(syscall.SIGTERM, 10*time.Second) })
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Password: string(pw), Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}})
	defer client.Close()
	require.NoError(t, d.WaitFor(20*time.Second, func() error { return client.Ping(t.Context()).Err() }))
	return port, string(pw)
}

func TestIssuedCertificatesServeRedisVerifyFull(t *testing.T) {
	requireBinaries(t, redisserver.Binaries)
	servers, secrets, pool := issueFor(t, "values/dev.yaml", "issued")
	rs := servers[1]
	require.Equal(t, "issued-redis", rs.Fullname)
	port, password := startRedisWithTLSSecret(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}, ReleaseName: "issued",
		SetValues: map[string]string{"redis.tls.source": "existingSecret", rs.Value: rs.Secret, "postgres.enabled": "false"}}, rs.Secret, secrets[2].Data, pool)
	for _, name := range serviceNames(rs) {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			TLSConfig: &tls.Config{RootCAs: pool, ServerName: name, MinVersion: tls.VersionTLS12}})
		assert.NoError(t, c.Ping(t.Context()).Err(), "verify-full as %s", name)
		c.Close()
	}
}
