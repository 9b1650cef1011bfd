package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/drivers"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/redisserver"
)

// External managed mode against a real server standing in for the managed one: a server of the
// chart's own (its certificate names localhost) is "the managed database", and a second release
// that only points at it (postgres.external, redis.external) publishes the connection Secrets
// and the backup job. What the applications would do with those Secrets is done here for real.

// managed is the stand-in: the password Secret and the CA the user creates before installing.
type managed struct {
	password, ca []byte
}

func (m managed) objects() []runtime.Object {
	secret := func(name string, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "datastores"}, Data: data}
	}
	return []runtime.Object{secret("managed-password", map[string][]byte{"password": m.password}), secret("managed-ca", map[string][]byte{"ca.crt": m.ca})}
}

// externalRelease renders a release whose only PostgreSQL is srv, named as external "managed"
// with the URL's sslmode, and returns it with the CA file its connection strings name.
func externalRelease(t *testing.T, srv *pgserver.Server, m managed, sslmode string, set map[string]string) (*chart.Release, string) {
	t.Helper()
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	values := map[string]string{
		"global.connection.caFile":                      caFile,
		"postgres.external.managed.url":                 fmt.Sprintf("postgresql://app_user@localhost:%d/app_db?sslmode=%s", srv.Port, sslmode),
		"postgres.external.managed.existingSecret.name": "managed-password",
		"postgres.external.managed.ca.secret.name":      "managed-ca",
		"postgres.backup.enabled":                       "true",
		"postgres.backup.storage.size":                  "1Gi",
	}
	for k, v := range set {
		values[k] = v
	}
	rel := chart.Render(t, chart.Options{ReleaseName: "ext", Existing: m.objects(), SetValues: values})
	return rel, caFile
}

// psqlWith connects with the Secret's uri, its ca.crt mounted where the uri says.
func psqlWith(t *testing.T, srv *pgserver.Server, secret *corev1.Secret, caFile string) (string, error) {
	t.Helper()
	if len(secret.Data["ca.crt"]) > 0 {
		require.NoError(t, os.WriteFile(caFile, secret.Data["ca.crt"], 0o644))
	}
	env, err := drivers.New(t.TempDir())
	require.NoError(t, err)
	return env.Run(filepath.Join(srv.Bin(), "psql"), string(secret.Data["uri"]), "-XAtc", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
}

func standIn(t *testing.T) *pgserver.Server {
	t.Helper()
	requireBinaries(t, pgserver.Binaries)
	requireDrivers(t)
	srv, err := shared("postgres/external-stand-in", func() (*pgserver.Server, error) {
		return pgserver.Start(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"}}})
	})
	require.NoError(t, err)
	return srv
}

// A URL asking for sslmode=require is published as verify-full, and the published uri connects
// over TLS with the server verified by the CA the values name.
func TestExternalPostgresWeakSslmodeIsPublishedAsVerifyFull(t *testing.T) {
	t.Parallel()
	srv := standIn(t)
	rel, caFile := externalRelease(t, srv, managed{[]byte(srv.Password), srv.CA}, "require", nil)
	secret := chart.Get[*corev1.Secret](t, rel, "ext-postgres-managed-auth")
	assert.Equal(t, "verify-full", string(secret.Data["sslmode"]))
	assert.Contains(t, string(secret.Data["uri"]), "sslmode=verify-full")

	out, err := psqlWith(t, srv, secret, caFile)
	require.NoError(t, err, out)
	assert.Equal(t, "t", out)
}

// The managed server's certificate does not chain to the CA the values name: the published
// connection refuses it. With tlsEnforce: false the weak mode stays as written and the release
// says so; libpq happens to still check the chain (require with a root certificate file behaves
// as verify-ca), but not the name, and drivers that do not read sslrootcert check nothing.
func TestExternalPostgresForeignCAIsRefusedUnlessTLSEnforcementIsOff(t *testing.T) {
	t.Parallel()
	srv := standIn(t)
	other, err := certs.NewCA("not the managed server's CA")
	require.NoError(t, err)
	m := managed{[]byte(srv.Password), other.CertPEM}

	rel, caFile := externalRelease(t, srv, m, "require", nil)
	out, err := psqlWith(t, srv, chart.Get[*corev1.Secret](t, rel, "ext-postgres-managed-auth"), caFile)
	require.Error(t, err, out)
	assert.Regexp(t, refused, out)

	weak, caFile := externalRelease(t, srv, m, "require", map[string]string{"postgres.external.managed.tlsEnforce": "false"})
	secret := chart.Get[*corev1.Secret](t, weak, "ext-postgres-managed-auth")
	assert.Equal(t, "require", string(secret.Data["sslmode"]))
	assert.NotContains(t, string(secret.Data["uri"]), "verify-full")
	assert.Contains(t, secret.Annotations["datastores.io/tls-enforce"], "sslmode=require as written")
	assert.Contains(t, weak.Notes, "WARNING: postgres.external.managed.tlsEnforce is false")
}

// The backup job of the external release dumps the managed database over verify-full, with the
// password and CA from the user's Secrets, and the dump is a pg_dump archive.
func TestExternalPostgresIsBackedUp(t *testing.T) {
	t.Parallel()
	srv := standIn(t)
	m := managed{[]byte(srv.Password), srv.CA}
	rel, _ := externalRelease(t, srv, m, "prefer", nil)
	secrets := map[string]map[string][]byte{}
	for _, o := range m.objects() {
		s := o.(*corev1.Secret)
		secrets[s.Name] = s.Data
	}
	job, err := pod.New(pod.Options{Release: rel, Workload: "CronJob/ext-postgres-backup", User: srv.Pod.User, Secrets: secrets,
		Path: srv.Bin() + ":/usr/bin:/bin", Busybox: true})
	require.NoError(t, err)
	t.Cleanup(job.Remove)

	out, err := pgserver.RunJob(job)
	require.NoError(t, err, out)
	assert.Contains(t, out, "managed: wrote managed/managed_app_db_")
	dir, err := job.MountPath("backups")
	require.NoError(t, err)
	entries, err := os.ReadDir(filepath.Join(dir, "managed"))
	require.NoError(t, err)
	var dump string
	for _, e := range entries {
		if filepath.Ext(e.Name()) == ".dump" {
			dump = e.Name()
		}
	}
	require.NotEmpty(t, dump, out)
	data, err := os.ReadFile(filepath.Join(dir, "managed", dump))
	require.NoError(t, err)
	list, err := pgRestoreList(t, data)
	require.NoError(t, err, list)
	assert.Contains(t, list, "EXTENSION - pgcrypto")
}

// A managed Redis: the published url, with the CA the values name, reaches the stand-in with
// go-redis over verified TLS; another CA is refused.
func TestExternalRedisURLConnectsWithVerification(t *testing.T) {
	t.Parallel()
	requireBinaries(t, redisserver.Binaries)
	srv := redisServer(t, "defaults", nil)
	render := func(ca []byte) *corev1.Secret {
		m := managed{[]byte(srv.Password), ca}
		rel := chart.Render(t, chart.Options{ReleaseName: "ext", Existing: m.objects(), SetValues: map[string]string{
			"redis.enabled": "true", "postgres.enabled": "false",
			"redis.external.enabled":             "true",
			"redis.external.url":                 fmt.Sprintf("rediss://localhost:%d/0", srv.Port),
			"redis.external.existingSecret.name": "managed-password",
			"redis.external.ca.secret.name":      "managed-ca",
		}})
		return chart.Get[*corev1.Secret](t, rel, "ext-redis-auth")
	}
	secret := render(srv.CA)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(caFile, secret.Data["ca.crt"], 0o644))
	out, err := goRedis(t.Context(), string(secret.Data["url"]), caFile)
	require.NoError(t, err, out)
	assert.Equal(t, "ping=PONG", out)

	other, err := certs.NewCA("not the managed server's CA")
	require.NoError(t, err)
	foreign := render(other.CertPEM)
	require.NoError(t, os.WriteFile(caFile, foreign.Data["ca.crt"], 0o644))
	out, err = goRedis(t.Context(), string(foreign.Data["url"]), caFile)
	require.Error(t, err, out)
	assert.Regexp(t, refused, err.Error())
}
