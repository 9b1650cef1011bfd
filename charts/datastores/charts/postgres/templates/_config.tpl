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
Runs once, when the data directory is created (docker-entrypoint-initdb.d), as the superuser in the
instance's database. The application user's password is read from the Secret file by psql itself
(backquotes in \set), so it is never in an argument list, and the statement that carries it is
never logged, whatever log_statement says.
*/}}
{{- define "postgres.initSQL" -}}
-- Rendered by the datastores chart for instance {{ .i.name }}.
\set ON_ERROR_STOP on
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
\set app_password `cat {{ .paths.credentials }}/password`
CREATE ROLE "{{ .i.user }}" LOGIN PASSWORD :'app_password';
\unset app_password
RESET log_statement;
RESET log_min_duration_statement;
RESET log_min_error_statement;
ALTER DATABASE "{{ .i.database }}" OWNER TO "{{ .i.user }}";
REVOKE ALL ON DATABASE "{{ .i.database }}" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE "{{ .i.database }}" TO "{{ .i.user }}";
{{- range .i.extensions }}
CREATE EXTENSION IF NOT EXISTS "{{ . }}";
{{- end }}
{{- if .i.metrics.enabled }}
-- The metrics exporter's login: statistics only (pg_monitor), from localhost only (pg_hba.conf).
SET log_statement = 'none';
\set monitor_password `cat {{ .paths.monitor }}/password`
CREATE ROLE datastores_monitor LOGIN PASSWORD :'monitor_password';
\unset monitor_password
RESET log_statement;
GRANT pg_monitor TO datastores_monitor;
GRANT CONNECT ON DATABASE "{{ .i.database }}" TO datastores_monitor;
{{- end }}
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
