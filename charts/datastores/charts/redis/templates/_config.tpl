{{/*
redis.conf. The plaintext port is closed and TLS is the only way in; users come from the ACL file
the start script writes from Secrets, so no password is ever in this file.
*/}}
{{- define "redis.conf" -}}
{{- $p := include "redis.paths" . | fromYaml -}}
{{- $tls := include "common.tls.paths" . | fromYaml -}}
{{- $s := .server -}}
# Rendered by the datastores chart.
# Network: every interface, TLS only; the plaintext port is closed.
bind * -::*
protected-mode yes
port 0
tls-port {{ int $s.port }}

# TLS, with the files the init container wrote.
tls-cert-file {{ $tls.dir }}/tls.crt
tls-key-file {{ $tls.dir }}/tls.key
tls-ca-cert-file {{ $tls.dir }}/ca.crt
tls-protocols "{{ $s.tls.protocols }}"
tls-prefer-server-ciphers yes
tls-auth-clients {{ $s.tls.authClients }}
# Replicas attached to this server replicate over TLS too.
tls-replication yes

# Authentication: ACL users with SHA-256 password hashes, written at start from the Secrets.
aclfile {{ $p.run }}/users.acl
{{- if $s.tls.reload.enabled }}
# A socket only the server's own uid can open, for the tls-reloader's CONFIG SET (it needs no
# certificate, so it works whatever certificate the server holds); AUTH is required there too.
unixsocket {{ $p.run }}/redis.sock
unixsocketperm 700
{{- end }}

# Persistence on the PVC: append-only file and RDB snapshots.
dir {{ $p.data }}
appendonly yes
appendfsync {{ $s.persistence.appendfsync }}
appenddirname appendonlydir
dbfilename dump.rdb
save {{ $s.persistence.save }}
{{- with $s.config }}

# Extra directives (values: redis.config).
{{- range $key := keys . | sortAlpha }}
{{ $key }} {{ include "redis.confValue" (get $s.config $key) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The container's command: writes the ACL file, then execs redis-server. Each password is read
from its Secret file and only its SHA-256 goes into the file (Redis's "#<hash>" rule): no password
is ever an argument, an environment value or a line of a config file. Extra arguments go to
redis-server.
*/}}
{{- define "redis.startScript" -}}
{{- $p := include "redis.paths" . | fromYaml -}}
{{- $s := .server -}}
#!/bin/sh
# start-redis: write the ACL file from the password Secrets, then run redis-server.
set -eu
umask 077
acl="{{ $p.run }}/users.acl"
hash() {
  if [ ! -s "$1" ]; then
    echo "start-redis: the password file $1 is missing or empty" >&2
    exit 1
  fi
  tr -d '\r\n' < "$1" | sha256sum | cut -d' ' -f1
}
{{- if $s.tls.reload.enabled }}
# The tls-reloader's password: new at every start, known only inside the pod (the in-memory run
# volume, 0600 for the server's uid), so no Secret a client holds grants CONFIG SET.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > {{ $p.run }}/reload.password
{{- end }}
{
{{- if $s.auth.disableDefaultUser }}
  echo "user default off"
  echo "user datastores-probe on #$(hash {{ $p.credentials }}/password) -@all +ping"
{{- else }}
  echo "user default on #$(hash {{ $p.credentials }}/password) ~* &* +@all"
{{- end }}
{{- range $u := $s.auth.users }}
  echo "user {{ $u.name }} on #$(hash {{ $p.users }}/{{ $u.name }}/password) {{ $u.rules }}"
{{- end }}
{{- if $s.tls.reload.enabled }}
  echo "user datastores-reload on #$(hash {{ $p.run }}/reload.password) -@all +config|set"
{{- end }}
{{- if $s.metrics.enabled }}
  echo "user datastores-monitor on #$(hash {{ $p.users }}/datastores-monitor/password) -@all +info +client|setname +latency|latest +latency|histogram +slowlog|len +slowlog|get"
{{- end }}
} > "$acl.tmp"
mv -f "$acl.tmp" "$acl"
exec redis-server {{ $p.config }}/redis.conf "$@"
{{- end -}}

{{/*
The probes' command: PING over TLS with AUTH. The password reaches redis-cli through its
environment (REDISCLI_AUTH), read from the Secret file at run time, never on a command line. The
server's own certificate serves as client certificate when tls.authClients asks for one.
*/}}
{{- define "redis.probeScript" -}}
{{- $p := include "redis.paths" . | fromYaml -}}
{{- $tls := include "common.tls.paths" . | fromYaml -}}
{{- $s := .server -}}
#!/bin/sh
# probe: PING over TLS, authenticated.
set -eu
REDISCLI_AUTH="$(tr -d '\r\n' < {{ $p.credentials }}/password)"
export REDISCLI_AUTH
reply="$(redis-cli --no-auth-warning --tls --cacert {{ $tls.dir }}/ca.crt --cert {{ $tls.dir }}/tls.crt --key {{ $tls.dir }}/tls.key \
  -h localhost -p {{ int $s.port }}{{ if $s.auth.disableDefaultUser }} --user datastores-probe{{ end }} ping)"
if [ "$reply" != "PONG" ]; then
  echo "probe: $reply" >&2
  exit 1
fi
{{- end -}}


{{/*
The tls-reloader's reload command (see common.scripts.prepareTLS): CONFIG SET of the three TLS
files makes Redis load them again (set to the same path, they are re-read); established
connections keep their TLS, and a certificate that does not load is refused with the old one kept.
Over the server's Unix socket, as datastores-reload: a user that may run CONFIG SET only, whose
password the start script made for this run of the server (REDISCLI_AUTH, never an argument).
*/}}
{{- define "redis.reloadTLSScript" -}}
{{- $p := include "redis.paths" . | fromYaml -}}
{{- $tls := include "common.tls.paths" . | fromYaml -}}
{{- $s := .server -}}
#!/bin/sh
# reload-tls: make the running server load its certificate files again.
set -eu
REDISCLI_AUTH="$(cat {{ $p.run }}/reload.password)"
export REDISCLI_AUTH
reply="$(redis-cli --no-auth-warning -s {{ $p.run }}/redis.sock --user datastores-reload \
  CONFIG SET tls-cert-file {{ $tls.dir }}/tls.crt tls-key-file {{ $tls.dir }}/tls.key tls-ca-cert-file {{ $tls.dir }}/ca.crt)"
[ "$reply" = OK ] || { echo "CONFIG SET: $reply" >&2; exit 1; }
echo "CONFIG SET tls-cert-file tls-key-file tls-ca-cert-file"
{{- end -}}


{{/*
The redis_exporter container: TLS to localhost with the chart's CA (verification is the
exporter's default; --skip-tls-verification is never set), as datastores-monitor, whose ACL
allows INFO, SLOWLOG, LATENCY and CLIENT SETNAME only; no CONFIG GET (--config-command=-), which
would show masterauth. The password comes from the monitoring Secret through the environment
(REDIS_PASSWORD, never an argument). With client certificates required, it presents the server's.
*/}}
{{- define "redis.metricsContainer" -}}
{{- $s := .server -}}
{{- $m := $s.metrics -}}
- name: metrics
  image: {{ include "common.images.image" (dict "image" $m.image "context" .context "path" "redis.metrics.image") | quote }}
  imagePullPolicy: {{ $m.image.pullPolicy | quote }}
  command: ["/redis_exporter"]
  args:
    - --web.listen-address=:{{ int $m.port }}
    - --redis.addr=rediss://localhost:{{ int $s.port }}
    - --redis.user=datastores-monitor
    - --tls-ca-cert-file=/tls/ca.crt
    {{- if $s.tls.clientCertificates }}
    - --tls-client-cert-file=/tls/tls.crt
    - --tls-client-key-file=/tls/tls.key
    {{- end }}
    - --config-command=-
  env:
    - name: REDIS_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ include "common.metrics.secretName" (dict "server" $s) | quote }}
          key: password
  ports:
    - name: metrics
      containerPort: {{ int $m.port }}
      protocol: TCP
  readinessProbe:
    httpGet:
      path: /health
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
{{- end -}}
