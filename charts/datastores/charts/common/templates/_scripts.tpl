{{/*
The init-container script that hands a server its certificate. A Secret volume cannot be chmod-ed,
its files are readable by the pod's fsGroup, and PostgreSQL refuses a private key with "group or
world access"; so the script copies the certificate, key and CA into an emptyDir owned by the
server's uid and sets the key to 0600, the certificates to 0644. It runs as the server's uid, never
as root. A missing or empty file fails with a message that names the Secret and the key.
Environment: TLS_SOURCE_DIR, TLS_DIR, TLS_SECRET_NAME, TLS_CERT_KEY, TLS_KEY_KEY, TLS_CA_KEY.
*/}}
{{- define "common.scripts.prepareTLS" -}}
#!/bin/sh
# prepare-tls: copy the server certificate from the Secret volume to the server-owned emptyDir.
set -eu
src="${TLS_SOURCE_DIR:?}"
dst="${TLS_DIR:?}"
missing=0
for pair in "${TLS_CERT_KEY:?}:tls.crt" "${TLS_KEY_KEY:?}:tls.key" "${TLS_CA_KEY:?}:ca.crt"; do
  key="${pair%%:*}"
  if [ ! -s "$src/$key" ]; then
    echo "prepare-tls: the TLS Secret \"${TLS_SECRET_NAME:-}\" has no key \"$key\" (or it is empty); the server needs it as ${pair#*:}" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1
umask 077
for pair in "$TLS_CERT_KEY:tls.crt" "$TLS_KEY_KEY:tls.key" "$TLS_CA_KEY:ca.crt"; do
  cp "$src/${pair%%:*}" "$dst/${pair#*:}.tmp"
  mv -f "$dst/${pair#*:}.tmp" "$dst/${pair#*:}"
done
chmod 0600 "$dst/tls.key"
chmod 0644 "$dst/tls.crt" "$dst/ca.crt"
echo "prepare-tls: $dst/tls.crt 0644, $dst/tls.key 0600, $dst/ca.crt 0644, owner uid $(id -u)"
{{- end -}}
