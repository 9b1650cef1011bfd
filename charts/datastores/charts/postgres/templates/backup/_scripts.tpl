{{/*
backup.sh: one pg_dump per target over verified TLS, straight into the compressor and, when on,
the encryption, into a hidden ".partial" file that becomes <instance>/<instance>_<db>_<UTC>.dump
(+.age/.gpg) with its .sha256 only when every step succeeded. Old dumps are pruned only after a
new one of the same instance succeeded. A failing target does not stop the others; the job fails
at the end. Passwords go to pg_dump through its environment, read from the Secret files here.
*/}}
{{- define "postgres.backup.script" -}}
#!/bin/bash
# backup: pg_dump each target over verified TLS; compressed, optionally encrypted, checksummed.
set -euo pipefail
umask 077
: "${BACKUP_DIR:?}" "${BACKUP_TARGETS:?}" "${BACKUP_SECRETS:?}" "${BACKUP_ENCRYPTION:?}"
export PGSSLMODE=verify-full

log() { echo "backup: $*" >&2; }

case "$BACKUP_ENCRYPTION" in
  none) ext="" ;;
  age)
    ext=".age"
    command -v age >/dev/null 2>&1 || { log "encryption is age, but the backup image ${BACKUP_IMAGE:-} has no age binary: set postgres.backup.image to an image with age (and pg_dump)"; exit 1; }
    ;;
  gpg)
    ext=".gpg"
    command -v gpg >/dev/null 2>&1 || { log "encryption is gpg, but the backup image ${BACKUP_IMAGE:-} has no gpg binary: set postgres.backup.image to an image with gpg (and pg_dump)"; exit 1; }
    mkdir -p "${GNUPGHOME:?}"
    ;;
  *) log "unknown encryption '$BACKUP_ENCRYPTION'"; exit 1 ;;
esac

# Encrypts stdin to the public keys in $BACKUP_RECIPIENTS (recipients-age, recipients-gpg-N.asc);
# the private keys are never here.
encrypt() {
  case "$BACKUP_ENCRYPTION" in
    none) cat ;;
    age) age --encrypt --recipients-file "$BACKUP_RECIPIENTS/recipients-age" ;;
    gpg)
      local args=()
      for key in "$BACKUP_RECIPIENTS"/recipients-gpg-*.asc; do args+=(--recipient-file "$key"); done
      gpg --batch --no-tty --quiet --compress-algo none --encrypt "${args[@]}"
      ;;
  esac
}

# Deletes dumps of one instance older than BACKUP_RETENTION_DAYS, except the newest
# BACKUP_KEEP_LAST (names sort by their UTC timestamp).
prune() {
  local dir=$1 name=$2 n=0 f
  while IFS= read -r f; do
    n=$((n + 1))
    if [ "$n" -le "$BACKUP_KEEP_LAST" ]; then continue; fi
    if [ -n "$(find "$dir/$f" -maxdepth 0 -mmin +$((BACKUP_RETENTION_DAYS * 1440)))" ]; then
      rm -f -- "$dir/$f" "$dir/$f.sha256"
      log "$name: pruned $f"
    fi
  done < <(cd "$dir" && ls -1 | grep -E "^${name}_.+\.dump(\.age|\.gpg)?\$" | sort -r)
}

# Runs in a subshell whose status the caller tests, where bash ignores set -e: every step checks
# its own status.
backup_one() {
  local name=$1 host=$2 port=$3 db=$4 user=$5 sslmode=${6:-verify-full} rootcert=${7:--}
  local dir="$BACKUP_DIR/$name" base tmp sum
  base="${name}_${db}_$(date -u +%Y%m%dT%H%M%SZ).dump${ext}"
  tmp="$dir/.$base.partial"
  mkdir -p "$dir" || return 1
  # Expanded now: the trap runs when the subshell exits, after this function's locals are gone.
  trap "rm -f -- $(printf '%q %q' "$tmp" "$tmp.sha256")" EXIT
  if [ "$rootcert" = - ]; then unset PGSSLROOTCERT; else export PGSSLROOTCERT="$rootcert"; fi
  PGPASSWORD="$(tr -d '\r\n' < "$BACKUP_SECRETS/$name/password")" \
  PGSSLMODE="$sslmode" \
    pg_dump --host="$host" --port="$port" --username="$user" --dbname="$db" --no-password \
      --format=custom --compress="$BACKUP_COMPRESSION" \
    | encrypt > "$tmp" || return 1
  sum="$(sha256sum "$tmp" | cut -d' ' -f1)" || return 1
  [ -n "$sum" ] || return 1
  printf '%s  %s\n' "$sum" "$base" > "$tmp.sha256" || return 1
  mv -f -- "$tmp" "$dir/$base" || return 1
  mv -f -- "$tmp.sha256" "$dir/$base.sha256" || return 1
  trap - EXIT
  log "$name: wrote $name/$base ($(wc -c < "$dir/$base") bytes, sha256 $sum)"
  prune "$dir" "$name" || { log "$name: the dump is written, but pruning failed"; return 1; }
}

failed=()
done_count=0
while read -r name host port db user sslmode rootcert || [ -n "${name:-}" ]; do
  [ -n "$name" ] || continue
  done_count=$((done_count + 1))
  if ! (backup_one "$name" "$host" "$port" "$db" "$user" "$sslmode" "$rootcert"); then
    log "$name: FAILED; its older dumps are untouched"
    failed+=("$name")
  fi
  name=""
done < "$BACKUP_TARGETS"
if [ "$done_count" -eq 0 ]; then
  log "no target in $BACKUP_TARGETS: nothing was backed up"
  exit 1
fi
if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "done"
{{- end -}}

{{/*
restore.sh: verifies a dump's checksum, decrypts it when it is encrypted (with the identity
mounted for the restore only), and pg_restores it into an instance's database over verified
TLS, in one transaction. Arguments, or the keys of the restore request ConfigMap:
  file      path under the backups volume, e.g. auth/auth_auth_db_20260101T020000Z.dump.age
  instance  the instance to restore into (default: the file's directory)
  database  the database (default: the instance's)
The dump is streamed and never written in clear. The COMMENT ON EXTENSION entries are left out:
only an extension's owner may set them, and the application user restores.
*/}}
{{- define "postgres.restore.script" -}}
#!/bin/bash
# restore: verify, decrypt and pg_restore one dump over verified TLS.
set -euo pipefail
umask 077
: "${BACKUP_DIR:?}" "${BACKUP_TARGETS:?}" "${BACKUP_SECRETS:?}"
export PGSSLMODE=verify-full

log() { echo "restore: $*" >&2; }
request() { [ -s "${RESTORE_REQUEST:-/nonexistent}/$1" ] && tr -d '\r\n' < "$RESTORE_REQUEST/$1" || true; }

file="${1:-$(request file)}"
[ -n "$file" ] || { log "no dump named: pass it as the first argument or as key 'file' of the restore request ConfigMap"; exit 2; }
path="$BACKUP_DIR/$file"
instance="${2:-$(request instance)}"
instance="${instance:-$(basename "$(dirname "$file")")}"
database="${3:-$(request database)}"

[ -f "$path" ] || { log "$file: no such dump under $BACKUP_DIR"; exit 1; }
[ -f "$path.sha256" ] || { log "$file: no $file.sha256 beside it; refusing an unverified dump"; exit 1; }
(cd "$(dirname "$path")" && sha256sum -c "$(basename "$path").sha256" >/dev/null 2>&1) || { log "$file: checksum mismatch; the dump is damaged"; exit 1; }
log "$file: checksum verified"

{{ include "postgres.backup.decryptFunction" . }}

target="$(awk -v n="$instance" '$1 == n' "$BACKUP_TARGETS")"
[ -n "$target" ] || { log "$instance is not an instance this release backs up"; exit 1; }
read -r _ host port db user sslmode rootcert <<< "$target"
database="${database:-$db}"
export PGPASSWORD="$(tr -d '\r\n' < "$BACKUP_SECRETS/$instance/password")"
export PGSSLMODE="${sslmode:-verify-full}"
if [ "${rootcert:--}" = - ]; then unset PGSSLROOTCERT; else export PGSSLROOTCERT="$rootcert"; fi

list="$(mktemp)"
trap 'rm -f -- "$list"' EXIT
# The archive's table of contents, without the entries the application user may not restore.
# pg_restore --list stops reading early; the decrypting side of this pipe may see a broken pipe.
set +o pipefail
decrypt "$path" | pg_restore --list | grep -v -E '^[0-9]+; [0-9]+ [0-9]+ COMMENT - EXTENSION ' > "$list"
set -o pipefail
[ -s "$list" ] || { log "$file: not a pg_dump archive, or not decryptable with the identity given"; exit 1; }

decrypt "$path" | pg_restore --host="$host" --port="$port" --username="$user" --dbname="$database" --no-password \
  --no-owner --no-privileges --single-transaction --exit-on-error --use-list="$list" ${RESTORE_CLEAN:+--clean --if-exists}
log "$file: restored into $instance/$database"
{{- end -}}

{{/*
verify.sh: the restore drill. Starts a throwaway server of the backup image's own version in the
pod (its socket only, on the scratch emptyDir), then for every target takes the newest dump and
fails it when it is missing, older than VERIFY_MAX_AGE_HOURS, fails its checksum, cannot be
decrypted with the identity given, or does not pg_restore in one transaction. It never connects
to the live servers and holds none of their passwords. A failing target does not stop the others.
*/}}
{{- define "postgres.verify.script" -}}
#!/bin/bash
# verify: restore the newest dump of every target into a throwaway server in this pod.
set -euo pipefail
umask 077
: "${BACKUP_DIR:?}" "${BACKUP_TARGETS:?}" "${VERIFY_SCRATCH:?}" "${VERIFY_MAX_AGE_HOURS:?}"

log() { echo "verify: $*" >&2; }

data="$VERIFY_SCRATCH/data"
run="$VERIFY_SCRATCH/run"
rm -rf -- "$data" "$run"
mkdir -p "$run"
initdb --pgdata="$data" --username=verify --auth=trust --encoding=UTF8 --no-sync >/dev/null \
  || { log "initdb failed: the backup image needs the server's binaries for the drill"; exit 1; }
# Nothing here needs durability: the server and its data are gone when the pod is.
pg_ctl --pgdata="$data" --log="$VERIFY_SCRATCH/server.log" --wait --silent \
  -o "-c listen_addresses='' -c unix_socket_directories='$run' -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start \
  || { log "the throwaway server did not start:"; cat "$VERIFY_SCRATCH/server.log" >&2; exit 1; }
trap 'pg_ctl --pgdata="$data" --mode=immediate --silent stop >/dev/null 2>&1 || true' EXIT
# The drill's own server only: nothing inherited may point the tools at another one.
unset PGHOSTADDR PGPORT PGSERVICE PGPASSWORD
export PGHOST="$run" PGUSER=verify PGDATABASE=postgres

{{ include "postgres.backup.decryptFunction" . }}

# Runs in a subshell whose status the caller tests, where bash ignores set -e: every step checks
# its own status.
verify_one() {
  local name=$1 dir="$BACKUP_DIR/$1" newest path summary
  newest="$(cd "$dir" 2>/dev/null && ls -1 | grep -E "^${name}_.+\.dump(\.age|\.gpg)?\$" | sort -r | head -n 1)"
  [ -n "$newest" ] || { log "$name: no dump in $dir"; return 1; }
  path="$dir/$newest"
  if [ "$VERIFY_MAX_AGE_HOURS" -gt 0 ] && [ -n "$(find "$path" -maxdepth 0 -mmin +$((VERIFY_MAX_AGE_HOURS * 60)))" ]; then
    log "$name: the newest dump, $newest, is older than $VERIFY_MAX_AGE_HOURS hours: backups of $name are not being written"
    return 1
  fi
  [ -f "$path.sha256" ] || { log "$name: $newest has no .sha256 beside it"; return 1; }
  (cd "$dir" && sha256sum -c "$newest.sha256" >/dev/null 2>&1) || { log "$name: $newest: checksum mismatch; the dump is damaged"; return 1; }
  dropdb --if-exists restore_drill && createdb restore_drill || return 1
  decrypt "$path" | pg_restore --dbname=restore_drill --no-owner --no-privileges --single-transaction --exit-on-error \
    || { log "$name: $newest does not restore"; return 1; }
  summary="$(psql -XAtq -d restore_drill -c "ANALYZE" -c "SELECT count(*) || ' tables, about ' || coalesce(sum(c.reltuples::bigint) FILTER (WHERE c.reltuples > 0), 0) || ' rows, ' || pg_size_pretty(pg_database_size(current_database())) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')")" || return 1
  log "$name: $newest restored: $summary"
  dropdb restore_drill || return 1
}

failed=()
count=0
while read -r name _ || [ -n "${name:-}" ]; do
  [ -n "$name" ] || continue
  count=$((count + 1))
  if ! (verify_one "$name"); then
    log "$name: FAILED"
    failed+=("$name")
  fi
  name=""
done < "$BACKUP_TARGETS"
if [ "$count" -eq 0 ]; then
  log "no target in $BACKUP_TARGETS: nothing to verify"
  exit 1
fi
if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "every target's newest dump restored"
{{- end -}}


{{/*
The decrypt function restore.sh and verify.sh share: a dump to stdout in clear, decrypted with the
private key at RESTORE_IDENTITY (mounted for the restore or the drill only) when it is encrypted.
*/}}
{{- define "postgres.backup.decryptFunction" -}}
decrypt() {
  case "$1" in
    *.age)
      [ -s "${RESTORE_IDENTITY:-}" ] || { log "$1 is encrypted: provide the age identity (the private key) as RESTORE_IDENTITY"; return 1; }
      age --decrypt --identity "$RESTORE_IDENTITY" < "$1" ;;
    *.gpg)
      [ -s "${RESTORE_IDENTITY:-}" ] || { log "$1 is encrypted: provide the GPG secret key as RESTORE_IDENTITY"; return 1; }
      mkdir -p "${GNUPGHOME:?}"
      gpg --batch --no-tty --quiet --import "$RESTORE_IDENTITY" 2>/dev/null
      gpg --batch --no-tty --quiet --decrypt < "$1" ;;
    *) cat < "$1" ;;
  esac
}
{{- end -}}
