package render_test

import (
	"path"
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

	assert.Contains(t, sql, `CREATE ROLE "app_user" LOGIN PASSWORD :'app_password';`)
	assert.Contains(t, sql, `ALTER DATABASE "app_db" OWNER TO "app_user";`)
	assert.Contains(t, sql, `CREATE EXTENSION IF NOT EXISTS "pgcrypto";`)
	assert.Contains(t, sql, "\\set app_password `cat /run/secrets/postgres/password`", "the password is read from the Secret file by psql")
	assert.Regexp(t, `(?s)SET log_statement = 'none';.*CREATE ROLE.*RESET log_statement;`, sql,
		"the statement carrying the password is never logged")
}
