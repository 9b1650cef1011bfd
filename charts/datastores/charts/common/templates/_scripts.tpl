{{/*
The script that hands a server its certificate, in two roles.

prepare-tls (init container). A Secret volume cannot be chmod-ed, its files are readable by the
pod's fsGroup, and PostgreSQL refuses a private key with "group or world access"; so the script
copies the certificate, key and CA into an in-memory emptyDir owned by the server's uid and sets
the key to 0600, the certificates to 0644. It runs as the server's uid, never as root. A missing or
empty file fails with a message that names the Secret and the key.

tls-reloader (sidecar, argument "watch"). The kubelet updates a mounted Secret in place when it
changes (a cert-manager renewal, `helm upgrade` reissuing a generated certificate, a new
existingSecret), but a server reads its certificate at start only. Every TLS_RELOAD_SECONDS the
sidecar compares the Secret's files with the server's copy; when they differ it copies them again
(each file replaced by rename, so a reader never sees half a file) and runs TLS_RELOAD_COMMAND,
which makes the running server load them: PostgreSQL's pg_reload_conf(), Redis's CONFIG SET of its
tls-*-file settings. Neither drops a connection, and both keep the old certificate when the new one
does not load, so the command is retried until it succeeds. Why a sidecar and not the Secret read
in place: the copy keeps the key 0600 and owned by the server (the init container's job), and a
server never learns by itself that a file changed. It runs the server's own image (nothing more to
pull) with a shell loop, and compares contents rather than remembering a state, so a change made
between the init container and the sidecar's start is caught too.
Environment: TLS_SOURCE_DIR, TLS_DIR, TLS_SECRET_NAME, TLS_CERT_KEY, TLS_KEY_KEY, TLS_CA_KEY; for
watch also TLS_RELOAD_SECONDS and TLS_RELOAD_COMMAND.
*/}}
{{- define "common.scripts.prepareTLS" -}}
#!/bin/sh
# prepare-tls: copy the server certificate from the Secret volume to the server-owned emptyDir;
# with "watch", keep doing it and reload the server whenever the Secret changes.
set -eu
src="${TLS_SOURCE_DIR:?}"
dst="${TLS_DIR:?}"
pairs="${TLS_CERT_KEY:?}:tls.crt ${TLS_KEY_KEY:?}:tls.key ${TLS_CA_KEY:?}:ca.crt"
{{ include "common.scripts.certFunctions" . }}
complete() {
  ok=0
  for pair in $pairs; do
    key="${pair%%:*}"
    if [ ! -s "$src/$key" ]; then
      echo "prepare-tls: the TLS Secret \"${TLS_SECRET_NAME:-}\" has no key \"$key\" (or it is empty); the server needs it as ${pair#*:}" >&2
      ok=1
    fi
  done
  return "$ok"
}
copy() {
  umask 077
  for pair in $pairs; do
    cp "$src/${pair%%:*}" "$dst/${pair#*:}.tmp"
    chmod "$([ "${pair#*:}" = tls.key ] && echo 0600 || echo 0644)" "$dst/${pair#*:}.tmp"
    mv -f "$dst/${pair#*:}.tmp" "$dst/${pair#*:}"
  done
}
changed() {
  for pair in $pairs; do
    cmp -s "$src/${pair%%:*}" "$dst/${pair#*:}" || return 0
  done
  return 1
}
if [ "${1:-}" != watch ]; then
  complete || exit 1
  copy
  echo "prepare-tls: $dst/tls.crt 0644, $dst/tls.key 0600, $dst/ca.crt 0644, owner uid $(id -u); $(cert_summary "$dst/tls.crt")"
  exit 0
fi
# The sidecar: a TERM ends the wait at once (a shell as PID 1 would otherwise ignore it).
trap 'exit 0' TERM INT
interval="${TLS_RELOAD_SECONDS:?}"
pending=0
echo "tls-reloader: watching Secret \"${TLS_SECRET_NAME:-}\" every ${interval}s; serving $(cert_summary "$dst/tls.crt")"
while :; do
  sleep "$interval" &
  wait $! || true
  if changed && complete; then
    copy
    pending=1
    echo "tls-reloader: Secret \"${TLS_SECRET_NAME:-}\" changed: $(cert_summary "$dst/tls.crt")"
  fi
  if [ "$pending" -eq 1 ]; then
    if out="$("${TLS_RELOAD_COMMAND:?}" 2>&1)"; then
      pending=0
      echo "tls-reloader: the server reloaded its certificate ($out)"
    else
      echo "tls-reloader: reload failed, retrying in ${interval}s: $out" >&2
    fi
  fi
done
{{- end -}}

{{/*
Shell functions that read a PEM certificate with nothing but a POSIX shell, awk, base64 and od:
the chart's images (Alpine's postgres and redis) have no openssl command. The validity of an
X.509 certificate is, in DER, a SEQUENCE of two times (UTCTime, tag 0x17, or GeneralizedTime, tag
0x18) with fixed lengths, so its byte pattern is unmistakable; the first match in the first
certificate of the file is its validity.
  cert_not_after FILE   the first certificate's notAfter as "YYYY-MM-DD hh:mm:ss" (UTC)
  cert_days_left FILE   whole days from now to notAfter (negative once expired)
  cert_sha256 FILE      the SHA-256 fingerprint of the first certificate's DER
  cert_summary FILE     "sha256 <fingerprint>, expires <notAfter> UTC"
*/}}
{{- define "common.scripts.certFunctions" -}}
cert_der() {
  awk '/-----BEGIN CERTIFICATE-----/ { on = 1; next } /-----END CERTIFICATE-----/ { exit } on' "$1" | base64 -d
}
cert_not_after() {
  hex="$(cert_der "$1" | od -An -v -tx1 | tr '\n' ' ' | tr -s ' ')"
  t="$(printf '%s\n' "$hex" | sed -nE \
    -e 's/^.* 30 1e 17 0d( 3[0-9]){12} 5a 17 0d(( 3[0-9]){12}) 5a .*$/u\2/p' \
    -e 's/^.* 30 20 17 0d( 3[0-9]){12} 5a 18 0f(( 3[0-9]){14}) 5a .*$/g\2/p' \
    -e 's/^.* 30 22 18 0f( 3[0-9]){14} 5a 18 0f(( 3[0-9]){14}) 5a .*$/g\2/p' | head -n 1 | sed 's/ 3//g')"
  case "$t" in
    u*) t="${t#u}"; if [ "${t%??????????}" -ge 50 ]; then t="19$t"; else t="20$t"; fi ;;
    g*) t="${t#g}" ;;
    *) echo "unknown"; return 1 ;;
  esac
  echo "$t" | sed -E 's/^(....)(..)(..)(..)(..)(..)$/\1-\2-\3 \4:\5:\6/'
}
cert_days_left() {
  end="$(cert_not_after "$1")" || return 1
  echo $(( ($(date -u -d "$end" +%s) - $(date -u +%s)) / 86400 ))
}
cert_sha256() {
  cert_der "$1" | sha256sum | cut -d' ' -f1
}
cert_summary() {
  echo "sha256 $(cert_sha256 "$1"), expires $(cert_not_after "$1" || true) UTC"
}
{{- end -}}


{{/*
helm test's expiry check: prints the server certificate's and the CA's fingerprint and expiry,
and fails when either expires within 7 days. It reads the server's TLS Secret (the certificate
the tls-reloader keeps the server serving), mounted as /tls/server.crt and /tls/ca.crt (the
first certificate of a bundle: the CA that signs).
*/}}
{{- define "common.scripts.checkExpiry" -}}
{{ include "common.scripts.certFunctions" . }}
for pair in "server certificate:/tls/server.crt" "CA:/tls/ca.crt"; do
  what="${pair%%:*}"
  file="${pair#*:}"
  left="$(cert_days_left "$file")" || { echo "FAIL: cannot read the expiry of the $what ($file)"; exit 1; }
  echo "$what: $(cert_summary "$file"), $left days left"
  [ "$left" -ge 7 ] || { echo "FAIL: the $what expires within 7 days: renew it"; exit 1; }
done
echo "ok: no certificate expires within 7 days"
{{- end -}}
