{{/*
postgres.instances: every entry of .Values.instances with the chart-wide defaults merged in,
validated, and with the names of its objects. Every template ranges over it:
  {{- range $i := include "postgres.instances" . | fromJsonArray }}
*/}}
{{- define "postgres.instances" -}}
{{- include "common.memo" (dict "context" . "template" "postgres.instances.compute") -}}
{{- end -}}

{{- define "postgres.instances.compute" -}}
{{- include "common.validate.chart" (dict "context" . "blocks" (list "image" "securityContext" "tls" "auth" "audit" "persistence" "backup" "networkPolicy" "podDisruptionBudget" "metrics")) -}}
{{- if not (or (kindIs "map" .Values.instances) (kindIs "invalid" .Values.instances)) -}}
{{- fail "postgres.instances: give a map of instance name: {database, user}" -}}
{{- end -}}
{{- $defaults := omit .Values "instances" "image" "imagePullSecrets" "securityContext" "global" "enabled" "nameOverride" "fullnameOverride" "backup" -}}
{{- /* The names of the chart's own objects beside the instances': the backup's, the restore's,
the drill's, the maintenance Job's, the alert rules' (postgres.names lists them). */ -}}
{{- $f := include "common.names.fullname" . -}}
{{- include "common.names.claim" (dict "context" $ "owner" "the release CA" "names" (list (include "common.names.caSecret" .))) -}}
{{- include "common.names.claim" (dict "context" $ "owner" "postgres" "names" (list $f)) -}}
{{- range $job := list "backup" "maintenance" -}}
{{- include "common.names.claim" (dict "context" $ "owner" (printf "postgres.%s" $job) "names" (include "postgres.names" (dict "fullname" $f "kind" $job) | fromJsonArray)) -}}
{{- end -}}
{{- /* The restore drill restores the backup's dumps: without backups it would render nothing. */ -}}
{{- $b := .Values.backup -}}
{{- if and (kindIs "map" $b) (ne (toString $b.enabled) "true") (kindIs "map" $b.verify) (eq (toString $b.verify.enabled) "true") -}}
{{- fail "postgres.backup.verify.enabled is true but postgres.backup.enabled is not: the restore drill restores the backup's dumps and there would be none; turn backups on, or the drill off" -}}
{{- end -}}
{{- $out := list -}}
{{- range $name := keys (.Values.instances | default dict) | sortAlpha -}}
{{- $path := printf "postgres.instances.%s" $name -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "%s: the instance name %q must be a DNS label (lower-case letters, digits and '-', starting with a letter), since it names the instance's Services" $path $name) -}}
{{- end -}}
{{- if hasKey ($.Values.external | default dict) $name -}}
{{- fail (printf "postgres.external.%s: %q is also an instance (%s); an external server and an instance cannot share a name, they would share a connection Secret" $name $name $path) -}}
{{- end -}}
{{- $raw := index $.Values.instances $name -}}
{{- if not (kindIs "map" $raw) -}}
{{- fail (printf "%s is empty: give the instance at least a database and a user, e.g. {database: %s_db, user: %s_user}" $path (snakecase $name) (snakecase $name)) -}}
{{- end -}}
{{- if hasKey ($raw.tls | default dict) "source" -}}
{{- fail (printf "%s.tls.source: the TLS source is chart-wide (every instance's certificate comes from the same place); set postgres.tls.source instead" $path) -}}
{{- end -}}
{{- $i := deepCopy $defaults -}}
{{- include "common.values.mergeInto" (dict "base" $i "override" (deepCopy $raw)) -}}
{{- $_ := set $i "gitops" (include "common.gitops" $) -}}
{{- include "postgres.validateInstance" (dict "i" $i "raw" $raw "path" $path "context" $) -}}
{{- $full := include "common.names.instance" (dict "context" $ "name" $name "path" $path) -}}
{{- include "common.names.claim" (dict "context" $ "owner" $path "names" (include "postgres.names" (dict "fullname" $full "kind" "instance") | fromJsonArray)) -}}
{{- /* null removes the default list: no extension. */ -}}
{{- $_ := set $i "extensions" ($i.extensions | default list) -}}
{{- $_ = set $i "name" $name -}}
{{- $_ = set $i "fullname" $full -}}
{{- $_ = set $i "headlessService" (printf "%s-hl" $full) -}}
{{- $_ = set $i "authSecret" ($i.auth.existingSecret | default (printf "%s-auth" $full)) -}}
{{- $_ = set $i "connectionSecret" (printf "%s-auth" $full) -}}
{{- /* Outside GitOps mode the chart writes <fullname>-auth itself; in it, that is the Secret
`datastores secrets` made (passwords and connection strings), which existingSecret may name. */ -}}
{{- if and (eq (toString $i.auth.existingSecret) (printf "%s-auth" $full)) (not (include "common.gitops" $)) -}}
{{- fail (printf "%s.auth.existingSecret is %q, the name of the connection Secret the chart writes for this instance; name your password Secret otherwise" $path $i.auth.existingSecret) -}}
{{- end -}}
{{- /* The superuser's password lives apart from what applications mount: in its own Secret,
<fullname>-superuser, unless the user names one (or keeps both passwords in existingSecret). */ -}}
{{- $_ = set $i "superuserSecret" ($i.auth.existingSuperuserSecret | default $i.auth.existingSecret | default (printf "%s-superuser" $full)) -}}
{{- $_ = set $i "generateSuperuser" (not (or $i.auth.existingSuperuserSecret $i.auth.existingSecret)) -}}
{{- if and $i.auth.existingSuperuserSecret (has (toString $i.auth.existingSuperuserSecret) (list (printf "%s-auth" $full) (printf "%s-superuser" $full))) (not (include "common.gitops" $)) -}}
{{- $at := ternary $path "postgres" (hasKey (dig "auth" dict $raw | default dict) "existingSuperuserSecret") -}}
{{- fail (printf "%s.auth.existingSuperuserSecret is %q, the name of a Secret the chart writes for instance %s; name your password Secret otherwise, or leave it empty and the chart generates %s-superuser" $at $i.auth.existingSuperuserSecret $name $full) -}}
{{- end -}}
{{- include "common.metrics.validateSecret" (dict "s" $i "path" (ternary (printf "%s.metrics" $path) "postgres.metrics" (hasKey $raw "metrics")) "taken" (uniq (list $i.authSecret $i.connectionSecret $i.superuserSecret))) -}}
{{- $_ = set $i "tlsSecret" (ternary $i.tls.existingSecret.name (printf "%s-tls" $full) (eq $i.tls.source "existingSecret")) -}}
{{- $_ = set $i "clientTlsSecret" (printf "%s-client-tls" $full) -}}
{{- $_ = set $i "clientName" $i.user -}}
{{- $_ = set $i "adminClientTlsSecret" (printf "%s-superuser-client-tls" $full) -}}
{{- $_ = set $i "adminClientName" "postgres" -}}
{{- /* With client certificates required, the maintenance Job (which visits an instance with
metrics or extensions beyond pgcrypto) logs in with the superuser's, which the chart issues for
generate and certManager; from an existing Secret it cannot. */ -}}
{{- if and (eq (toString $i.tls.clientCertificates) "true") (eq $i.tls.source "existingSecret") (or (eq (toString $i.metrics.enabled) "true") (ne (toJson $i.extensions) (toJson (list "pgcrypto")))) -}}
{{- fail (printf "%s: tls.clientCertificates with tls.source existingSecret and metrics or extensions beyond pgcrypto: the post-upgrade maintenance Job logs in as the superuser and would need a client certificate the chart cannot issue from your Secret; use tls.source generate or certManager, or leave metrics off and extensions at [pgcrypto]" $path) -}}
{{- end -}}
{{- $_ = set $i "serverUsages" (list "server auth") -}}
{{- $_ = set $i "component" "database" -}}
{{- $out = append $out $i -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The names of every object one part of the chart may render, as JSON (common.names.claim):
  instance     <fullname>: StatefulSet, Services (-hl, -metrics), Secrets (-auth, -superuser,
               -tls, -client-tls, -superuser-client-tls, -monitor), the helm test pod (-test)
  external     <fullname>-auth, its connection Secret
  backup       <fullname>-backup and the restore's, the drill's and the claim binder's
  maintenance  <fullname>-maintenance
*/}}
{{- define "postgres.names" -}}
{{- $f := .fullname -}}
{{- if eq .kind "instance" -}}
{{- list $f (printf "%s-hl" $f) (printf "%s-metrics" $f) (printf "%s-auth" $f) (printf "%s-superuser" $f) (printf "%s-tls" $f) (printf "%s-client-tls" $f) (printf "%s-superuser-client-tls" $f) (printf "%s-monitor" $f) (printf "%s-test" $f) | toJson -}}
{{- else if eq .kind "external" -}}
{{- list $f (printf "%s-auth" $f) | toJson -}}
{{- else if eq .kind "backup" -}}
{{- list (printf "%s-backup" $f) (printf "%s-restore" $f) (printf "%s-restore-request" $f) (printf "%s-backup-verify" $f) (printf "%s-backup-volume" $f) | toJson -}}
{{- else -}}
{{- list (printf "%s-maintenance" $f) | toJson -}}
{{- end -}}
{{- end -}}

{{/*
Everything about one instance that could render a server that is not TLS-only, or a manifest
that does not work, fails here with the value's path and the fix.
*/}}
{{- define "postgres.validateInstance" -}}
{{- $i := .i -}}
{{- $path := .path -}}
{{- /* A block's errors name where the user wrote it: the instance, or the chart-wide default. */ -}}
{{- $in := dict -}}
{{- range $block := list "tls" "auth" "audit" "persistence" "config" "hba" "port" "priorityClassName" "podLabels" "podAnnotations" "nodeSelector" "tolerations" "affinity" "resources" "terminationGracePeriodSeconds" "networkPolicy" "podDisruptionBudget" "topologySpreadConstraints" "extensions" "initdb" "extraEnv" "extraVolumes" "extraVolumeMounts" "sidecars" "metrics" -}}
{{- $_ := set $in $block (ternary (printf "%s.%s" $path $block) (printf "postgres.%s" $block) (hasKey $.raw $block)) -}}
{{- end -}}
{{- include "common.validate.server" (dict "s" $i "in" $in "raw" .raw "base" "postgres" "path" $path "passwordKeys" (list "userPasswordKey" "adminPasswordKey") "context" .context) -}}
{{- include "common.validate.int" (dict "value" $i.terminationGracePeriodSeconds "path" $in.terminationGracePeriodSeconds "min" 10 "max" 86400) -}}
{{- include "common.validate.format" (dict "value" $i.auth.existingSuperuserSecret "path" (printf "%s.existingSuperuserSecret" $in.auth) "format" "dnsSubdomain" "optional" true) -}}
{{- include "common.metrics.validate" (dict "s" $i "path" $in.metrics "context" .context) -}}
{{- include "postgres.validateExtras" (dict "i" $i "in" $in "context" .context) -}}
{{- $ident := "^[a-z_][a-z0-9_]{0,62}$" -}}
{{- if not $i.database -}}
{{- fail (printf "%s.database is missing: name the instance's database, e.g. database: orders_db" $path) -}}
{{- end -}}
{{- if not (regexMatch $ident (toString $i.database)) -}}
{{- fail (printf "%s.database %q: use lower-case letters, digits and '_' (at most 63, not starting with a digit)" $path (toString $i.database)) -}}
{{- end -}}
{{- if has $i.database (list "postgres" "template0" "template1") -}}
{{- fail (printf "%s.database %q is one of the server's own databases; name the instance's database, e.g. %s_db" $path $i.database "app") -}}
{{- end -}}
{{- if not $i.user -}}
{{- fail (printf "%s.user is missing: name the instance's application user, e.g. user: orders_user" $path) -}}
{{- end -}}
{{- if not (regexMatch $ident (toString $i.user)) -}}
{{- fail (printf "%s.user %q: use lower-case letters, digits and '_' (at most 63, not starting with a digit)" $path (toString $i.user)) -}}
{{- end -}}
{{- if or (eq $i.user "postgres") (hasPrefix "pg_" $i.user) (has $i.user (list "public" "none" "current_user" "current_role" "session_user" "all")) -}}
{{- fail (printf "%s.user %q is reserved (postgres is the superuser, pg_ prefixes are system roles; public, none, all, current_user, current_role and session_user are keywords); choose an application user name" $path $i.user) -}}
{{- end -}}
{{- if not (has $i.tls.minProtocolVersion (list "TLSv1.2" "TLSv1.3")) -}}
{{- fail (printf "%s.minProtocolVersion is %q: PostgreSQL must refuse TLS below 1.2; use TLSv1.2 or TLSv1.3" $in.tls (toString $i.tls.minProtocolVersion)) -}}
{{- end -}}
{{- include "common.validate.maps" (dict "values" $i "path" $path "keys" (list "audit")) -}}
{{- range $k := list "logConnections" "logDisconnections" -}}
{{- include "common.validate.bool" (dict "value" (get $i.audit $k) "path" (printf "%s.%s" $in.audit $k)) -}}
{{- end -}}
{{- if not (has $i.audit.logStatement (list "none" "ddl" "mod" "all")) -}}
{{- fail (printf "%s.logStatement is %q: use none, ddl, mod or all" $in.audit (toString $i.audit.logStatement)) -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $i.audit.logMinDurationStatement "path" (printf "%s.logMinDurationStatement" $in.audit) "min" -1 "max" 2147483647) -}}
{{- include "common.validate.line" (dict "value" $i.audit.logLinePrefix "path" (printf "%s.logLinePrefix" $in.audit)) -}}
{{- if not (or (kindIs "map" $i.config) (kindIs "invalid" $i.config)) -}}
{{- fail (printf "%s: give a map of parameter: value" $in.config) -}}
{{- end -}}
{{- if not (or (kindIs "slice" $i.hba) (kindIs "invalid" $i.hba)) -}}
{{- fail (printf "%s: give a list of rules" $in.hba) -}}
{{- end -}}
{{- /* The instance's files share one ConfigMap, which Kubernetes caps at 1 MiB. */ -}}
{{- if gt (len ($i.config | default dict)) 200 -}}
{{- fail (printf "%s has %d parameters: at most 200 fit the instance's ConfigMap" $in.config (len $i.config)) -}}
{{- end -}}
{{- if gt (len ($i.hba | default list)) 200 -}}
{{- fail (printf "%s has %d rules: at most 200 fit the instance's ConfigMap" $in.hba (len $i.hba)) -}}
{{- end -}}
{{- include "postgres.validateConfig" (dict "config" $i.config "path" $in.config "minProtocolVersion" $i.tls.minProtocolVersion) -}}
{{- range $n, $rule := $i.hba -}}
{{- include "postgres.validateHbaRule" (dict "rule" $rule "path" (printf "%s[%d]" $in.hba $n)) -}}
{{- end -}}
{{- end -}}

{{/*
postgresql.conf settings the chart owns: the ones whose override would reopen a fault the chart
exists to prevent (no TLS, localhost only, weaker password hashing, certificates elsewhere).
*/}}
{{- define "postgres.validateConfig" -}}
{{- $managed := dict
  "ssl" "TLS is always on"
  "listen_addresses" "the server listens on every interface; restrict clients with hba rules and NetworkPolicies"
  "port" "use port"
  "ssl_min_protocol_version" "use tls.minProtocolVersion"
  "ssl_cert_file" "the init container writes the certificate there; choose it with tls"
  "ssl_key_file" "the init container writes the key there; choose it with tls"
  "ssl_ca_file" "the init container writes the CA there; choose it with tls"
  "ssl_passphrase_command" "keys are never passphrase-protected here"
  "password_encryption" "passwords are always stored as SCRAM-SHA-256 verifiers"
  "hba_file" "add rules with hba"
  "ident_file" "the chart does not use ident maps"
  "data_directory" "the data directory is the PVC"
  "config_file" "the chart renders the configuration file"
  "unix_socket_directories" "the socket lives in the pod's run directory"
  "include" "the chart renders the whole configuration"
  "include_dir" "the chart renders the whole configuration"
  "include_if_exists" "the chart renders the whole configuration"
  "ssl_ciphers" "the server's own cipher list is kept: a list of your own could allow NULL or export ciphers"
  "ssl_prefer_server_ciphers" "the server always chooses the cipher"
  "logging_collector" "logs go to stderr for the cluster's log collector"
  "log_destination" "logs go to stderr for the cluster's log collector"
  "log_connections" "use audit.logConnections"
  "log_disconnections" "use audit.logDisconnections"
  "log_statement" "use audit.logStatement"
  "log_min_duration_statement" "use audit.logMinDurationStatement"
  "log_line_prefix" "use audit.logLinePrefix"
-}}
{{- range $key, $value := .config -}}
{{- if hasKey $managed $key -}}
{{- fail (printf "%s.%s: this setting is managed by the chart (%s); remove it" $.path $key (get $managed $key)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9_.]*$" $key) -}}
{{- fail (printf "%s: %q is not a postgresql.conf parameter name" $.path $key) -}}
{{- end -}}
{{- if or (kindIs "map" $value) (kindIs "slice" $value) (kindIs "invalid" $value) -}}
{{- fail (printf "%s.%s: a value must be a string, number or boolean" $.path $key) -}}
{{- end -}}
{{- if kindIs "string" $value -}}
{{- include "common.validate.line" (dict "value" $value "path" (printf "%s.%s" $.path $key)) -}}
{{- end -}}
{{- if eq $key "ssl_max_protocol_version" -}}
{{- if not (has $value (list "" "TLSv1.2" "TLSv1.3")) -}}
{{- fail (printf "%s.ssl_max_protocol_version is %q: use TLSv1.2 or TLSv1.3 (not below tls.minProtocolVersion), or remove it" $.path (toString $value)) -}}
{{- end -}}
{{- if and (eq $value "TLSv1.2") (eq $.minProtocolVersion "TLSv1.3") -}}
{{- fail (printf "%s.ssl_max_protocol_version is TLSv1.2, below tls.minProtocolVersion TLSv1.3: no client could connect" $.path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Extra pg_hba.conf rules may only be hostssl: a "host" or "hostnossl" line would accept a client
without TLS, and trust/password/md5 would accept one without a SCRAM password or a certificate.
*/}}
{{- define "postgres.validateHbaRule" -}}
{{- $r := .rule -}}
{{- if not (kindIs "map" $r) -}}
{{- fail (printf "%s: a rule is a map {database, user, address, method}" .path) -}}
{{- end -}}
{{- $type := $r.type | default "hostssl" -}}
{{- if ne $type "hostssl" -}}
{{- fail (printf "%s.type is %q: only hostssl rules are allowed (host and hostnossl would accept clients without TLS); remove type or set it to hostssl" .path $type) -}}
{{- end -}}
{{- if not (has ($r.method | default "") (list "scram-sha-256" "cert" "reject")) -}}
{{- fail (printf "%s.method is %q: use scram-sha-256, cert or reject (trust, password and md5 are refused)" .path (toString ($r.method | default ""))) -}}
{{- end -}}
{{- range $f := list "database" "user" "address" -}}
{{- $v := toString (index $r $f | default "") -}}
{{- /* No spaces, quotes or '@' (which would include a file's contents as the list of names). */ -}}
{{- if not (regexMatch "^[-A-Za-z0-9_.,:/+]+$" $v) -}}
{{- fail (printf "%s.%s is %q: give a pg_hba %s without spaces, quotes or @file: letters, digits and - _ . , : / + (e.g. all, a name, or a CIDR address)" $.path $f $v $f) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
One postgresql.conf value: booleans as on/off, whole numbers without exponent, strings quoted as
the server's lexer reads them (a backslash escapes, a quote is doubled; line breaks are refused
before this).
*/}}
{{- define "postgres.confValue" -}}
{{- if kindIs "bool" . -}}
{{- ternary "on" "off" . -}}
{{- else if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) -}}
{{- if eq (float64 .) (float64 (int64 .)) -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
'{{ toString . | replace "\\" "\\\\" | replace "'" "''" }}'
{{- end -}}
{{- end -}}

{{/* Pod paths; the real-server tests map them onto a temporary directory. */}}
{{- define "postgres.paths" -}}
monitor: /run/secrets/postgres-monitor
config: /etc/postgresql
initdb: /docker-entrypoint-initdb.d
credentials: /run/secrets/postgres
run: /var/run/postgresql
data: /var/lib/postgresql/data
pgdata: /var/lib/postgresql/data/pgdata
{{- end -}}


{{/*
Extensions, user init scripts and the extra hooks (common.extras) of one instance.
*/}}
{{- define "postgres.validateExtras" -}}
{{- $i := .i -}}
{{- if not (or (kindIs "slice" $i.extensions) (kindIs "invalid" $i.extensions)) -}}
{{- fail (printf "%s: give a list of extension names, e.g. [pgcrypto, pg_stat_statements]" .in.extensions) -}}
{{- end -}}
{{- $seen := list -}}
{{- range $n, $e := $i.extensions -}}
{{- /* Extension names as PostgreSQL's contrib and most packages spell them (uuid-ossp has a
hyphen); always double-quoted in SQL. */ -}}
{{- if not (regexMatch "^[a-z_][a-z0-9_-]{0,62}$" (toString $e)) -}}
{{- fail (printf "%s[%d] %q: an extension name is lower-case letters, digits, '_' and '-'" $.in.extensions $n (toString $e)) -}}
{{- end -}}
{{- if has $e $seen -}}
{{- fail (printf "%s: %q appears twice" $.in.extensions $e) -}}
{{- end -}}
{{- $seen = append $seen $e -}}
{{- end -}}
{{- include "common.validate.maps" (dict "values" $i "path" .in.initdb "keys" (list "initdb")) -}}
{{- range $k := list "scriptsConfigMap" "scriptsSecret" -}}
{{- include "common.validate.format" (dict "value" (get $i.initdb $k) "path" (printf "%s.%s" $.in.initdb $k) "format" "dnsSubdomain" "optional" true) -}}
{{- end -}}
{{- $paths := include "postgres.paths" . | fromYaml -}}
{{- /* POSTGRES_*: the official image's entrypoint reads them (POSTGRES_HOST_AUTH_METHOD=trust
would open the server, POSTGRES_PASSWORD replace the Secret file). PG*: libpq reads them in every
psql the chart runs in the container (the init script: PGOPTIONS would change its session's
settings, PGHOSTADDR or PGSERVICE where it connects), and the server and entrypoint PGDATA,
PGPORT, PG_MAJOR. A prefix, so that libpq's next variable is refused too. */ -}}
{{- include "common.extras.validate" (dict "s" $i "in" .in "server" "postgres" "context" .context
  "env" (list)
  "envPrefixes" (list "POSTGRES_" "PG")
  "envWhy" "the official image's entrypoint reads POSTGRES_*, and libpq and the server read PG*: they decide how the database is initialised, where the chart's psql connects and what its sessions log"
  "envFix" (printf "remove it: server parameters go in %s, users, databases and TLS in the chart's values, extra SQL in %s.scriptsConfigMap" .in.config .in.initdb)
  "volumes" (list "data" "config" "initdb" "scripts" "tls-secret" "tls" "credentials" "run" "tmp" "monitor")
  "paths" (list "/var/lib/postgresql" $paths.config $paths.initdb $paths.credentials $paths.run "/tls" "/tls-secret" "/tmp" "/opt/datastores")) -}}
{{- end -}}

{{/* The extensions that only load when preloaded at server start. */}}
{{- define "postgres.preloadExtensions" -}}
{{- list "pg_stat_statements" "pgaudit" "pg_cron" "timescaledb" | toJson -}}
{{- end -}}
