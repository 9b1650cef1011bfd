{{/*
postgres.instances: every entry of .Values.instances with the chart-wide defaults merged in,
validated, and with the names of its objects. Every template ranges over it:
  {{- range $i := include "postgres.instances" . | fromJsonArray }}
*/}}
{{- define "postgres.instances" -}}
{{- include "common.memo" (dict "context" . "template" "postgres.instances.compute") -}}
{{- end -}}

{{- define "postgres.instances.compute" -}}
{{- $defaults := omit .Values "instances" "image" "imagePullSecrets" "securityContext" "global" "enabled" "nameOverride" "fullnameOverride" "backup" -}}
{{- $out := list -}}
{{- range $name := keys (.Values.instances | default dict) | sortAlpha -}}
{{- $path := printf "postgres.instances.%s" $name -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "%s: the instance name %q must be a DNS label (lower-case letters, digits and '-', starting with a letter), since it names the instance's Services" $path $name) -}}
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
{{- include "postgres.validateInstance" (dict "i" $i "raw" $raw "path" $path) -}}
{{- $full := include "common.names.instance" (dict "context" $ "name" $name "path" $path) -}}
{{- $_ := set $i "name" $name -}}
{{- $_ = set $i "fullname" $full -}}
{{- $_ = set $i "headlessService" (printf "%s-hl" $full) -}}
{{- $_ = set $i "authSecret" ($i.auth.existingSecret | default (printf "%s-auth" $full)) -}}
{{- $_ = set $i "tlsSecret" (ternary $i.tls.existingSecret.name (printf "%s-tls" $full) (eq $i.tls.source "existingSecret")) -}}
{{- $_ = set $i "clientTlsSecret" (printf "%s-client-tls" $full) -}}
{{- $_ = set $i "clientName" $i.user -}}
{{- $_ = set $i "serverUsages" (list "server auth") -}}
{{- $_ = set $i "component" "database" -}}
{{- $out = append $out $i -}}
{{- end -}}
{{- toJson $out -}}
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
{{- range $block := list "tls" "auth" "audit" "persistence" "config" "hba" -}}
{{- $_ := set $in $block (ternary (printf "%s.%s" $path $block) (printf "postgres.%s" $block) (hasKey $.raw $block)) -}}
{{- end -}}
{{- $ident := "^[a-z_][a-z0-9_]{0,62}$" -}}
{{- if not $i.database -}}
{{- fail (printf "%s.database is missing: name the instance's database, e.g. database: orders_db" $path) -}}
{{- end -}}
{{- if not (regexMatch $ident (toString $i.database)) -}}
{{- fail (printf "%s.database %q: use lower-case letters, digits and '_' (at most 63, not starting with a digit)" $path (toString $i.database)) -}}
{{- end -}}
{{- if not $i.user -}}
{{- fail (printf "%s.user is missing: name the instance's application user, e.g. user: orders_user" $path) -}}
{{- end -}}
{{- if not (regexMatch $ident (toString $i.user)) -}}
{{- fail (printf "%s.user %q: use lower-case letters, digits and '_' (at most 63, not starting with a digit)" $path (toString $i.user)) -}}
{{- end -}}
{{- if or (eq $i.user "postgres") (hasPrefix "pg_" $i.user) -}}
{{- fail (printf "%s.user %q is reserved (postgres is the superuser, pg_ prefixes are system roles); choose an application user name" $path $i.user) -}}
{{- end -}}
{{- include "common.tls.validate" (dict "tls" $i.tls "path" $in.tls) -}}
{{- if not (has $i.tls.minProtocolVersion (list "TLSv1.2" "TLSv1.3")) -}}
{{- fail (printf "%s.minProtocolVersion is %q: PostgreSQL must refuse TLS below 1.2; use TLSv1.2 or TLSv1.3" $in.tls (toString $i.tls.minProtocolVersion)) -}}
{{- end -}}
{{- include "common.secrets.validate" (dict "auth" $i.auth "path" $in.auth "keys" (list "userPasswordKey" "adminPasswordKey")) -}}
{{- if not (has $i.audit.logStatement (list "none" "ddl" "mod" "all")) -}}
{{- fail (printf "%s.logStatement is %q: use none, ddl, mod or all" $in.audit (toString $i.audit.logStatement)) -}}
{{- end -}}
{{- if and (not $i.persistence.existingClaim) (not $i.persistence.size) -}}
{{- fail (printf "%s.size is empty: give the data volume a size (e.g. 8Gi) or set %s.existingClaim; data never lives on an emptyDir" $in.persistence $in.persistence) -}}
{{- end -}}
{{- include "postgres.validateConfig" (dict "config" $i.config "path" $in.config) -}}
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
-}}
{{- range $key, $value := .config -}}
{{- if hasKey $managed $key -}}
{{- fail (printf "%s.%s: this setting is managed by the chart (%s); remove it" $.path $key (get $managed $key)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9_.]*$" $key) -}}
{{- fail (printf "%s: %q is not a postgresql.conf parameter name" $.path $key) -}}
{{- end -}}
{{- if and (kindIs "string" $value) (regexMatch "[\\n\\r]" $value) -}}
{{- fail (printf "%s.%s: a value must be on one line" $.path $key) -}}
{{- end -}}
{{- if or (kindIs "map" $value) (kindIs "slice" $value) -}}
{{- fail (printf "%s.%s: a value must be a string, number or boolean" $.path $key) -}}
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
{{- if not (regexMatch "^[-A-Za-z0-9_.,:/+@\"]+$" $v) -}}
{{- fail (printf "%s.%s is %q: give a pg_hba %s without spaces (e.g. all, a name, or a CIDR address)" $.path $f $v $f) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* One postgresql.conf value: booleans as on/off, whole numbers without exponent, strings quoted. */}}
{{- define "postgres.confValue" -}}
{{- if kindIs "bool" . -}}
{{- ternary "on" "off" . -}}
{{- else if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) -}}
{{- if eq (float64 .) (float64 (int64 .)) -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
'{{ toString . | replace "'" "''" }}'
{{- end -}}
{{- end -}}

{{/* Pod paths; the real-server tests map them onto a temporary directory. */}}
{{- define "postgres.paths" -}}
config: /etc/postgresql
initdb: /docker-entrypoint-initdb.d
credentials: /run/secrets/postgres
run: /var/run/postgresql
data: /var/lib/postgresql/data
pgdata: /var/lib/postgresql/data/pgdata
{{- end -}}

