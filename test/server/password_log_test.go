package server_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgserver"
	"github.com/datastores/datastores/test/harness/pod"
)

// Every setting that writes a statement to the server log, at its loudest: what the server's
// configuration can say (audit values and postgres.config, all accepted by the chart) and what a
// PGOPTIONS in the init step's environment can say for the session (the chart refuses it in
// extraEnv; here it stands for whatever reaches the session anyway). PostgreSQL 15 knows them all.
var loudestLogging = map[string]string{
	"log_min_duration_sample":           "0",
	"log_statement_sample_rate":         "1",
	"log_transaction_sample_rate":       "1",
	"debug_print_parse":                 "true",
	"debug_print_rewritten":             "true",
	"debug_print_plan":                  "true",
	"log_parameter_max_length":          "-1",
	"log_parameter_max_length_on_error": "-1",
	"log_min_error_statement":           "debug5",
	"log_error_verbosity":               "verbose",
}

// loudestPGOPTIONS sets the same for the session, and asks for MD5 verifiers besides.
func loudestPGOPTIONS() string {
	opts := []string{"-c log_statement=all", "-c log_min_duration_statement=0", "-c password_encryption=md5"}
	for k, v := range loudestLogging {
		opts = append(opts, "-c "+k+"="+strings.NewReplacer("true", "on").Replace(v))
	}
	return "PGOPTIONS=" + strings.Join(opts, " ")
}

// The application user's, the monitoring login's and the superuser's passwords never reach the
// server log, nor pg_stat_statements, however loud the logging: the chart's SQL carries no
// password (psql's \password sends SCRAM-SHA-256 verifiers it computes), both at the first start
// and in the post-upgrade Job. The log read is everything the container prints: the entrypoint's
// initdb and init scripts, then the server.
func TestPasswordsNeverReachTheServerLogWithEveryLoggingSettingOn(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	set := map[string]string{
		"postgres.audit.logStatement":            "all",
		"postgres.audit.logMinDurationStatement": "0",
		"postgres.metrics.enabled":               "true",
		"postgres.extensions":                    "{pgcrypto,pg_stat_statements}",
		"postgres.initdb.scriptsConfigMap":       "app-schema",
	}
	for k, v := range loudestLogging {
		set["postgres.config."+k] = v
	}
	pgoptions := loudestPGOPTIONS()
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", InitEnv: []string{pgoptions},
		Chart:      chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: set},
		ConfigMaps: map[string]map[string]string{"app-schema": {"20-schema.sql": "CREATE TABLE after_the_chart (id int);"}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	secret, ok := srv.Secret(srv.Fullname + "-monitor")
	require.True(t, ok)
	monitorPassword := string(secret.Data["password"])
	require.NotEmpty(t, monitorPassword)

	// The PGOPTIONS reached the init step's sessions (it would have made MD5 verifiers).
	out, err := srv.SuperuserPsql(srv.Database, "-XAtc", "SHOW password_encryption")
	require.NoError(t, err, out)
	require.Equal(t, "md5", strings.TrimSpace(out), "the init step's sessions take PGOPTIONS")

	admin, err := srv.Connect(ctx(t), srv.AsAdmin(caPool(t, srv)))
	require.NoError(t, err)
	defer admin.Close(ctx(t))
	verifiers := func() map[string]string {
		t.Helper()
		rows, err := admin.Query(ctx(t), `SELECT rolname, coalesce(rolpassword, '') FROM pg_authid WHERE rolname IN ($1, 'datastores_monitor')`, srv.AppUser)
		require.NoError(t, err)
		out := map[string]string{}
		for rows.Next() {
			var name, verifier string
			require.NoError(t, rows.Scan(&name, &verifier))
			out[name] = verifier
		}
		require.NoError(t, rows.Err())
		return out
	}
	for _, role := range []string{srv.AppUser, "datastores_monitor"} {
		assert.Regexp(t, `^SCRAM-SHA-256\$4096:`, verifiers()[role], "%s: a SCRAM-SHA-256 verifier, whatever PGOPTIONS asked for", role)
	}
	var userScript bool
	require.NoError(t, admin.QueryRow(ctx(t), "SELECT to_regclass('after_the_chart') IS NOT NULL").Scan(&userScript))
	assert.True(t, userScript, "the user's init script ran after the chart's")

	// The post-upgrade Job sets the monitoring login's password again, with the same PGOPTIONS.
	_, err = admin.Exec(ctx(t), "ALTER ROLE datastores_monitor PASSWORD NULL")
	require.NoError(t, err)
	job := maintenanceJob(t, srv, set, pgoptions)
	jobOut, err := pgserver.RunJob(job)
	require.NoError(t, err, jobOut)
	assert.Contains(t, jobOut, "maintenance: app/app_db: extensions pgcrypto,pg_stat_statements, monitoring login")
	assert.NotContains(t, jobOut, monitorPassword)
	assert.Regexp(t, `^SCRAM-SHA-256\$4096:`, verifiers()["datastores_monitor"], "the Job's verifier")

	// Both logins work over verified TLS with the passwords of their Secrets.
	monitor := srv.AsApp(caPool(t, srv))
	monitor.User, monitor.Password = "datastores_monitor", monitorPassword
	for _, c := range []pgserver.Client{srv.AsApp(caPool(t, srv)), monitor} {
		conn, err := srv.Connect(ctx(t), c)
		if assert.NoError(t, err, "%s logs in", c.User) {
			conn.Close(ctx(t))
		}
	}

	// pg_stat_statements (readable by pg_monitor) kept neither a password nor a verifier.
	rows, err := admin.Query(ctx(t), "SELECT query FROM pg_stat_statements")
	require.NoError(t, err)
	var statements []string
	for rows.Next() {
		var q string
		require.NoError(t, rows.Scan(&q))
		statements = append(statements, q)
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, statements)
	kept := strings.Join(statements, "\n")
	for name, secret := range map[string]string{"the application user's password": srv.Password, "the monitoring password": monitorPassword,
		"the superuser's password": srv.AdminPassword, "a verifier": "SCRAM-SHA-256$"} {
		assert.NotContains(t, kept, secret, "pg_stat_statements holds %s", name)
	}

	log := srv.Log()
	// The log is the container's whole output, and the logging really was at its loudest.
	require.Contains(t, log, "The files belonging to this database system", "initdb's output")
	require.Contains(t, log, "database system is ready to accept connections")
	assert.Contains(t, log, "datastores-init: creating app_user and datastores_monitor", "the init script's output")
	assert.Contains(t, log, `statement: ALTER DATABASE "app_db" OWNER TO "app_user"`, "the init session's statements are logged")
	assert.Contains(t, log, "parse tree:", "debug_print_parse")
	assert.Contains(t, log, "statement: GRANT pg_monitor TO datastores_monitor", "the Job's statements are logged")
	for name, secret := range map[string]string{"the application user's password": srv.Password, "the monitoring password": monitorPassword,
		"the superuser's password": srv.AdminPassword, "a verifier": "SCRAM-SHA-256$"} {
		assert.Empty(t, linesWith(log, secret), "the log holds %s", name)
	}
}

// linesWith are the lines of text that contain s.
func linesWith(text, s string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// maintenanceJob lays out the post-upgrade Job of a second render of the server's release (same
// passwords and CA, found by lookup), with extra in its environment.
func maintenanceJob(t *testing.T, srv *pgserver.Server, set map[string]string, extra ...string) *pod.Pod {
	t.Helper()
	var existing []runtime.Object
	for _, s := range chart.All[*corev1.Secret](srv.Release) {
		existing = append(existing, s)
	}
	values := map[string]string{"postgres.port": strconv.Itoa(srv.Port)}
	for k, v := range set {
		values[k] = v
	}
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}, Existing: existing, IsUpgrade: true, SetValues: values})
	job, err := pod.New(pod.Options{Release: rel, Workload: "Job/test-postgres-maintenance", User: srv.Pod.User,
		Path: srv.Bin() + ":/usr/bin:/bin", Env: append([]string{"PGHOSTADDR=127.0.0.1"}, extra...), Busybox: true})
	require.NoError(t, err)
	t.Cleanup(job.Remove)
	return job
}

// psql's \password asks /dev/tty for the password whenever it can open it. A container started
// with a terminal (docker run -it, kubectl run -it) has one, where psql would wait for ever; the
// init script runs psql without it (setsid), so the passwords still come from the Secret files.
func TestInitSetsPasswordsWithATerminalAttached(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	srv, err := pgserver.Start(pgserver.Options{Instance: "app", InitTerminal: true,
		Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"},
			SetValues: map[string]string{"postgres.metrics.enabled": "true", "postgres.initdb.scriptsConfigMap": "app-schema"}},
		// Sourced by the entrypoint after the chart's script: is there a terminal to read?
		ConfigMaps: map[string]map[string]string{"app-schema": {"20-terminal.sh": `if sh -c ': </dev/tty' 2>/dev/null; then echo "20-terminal.sh: a terminal is attached"; fi`}}})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	require.Contains(t, srv.Log(), "20-terminal.sh: a terminal is attached")

	secret, ok := srv.Secret(srv.Fullname + "-monitor")
	require.True(t, ok)
	monitor := srv.AsApp(caPool(t, srv))
	monitor.User, monitor.Password = "datastores_monitor", string(secret.Data["password"])
	for _, c := range []pgserver.Client{srv.AsApp(caPool(t, srv)), monitor} {
		conn, err := srv.Connect(ctx(t), c)
		if assert.NoError(t, err, "%s logs in with the password of its Secret", c.User) {
			conn.Close(ctx(t))
		}
	}
}

// Where \password would not read the Secret file as it should, the init script stops with a
// message before psql runs.
func TestInitScriptRefusesWhatWouldSetAWrongPassword(t *testing.T) {
	requireBinaries(t, pgserver.Binaries)
	bb, err := pod.Busybox()
	require.NoError(t, err)
	// A PATH with a shell and cat, and no setsid.
	bare := t.TempDir()
	require.NoError(t, os.Chmod(bare, 0o755))
	for _, applet := range []string{"sh", "cat"} {
		require.NoError(t, os.Symlink(filepath.Join(bb, applet), filepath.Join(bare, applet)))
	}
	tests := []struct {
		name     string
		password string
		path     string
		want     string
	}{
		{"no setsid in the image", "s3cret", bare, "datastores-init: setsid is missing from the image; without it psql's \\password would read a terminal instead of the Secret file"},
		{"a password of two lines", "first\nsecond", "", "datastores-init: /run/secrets/postgres/password holds a line break; give a password of one line"},
		{"an empty password", "\n", "", "datastores-init: /run/secrets/postgres/password is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := pgserver.Prepare(pgserver.Options{Instance: "app", Chart: chart.Options{ValuesFiles: []string{"values/dev.yaml"},
				SetValues: map[string]string{"postgres.auth.existingSecret": "app-credentials"}},
				Secrets: map[string]map[string][]byte{"app-credentials": {"password": []byte(tt.password), "postgres-password": []byte("admin")}}})
			require.NoError(t, err)
			t.Cleanup(p.Remove)
			c, err := p.Container("postgres")
			require.NoError(t, err)
			initdb, err := p.MountPath("initdb")
			require.NoError(t, err)
			cmd := p.Command(c, p.Shell(), filepath.Join(initdb, "10-datastores-init.sh"))
			if tt.path != "" {
				cmd.Env = append(cmd.Env, "PATH="+tt.path)
			}
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "%s", out)
			assert.Contains(t, string(out), strings.ReplaceAll(tt.want, "/run/secrets/postgres", p.Layout.HostPath("/run/secrets/postgres")))
			assert.NotContains(t, string(out), "Enter new password", "it stops before psql")
			assert.NotContains(t, string(out), "second")
		})
	}
}
