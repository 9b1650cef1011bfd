package render_test

// The second pass over the surface added in 0.2.0 (extras, metrics, external mode): values that
// broke a promise, rendered a manifest the API server refuses, crashed a template, did nothing
// silently, or were refused though valid.
func secondPassCases() []hostile {
	external := func(url string) string {
		return at("postgres.external.ext", map[string]any{"url": url, "existingSecret": map[string]any{"name": "ext-db"}, "ca": map[string]any{"system": true}})
	}
	redisUser := func(u map[string]any) string { return at("redis.auth.users", []any{u}) }
	return []hostile{
		// Secret keys the chart writes beside a generated password.
		{"a Redis user's password under host", redisUser(map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": "host"}), "redis.auth.users[0].passwordKey", "", "", false},
		{"a Redis user's password under ssl", redisUser(map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": "ssl"}), "redis.auth.users[0].passwordKey", "", "", false},
		{"a Redis user's password under ca.crt", redisUser(map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": "ca.crt"}), "redis.auth.users[0].passwordKey", "", "", false},
		{"a Redis user's password under url", redisUser(map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": "url"}), "redis.auth.users[0].passwordKey", "", "", false},
		{"a Redis user's password under url of its own Secret", redisUser(map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": "url", "existingSecret": "app-redis"}), "", "", "", false},
		// Logins that would share a password.
		{"the monitoring Secret is the application's", at("postgres.metrics.enabled", true, "postgres.metrics.existingSecret", "test-postgres-app-auth"), "postgres.metrics.existingSecret", "", "", false},
		{"the monitoring Secret is the superuser's", at("postgres.metrics.enabled", true, "postgres.metrics.existingSecret", "test-postgres-app-superuser"), "postgres.metrics.existingSecret", "", "", false},
		{"the monitoring Secret is an existing password Secret", at("postgres.instances.app.auth.existingSecret", "app-creds", "postgres.instances.app.metrics", map[string]any{"enabled": true, "existingSecret": "app-creds"}), "postgres.instances.app.metrics.existingSecret", "", "", false},
		{"the Redis monitoring Secret is a user's", at("redis.metrics.enabled", true, "redis.metrics.existingSecret", "test-redis-user-app", "redis.auth.users", []any{map[string]any{"name": "app", "rules": "~* +@read"}}), "redis.metrics.existingSecret", "", "", false},
		{"the Redis monitoring Secret is the default user's", at("redis.metrics.enabled", true, "redis.metrics.existingSecret", "test-redis-auth"), "redis.metrics.existingSecret", "", "", false},
		{"a monitoring Secret of its own", at("postgres.metrics.enabled", true, "postgres.metrics.existingSecret", "monitoring"), "", "", "", false},
		// Profiles the restricted Pod Security profile refuses.
		{"an unconfined AppArmor profile", `postgres: {podAnnotations: {container.apparmor.security.beta.kubernetes.io/postgres: unconfined}}`, "postgres.podAnnotations.container.apparmor.security.beta.kubernetes.io/postgres", "", "", false},
		{"an unconfined seccomp profile", `redis: {podAnnotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}}`, "redis.podAnnotations.seccomp.security.alpha.kubernetes.io/pod", "", "", false},
		{"a container seccomp annotation", `redis: {podAnnotations: {container.seccomp.security.alpha.kubernetes.io/redis: localhost/x}}`, "redis.podAnnotations.container.seccomp.security.alpha.kubernetes.io/redis", "", "", false},
		// Literal secrets in every spelling.
		{"a literal DB_PASSWD", at("postgres.extraEnv", []any{map[string]any{"name": "DB_PASSWD", "value": "x"}}), "postgres.extraEnv[0]", "", "", false},
		{"a literal ApiKey", at("postgres.extraEnv", []any{map[string]any{"name": "ApiKey", "value": "x"}}), "postgres.extraEnv[0]", "", "", false},
		{"a literal AWS_SECRET_ACCESS_KEY", at("redis.extraEnv", []any{map[string]any{"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}}), "redis.extraEnv[0]", "", "", false},
		{"a literal basic-auth", at("redis.extraEnv", []any{map[string]any{"name": "basic-auth", "value": "x"}}), "redis.extraEnv[0]", "", "", false},
		{"a literal URL with a password", at("postgres.extraEnv", []any{map[string]any{"name": "UPSTREAM", "value": "https://user:pw@example.com/"}}), "postgres.extraEnv[0]", "", "", false},
		{"a literal private key", at("postgres.extraEnv", []any{map[string]any{"name": "TLS", "value": "-----BEGIN EC PRIVATE KEY-----\nMHc="}}), "postgres.extraEnv[0]", "", "", false},
		{"a literal that is not secret", at("postgres.extraEnv", []any{map[string]any{"name": "TZ", "value": "Europe/Madrid"}}), "", "", "", false},
		// External PostgreSQL: verify-ca checks no name.
		{"an external verify-ca", external("postgresql://u@db.example.com:5432/d?sslmode=verify-ca"), "", "", "", false},
		{"an external URL Go cannot parse", external("postgresql://u@[::1:5432/d"), "postgres.external.ext.url", "", "", false},
		{"an external URL with a bad escape", external("postgresql://u%zz@db.example.com/d"), "postgres.external.ext.url", "", "", false},
		{"an external URL with a port of letters", external("postgresql://u@db.example.com:pg/d"), "postgres.external.ext.url", "", "", false},
		{"an external URL with a space", external("postgresql://u@db.example .com/d"), "postgres.external.ext.url", "", "", false},
		{"an external IPv6 URL", external("postgresql://u@[fd00::10]:5432/d"), "", "", "", false},
		{"an external IPv6 host", at("postgres.external.ext", map[string]any{"host": "fd00::10", "database": "d", "user": "u", "existingSecret": map[string]any{"name": "ext-db"}, "ca": map[string]any{"system": true}}), "", "", "", false},
		{"an external Redis URL Go cannot parse", at("redis.external", map[string]any{"enabled": true, "url": "rediss://[fd00::1:6379/0", "existingSecret": map[string]any{"name": "c"}, "ca": map[string]any{"system": true}}), "redis.external.url", "", "", false},
		{"an external Redis IPv6 URL", at("redis.external", map[string]any{"enabled": true, "url": "rediss://app@[fd00::1]:6379/0", "existingSecret": map[string]any{"name": "c"}, "ca": map[string]any{"system": true}}), "", "", "", false},
		// Names two values would give one object.
		{"Redis named like an instance", at("redis.fullnameOverride", "test-postgres-app"), "redis.fullnameOverride", "", "", false},
		{"Redis named like an instance's Secret", at("redis.fullnameOverride", "test-postgres-app-auth"), "redis.fullnameOverride", "", "", false},
		{"an instance named maintenance", at("postgres.instances.maintenance", map[string]any{"database": "m", "user": "m"}), "postgres.instances.maintenance", "", "", false},
		{"an instance named like the drill", at("postgres.instances.backup-verify", map[string]any{"database": "m", "user": "m"}), "postgres.instances.backup-verify", "", "", false},
		{"an instance named like another's Secret", at("postgres.instances.app-superuser", map[string]any{"database": "m", "user": "m"}), "postgres.instances.app-superuser", "", "", false},
		{"an external named like the backup", at("postgres.external.backup", map[string]any{"host": "db.example.com", "database": "d", "user": "u", "existingSecret": map[string]any{"name": "b"}, "ca": map[string]any{"system": true}}), "postgres.external.backup", "", "", false},
		{"PostgreSQL named like the release CA", at("postgres.fullnameOverride", "test-datastores", "postgres.instances.ca", map[string]any{"database": "c", "user": "c"}), "postgres.instances.ca", "", "", false},
		{"two Redis users one Secret", at("redis.auth.users", []any{map[string]any{"name": "a_b", "rules": "~* +@read"}, map[string]any{"name": "a-b", "rules": "~* +@read"}}), "redis.auth.users[1]", "", "", false},
		{"a Redis user ending in a hyphen", at("redis.auth.users", []any{map[string]any{"name": "app-", "rules": "~* +@read"}}), "redis.auth.users[0].name", "", "", false},
		{"a Redis user with an underscore", at("redis.auth.users", []any{map[string]any{"name": "app_user", "rules": "~* +@read"}}), "", "", "", false},
		// Ports the pod already uses.
		{"an exporter on the server's port", at("postgres.metrics.enabled", true, "postgres.metrics.port", 5432), "postgres.metrics.port", "", "", false},
		{"a certificate exporter on the server's port", at("redis.metrics.enabled", true, "redis.metrics.certificates.port", 6379), "redis.metrics.certificates.port", "", "", false},
		// cert-manager.
		{"a cert-manager kind of its own group", certManager("issuerRef.kind", "Issuers"), "postgres.tls.certManager.issuerRef.kind", "", "", false},
		{"an external issuer's kind", at("postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef", map[string]any{"name": "pca", "kind": "AWSPCAClusterIssuer", "group": "awspca.cert-manager.io"}), "", "", "", false},
		{"a duration past Go's limit", certManager("duration", "9999999h"), "postgres.tls.certManager.duration", "", "", false},
		{"a duration of a billion minutes", certManager("duration", "999999999m"), "postgres.tls.certManager.duration", "", "", false},
		// Backups.
		{"a backup target twice", at("postgres.backup.enabled", true, "postgres.backup.instances", []any{"app", "app"}), "postgres.backup.instances", "", "", false},
		{"a backup target that is a number", at("postgres.backup.enabled", true, "postgres.backup.instances", []any{1}), "postgres.backup.instances[0]", "", "", false},
		{"a drill without backups", at("postgres.backup.verify.enabled", true), "postgres.backup.verify.enabled", "", "", false},
		// Valid input that used to be refused.
		{"uuid-ossp", at("postgres.extensions", []any{"pgcrypto", "uuid-ossp"}), "", "", "", false},
		{"a Redis 7 selector", at("redis.auth.users", []any{map[string]any{"name": "app", "rules": "~app:* +@read (~cache:* +get +set)"}}), "", "", "", false},
		{"a selector with a password", at("redis.auth.users", []any{map[string]any{"name": "app", "rules": "~* (nopass)"}}), "redis.auth.users[0].rules", "", "", false},
		{"nested selectors", at("redis.auth.users", []any{map[string]any{"name": "app", "rules": "~* ((~a +get))"}}), "redis.auth.users[0].rules", "", "", false},
		{"an unclosed selector", at("redis.auth.users", []any{map[string]any{"name": "app", "rules": "~* (~a +get"}}), "redis.auth.users[0].rules", "", "", false},
		{"two Secrets each with a key password", at("postgres.auth.existingSecret", "app-creds", "postgres.auth.existingSuperuserSecret", "admin-creds", "postgres.auth.userPasswordKey", "password", "postgres.auth.adminPasswordKey", "password"), "", "", "", false},
		// Lists whose items are not what the templates range over.
		{"a null hba rule", at("postgres.hba", []any{nil}), "postgres.hba[0]", "", "", false},
		{"a null Redis user", at("redis.auth.users", []any{nil}), "redis.auth.users[0]", "", "", false},
		{"a Redis user that is a string", at("redis.auth.users", []any{"app"}), "redis.auth.users[0]", "", "", false},
		{"a null extension", at("postgres.extensions", []any{nil}), "postgres.extensions[0]", "", "", false},
		{"a null age recipient", at("postgres.backup.enabled", true, "postgres.backup.encryption.method", "age", "postgres.backup.encryption.ageRecipients", []any{nil}), "postgres.backup.encryption.ageRecipients[0]", "", "", false},
		{"a null pull secret", at("global.imagePullSecrets", []any{nil}), "global.imagePullSecrets[0]", "", "", false},
		{"a null access mode", at("postgres.persistence.accessModes", []any{nil}), "postgres.persistence.accessModes", "", "", false},
		{"a null sidecar", at("redis.sidecars", []any{nil}), "redis.sidecars[0]", "", "", false},
		{"a null peer", at("redis.networkPolicy.from", []any{nil}), "redis.networkPolicy.from[0]", "", "", false},
		// Monitoring objects the Prometheus Operator refuses.
		{"a scrape interval in microseconds", at("postgres.metrics.serviceMonitor.interval", "500us"), "postgres.metrics.serviceMonitor.interval", "", "", false},
		{"a scrape interval with a fraction", at("redis.metrics.podMonitor.interval", "1.5s"), "redis.metrics.podMonitor.interval", "", "", false},
		{"a monitor label with a space", at("postgres.metrics.serviceMonitor.labels", map[string]any{"release": "kube prometheus"}), "postgres.metrics.serviceMonitor.labels.release", "", "", false},
		{"a rule label name with a space", `redis: {metrics: {prometheusRule: {labels: {"a b": c}}}}`, "redis.metrics.prometheusRule.labels", "", "", false},
		{"a scrape interval of a minute and a half", at("postgres.metrics.serviceMonitor.interval", "1m30s"), "", "", "", false},
	}
}
