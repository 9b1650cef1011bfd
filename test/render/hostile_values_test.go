package render_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/invariants"
)

// A hostile values file, merged over values/dev.yaml. Either the chart refuses it with a message
// that names refusedAt, or it renders objects the API server accepts (RenderE checks that) that
// keep every promise (invariants.Check, on the parsed configuration files). Both with the schema,
// as `helm install` renders, and without it (--skip-schema-validation, tools that ignore
// schemas): the templates refuse on their own what the schema refuses first.
type hostile struct {
	name      string
	values    string
	refusedAt string // the dotted key (or text) a refusal names; empty: the render must succeed
	release   string
	namespace string
	// schemaOnly: a chart-wide default that every instance overrides is refused by the schema;
	// the templates never read it, so without the schema the render must simply keep its promises.
	schemaOnly bool
}

func TestHostileValues(t *testing.T) {
	var cases []hostile
	cases = append(cases, injectionCases()...)
	cases = append(cases, weakeningCases()...)
	cases = append(cases, collisionCases()...)
	cases = append(cases, manifestCases()...)
	cases = append(cases, crashCases()...)
	cases = append(cases, combinationCases()...)
	cases = append(cases, passThroughCases()...)
	cases = append(cases, secondPassCases()...)
	require.GreaterOrEqual(t, len(cases), 150)
	seen := map[string]bool{}
	for _, c := range cases {
		require.False(t, seen[c.name], "two cases named %q", c.name)
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			checkHostile(t, c)
		})
	}
}

func checkHostile(t *testing.T, c hostile) {
	t.Helper()
	for _, skip := range []bool{false, true} {
		rel, err := chart.RenderE(chart.Options{
			ValuesFiles: []string{devValues, chart.ValuesFile(t, c.values)}, ReleaseName: c.release,
			Namespace: c.namespace, SkipSchemaValidation: skip,
		})
		how := map[bool]string{false: "with the schema", true: "without the schema"}[skip]
		if c.refusedAt == "" || (skip && c.schemaOnly) {
			require.NoError(t, err, how)
			require.NoError(t, invariants.Check(rel), how)
			continue
		}
		require.Error(t, err, "%s: rendered, want a refusal naming %s", how, c.refusedAt)
		assert.True(t, namesKey(err.Error(), c.refusedAt), "%s: the message does not name %s:\n%v", how, c.refusedAt, err)
		assert.NotContains(t, err.Error(), "nil pointer", how)
		assert.NotContains(t, err.Error(), "the render would not be accepted", "%s: refused by the API checks, not by the chart", how)
	}
}

// namesKey: the message names key as the templates write it (postgres.instances.app.user) or as
// the schema does ('/instances/app/user' of the subchart, '/global/...' of the umbrella).
func namesKey(msg, key string) bool {
	if strings.Contains(msg, key) {
		return true
	}
	slashed := strings.NewReplacer(".", "/", "[", "/", "]", "").Replace(key)
	if rest, ok := strings.CutPrefix(slashed, "global/"); ok {
		return strings.Contains(msg, "'/global/"+rest)
	}
	if _, rest, ok := strings.Cut(slashed, "/"); ok {
		return strings.Contains(msg, "at '/"+rest+"'") || strings.Contains(msg, "at '/"+rest+"/")
	}
	return false
}

// at writes value at a dotted path as YAML: at("postgres.audit.logLinePrefix", "x").
func at(path string, value any, more ...any) string {
	root := map[string]any{}
	set := func(path string, value any) {
		m := root
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = value
	}
	set(path, value)
	for i := 0; i+1 < len(more); i += 2 {
		set(more[i].(string), more[i+1])
	}
	// JSON is YAML, and escapes every control character a payload may hold.
	out, err := json.Marshal(root)
	if err != nil {
		panic(err)
	}
	return string(out)
}

// Payloads that would add a line, a field or a command where a value is pasted unquoted.
var payloads = []struct{ name, value string }{
	{"a line break adding a field", "x\nhostNetwork: true"},
	{"a double quote", `x" y`},
	{"a quote and a setting", "x' ssl = off"},
	{"a shell expansion", "$(id)"},
}

// Every string that reaches a manifest, a Secret reference or a script, with the values that
// make it reachable.
func injectionCases() []hostile {
	fields := []struct {
		key   string
		extra []any
	}{
		{"postgres.priorityClassName", nil},
		{"postgres.persistence.existingClaim", nil},
		{"postgres.persistence.storageClass", nil},
		{"postgres.instances.app.persistence.size", nil},
		{"postgres.tls.existingSecret.name", []any{"postgres.tls.source", "existingSecret"}},
		{"postgres.tls.existingSecret.keys.certificate", []any{"postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"}},
		{"postgres.tls.existingSecret.keys.privateKey", []any{"postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"}},
		{"postgres.tls.existingSecret.keys.ca", []any{"postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"}},
		{"postgres.tls.certManager.issuerRef.name", []any{"postgres.tls.source", "certManager"}},
		{"postgres.tls.certManager.issuerRef.kind", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
		{"postgres.tls.certManager.issuerRef.group", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
		{"postgres.tls.certManager.duration", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
		{"postgres.tls.certManager.renewBefore", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
		{"postgres.auth.existingSecret", nil},
		{"postgres.auth.existingSuperuserSecret", nil},
		{"postgres.auth.userPasswordKey", nil},
		{"postgres.auth.adminPasswordKey", nil},
		{"postgres.image.registry", nil},
		{"postgres.image.repository", nil},
		{"postgres.image.tag", nil},
		{"postgres.image.pullPolicy", nil},
		{"postgres.fullnameOverride", nil},
		{"postgres.backup.schedule", []any{"postgres.backup.enabled", true}},
		{"postgres.backup.timeZone", []any{"postgres.backup.enabled", true}},
		{"postgres.backup.compression", []any{"postgres.backup.enabled", true}},
		{"postgres.backup.storage.existingClaim", []any{"postgres.backup.enabled", true}},
		{"postgres.backup.image.tag", []any{"postgres.backup.enabled", true}},
		{"postgres.backup.verify.schedule", []any{"postgres.backup.enabled", true, "postgres.backup.verify.enabled", true}},
		{"postgres.backup.verify.scratchSizeLimit", []any{"postgres.backup.enabled", true, "postgres.backup.verify.enabled", true}},
		{"postgres.backup.verify.identitySecret", []any{"postgres.backup.enabled", true, "postgres.backup.verify.enabled", true}},
		{"redis.priorityClassName", nil},
		{"redis.persistence.existingClaim", nil},
		{"redis.persistence.save", nil},
		{"redis.auth.passwordKey", nil},
		{"redis.tls.existingSecret.keys.privateKey", []any{"redis.tls.source", "existingSecret", "redis.tls.existingSecret.name", "t"}},
		{"redis.image.repository", nil},
		{"global.imageRegistry", nil},
		{"global.clusterDomain", nil},
	}
	var out []hostile
	for _, f := range fields {
		for _, p := range payloads {
			out = append(out, hostile{name: f.key + " with " + p.name, values: at(f.key, p.value, f.extra...), refusedAt: f.key})
		}
	}
	// Values that are quoted for their file: every payload but a line break renders, as the
	// literal text (the server tier reads them back from a running server).
	for _, key := range []string{"postgres.audit.logLinePrefix", "postgres.config.cluster_name", "postgres.instances.app.config.application_name"} {
		for _, p := range payloads {
			c := hostile{name: key + " with " + p.name, values: at(key, p.value)}
			if strings.Contains(p.value, "\n") {
				c.refusedAt = key
			}
			out = append(out, c)
		}
		out = append(out,
			hostile{name: key + " ending in a backslash", values: at(key, `x\`)},
			hostile{name: key + " with a carriage return", values: at(key, "x\rssl = off"), refusedAt: key},
		)
	}
	return append(out,
		hostile{"an ACL rule with a shell expansion", "redis: {auth: {users: [{name: app, rules: '~* +@all $(reboot)'}]}}", "redis.auth.users[0].rules", "", "", false},
		hostile{"an ACL rule with backquotes", "redis: {auth: {users: [{name: app, rules: '~* `id`'}]}}", "redis.auth.users[0].rules", "", "", false},
		hostile{"an ACL rule with a double quote", `redis: {auth: {users: [{name: app, rules: '~* " >x'}]}}`, "redis.auth.users[0].rules", "", "", false},
		hostile{"an ACL rule with a line break", "redis: {auth: {users: [{name: app, rules: \"~*\\nuser evil on nopass +@all\"}]}}", "redis.auth.users[0].rules", "", "", false},
		hostile{"an hba address with a line break", "postgres: {hba: [{database: all, user: all, address: \"0.0.0.0/0 cert\\nhost all all 0.0.0.0/0 trust\", method: cert}]}", "postgres.hba[0].address", "", "", false},
		hostile{"an hba database including a file", "postgres: {hba: [{database: '@/etc/passwd', user: all, address: 0.0.0.0/0, method: cert}]}", "postgres.hba[0].database", "", "", false},
		hostile{"an hba user in quotes", `postgres: {hba: [{database: all, user: '"all"', address: 0.0.0.0/0, method: cert}]}`, "postgres.hba[0].user", "", "", false},
		hostile{"a pull secret with a line break", "global: {imagePullSecrets: [\"a\\nb: c\"]}", "imagePullSecrets[0]", "", "", false},
		hostile{"a pull secret map with a bad name", "postgres: {imagePullSecrets: [{name: 'a b'}]}", "imagePullSecrets[0]", "", "", false},
		hostile{"a Secret key that climbs out of the volume", at("postgres.tls.existingSecret.keys.ca", "../../etc/ssl/ca.crt", "postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"), "postgres.tls.existingSecret.keys.ca", "", "", false},
		hostile{"a Secret key that is the volume's parent", at("postgres.tls.existingSecret.keys.ca", "..", "postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"), "postgres.tls.existingSecret.keys.ca", "", "", false},
	)
}

// Free-form configuration that would weaken TLS, open a listener, or read other files.
func weakeningCases() []hostile {
	var out []hostile
	pg := []struct{ key, value string }{
		{"ssl_ciphers", "eNULL:@SECLEVEL=0"}, {"ssl_max_protocol_version", "TLSv1.1"}, {"ssl", "off"},
		{"include", "/etc/passwd"}, {"include_dir", "/tmp"}, {"include_if_exists", "/tmp/x.conf"},
		{"listen_addresses", "localhost"}, {"hba_file", "/tmp/hba"}, {"password_encryption", "md5"},
		{"ssl_min_protocol_version", "TLSv1"}, {"ssl_prefer_server_ciphers", "off"}, {"log_statement", "none"},
		{"log_line_prefix", "x"}, {"logging_collector", "on"}, {"ssl_key_file", "/tmp/k"}, {"port", "5433"},
		{"unix_socket_directories", "/tmp"}, {"ssl_passphrase_command", "echo x"},
	}
	for _, p := range pg {
		out = append(out, hostile{name: "postgres.config." + p.key, values: at("postgres.config."+p.key, p.value), refusedAt: "postgres.config." + p.key})
	}
	out = append(out,
		hostile{"an instance's own ssl off", at("postgres.instances.app.config.ssl", false), "postgres.instances.app.config.ssl", "", "", false},
		hostile{"a parameter in capitals", at("postgres.config.SSL", "off"), "postgres.config", "", "", false},
		hostile{"a parameter name with a space", `postgres: {config: {"ssl = off #": "x"}}`, "postgres.config", "", "", false},
		hostile{"a parameter whose value is a map", at("postgres.config.work_mem", map[string]any{"a": 1}), "postgres.config.work_mem", "", "", false},
		hostile{"a maximum below the minimum", at("postgres.config.ssl_max_protocol_version", "TLSv1.2", "postgres.tls.minProtocolVersion", "TLSv1.3"), "postgres.config.ssl_max_protocol_version", "", "", false},
		hostile{"a maximum at the minimum", at("postgres.config.ssl_max_protocol_version", "TLSv1.3", "postgres.tls.minProtocolVersion", "TLSv1.3"), "", "", "", false},
		hostile{"ordinary parameters", at("postgres.config.shared_buffers", "128MB", "postgres.config.max_connections", 200, "postgres.config.jit", false), "", "", "", false},
		hostile{"PGOPTIONS in extraEnv", at("postgres.extraEnv", []map[string]any{{"name": "PGOPTIONS", "value": "-c log_statement=all -c log_min_duration_statement=0"}}), "postgres.extraEnv[0].name", "", "", false},
		hostile{"POSTGRES_HOST_AUTH_METHOD in extraEnv", at("postgres.instances.app.extraEnv", []map[string]any{{"name": "POSTGRES_HOST_AUTH_METHOD", "value": "trust"}}), "postgres.instances.app.extraEnv[0].name", "", "", false},
		hostile{"an hba rule without TLS", "postgres: {hba: [{type: host, database: all, user: all, address: 0.0.0.0/0, method: scram-sha-256}]}", "postgres.hba[0].type", "", "", false},
		hostile{"an hba rule with trust", "postgres: {hba: [{database: all, user: all, address: 0.0.0.0/0, method: trust}]}", "postgres.hba[0].method", "", "", false},
		hostile{"an hba rule with md5", "postgres: {hba: [{database: all, user: all, address: 0.0.0.0/0, method: md5}]}", "postgres.hba[0].method", "", "", false},
		hostile{"an hba rule with ident", "postgres: {hba: [{database: all, user: all, address: 0.0.0.0/0, method: ident}]}", "postgres.hba[0].method", "", "", false},
		hostile{"an hba certificate rule", "postgres: {hba: [{database: app_db, user: app_user, address: 10.0.0.0/8, method: cert}]}", "", "", "", false},
		hostile{"TLS 1.1 for Redis", at("redis.tls.protocols", "TLSv1.1 TLSv1.2"), "redis.tls.protocols", "", "", false},
		hostile{"an unknown client-certificate mode", at("redis.tls.authClients", "maybe"), "redis.tls.authClients", "", "", false},
		hostile{"no fsync", at("redis.persistence.appendfsync", "no"), "redis.persistence.appendfsync", "", "", false},
		hostile{"a save line that is not pairs", at("redis.persistence.save", "3600"), "redis.persistence.save", "", "", false},
		hostile{"no snapshots", at("redis.persistence.save", ""), "", "", "", false},
	)
	redis := []struct{ key, value string }{
		{"cluster-enabled", "yes"}, {"unixsocket", "/tmp/redis.sock"}, {"unixsocketperm", "777"},
		{"replicaof", "evil.example.com 6379"}, {"slaveof", "evil.example.com 6379"}, {"tls-ciphers", "eNULL"},
		{"tls-ciphersuites", "TLS_AES_128_GCM_SHA256"}, {"loadmodule", "/tmp/evil.so"}, {"enable-debug-command", "yes"},
		{"enable-protected-configs", "yes"}, {"enable-module-command", "yes"}, {"rename-command", "CONFIG x"},
		{"include", "/tmp/x.conf"}, {"port", "6380"}, {"bind", "127.0.0.1"}, {"requirepass", "x"},
		{"tls-port", "6380"}, {"protected-mode", "no"}, {"user", "evil on nopass +@all"}, {"aclfile", "/tmp/acl"},
		{"tls-auth-clients", "no"}, {"masteruser", "x"}, {"daemonize", "yes"}, {"acl-pubsub-default", "allchannels"},
		{"tls-key-file-pass", "x"}, {"save", "1 1"},
	}
	for _, r := range redis {
		out = append(out, hostile{name: "redis.config." + r.key, values: at("redis.config."+r.key, r.value), refusedAt: "redis.config." + r.key})
	}
	out = append(out,
		hostile{"a directive in capitals", at("redis.config.PORT", "6380"), "redis.config", "", "", false},
		hostile{"a directive value with a single quote", at("redis.config.maxmemory-policy", "allkeys-lru'"), "redis.config.maxmemory-policy", "", "", false},
		hostile{"a directive value with a backslash", at("redis.config.maxmemory-policy", `allkeys-lru\`), "redis.config.maxmemory-policy", "", "", false},
		hostile{"ordinary directives", at("redis.config.maxmemory", "256mb", "redis.config.maxmemory-policy", "allkeys-lru", "redis.config.lazyfree-lazy-eviction", true), "", "", "", false},
	)
	for _, rule := range []string{"NOPASS", "NoPass", "~* +@all nopass", "On", "OFF", "RESET", "ResetPass", ">password", "<password", "#abcd", "!abcd"} {
		out = append(out, hostile{name: "the ACL rule " + rule, values: fmt.Sprintf("redis: {auth: {users: [{name: app, rules: %q}]}}", "~* "+rule), refusedAt: "redis.auth.users[0].rules"})
	}
	return append(out, hostile{"ordinary ACL rules", "redis: {auth: {users: [{name: app, rules: '~cache:* +@read +@write -@dangerous'}]}}", "", "", "", false})
}

// Keys that would publish a password, or give two users one.
func collisionCases() []hostile {
	var out []hostile
	for _, key := range []string{"username", "database", "host", "port", "url"} {
		out = append(out,
			hostile{name: "the user's password under " + key, values: at("postgres.auth.userPasswordKey", key), refusedAt: "postgres.auth.userPasswordKey"},
			hostile{name: "the superuser's password under " + key, values: at("postgres.auth.adminPasswordKey", key), refusedAt: "postgres.auth.adminPasswordKey"},
		)
	}
	return append(out,
		hostile{"a password key YAML reads as a boolean", at("postgres.auth.userPasswordKey", "on"), "", "", "", false},
		hostile{"a password key YAML reads as a number", at("redis.auth.passwordKey", "1234"), "", "", "", false},
		hostile{"a TLS key YAML reads as a boolean", at("postgres.tls.existingSecret.keys.ca", "off", "postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"), "", "", "", false},
		hostile{"Secret names YAML reads as booleans", at("postgres.auth.existingSecret", "yes", "redis.tls.source", "existingSecret", "redis.tls.existingSecret.name", "no"), "", "", "", false},
		hostile{"a claim named null", at("redis.persistence.existingClaim", "null"), "", "", "", false},
		hostile{"a Redis name YAML reads as a boolean", at("redis.fullnameOverride", "yes"), "", "", "", false},
		hostile{"redis password under url", at("redis.auth.passwordKey", "url"), "redis.auth.passwordKey", "", "", false},
		hostile{"redis password under host", at("redis.auth.passwordKey", "host"), "redis.auth.passwordKey", "", "", false},
		hostile{"one key for both passwords", at("postgres.auth.userPasswordKey", "postgres-password"), "postgres.auth.adminPasswordKey", "", "", false},
		hostile{"one key of an existing Secret for both passwords", at("postgres.auth.existingSecret", "creds", "postgres.auth.userPasswordKey", "pw", "postgres.auth.adminPasswordKey", "pw"), "postgres.auth.adminPasswordKey", "", "", false},
		hostile{"one key for both on one instance", at("postgres.instances.app.auth.adminPasswordKey", "password"), "postgres.instances.app.auth.adminPasswordKey", "", "", false},
		hostile{"a secret key labelled as a public key", gpgValues(secretKeyPacket), "postgres.backup.encryption.gpgPublicKeys[0]", "", "", false},
		hostile{"armor around no key", gpgValues([]byte("hello world")), "postgres.backup.encryption.gpgPublicKeys[0]", "", "", false},
		hostile{"a public key", gpgValues(publicKeyPacket), "", "", "", false},
		hostile{"an age secret key as recipient", at("postgres.backup.enabled", true, "postgres.backup.encryption.method", "age", "postgres.backup.encryption.ageRecipients", []string{"AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"}), "postgres.backup.encryption.ageRecipients[0]", "", "", false},
		hostile{"an age recipient with a line break", at("postgres.backup.enabled", true, "postgres.backup.encryption.method", "age", "postgres.backup.encryption.ageRecipients", []string{"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\nx"}), "postgres.backup.encryption.ageRecipients[0]", "", "", false},
	)
}

// OpenPGP packets: a public key (tag 6, old format 0x98) and a secret key (tag 5, 0x94).
var (
	publicKeyPacket = []byte{0x98, 0x33, 0x04, 0x65, 0x00, 0x00, 0x00}
	secretKeyPacket = []byte{0x94, 0x58, 0x04, 0x65, 0x00, 0x00, 0x00}
)

func gpgValues(packet []byte) string {
	armored := "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + base64.StdEncoding.EncodeToString(packet) + "\n-----END PGP PUBLIC KEY BLOCK-----\n"
	return at("postgres.backup.enabled", true, "postgres.backup.encryption.method", "gpg", "postgres.backup.encryption.gpgPublicKeys", []string{armored})
}

// Values that used to render objects the API server, its controllers or cert-manager refuse.
func manifestCases() []hostile {
	long := strings.Repeat("n", 63)
	return []hostile{
		{"a release name starting with a digit", "", "use a release name that starts with a letter", "1db", "", false},
		{"a release name with a dot", "", "use a release name that starts with a letter", "a.b", "", false},
		{"a release name YAML reads as a boolean", "", "", "true", "", false},
		{"a release name YAML reads as a number", "", "use a release name that starts with a letter", "1234", "", false},
		{"a namespace that makes the common name long", "", "", "", long, false},
		{"cert-manager in a long namespace", at("postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca", "redis.tls.source", "certManager", "redis.tls.certManager.issuerRef.name", "ca"), "", "", long, false},
		{"a CronJob name over 52", at("postgres.backup.enabled", true, "postgres.fullnameOverride", strings.Repeat("p", 45)), "postgres.backup", "", "", false},
		{"an instance named like another's headless Service", at("postgres.instances.app-hl", map[string]any{"database": "b", "user": "u"}), "postgres.instances.app-hl", "", "", false},
		{"an instance named like another's client certificate", at("postgres.instances.app-client", map[string]any{"database": "b", "user": "u"}), "postgres.instances.app-client", "", "", false},
		{"an instance named backup", at("postgres.instances.backup", map[string]any{"database": "b", "user": "u"}), "postgres.instances.backup", "", "", false},
		{"an instance named restore", at("postgres.instances.restore", map[string]any{"database": "b", "user": "u"}), "postgres.instances.restore", "", "", false},
		{"a size in gigabytes", at("postgres.instances.app.persistence.size", "8GB"), "postgres.instances.app.persistence.size", "", "", false},
		{"a negative size", at("postgres.instances.app.persistence.size", "-1Gi"), "postgres.instances.app.persistence.size", "", "", false},
		{"a chart-wide size no instance uses", at("postgres.persistence.size", "8GB"), "postgres.persistence.size", "", "", true},
		{"a size in exponent form", at("redis.persistence.size", "1e3"), "redis.persistence.size", "", "", false},
		{"a CPU request in words", at("postgres.instances.app.resources.requests.cpu", "lots"), "postgres.instances.app.resources.requests.cpu", "", "", false},
		{"an unknown resource", at("redis.resources.requests.gpu", "1"), "redis.resources.requests.gpu", "", "", false},
		{"resources as a list", at("postgres.instances.app.resources", []string{"cpu"}), "postgres.instances.app.resources", "", "", false},
		{"a backup memory limit in words", at("postgres.backup.enabled", true, "postgres.backup.resources.limits.memory", "much"), "postgres.backup.resources.limits.memory", "", "", false},
		{"an unknown access mode", at("postgres.persistence.accessModes", []string{"ReadWriteSometimes"}), "postgres.persistence.accessModes", "", "", false},
		{"a schedule minute of 61", backupSchedule("61 * * * *"), "postgres.backup.schedule", "", "", false},
		{"a schedule hour of 24", backupSchedule("0 24 * * *"), "postgres.backup.schedule", "", "", false},
		{"a schedule of four fields", backupSchedule("0 2 * *"), "postgres.backup.schedule", "", "", false},
		{"a schedule with a time zone prefix", backupSchedule("TZ=UTC 0 2 * * *"), "postgres.backup.schedule", "", "", false},
		{"a schedule of @every", backupSchedule("@every 1h"), "postgres.backup.schedule", "", "", false},
		{"a schedule step of 0", backupSchedule("*/0 * * * *"), "postgres.backup.schedule", "", "", false},
		{"a schedule of @daily", backupSchedule("@daily"), "", "", "", false},
		{"a schedule of @hourly", backupSchedule("@hourly"), "", "", "", false},
		{"a schedule on weekdays by name", backupSchedule("30 1 * * MON-FRI"), "", "", "", false},
		{"a schedule every 15 minutes", backupSchedule("*/15 * * * *"), "", "", "", false},
		{"a schedule in January and July", backupSchedule("0 3 1 jan,jul *"), "", "", "", false},
		{"a time zone with a space", at("postgres.backup.enabled", true, "postgres.backup.timeZone", "Europe/Madrid now"), "postgres.backup.timeZone", "", "", false},
		{"a time zone the API server does not know", at("postgres.backup.enabled", true, "postgres.backup.timeZone", "Mars/Olympus"), "postgres.backup.timeZone", "", "", false},
		{"a time zone", at("postgres.backup.enabled", true, "postgres.backup.timeZone", "Europe/Madrid"), "", "", "", false},
		{"gzip level 10", backupCompression("gzip:10"), "postgres.backup.compression", "", "", false},
		{"gzip level 0 with a method", backupCompression("gzip:0"), "postgres.backup.compression", "", "", false},
		{"level 10", backupCompression("10"), "postgres.backup.compression", "", "", false},
		{"lz4 level 13", backupCompression("lz4:13"), "postgres.backup.compression", "", "", false},
		{"zstd level 23", backupCompression("zstd:23"), "postgres.backup.compression", "", "", false},
		{"zstd level 22", backupCompression("zstd:22"), "", "", "", false},
		{"no compression", backupCompression("none"), "", "", "", false},
		{"a CA valid for 300 years", at("global.tls.generate.caValidityDays", 109575), "global.tls.generate.caValidityDays", "", "", false},
		{"a CA valid for no days", at("global.tls.generate.caValidityDays", 0), "global.tls.generate.caValidityDays", "", "", false},
		{"certificates that outlive their CA", at("global.tls.generate.caValidityDays", 365, "global.tls.generate.certificateValidityDays", 400), "global.tls.generate.certificateValidityDays", "", "", false},
		{"a renewal window as long as the validity", at("global.tls.generate.renewBeforeDays", 825), "global.tls.generate.renewBeforeDays", "", "", false},
		{"an unknown key algorithm", at("global.tls.generate.keyAlgorithm", "dsa"), "global.tls.generate.keyAlgorithm", "", "", false},
		{"a CA rotation token with a quote", at("global.tls.generate.rotateCA", "x\"y"), "global.tls.generate.rotateCA", "", "", false},
		{"a CA rollover that would start after the renewal window", at("global.tls.generate.caRenewBeforeDays", 10), "global.tls.generate.caRenewBeforeDays", "", "", false},
		{"a CA overlap past the CA's renewal", at("global.tls.generate.caOverlapDays", 400), "global.tls.generate.caOverlapDays", "", "", false},
		{"a reload interval of zero", at("postgres.tls.reload.intervalSeconds", 0), "postgres.tls.reload.intervalSeconds", "", "", false},
		{"a reload interval over the kubelet's minute", at("redis.tls.reload.intervalSeconds", 51), "redis.tls.reload.intervalSeconds", "", "", false},
		{"a reload interval as text", at("postgres.instances.app.tls.reload.intervalSeconds", "10"), "postgres.instances.app.tls.reload.intervalSeconds", "", "", false},
		{"a reload interval with a fraction", at("redis.tls.reload.intervalSeconds", 2.5), "redis.tls.reload.intervalSeconds", "", "", false},
		{"reload enabled as text", at("postgres.tls.reload.enabled", "yes"), "postgres.tls.reload.enabled", "", "", false},
		{"reload removed", `redis: {tls: {reload: null}}`, "redis.tls.reload", "", "", false},
		{"a Redis user named like the reload user", "redis: {auth: {users: [{name: datastores-reload, rules: '~* +@read'}]}}", "redis.auth.users[0].name", "", "", false},
		{"reload off for one instance", at("postgres.instances.app.tls.reload.enabled", false), "", "", "", false},
		{"a cert-manager duration of 30 minutes", certManager("duration", "30m"), "postgres.tls.certManager.duration", "", "", false},
		{"a renewal longer than the duration", certManager("renewBefore", "3000h"), "postgres.tls.certManager.renewBefore", "", "", false},
		{"a renewal of one minute", certManager("renewBefore", "1m"), "postgres.tls.certManager.renewBefore", "", "", false},
		{"a duration in days", certManager("duration", "90d"), "postgres.tls.certManager.duration", "", "", false},
		{"a cert-manager key algorithm", certManager("keyAlgorithm", "ed448"), "postgres.tls.certManager.keyAlgorithm", "", "", false},
		{"a key rotation policy of sometimes", certManager("privateKeyRotationPolicy", "Sometimes"), "postgres.tls.certManager.privateKeyRotationPolicy", "", "", false},
		{"cert-manager hours and minutes", at("postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca", "postgres.tls.certManager.duration", "2h30m", "postgres.tls.certManager.renewBefore", "1h15m"), "", "", "", false},
		{"pod labels that are numbers", at("postgres.podLabels.team", 1), "postgres.podLabels.team", "", "", false},
		{"a pod label that replaces the selector", `postgres: {podLabels: {app.kubernetes.io/instance: other}}`, "postgres.podLabels.app.kubernetes.io/instance", "", "", false},
		{"a pod label value with a space", at("redis.podLabels.team", "a b"), "redis.podLabels.team", "", "", false},
		{"a pod label name with a space", `redis: {podLabels: {"a b": c}}`, "redis.podLabels", "", "", false},
		{"a pod annotation that is a boolean", at("postgres.podAnnotations.scrape", true), "postgres.podAnnotations.scrape", "", "", false},
		{"a pod annotation that replaces a checksum", `postgres: {podAnnotations: {checksum/config: x}}`, "postgres.podAnnotations.checksum/config", "", "", false},
		{"pod annotations over 128 KiB", at("postgres.podAnnotations.big", strings.Repeat("x", 140000)), "postgres.podAnnotations", "", "", false},
		{"pod labels and annotations that look like numbers and booleans", `postgres: {podLabels: {team: "true", tier: "1"}, podAnnotations: {example.com/n: "0755", example.com/b: "no"}}`, "", "", "", false},
		{"a claim annotation that is a number", at("postgres.persistence.annotations.n", 3), "postgres.persistence.annotations.n", "", "", false},
		{"a node selector value that is a number", at("postgres.nodeSelector.zone", 1), "postgres.nodeSelector.zone", "", "", false},
		{"tolerations as a string", at("redis.tolerations", "all"), "redis.tolerations", "", "", false},
		{"a negative grace period", at("postgres.terminationGracePeriodSeconds", -1), "postgres.terminationGracePeriodSeconds", "", "", false},
		{"port 0", at("postgres.port", 0), "postgres.port", "", "", false},
		{"port 70000", at("redis.port", 70000), "redis.port", "", "", false},
		{"a fractional port", at("postgres.instances.app.port", 5432.5), "postgres.instances.app.port", "", "", false},
		{"a port as a string", at("postgres.port", "5432"), "postgres.port", "", "", false},
		{"a uid of 0", at("postgres.securityContext.runAsUser", 0), "postgres.securityContext.runAsUser", "", "", false},
		{"a negative gid", at("redis.securityContext.runAsGroup", -1), "redis.securityContext.runAsGroup", "", "", false},
		{"a digest that is not sha256", at("postgres.image.digest", "md5:abc"), "postgres.image.digest", "", "", false},
		{"a pull policy in lower case", at("redis.image.pullPolicy", "always"), "redis.image.pullPolicy", "", "", false},
		{"a numeric image tag", at("redis.image.tag", 7.4), "redis.image.tag", "", "", false},
		{"huge config values", at("postgres.config.cluster_name", strings.Repeat("x", 5000)), "postgres.config.cluster_name", "", "", false},
		{"a huge public key", at("postgres.backup.enabled", true, "postgres.backup.encryption.method", "gpg", "postgres.backup.encryption.gpgPublicKeys", []string{"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDME" + strings.Repeat("A", 20000) + "\n-----END PGP PUBLIC KEY BLOCK-----\n"}), "postgres.backup.encryption.gpgPublicKeys[0]", "", "", false},
		{"a ConfigMap over 1 MiB of parameters", manyEntries("postgres.config", 300), "postgres.config", "", "", false},
		{"300 hba rules (up to 3 x 4 KiB each)", at("postgres.hba", repeat(map[string]any{"database": "all", "user": "all", "address": "10.0.0.0/8", "method": "cert"}, 300)), "postgres.hba", "", "", false},
		{"a ConfigMap over 1 MiB of Redis directives", manyEntries("redis.config", 300), "redis.config", "", "", false},
		{"150 ACL users (up to 4 KiB of rules each)", at("redis.auth.users", aclUsers(150)), "redis.auth.users", "", "", false},
		{"ACL rules over 4 KiB", at("redis.auth.users", []map[string]any{{"name": "app", "rules": strings.Repeat("~k:* ", 1000)}}), "redis.auth.users[0].rules", "", "", false},
		{"a backup keeping no dump", at("postgres.backup.enabled", true, "postgres.backup.keepLast", 0), "postgres.backup.keepLast", "", "", false},
		{"a backup deadline of a second", at("postgres.backup.enabled", true, "postgres.backup.activeDeadlineSeconds", 1), "postgres.backup.activeDeadlineSeconds", "", "", false},
	}
}

func backupSchedule(s string) string {
	return at("postgres.backup.enabled", true, "postgres.backup.schedule", s)
}

func backupCompression(c string) string {
	return at("postgres.backup.enabled", true, "postgres.backup.compression", c)
}

func certManager(key, value string) string {
	return at("postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca", "postgres.tls.certManager."+key, value)
}

// Values that crashed the templates (nil pointers, a panic) instead of naming the value.
func crashCases() []hostile {
	var out []hostile
	for _, key := range []string{
		"postgres.tls", "postgres.audit", "postgres.securityContext", "postgres.image", "postgres.backup",
		"postgres.auth", "postgres.persistence", "postgres.tls.existingSecret", "postgres.tls.certManager",
		"postgres.tls.existingSecret.keys", "postgres.tls.certManager.issuerRef", "postgres.backup.encryption",
		"postgres.backup.storage", "postgres.backup.image", "redis.tls", "redis.auth", "redis.persistence",
		"redis.image", "redis.securityContext", "redis.tls.existingSecret", "redis.tls.certManager",
		"postgres.instances.app.tls", "postgres.instances.app.audit", "postgres.instances.app.auth",
		"postgres.instances.app.persistence",
	} {
		values := at(key, nil)
		if strings.HasPrefix(key, "postgres.backup.") {
			values = at(key, nil, "postgres.backup.enabled", true)
		}
		out = append(out, hostile{name: key + " null", values: values, refusedAt: key})
	}
	return append(out,
		hostile{"a billion-character password", at("postgres.auth.passwordLength", 1000000000), "postgres.auth.passwordLength", "", "", false},
		hostile{"a huge Redis password", at("redis.auth.passwordLength", 100000000), "redis.auth.passwordLength", "", "", false},
		hostile{"instances as a list", at("postgres.instances", []string{"app"}), "postgres.instances", "", "", false},
		hostile{"hba as a map", at("postgres.hba", map[string]any{"a": "b"}), "postgres.hba", "", "", false},
		hostile{"users as a map", at("redis.auth.users", map[string]any{"a": "b"}), "redis.auth.users", "", "", false},
		hostile{"config as a list", at("redis.config", []string{"a"}), "redis.config", "", "", false},
		hostile{"a uid as text", at("postgres.securityContext.runAsUser", "70\nprivileged: true"), "postgres.securityContext.runAsUser", "", "", false},
		hostile{"backup instances as a string", at("postgres.backup.enabled", true, "postgres.backup.instances", "app"), "postgres.backup.instances", "", "", false},
	)
}

// Settings that each make sense alone and together give a server nobody can use.
func combinationCases() []hostile {
	return []hostile{
		{"client certificates with backups", at("postgres.tls.clientCertificates", true, "postgres.backup.enabled", true), "postgres.backup.instances", "", "", false},
		{"one instance's client certificates with backups", at("postgres.instances.app.tls.clientCertificates", true, "postgres.backup.enabled", true), "postgres.backup.instances", "", "", false},
		{"client certificates without backups", at("postgres.tls.clientCertificates", true), "", "", "", false},
		{"client certificates as text", at("postgres.tls.clientCertificates", "false"), "postgres.tls.clientCertificates", "", "", false},
		{"the user public", at("postgres.instances.app.user", "public"), "postgres.instances.app.user", "", "", false},
		{"the user none", at("postgres.instances.app.user", "none"), "postgres.instances.app.user", "", "", false},
		{"the user current_user", at("postgres.instances.app.user", "current_user"), "postgres.instances.app.user", "", "", false},
		{"the database template1", at("postgres.instances.app.database", "template1"), "postgres.instances.app.database", "", "", false},
		{"the database postgres", at("postgres.instances.app.database", "postgres"), "postgres.instances.app.database", "", "", false},
		{"connection logging as text", at("postgres.audit.logConnections", "yes"), "postgres.audit.logConnections", "", "", false},
		{"a slow-statement threshold as text", at("postgres.audit.logMinDurationStatement", "1s"), "postgres.audit.logMinDurationStatement", "", "", false},
		{"the default user off as text", at("redis.auth.disableDefaultUser", "true"), "redis.auth.disableDefaultUser", "", "", false},
		{"backups suspended as text", at("postgres.backup.enabled", true, "postgres.backup.suspend", "no"), "postgres.backup.suspend", "", "", false},
		{"an existing TLS Secret for Redis without a name", at("redis.tls.source", "existingSecret"), "redis.tls.existingSecret.name", "", "", false},
	}
}

// manyEntries: n parameters of 4 KiB each under key (n*4 KiB of ConfigMap). PostgreSQL takes
// names it does not know only with a dot (custom.p0); Redis names have none.
func manyEntries(key string, n int) string {
	prefix := "p"
	if strings.HasPrefix(key, "postgres") {
		prefix = "custom.p"
	}
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("%s%d", prefix, i)] = strings.Repeat("x", 4000)
	}
	return at(key, m)
}

func repeat(v any, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func aclUsers(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"name": fmt.Sprintf("u%d", i), "rules": "~k:* +@read"}
	}
	return out
}
