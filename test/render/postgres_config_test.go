package render_test

import (
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

func TestPostgresConfigTurnsTLSOnAndListensEverywhere(t *testing.T) {
	conf := settings(configFile(t, renderDev(t, nil), devInstance, "postgresql.conf"))

	assert.Equal(t, "on", conf["ssl"])
	assert.Equal(t, "'*'", conf["listen_addresses"], "localhost-only would hide the server from its Service")
	assert.Equal(t, "5432", conf["port"])
	assert.Equal(t, "on", conf["ssl_prefer_server_ciphers"])
}

func TestPostgresConfigStoresPasswordsAsSCRAM(t *testing.T) {
	conf := settings(configFile(t, renderDev(t, nil), devInstance, "postgresql.conf"))

	assert.Equal(t, "scram-sha-256", conf["password_encryption"])
}

func TestPostgresTLSMinimumProtocol(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"default is TLS 1.2", nil, "'TLSv1.2'"},
		{"chart-wide TLS 1.3", map[string]string{"postgres.tls.minProtocolVersion": "TLSv1.3"}, "'TLSv1.3'"},
		{"instance TLS 1.3", map[string]string{"postgres.instances.app.tls.minProtocolVersion": "TLSv1.3"}, "'TLSv1.3'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := settings(configFile(t, renderDev(t, tt.set), devInstance, "postgresql.conf"))
			assert.Equal(t, tt.want, conf["ssl_min_protocol_version"])
		})
	}
}

// The server reads its certificate where the init container writes it, under the names the
// init container gives the files: a mismatch is the "file names do not match" fault.
func TestPostgresCertificatePathsAreWhereTheInitContainerWritesThem(t *testing.T) {
	rel := renderDev(t, nil)
	conf := settings(configFile(t, rel, devInstance, "postgresql.conf"))
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	initC := container(t, sts, "prepare-tls")
	server := container(t, sts, "postgres")
	dir := env(initC)["TLS_DIR"]
	require.NotEmpty(t, dir)
	assert.Equal(t, dir, mountPath(t, initC, "tls"), "the init container writes into the tls emptyDir")
	assert.Equal(t, dir, mountPath(t, server, "tls"), "the server mounts the same emptyDir at the same path")

	for setting, file := range map[string]string{"ssl_cert_file": "tls.crt", "ssl_key_file": "tls.key", "ssl_ca_file": "ca.crt"} {
		assert.Equal(t, "'"+path.Join(dir, file)+"'", conf[setting], setting)
	}
}

func TestPostgresAuditLogging(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want map[string]string
	}{
		{"defaults", nil, map[string]string{
			"log_connections": "on", "log_disconnections": "on", "log_statement": "'ddl'",
			"log_min_duration_statement": "1000", "log_line_prefix": "'%m [%p] user=%u,db=%d,app=%a,client=%h '",
		}},
		{"every statement, slow queries at 250 ms", map[string]string{
			"postgres.audit.logStatement": "all", "postgres.audit.logMinDurationStatement": "250",
		}, map[string]string{"log_statement": "'all'", "log_min_duration_statement": "250"}},
		{"connections off for one instance", map[string]string{"postgres.instances.app.audit.logConnections": "false"},
			map[string]string{"log_connections": "off", "log_disconnections": "on"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := settings(configFile(t, renderDev(t, tt.set), devInstance, "postgresql.conf"))
			for k, v := range tt.want {
				assert.Equal(t, v, conf[k], k)
			}
		})
	}
}

func TestPostgresExtraParametersAreRendered(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.config.max_connections":                    "200",
		"postgres.config.work_mem":                           "16MB",
		"postgres.config.jit":                                "false",
		"postgres.instances.app.config.shared_buffers":       "256MB",
		"postgres.instances.app.config.statement_timeout":    "30000000",
		"postgres.instances.app.config.idle_session_timeout": "it's",
	})
	conf := settings(configFile(t, rel, devInstance, "postgresql.conf"))

	assert.Equal(t, "200", conf["max_connections"])
	assert.Equal(t, "'16MB'", conf["work_mem"])
	assert.Equal(t, "off", conf["jit"])
	assert.Equal(t, "'256MB'", conf["shared_buffers"])
	assert.Equal(t, "30000000", conf["statement_timeout"], "large numbers stay integers, not 3e+07")
	assert.Equal(t, "'it''s'", conf["idle_session_timeout"], "quotes are escaped")
}

// Each setting here would reopen a fault the chart exists to prevent; none can be overridden.
func TestPostgresManagedSettingsCannotBeOverridden(t *testing.T) {
	for _, setting := range []string{
		"ssl", "listen_addresses", "ssl_min_protocol_version", "ssl_cert_file", "ssl_key_file",
		"ssl_ca_file", "password_encryption", "hba_file", "port",
	} {
		t.Run(setting, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{
				ValuesFiles: []string{devValues},
				SetValues:   map[string]string{"postgres.instances.app.config." + setting: "off"},
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "postgres.instances.app.config."+setting+": this setting is managed by the chart")
		})
	}
}

func TestPostgresInitSQLCreatesUserDatabaseAndPgcrypto(t *testing.T) {
	sql := configFile(t, renderDev(t, nil), devInstance, "init.sql")

	assert.Contains(t, sql, `CREATE ROLE "app_user" LOGIN;`)
	assert.Contains(t, sql, `ALTER DATABASE "app_db" OWNER TO "app_user";`)
	assert.Contains(t, sql, `CREATE EXTENSION IF NOT EXISTS "pgcrypto";`)
}

// No statement the chart sends carries a password: the roles are created without one, and psql's
// \password sets it, reading it from stdin and sending a SCRAM-SHA-256 verifier it computes in a
// session that asks for SCRAM and keeps the statement out of the log and pg_stat_statements.
func TestPostgresInitSQLCarriesNoPassword(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.metrics.enabled": "true"})
	sql := configFile(t, rel, devInstance, "init.sql")
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(line, `\password `) && !strings.HasPrefix(line, "--") {
			assert.NotRegexp(t, `(?i)password\s*[:'"$]`, line, "no PASSWORD clause, no psql variable holding one")
		}
	}
	assert.NotContains(t, sql, "`", "no backquoted command reads a Secret file")
	assert.NotContains(t, sql, "/run/secrets")
	quiet := []string{"SET password_encryption = 'scram-sha-256';", "SET log_statement = 'none';", "SET log_min_duration_statement = -1;",
		"SET log_min_duration_sample = -1;", "SET log_transaction_sample_rate = 0;", "SET log_min_error_statement = 'panic';",
		"SET debug_print_parse = off;", "SET debug_print_rewritten = off;", "SET debug_print_plan = off;",
		"SET pg_stat_statements.track_utility = off;"}
	for _, role := range []string{`"app_user"`, "datastores_monitor"} {
		set := strings.Index(sql, `\password `+role+"\n")
		require.Positive(t, set, "%s gets its password from \\password", role)
		assert.Contains(t, sql, "CREATE ROLE "+role+" LOGIN;\n")
		for _, q := range quiet {
			assert.Less(t, strings.Index(sql, q), set, "%s before the verifier of %s", q, role)
		}
		assert.Greater(t, strings.Index(sql, "RESET log_statement;"), set, "logging back on after %s", role)
	}

	// The script feeds \password from the Secret files through a pipe, runs psql without a
	// terminal to read instead, and the SQL from the config volume.
	script := configFile(t, rel, devInstance, "init.sh")
	assert.True(t, strings.HasPrefix(script, "#!/bin/sh\n"))
	assert.Contains(t, script, `app="$(new_password /run/secrets/postgres/password)"`)
	assert.Contains(t, script, `monitor="$(new_password /run/secrets/postgres-monitor/password)"`)
	assert.Contains(t, script, `{ printf '%s\n%s\n' "$app" "$app"; printf '%s\n%s\n' "$monitor" "$monitor"; } |`+"\n"+
		`  setsid psql -X -v ON_ERROR_STOP=1 -h /var/run/postgresql -p 5432 -U postgres -d "app_db" -f /etc/postgresql/init.sql`)
	assert.NotRegexp(t, `echo[^\n]*\$(app|monitor)\b`, script, "printf, a builtin, alone sees the passwords")
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	var items []string
	for _, it := range volume(t, sts, "config").ConfigMap.Items {
		items = append(items, it.Key+"->"+it.Path)
	}
	assert.Contains(t, items, "init.sql->init.sql", "the SQL sits beside postgresql.conf, where the entrypoint does not run it")

	// Without metrics, one \password and one pair of lines.
	plain := renderDev(t, nil)
	assert.NotContains(t, configFile(t, plain, devInstance, "init.sql"), "datastores_monitor")
	assert.NotContains(t, configFile(t, plain, devInstance, "init.sh"), "monitor")
}

// The post-upgrade Job sets the monitoring login's password the same way: \password fed from the
// Secret file, the SQL from a file, psql without a terminal.
func TestMaintenanceJobSendsNoPassword(t *testing.T) {
	script := configFile(t, renderDev(t, map[string]string{"postgres.metrics.enabled": "true"}), "test-postgres-maintenance", "maintenance.sh")
	assert.Contains(t, script, `'\password datastores_monitor'`)
	assert.NotContains(t, script, "monitor_password")
	assert.NotRegexp(t, `(?i)PASSWORD\s*:'`, script, "no psql variable holding a password")
	assert.Contains(t, script, `password="$(new_password "$secrets/monitor-password" 2>&1)"`)
	assert.Contains(t, script, `printf '%s\n%s\n' "$password" "$password"; } |`)
	assert.Regexp(t, `\n\s+setsid psql -XAtq "host=\$host [^"]*" -f "\$sqlfile" 2>&1\)"`, script)
	assert.Regexp(t, `(?s)"SET password_encryption = 'scram-sha-256';".*"SET log_statement = 'none';".*"SET pg_stat_statements.track_utility = off;".*'\\password datastores_monitor'.*"RESET log_statement;"`, script)
}
