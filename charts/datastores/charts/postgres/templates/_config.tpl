{{/*
postgresql.conf. The first block is what makes the server TLS-only and reachable; it is written
by the chart alone (postgres.validateConfig refuses overrides). Extra parameters come last.
*/}}
{{- define "postgres.postgresqlConf" -}}
{{- $i := .i -}}
# Rendered by the datastores chart for instance {{ $i.name }}.
# Network: every interface, so the Service reaches the server (localhost-only is the classic fault).
listen_addresses = '*'
port = {{ int $i.port }}
unix_socket_directories = '{{ .paths.run }}'
hba_file = '{{ .paths.config }}/pg_hba.conf'

# TLS: always on, certificates as the init container wrote them (key 0600, owned by the server).
ssl = on
{{- $tls := include "common.tls.paths" . | fromYaml }}
ssl_cert_file = '{{ $tls.dir }}/tls.crt'
ssl_key_file = '{{ $tls.dir }}/tls.key'
ssl_ca_file = '{{ $tls.dir }}/ca.crt'
ssl_min_protocol_version = '{{ $i.tls.minProtocolVersion }}'
ssl_prefer_server_ciphers = on

# Authentication: passwords are stored as SCRAM-SHA-256 verifiers.
password_encryption = scram-sha-256

# Audit logging, to stderr for the cluster's log collector.
logging_collector = off
log_destination = 'stderr'
log_connections = {{ ternary "on" "off" $i.audit.logConnections }}
log_disconnections = {{ ternary "on" "off" $i.audit.logDisconnections }}
log_statement = '{{ $i.audit.logStatement }}'
log_min_duration_statement = {{ int $i.audit.logMinDurationStatement }}
log_line_prefix = {{ include "postgres.confValue" $i.audit.logLinePrefix }}
{{- /* Extensions that load only when preloaded, and whatever config preloads besides. */}}
{{- $preload := list }}
{{- with $i.config }}{{ with .shared_preload_libraries }}{{ $preload = splitList "," (toString .) }}{{ end }}{{ end }}
{{- range $e := $i.extensions }}{{ if has $e (include "postgres.preloadExtensions" $ | fromJsonArray) }}{{ $preload = append $preload $e }}{{ end }}{{ end }}
{{- $preload = without (compact (uniq (join "," $preload | nospace | splitList ","))) "" }}
{{- with $preload }}

# Libraries loaded at start (the extensions list, and config.shared_preload_libraries).
shared_preload_libraries = {{ include "postgres.confValue" (join "," .) }}
{{- end }}
{{- with omit ($i.config | default dict) "shared_preload_libraries" }}

# Extra parameters (values: postgres.config and postgres.instances.{{ $i.name }}.config).
{{- range $key := keys . | sortAlpha }}
{{ $key }} = {{ include "postgres.confValue" (get $i.config $key) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
pg_hba.conf: TLS or nothing. Plaintext TCP is rejected outright for IPv4 and IPv6, so a client
that does not ask for TLS gets "no pg_hba.conf entry ... no encryption" instead of a password
prompt; every TCP client that does use TLS must give a SCRAM password, and with
tls.clientCertificates also a certificate from the CA whose CN is its user name.
*/}}
{{- define "postgres.hbaConf" -}}
{{- $opts := ternary " clientcert=verify-full" "" (eq (toString .tls.clientCertificates) "true") -}}
# Rendered by the datastores chart for instance {{ .name }}. First matching line wins.
# TYPE    DATABASE  USER  ADDRESS    METHOD
# Inside the pod, over the Unix socket (probes, initialisation).
local     all       all              scram-sha-256
# Plaintext TCP: refused.
hostnossl all       all   0.0.0.0/0  reject
hostnossl all       all   ::/0       reject
# The metrics exporter's login, from inside the pod only (password, no client certificate).
hostssl   all       datastores_monitor  127.0.0.1/32  scram-sha-256
hostssl   all       datastores_monitor  ::1/128       scram-sha-256
hostssl   all       datastores_monitor  all           reject
{{- range .hba }}
hostssl   {{ .database }} {{ .user }} {{ .address }} {{ .method }}{{ if eq .method "scram-sha-256" }}{{ $opts }}{{ end }}
{{- end }}
# TLS: SCRAM-SHA-256 password{{ if $opts }} and a verified client certificate{{ end }}.
hostssl   all       all   0.0.0.0/0  scram-sha-256{{ $opts }}
hostssl   all       all   ::/0       scram-sha-256{{ $opts }}
{{- end -}}

{{/*
Passwords reach the server only as SCRAM-SHA-256 verifiers: no statement the chart sends carries
a password. A role is created without one, then psql's \password reads the new password twice
from its stdin (the Secret file, written there by printf, a shell builtin, so never an argument
list), computes the verifier on the client (libpq's PQencryptPasswordConn, with the session's
password_encryption, set to scram-sha-256 here whatever PGOPTIONS says) and sends ALTER ROLE with
the verifier. So no logging setting (log_statement, log_min_duration_statement, the sampling
settings, debug_print_*, log_min_error_statement on an error, the same through PGOPTIONS) and no
pg_stat_statements can show the password. As a second line of defence the session keeps the
statements that carry verifiers out of the log and out of pg_stat_statements too.
*/}}
{{- define "postgres.passwordSessionSQL" -}}
SET password_encryption = 'scram-sha-256';
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_duration_sample = -1;
SET log_transaction_sample_rate = 0;
SET log_min_error_statement = 'panic';
SET debug_print_parse = off;
SET debug_print_rewritten = off;
SET debug_print_plan = off;
SET pg_stat_statements.track_utility = off;
{{- end -}}

{{/* Back to the server's logging settings (password_encryption stays). */}}
{{- define "postgres.passwordSessionResetSQL" -}}
RESET log_statement;
RESET log_min_duration_statement;
RESET log_min_duration_sample;
RESET log_transaction_sample_rate;
RESET log_min_error_statement;
RESET debug_print_parse;
RESET debug_print_rewritten;
RESET debug_print_plan;
RESET pg_stat_statements.track_utility;
{{- end -}}

{{/*
Shell functions of the scripts that set passwords with psql's \password (.name prefixes their
messages).
  no_terminal   fails unless a command started by setsid has no terminal to read: \password
                reads /dev/tty whenever it can open it, and stdin only when it cannot, so with a
                terminal attached (docker run -t, kubectl run -t, go test in a terminal) psql
                would wait there instead of reading the Secret file. Containers have none, and
                setsid (BusyBox's in the Alpine image, util-linux's in Debian's) starts psql in a
                session of its own, which has none either. A setsid that is missing, or that
                forks the command off (it does when the caller leads its process group), fails
                here, with a message, instead of hanging.
  new_password  prints the password in FILE without its trailing line breaks; an empty one, or
                one of several lines (\password reads a line per prompt), is refused.
*/}}
{{- define "postgres.passwordFunctions" -}}
no_terminal() {
  if ! command -v setsid >/dev/null 2>&1; then
    printf '%s\n' "{{ .name }}: setsid is missing from the image; without it psql's \\password would read a terminal instead of the Secret file" >&2
    return 1
  fi
  if setsid sh -c ': </dev/tty' 2>/dev/null; then
    printf '%s\n' "{{ .name }}: a terminal is still reachable under setsid, where psql's \\password would wait for the password; refusing" >&2
    return 1
  fi
}
new_password() {
  pw="$(cat "$1")" || return 1
  nl='
'
  case "$pw" in
    "") echo "{{ .name }}: $1 is empty" >&2; return 1 ;;
    *"$nl"* | *"$(printf '\r')"*) echo "{{ .name }}: $1 holds a line break; give a password of one line" >&2; return 1 ;;
  esac
  printf '%s' "$pw"
}
{{- end -}}

{{/*
Runs once, when the data directory is created: the official image's entrypoint runs the
executable 10-datastores-init.sh from docker-entrypoint-initdb.d (before the user's scripts,
20-...) against its temporary server, which listens on the Unix socket only. The script runs this
SQL with psql -f as the superuser in the instance's database, its stdin holding the passwords for
each \password in order (see postgres.passwordSessionSQL): the SQL holds none.
*/}}
{{- define "postgres.initSQL" -}}
-- Rendered by the datastores chart for instance {{ .i.name }}: run once by 10-datastores-init.sh.
-- No statement carries a password: each \password reads one from psql's stdin and sends the
-- server the SCRAM-SHA-256 verifier psql computes.
\set ON_ERROR_STOP on
{{ include "postgres.passwordSessionSQL" . }}
CREATE ROLE "{{ .i.user }}" LOGIN;
\password "{{ .i.user }}"
{{- if .i.metrics.enabled }}
-- The metrics exporter's login: statistics only (pg_monitor), from localhost only (pg_hba.conf).
CREATE ROLE datastores_monitor LOGIN;
\password datastores_monitor
{{- end }}
{{ include "postgres.passwordSessionResetSQL" . }}
ALTER DATABASE "{{ .i.database }}" OWNER TO "{{ .i.user }}";
REVOKE ALL ON DATABASE "{{ .i.database }}" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE "{{ .i.database }}" TO "{{ .i.user }}";
{{- range .i.extensions }}
CREATE EXTENSION IF NOT EXISTS "{{ . }}";
{{- end }}
{{- if .i.metrics.enabled }}
GRANT pg_monitor TO datastores_monitor;
GRANT CONNECT ON DATABASE "{{ .i.database }}" TO datastores_monitor;
{{- end }}
{{- end -}}

{{/*
10-datastores-init.sh: runs postgres.initSQL, feeding psql the passwords from the Secret files.
Executable (mode 0555 in the initdb volume), so the entrypoint runs it with /bin/sh (BusyBox's in
the Alpine image, dash in Debian's); should it ever be sourced by the entrypoint's bash instead,
the subshell keeps set -eu and exit to itself. The superuser's password reaches psql as PGPASSWORD,
as the entrypoint itself passes it; the others only through the pipe.
*/}}
{{- define "postgres.initScript" -}}
#!/bin/sh
# Rendered by the datastores chart for instance {{ .i.name }}: run once by the image's entrypoint, at
# the first start. It runs {{ .paths.config }}/init.sql, which holds no password: psql's
# \password reads each one from stdin and sends the server a SCRAM-SHA-256 verifier.
(
set -eu
{{ include "postgres.passwordFunctions" (dict "name" "datastores-init") }}
no_terminal
app="$(new_password {{ .paths.credentials }}/password)"
{{- if .i.metrics.enabled }}
monitor="$(new_password {{ .paths.monitor }}/password)"
{{- end }}
PGPASSWORD="$(cat {{ .paths.credentials }}/postgres-password)"
export PGPASSWORD
printf '%s\n' "datastores-init: creating {{ .i.user }}{{ if .i.metrics.enabled }} and datastores_monitor{{ end }}; psql's \\password reads the passwords from the Secret files and sends SCRAM-SHA-256 verifiers"
# Two lines per \password (the password and its confirmation), in init.sql's order.
{ printf '%s\n%s\n' "$app" "$app"{{ if .i.metrics.enabled }}; printf '%s\n%s\n' "$monitor" "$monitor"{{ end }}; } |
  setsid psql -X -v ON_ERROR_STOP=1 -h {{ .paths.run }} -p {{ int .i.port }} -U postgres -d "{{ .i.database }}" -f {{ .paths.config }}/init.sql
# The prompts psql wrote to stderr end without a line break.
echo >&2
)
{{- end -}}

{{/*
The tls-reloader's reload command (see common.scripts.prepareTLS): pg_reload_conf() makes the
postmaster re-read ssl_cert_file, ssl_key_file and ssl_ca_file (PostgreSQL 10 and later); open
sessions keep the TLS they have, new ones get the new certificate, and a certificate that does not
load leaves the old one in place (the server logs why). It connects over the Unix socket, so it
works whatever certificate the server holds, as the superuser, whose password psql reads from its
Secret file through the environment, never a command line.
*/}}
{{- define "postgres.reloadTLSScript" -}}
#!/bin/sh
# reload-tls: make the running server load its certificate files again.
set -eu
PGPASSWORD="$(cat {{ .paths.credentials }}/postgres-password)"
export PGPASSWORD
reloaded="$(psql -XAtq -h {{ .paths.run }} -p {{ int .i.port }} -U postgres -d postgres -c 'SELECT pg_reload_conf()')"
[ "$reloaded" = t ] || { echo "pg_reload_conf() returned \"$reloaded\"" >&2; exit 1; }
echo "pg_reload_conf"
{{- end -}}


{{/*
The postgres_exporter container: verify-full to localhost (in every server certificate) as
datastores_monitor, the password from the monitoring Secret's file; pg_stat_statements' collector
when the extension is listed.
*/}}
{{- define "postgres.metricsContainer" -}}
{{- $i := .i -}}
{{- $m := $i.metrics -}}
- name: metrics
  image: {{ include "common.images.image" (dict "image" $m.image "context" .context "path" "postgres.metrics.image") | quote }}
  imagePullPolicy: {{ $m.image.pullPolicy | quote }}
  command: ["/bin/postgres_exporter"]
  args:
    - --web.listen-address=:{{ int $m.port }}
    - --log.level=warn
    {{- if has "pg_stat_statements" $i.extensions }}
    - --collector.stat_statements
    {{- end }}
  env:
    - name: DATA_SOURCE_URI
      value: {{ printf "localhost:%d/%s?sslmode=verify-full&sslrootcert=/tls/ca.crt" (int $i.port) $i.database | quote }}
    - name: DATA_SOURCE_USER
      value: datastores_monitor
    - name: DATA_SOURCE_PASS_FILE
      value: {{ .paths.monitor }}/password
  ports:
    - name: metrics
      containerPort: {{ int $m.port }}
      protocol: TCP
  readinessProbe:
    httpGet:
      path: /
      port: metrics
    periodSeconds: 30
    timeoutSeconds: 5
  securityContext:
    {{- include "common.security.containerSecurityContext" .securityContext | nindent 4 }}
  {{- with $m.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: tls
      mountPath: /tls
      readOnly: true
    - name: monitor
      mountPath: {{ .paths.monitor }}
      readOnly: true
{{- end -}}
