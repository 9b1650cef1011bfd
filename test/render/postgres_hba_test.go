package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
)

func TestPostgresHbaAcceptsTCPOnlyOverTLS(t *testing.T) {
	lines := hbaLines(configFile(t, renderDev(t, nil), devInstance, "pg_hba.conf"))

	assert.Equal(t, []string{
		"local all all scram-sha-256",
		"hostnossl all all 0.0.0.0/0 reject",
		"hostnossl all all ::/0 reject",
		"hostssl all datastores_monitor 127.0.0.1/32 scram-sha-256",
		"hostssl all datastores_monitor ::1/128 scram-sha-256",
		"hostssl all datastores_monitor all reject",
		"hostssl all all 0.0.0.0/0 scram-sha-256",
		"hostssl all all ::/0 scram-sha-256",
	}, lines, "the metrics login only from inside the pod (always: the role may outlive metrics.enabled)")
	for _, l := range lines {
		assert.False(t, strings.HasPrefix(l, "host "), "a host line accepts plaintext: %q", l)
	}
}

func TestPostgresHbaRejectsPlaintextBeforeAnyAcceptRule(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.hba[0].database": "app_db", "postgres.hba[0].user": "reporting",
		"postgres.hba[0].address": "10.0.0.0/8", "postgres.hba[0].method": "scram-sha-256",
	})
	lines := hbaLines(configFile(t, rel, devInstance, "pg_hba.conf"))

	firstAccept := -1
	for n, l := range lines {
		if strings.HasPrefix(l, "hostssl") && firstAccept < 0 {
			firstAccept = n
		}
	}
	require.Positive(t, firstAccept)
	assert.Contains(t, lines[:firstAccept], "hostnossl all all 0.0.0.0/0 reject")
	assert.Contains(t, lines[:firstAccept], "hostnossl all all ::/0 reject")
}

func TestPostgresHbaExtraRulesComeBeforeTheCatchAll(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.instances.app.hba[0].database": "app_db", "postgres.instances.app.hba[0].user": "auditor",
		"postgres.instances.app.hba[0].address": "10.1.0.0/16", "postgres.instances.app.hba[0].method": "cert",
		"postgres.instances.app.hba[1].database": "all", "postgres.instances.app.hba[1].user": "app_user",
		"postgres.instances.app.hba[1].address": "0.0.0.0/0", "postgres.instances.app.hba[1].method": "reject",
	})
	lines := hbaLines(configFile(t, rel, devInstance, "pg_hba.conf"))

	require.Len(t, lines, 10)
	assert.Equal(t, "hostssl app_db auditor 10.1.0.0/16 cert", lines[6])
	assert.Equal(t, "hostssl all app_user 0.0.0.0/0 reject", lines[7])
	assert.Equal(t, "hostssl all all 0.0.0.0/0 scram-sha-256", lines[8])
}

func TestPostgresHbaClientCertificatesAddVerifyFullToThePassword(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.tls.clientCertificates": "true",
		"postgres.hba[0].database":        "all", "postgres.hba[0].user": "all",
		"postgres.hba[0].address": "10.0.0.0/8", "postgres.hba[0].method": "scram-sha-256",
	})
	lines := hbaLines(configFile(t, rel, devInstance, "pg_hba.conf"))

	assert.Contains(t, lines, "hostssl all all 10.0.0.0/8 scram-sha-256 clientcert=verify-full")
	assert.Contains(t, lines, "hostssl all all 0.0.0.0/0 scram-sha-256 clientcert=verify-full")
	assert.Contains(t, lines, "hostssl all all ::/0 scram-sha-256 clientcert=verify-full")
}

// Rules that would accept a client without TLS, or without a SCRAM password or certificate.
func TestPostgresHbaRefusesRulesThatWeakenAuthentication(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"host line", map[string]string{"postgres.hba[0].type": "host", "postgres.hba[0].method": "scram-sha-256"},
			"at '/hba/0/type': value must be 'hostssl'"},
		{"trust", map[string]string{"postgres.hba[0].method": "trust"}, "at '/hba/0/method': value must be one of 'scram-sha-256', 'cert', 'reject'"},
		{"md5", map[string]string{"postgres.hba[0].method": "md5"}, "at '/hba/0/method': value must be one of 'scram-sha-256', 'cert', 'reject'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"postgres.hba[0].database": "all", "postgres.hba[0].user": "all", "postgres.hba[0].address": "0.0.0.0/0"}
			for k, v := range tt.set {
				set[k] = v
			}
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Behind the schema, the templates refuse the same rules (helm template --skip-schema-validation).
func TestPostgresHbaTemplateRefusesNonTLSRulesWithoutTheSchema(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"host", map[string]string{"postgres.hba[0].type": "host", "postgres.hba[0].method": "scram-sha-256"},
			`postgres.hba[0].type is "host": only hostssl rules are allowed`},
		{"hostnossl", map[string]string{"postgres.hba[0].type": "hostnossl", "postgres.hba[0].method": "scram-sha-256"},
			`postgres.hba[0].type is "hostnossl": only hostssl rules are allowed`},
		{"trust", map[string]string{"postgres.hba[0].method": "trust"}, `postgres.hba[0].method is "trust": use scram-sha-256, cert or reject`},
		{"address with a space", map[string]string{"postgres.hba[0].method": "cert", "postgres.hba[0].address": "0.0.0.0/0 trust"},
			`postgres.hba[0].address is "0.0.0.0/0 trust": give a pg_hba address without spaces`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{"postgres.hba[0].database": "all", "postgres.hba[0].user": "all", "postgres.hba[0].address": "0.0.0.0/0"}
			for k, v := range tt.set {
				set[k] = v
			}
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: set, SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
