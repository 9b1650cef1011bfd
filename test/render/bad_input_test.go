package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
)

// Bad input fails the render with a message naming the value and the fix; it never renders a
// manifest. Where the schema catches a value first, the templates must catch it too (for
// `helm template --skip-schema-validation` and tools that skip schemas), so both are tested.
func TestBadInputFailsWithAClearMessage(t *testing.T) {
	tests := []struct {
		name   string
		values string
		schema string // the schema's message; empty when the schema lets the value through
		tmpl   string // the templates' message
	}{
		{"instance without database", "postgres: {instances: {orders: {user: orders_user}}}", "",
			"postgres.instances.orders.database is missing: name the instance's database, e.g. database: orders_db"},
		{"instance without user", "postgres: {instances: {orders: {database: orders_db}}}", "",
			"postgres.instances.orders.user is missing: name the instance's application user"},
		{"instance without a body", "postgres: {instances: {orders: ~}}", "",
			"postgres.instances.orders is empty: give the instance at least a database and a user"},
		{"instance name that is not a DNS label", "postgres: {instances: {Orders_DB: {database: orders_db, user: orders_user}}}", "",
			`postgres.instances.Orders_DB: the instance name "Orders_DB" must be a DNS label`},
		{"name too long for a StatefulSet", "postgres: {instances: {a-very-long-instance-name-for-orders-and-more: {database: o, user: u}}}", "",
			"over the limit of 52"},
		{"database that is not an identifier", `postgres: {instances: {orders: {database: "orders-db", user: orders_user}}}`, "",
			`postgres.instances.orders.database "orders-db": use lower-case letters, digits and '_'`},
		{"superuser as application user", "postgres: {instances: {orders: {database: orders_db, user: postgres}}}", "",
			`postgres.instances.orders.user "postgres" is reserved`},
		{"unknown TLS source", "postgres: {tls: {source: none}, instances: {orders: {database: orders_db, user: orders_user}}}",
			"at '/tls/source': value must be one of 'generate', 'existingSecret', 'certManager'",
			`postgres.tls.source is "none": TLS cannot be turned off; choose one of generate, existingSecret, certManager`},
		{"TLS minimum below 1.2", "postgres: {tls: {minProtocolVersion: TLSv1.1}, instances: {orders: {database: orders_db, user: orders_user}}}",
			"at '/tls/minProtocolVersion': value must be one of 'TLSv1.2', 'TLSv1.3'",
			`postgres.tls.minProtocolVersion is "TLSv1.1": PostgreSQL must refuse TLS below 1.2; use TLSv1.2 or TLSv1.3`},
		{"TLS minimum below 1.2 on one instance", "postgres: {instances: {orders: {database: orders_db, user: orders_user, tls: {minProtocolVersion: TLSv1}}}}",
			"at '/instances/orders/tls/minProtocolVersion': value must be one of 'TLSv1.2', 'TLSv1.3'",
			`postgres.instances.orders.tls.minProtocolVersion is "TLSv1": PostgreSQL must refuse TLS below 1.2`},
		{"existing-Secret source without a Secret name", "postgres: {tls: {source: existingSecret}, instances: {orders: {database: orders_db, user: orders_user}}}", "",
			"postgres.tls.existingSecret.name is empty: name the kubernetes.io/tls Secret that holds this server's certificate"},
		{"existing-Secret source with an empty key name", "postgres: {tls: {source: existingSecret, existingSecret: {name: t, keys: {ca: ''}}}, instances: {orders: {database: orders_db, user: orders_user}}}", "",
			`postgres.tls.existingSecret.keys.ca is empty: name the key of Secret "t" that holds it`},
		{"cert-manager without an issuer", "postgres: {tls: {source: certManager}, instances: {orders: {database: orders_db, user: orders_user}}}", "",
			"postgres.tls.certManager.issuerRef.name is empty: name the cert-manager Issuer or ClusterIssuer"},
		{"per-instance TLS source", "postgres: {instances: {orders: {database: orders_db, user: orders_user, tls: {source: generate}}}}", "",
			"postgres.instances.orders.tls.source: the TLS source is chart-wide"},
		{"short generated password", "postgres: {auth: {passwordLength: 16}, instances: {orders: {database: orders_db, user: orders_user}}}",
			"at '/auth/passwordLength': minimum: got 16, want 32",
			"postgres.auth.passwordLength is 16: generated passwords must be at least 32 characters"},
		{"password Secret without a key", "postgres: {instances: {orders: {database: orders_db, user: orders_user, auth: {existingSecret: creds, userPasswordKey: ''}}}}", "",
			`postgres.instances.orders.auth.userPasswordKey: name the key of Secret "creds" that holds the password`},
		{"image tag latest", "postgres: {image: {tag: latest}, instances: {orders: {database: orders_db, user: orders_user}}}", "",
			`postgres.image.tag: pin an exact version`},
		{"no volume size", "postgres: {persistence: {size: ''}, instances: {orders: {database: orders_db, user: orders_user}}}", "",
			"postgres.persistence.size is empty: give the data volume a size (e.g. 8Gi) or set postgres.persistence.existingClaim; data never lives on an emptyDir"},
		{"unknown audit level", "postgres: {audit: {logStatement: everything}, instances: {orders: {database: orders_db, user: orders_user}}}",
			"at '/audit/logStatement': value must be one of 'none', 'ddl', 'mod', 'all'",
			`postgres.audit.logStatement is "everything": use none, ddl, mod or all`},
		{"Redis with TLS turned off", "redis: {enabled: true, tls: {source: disabled}}",
			"at '/tls/source': value must be one of 'generate', 'existingSecret', 'certManager'",
			`redis.tls.source is "disabled": TLS cannot be turned off`},
		{"Redis below TLS 1.2", `redis: {enabled: true, tls: {protocols: "TLSv1.1 TLSv1.2"}}`,
			"at '/tls/protocols': value must be one of 'TLSv1.2 TLSv1.3', 'TLSv1.3', 'TLSv1.2'",
			`redis.tls.protocols is "TLSv1.1 TLSv1.2": Redis must refuse TLS below 1.2`},
		{"Redis client certificates neither no, optional nor yes", "redis: {enabled: true, tls: {authClients: sometimes}}",
			"at '/tls/authClients': value must be one of",
			`redis.tls.authClients is "sometimes": use no, optional or yes`},
		{"Redis password Secret without a key", "redis: {enabled: true, auth: {existingSecret: redis-creds, passwordKey: ''}}", "",
			`redis.auth.passwordKey: name the key of Secret "redis-creds" that holds the password`},
		{"Redis ACL user without a password", `redis: {enabled: true, auth: {users: [{name: cache, rules: "nopass ~* +@all"}]}}`, "",
			`redis.auth.users[0].rules: "nopass" is not allowed: every ACL user has a password from a Secret`},
		{"Redis ACL user with an inline password", `redis: {enabled: true, auth: {users: [{name: cache, rules: ">hunter2 ~* +@all"}]}}`, "",
			`redis.auth.users[0].rules: ">hunter2" is not allowed`},
		{"Redis ACL user without rules", `redis: {enabled: true, auth: {users: [{name: cache, rules: ""}]}}`, "",
			`redis.auth.users[0].rules is empty`},
		{"Redis ACL user password Secret without a key", `redis: {enabled: true, auth: {users: [{name: cache, rules: "+@all", existingSecret: c, passwordKey: ""}]}}`, "",
			`redis.auth.users[0].passwordKey: name the key of Secret "c" that holds the password`},
		{"Redis without any user", "redis: {enabled: true, auth: {disableDefaultUser: true}}", "",
			"redis.auth.disableDefaultUser is true but redis.auth.users is empty"},
		{"Redis plaintext port", "redis: {enabled: true, config: {port: 6380}}", "",
			"redis.config.port: this directive is managed by the chart (the plaintext port is always 0)"},
		{"Redis password in the config", "redis: {enabled: true, config: {requirepass: hunter2}}", "",
			"redis.config.requirepass: this directive is managed by the chart (passwords come from Secrets; use redis.auth)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := chart.ValuesFile(t, tt.values)

			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{file}})
			require.Error(t, err)
			want := tt.schema
			if want == "" {
				want = tt.tmpl
			}
			assert.Contains(t, err.Error(), want)

			_, err = chart.RenderE(chart.Options{ValuesFiles: []string{file}, SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.tmpl)
		})
	}
}

func TestMisspeltValuesAreRefused(t *testing.T) {
	tests := []struct{ values, want string }{
		{"postgres: {tls: {minProtcolVersion: TLSv1.3}}", "at '/tls': additional properties 'minProtcolVersion' not allowed"},
		{"postgres: {instances: {orders: {database: orders_db, user: orders_user, persistance: {size: 1Gi}}}}", "at '/instances/orders': additional properties 'persistance' not allowed"},
		{"global: {tls: {generate: {keyAlgoritm: rsa}}}", "additional properties 'keyAlgoritm' not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{chart.ValuesFile(t, tt.values)}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
