{{/*
postgres.backup: the backup job's settings, validated, with its targets (the instances it dumps)
and object names. JSON.
*/}}
{{- define "postgres.backup" -}}
{{- include "common.memo" (dict "context" . "template" "postgres.backup.compute") -}}
{{- end -}}

{{- define "postgres.backup.compute" -}}
{{- include "common.validate.maps" (dict "values" .Values.backup "path" "postgres.backup" "keys" (list "encryption" "image" "storage" "verify")) -}}
{{- $b := deepCopy .Values.backup -}}
{{- if not (or (kindIs "slice" $b.instances) (kindIs "invalid" $b.instances)) -}}
{{- fail "postgres.backup.instances: give a list of instance names, or [] for all" -}}
{{- end -}}
{{- $full := printf "%s-backup" (include "common.names.fullname" .) -}}
{{- $instances := include "postgres.instances" . | fromJsonArray -}}
{{- $byName := dict -}}
{{- range $instances }}{{ $_ := set $byName .name . }}{{ end -}}
{{- $externals := dict -}}
{{- range include "postgres.externals" . | fromJsonArray }}{{ $_ := set $byName .name . }}{{ $_ := set $externals .name . }}{{ end -}}
{{- $p := include "postgres.backup.paths" . | fromYaml -}}
{{- $selected := $b.instances | default (keys $byName | sortAlpha) -}}
{{- if not $selected -}}
{{- fail "postgres.backup.enabled is true but there is no instance to back up: add postgres.instances (or postgres.external)" -}}
{{- end -}}
{{- $targets := list -}}
{{- range $n, $name := $selected -}}
{{- if not (kindIs "string" $name) -}}
{{- fail (printf "postgres.backup.instances[%d] is %v: give an instance name" $n (toJson $name)) -}}
{{- end -}}
{{- if has $name (slice $selected 0 $n) -}}
{{- fail (printf "postgres.backup.instances: %q appears twice; each instance is dumped once per run" $name) -}}
{{- end -}}
{{- $i := get $byName $name -}}
{{- if not $i -}}
{{- fail (printf "postgres.backup.instances: %q is not an instance; choose from %s" $name (keys $byName | sortAlpha | join ", ")) -}}
{{- end -}}
{{- if hasKey $externals $name -}}
{{- /* A managed server: its password Secret and CA as the values name them, its own TLS mode. */ -}}
{{- $rootcert := "-" -}}
{{- if eq $i.ca.kind "system" }}{{ $rootcert = $i.ca.file }}{{ else if $i.ca.kind }}{{ $rootcert = printf "%s/%s/ca.crt" $p.secrets $name }}{{ end -}}
{{- $targets = append $targets (dict
  "name" $name "host" $i.host "port" (int $i.port) "database" $i.database "user" $i.user
  "authSecret" $i.existingSecret.name "passwordKey" $i.existingSecret.key
  "caKind" $i.ca.kind "caName" $i.ca.name "caKey" $i.ca.key "sslmode" $i.sslmode "rootcert" $rootcert) -}}
{{- continue -}}
{{- end -}}
{{- $tls := $i.tls -}}
{{- if $tls.clientCertificates -}}
{{- fail (printf "postgres.backup.instances: %q requires client certificates (tls.clientCertificates), which the backup job does not present, so every run would fail; leave it out of postgres.backup.instances or turn tls.clientCertificates off for it" $name) -}}
{{- end -}}
{{- $caKey := ternary $tls.existingSecret.keys.ca "ca.crt" (eq $tls.source "existingSecret") -}}
{{- $targets = append $targets (dict
  "name" $i.name
  "host" (printf "%s.%s.svc.%s" $i.fullname $.Release.Namespace (include "common.names.clusterDomain" $))
  "port" (int $i.port)
  "database" $i.database
  "user" $i.user
  "authSecret" $i.authSecret "passwordKey" $i.auth.userPasswordKey
  "caKind" "secret" "caName" $i.tlsSecret "caKey" $caKey
  "sslmode" "verify-full" "rootcert" (printf "%s/%s/ca.crt" $p.secrets $i.name)) -}}
{{- end -}}
{{- /* The API server refuses a zone its time zone database does not have (files/timezones.txt
is Go's list, which the API server uses). */ -}}
{{- if and (kindIs "string" $b.timeZone) $b.timeZone (not (has $b.timeZone (.Files.Get "files/timezones.txt" | splitList "\n"))) -}}
{{- fail (printf "postgres.backup.timeZone is %q: not a time zone the API server knows; give an IANA name such as Europe/Madrid or UTC" $b.timeZone) -}}
{{- end -}}
{{- $_ := set $b "targets" $targets -}}
{{- $_ = set $b "fullname" $full -}}
{{- $_ = set $b "restoreName" (printf "%s-restore" (include "common.names.fullname" .)) -}}
{{- $_ = set $b "verifyName" (printf "%s-verify" $full) -}}
{{- $names := list $full $b.restoreName -}}
{{- if eq (toString $b.verify.enabled) "true" }}{{ $names = append $names $b.verifyName }}{{ end -}}
{{- range $n := $names -}}
{{- include "common.names.fits" (dict "name" $n "limit" 52 "why" "a CronJob's name is at most 52, its Jobs add 11 characters" "path" "postgres.backup" "context" $) -}}
{{- end -}}
{{- $_ = set $b "claim" ($b.storage.existingClaim | default $full) -}}
{{- /* The job runs as the server's user unless told otherwise: the default image is the server's. */ -}}
{{- $sc := deepCopy .Values.securityContext -}}
{{- include "common.values.mergeInto" (dict "base" $sc "override" ($b.securityContext | default dict)) -}}
{{- $_ = set $b "securityContext" $sc -}}
{{- $img := deepCopy .Values.image -}}
{{- range $k, $v := $b.image -}}
{{- if $v }}{{ $_ := set $img $k $v }}{{ end -}}
{{- end -}}
{{- $_ = set $b "imageRef" (include "common.images.image" (dict "image" $img "context" $ "path" "postgres.backup.image")) -}}
{{- $_ = set $b "pullPolicy" $img.pullPolicy -}}
{{- $_ = set $b "extension" (get (dict "none" "" "age" ".age" "gpg" ".gpg") (toString $b.encryption.method)) -}}
{{- include "postgres.backup.validate" $b -}}
{{- include "common.validate.resources" (dict "resources" $b.resources "path" "postgres.backup.resources" "context" .) -}}
{{- toJson $b -}}
{{- end -}}

{{- define "postgres.backup.validate" -}}
{{- include "postgres.backup.validateSchedule" (dict "value" (toString .schedule) "path" "postgres.backup.schedule") -}}
{{- include "postgres.backup.validateVerify" . -}}
{{- include "common.validate.format" (dict "value" .timeZone "path" "postgres.backup.timeZone" "format" "timeZone" "optional" true) -}}
{{- include "common.validate.bool" (dict "value" .suspend "path" "postgres.backup.suspend") -}}
{{- include "common.validate.bool" (dict "value" .storage.allowEphemeral "path" "postgres.backup.storage.allowEphemeral") -}}
{{- include "common.validate.accessModes" (dict "value" .storage.accessModes "path" "postgres.backup.storage.accessModes") -}}
{{- range $k, $limits := dict "successfulJobsHistoryLimit" (list 0 100) "failedJobsHistoryLimit" (list 0 100) "startingDeadlineSeconds" (list 10 86400) "activeDeadlineSeconds" (list 60 604800) "backoffLimit" (list 0 100) "retentionDays" (list 1 36500) "keepLast" (list 1 10000) -}}
{{- include "common.validate.int" (dict "value" (get $ $k) "path" (printf "postgres.backup.%s" $k) "min" (first $limits) "max" (last $limits)) -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" .storage.existingClaim "path" "postgres.backup.storage.existingClaim" "format" "dnsSubdomain" "optional" true) -}}
{{- if not .storage.existingClaim -}}
{{- include "common.validate.format" (dict "value" (toString .storage.size) "path" "postgres.backup.storage.size" "format" "size" "optional" true) -}}
{{- if ne (toString .storage.storageClass) "-" -}}
{{- include "common.validate.format" (dict "value" .storage.storageClass "path" "postgres.backup.storage.storageClass" "format" "dnsSubdomain" "optional" true) -}}
{{- end -}}
{{- end -}}
{{- range $k := list "ageRecipients" "gpgPublicKeys" -}}
{{- $list := get $.encryption $k -}}
{{- if not (or (kindIs "slice" $list) (kindIs "invalid" $list)) -}}
{{- fail (printf "postgres.backup.encryption.%s: give a list" $k) -}}
{{- end -}}
{{- if gt (len ($list | default list)) 32 -}}
{{- fail (printf "postgres.backup.encryption.%s: at most 32 keys" $k) -}}
{{- end -}}
{{- range $n, $key := $list -}}
{{- if not (kindIs "string" $key) -}}
{{- fail (printf "postgres.backup.encryption.%s[%d]: give the key as a string" $k $n) -}}
{{- end -}}
{{- if gt (len $key) 16384 -}}
{{- fail (printf "postgres.backup.encryption.%s[%d] is %d characters long: a public key fits in 16 KiB (export it without signatures: gpg --armor --export-options export-minimal --export KEYID)" $k $n (len $key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not (has .encryption.method (list "none" "age" "gpg")) -}}
{{- fail (printf "postgres.backup.encryption.method is %q: use none, age or gpg" (toString .encryption.method)) -}}
{{- end -}}
{{- if and (eq .encryption.method "age") (not .encryption.ageRecipients) -}}
{{- fail "postgres.backup.encryption.method is age but postgres.backup.encryption.ageRecipients is empty: add the age public key(s) (age1...) that may decrypt the dumps" -}}
{{- end -}}
{{- if and (eq .encryption.method "gpg") (not .encryption.gpgPublicKeys) -}}
{{- fail "postgres.backup.encryption.method is gpg but postgres.backup.encryption.gpgPublicKeys is empty: add the ASCII-armored public key(s) that may decrypt the dumps" -}}
{{- end -}}
{{- range $n, $r := .encryption.ageRecipients -}}
{{- if contains "AGE-SECRET-KEY" (upper $r) -}}
{{- fail (printf "postgres.backup.encryption.ageRecipients[%d] is an age secret key: give its public key (age-keygen -y); the cluster must never hold the key that decrypts the dumps" $n) -}}
{{- end -}}
{{- if not (regexMatch "^(age1[02-9ac-hj-np-z]{58}|ssh-ed25519 [A-Za-z0-9+/=]+( .*)?|ssh-rsa [A-Za-z0-9+/=]+( .*)?)$" $r) -}}
{{- fail (printf "postgres.backup.encryption.ageRecipients[%d] is not an age recipient: give a public key such as age1... (age-keygen -y key.txt)" $n) -}}
{{- end -}}
{{- end -}}
{{- range $n, $k := .encryption.gpgPublicKeys -}}
{{- if contains "PRIVATE KEY" $k -}}
{{- fail (printf "postgres.backup.encryption.gpgPublicKeys[%d] is a private key: export the public key (gpg --armor --export); the cluster must never hold the key that decrypts the dumps" $n) -}}
{{- end -}}
{{- if not (regexMatch "^-----BEGIN PGP PUBLIC KEY BLOCK-----\\r?\\n" (toString $k)) -}}
{{- fail (printf "postgres.backup.encryption.gpgPublicKeys[%d] is not an ASCII-armored public key (gpg --armor --export KEYID)" $n) -}}
{{- end -}}
{{- /* The armor's label is only text: the first packet says what the key is. Tags 6 (public key)
in the old (0x98-0x9b) or new (0xc6) packet format pass; a secret key (tag 5) does not. */ -}}
{{- $body := regexReplaceAll "(?s)^-----BEGIN[^\\n]*\\n(([A-Za-z-]+: [^\\n]*)?\\r?\\n)*" $k "" -}}
{{- $first := printf "%x" (b64dec (substr 0 4 (regexReplaceAll "\\s" $body ""))) | substr 0 2 -}}
{{- if not (has $first (list "98" "99" "9a" "9b" "c6")) -}}
{{- fail (printf "postgres.backup.encryption.gpgPublicKeys[%d] is labelled a public key but holds %s: export the public key (gpg --armor --export KEYID); the cluster must never hold the key that decrypts the dumps" $n (ternary "a secret key" "no OpenPGP public key" (has $first (list "94" "95" "96" "97" "c5")))) -}}
{{- end -}}
{{- end -}}
{{- /* pg_dump's levels: gzip 1-9, lz4 1-12, zstd 1-22 (0 or none: no compression). */ -}}
{{- $c := toString .compression -}}
{{- $level := regexFind "[0-9]+$" $c | default "1" | atoi -}}
{{- $max := get (dict "gzip" 9 "lz4" 12 "zstd" 22) (regexFind "^[a-z]+" $c) | default 9 -}}
{{- if or (not (regexMatch "^([0-9]|(gzip|lz4|zstd)(:[0-9]{1,2})?|none)$" $c)) (and (contains ":" $c) (or (lt $level 1) (gt $level (int $max)))) -}}
{{- fail (printf "postgres.backup.compression is %q: use a gzip level 0-9, none, or gzip (1-9), lz4 (1-12) or zstd (1-22) with an optional :level (lz4 and zstd need PostgreSQL 16+)" $c) -}}
{{- end -}}
{{- if lt (int .keepLast) 1 -}}
{{- fail (printf "postgres.backup.keepLast is %v: keep at least the newest dump (3 or more is wise)" .keepLast) -}}
{{- end -}}
{{- if and (not .storage.existingClaim) (not .storage.size) (not .storage.allowEphemeral) -}}
{{- fail "postgres.backup.storage: set existingClaim or size for a durable volume (allowEphemeral: true keeps dumps on an emptyDir, lost with the pod)" -}}
{{- end -}}
{{- end -}}

{{/*
The pod of the backup, restore and verify jobs (.mode): the dumps volume, the scripts, and for
backup and restore the server's CA and the user's password of every target in one projected
volume (/run/secrets/backup/<instance>/{ca.crt,password}); restore adds the request and the
identity, verify the identity and a scratch volume for its throwaway server, with the dumps
read-only and no password at all. Restricted Pod Security, no service account token.
Usage: {{ include "postgres.backup.pod" (dict "context" $ "b" $b "command" (list ...) "mode" "restore") }}
*/}}
{{- define "postgres.backup.pod" -}}
{{- $b := .b -}}
{{- $mode := .mode -}}
{{- $p := include "postgres.backup.paths" . | fromYaml -}}
{{- $sc := dict "securityContext" $b.securityContext "path" "postgres.backup.securityContext" -}}
serviceAccountName: {{ $b.fullname | quote }}
automountServiceAccountToken: false
enableServiceLinks: false
restartPolicy: Never
{{- with include "common.images.pullSecrets" .context }}
{{ . }}
{{- end }}
securityContext:
  {{- include "common.security.podSecurityContext" $sc | nindent 2 }}
containers:
  - name: {{ $mode | quote }}
    image: {{ $b.imageRef | quote }}
    imagePullPolicy: {{ $b.pullPolicy | quote }}
    command: {{ toJson .command }}
    env:
      # Every connection verifies the server's certificate and its name (each target's mode and CA
      # are in its line of the targets file: verify-full, unless an external server's tlsEnforce
      # is false).
      - name: PGSSLMODE
        value: verify-full
      - name: PGCONNECT_TIMEOUT
        value: "15"
      - name: BACKUP_DIR
        value: {{ $p.backups | quote }}
      - name: BACKUP_TARGETS
        value: {{ $p.scripts }}/targets
      - name: BACKUP_SECRETS
        value: {{ $p.secrets | quote }}
      - name: BACKUP_ENCRYPTION
        value: {{ $b.encryption.method | quote }}
      - name: BACKUP_RECIPIENTS
        value: {{ $p.scripts | quote }}
      - name: BACKUP_COMPRESSION
        value: {{ $b.compression | quote }}
      - name: BACKUP_RETENTION_DAYS
        value: {{ int $b.retentionDays | quote }}
      - name: BACKUP_KEEP_LAST
        value: {{ int $b.keepLast | quote }}
      - name: BACKUP_IMAGE
        value: {{ $b.imageRef | quote }}
      - name: GNUPGHOME
        value: /tmp/gnupg
      {{- if eq $mode "restore" }}
      - name: RESTORE_REQUEST
        value: {{ $p.request | quote }}
      {{- end }}
      {{- if or (eq $mode "restore") (and (eq $mode "verify") $b.verify.identitySecret) }}
      - name: RESTORE_IDENTITY
        value: {{ $p.identity }}/identity
      {{- end }}
      {{- if eq $mode "verify" }}
      - name: VERIFY_SCRATCH
        value: {{ $p.scratch | quote }}
      - name: VERIFY_MAX_AGE_HOURS
        value: {{ int $b.verify.maxAgeHours | quote }}
      {{- end }}
    securityContext:
      {{- include "common.security.containerSecurityContext" $sc | nindent 6 }}
    {{- with $b.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      - name: backups
        mountPath: {{ $p.backups }}
        {{- if eq $mode "verify" }}
        readOnly: true
        {{- end }}
      - name: scripts
        mountPath: {{ $p.scripts }}
        readOnly: true
      {{- if ne $mode "verify" }}
      - name: secrets
        mountPath: {{ $p.secrets }}
        readOnly: true
      {{- end }}
      - name: tmp
        mountPath: /tmp
      {{- if eq $mode "restore" }}
      - name: request
        mountPath: {{ $p.request }}
        readOnly: true
      {{- end }}
      {{- if or (eq $mode "restore") (and (eq $mode "verify") $b.verify.identitySecret) }}
      - name: identity
        mountPath: {{ $p.identity }}
        readOnly: true
      {{- end }}
      {{- if eq $mode "verify" }}
      - name: scratch
        mountPath: {{ $p.scratch }}
      {{- end }}
volumes:
  - name: backups
    {{- if and $b.storage.allowEphemeral (not $b.storage.existingClaim) (not $b.storage.size) }}
    emptyDir: {}
    {{- else }}
    persistentVolumeClaim:
      claimName: {{ $b.claim | quote }}
    {{- end }}
  - name: scripts
    configMap:
      name: {{ $b.fullname | quote }}
      defaultMode: 0555
  {{- if ne $mode "verify" }}
  - name: secrets
    projected:
      defaultMode: 0440
      sources:
        {{- range $t := $b.targets }}
        - secret:
            name: {{ $t.authSecret | quote }}
            items:
              - key: {{ $t.passwordKey | quote }}
                path: {{ $t.name }}/password
        {{- if has $t.caKind (list "secret" "configMap") }}
        - {{ $t.caKind }}:
            name: {{ $t.caName | quote }}
            items:
              - key: {{ $t.caKey | quote }}
                path: {{ $t.name }}/ca.crt
        {{- end }}
        {{- end }}
  {{- end }}
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- if eq $mode "restore" }}
  # What to restore: kubectl create configmap {{ $b.restoreName }}-request --from-literal=file=...
  - name: request
    configMap:
      name: {{ $b.restoreName }}-request
      optional: true
  # The private key of encrypted dumps, for the time of the restore only.
  - name: identity
    secret:
      secretName: {{ $b.restoreName }}-identity
      optional: true
      defaultMode: 0440
  {{- end }}
  {{- if eq $mode "verify" }}
  {{- with $b.verify.identitySecret }}
  # The private key of encrypted dumps (postgres.backup.verify.identitySecret).
  - name: identity
    secret:
      secretName: {{ . | quote }}
      defaultMode: 0440
      items:
        - key: identity
          path: identity
  {{- end }}
  # The throwaway server's data directory and socket.
  - name: scratch
    emptyDir:
      sizeLimit: {{ $b.verify.scratchSizeLimit | quote }}
  {{- end }}
{{- end -}}

{{/*
The pod of the Job that binds the backup claim at install (pvc-bind-job.yaml): the backup's
image, user and claim, nothing else (no Secret).
*/}}
{{- define "postgres.backup.bindPod" -}}
serviceAccountName: {{ .b.fullname | quote }}
automountServiceAccountToken: false
enableServiceLinks: false
restartPolicy: Never
{{- with include "common.images.pullSecrets" .context }}
{{ . }}
{{- end }}
securityContext:
  {{- include "common.security.podSecurityContext" .sc | nindent 2 }}
containers:
  - name: bind
    image: {{ .b.imageRef | quote }}
    imagePullPolicy: {{ .b.pullPolicy | quote }}
    command:
      - /bin/sh
      - -c
      - |
        set -eu
        probe="$BACKUP_DIR/.datastores-write-test"
        # touch, not a redirection: sh exits at once when a builtin's redirection fails.
        touch "$probe" 2>/dev/null || { echo "FAIL: uid $(id -u) cannot write to the backup volume $BACKUP_DIR"; exit 1; }
        rm -f "$probe"
        echo "ok: backup volume bound and writable by uid $(id -u)"
    env:
      - name: BACKUP_DIR
        value: {{ .p.backups | quote }}
    securityContext:
      {{- include "common.security.containerSecurityContext" .sc | nindent 6 }}
    resources:
      requests:
        cpu: 10m
        memory: 16Mi
      limits:
        memory: 32Mi
    volumeMounts:
      - name: backups
        mountPath: {{ .p.backups }}
volumes:
  - name: backups
    persistentVolumeClaim:
      claimName: {{ .b.claim | quote }}
{{- end -}}

{{- define "postgres.backup.paths" -}}
backups: /backups
scripts: /opt/datastores/backup
secrets: /run/secrets/backup
request: /run/restore/request
identity: /run/restore/identity
scratch: /scratch
{{- end -}}

{{/*
The restore drill's settings; checked only when it is on, since it renders nothing otherwise.
*/}}
{{- define "postgres.backup.validateVerify" -}}
{{- $v := .verify -}}
{{- include "common.validate.bool" (dict "value" $v.enabled "path" "postgres.backup.verify.enabled") -}}
{{- if $v.enabled -}}
{{- include "postgres.backup.validateSchedule" (dict "value" (toString $v.schedule) "path" "postgres.backup.verify.schedule") -}}
{{- include "common.validate.int" (dict "value" $v.maxAgeHours "path" "postgres.backup.verify.maxAgeHours" "min" 0 "max" 8760) -}}
{{- include "common.validate.format" (dict "value" (toString $v.scratchSizeLimit) "path" "postgres.backup.verify.scratchSizeLimit" "format" "size") -}}
{{- include "common.validate.format" (dict "value" $v.identitySecret "path" "postgres.backup.verify.identitySecret" "format" "dnsSubdomain" "optional" true) -}}
{{- if and (ne .encryption.method "none") (not $v.identitySecret) -}}
{{- fail (printf "postgres.backup.verify.enabled is true and the dumps are encrypted (postgres.backup.encryption.method %s), but postgres.backup.verify.identitySecret is empty: the drill cannot read them; name a Secret with the private key under key identity, or leave verify off and restore-test outside the cluster" .encryption.method) -}}
{{- end -}}
{{- if and .storage.allowEphemeral (not .storage.existingClaim) (not .storage.size) -}}
{{- fail "postgres.backup.verify.enabled is true but the dumps live on an emptyDir (postgres.backup.storage.allowEphemeral): the drill's pod would see none of them; give postgres.backup.storage.size or existingClaim" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A CronJob schedule the API server and its controller accept: a descriptor (@daily, ...) or five
fields, each a list of *, numbers, ranges and /steps within the field's range (month and weekday
names allowed). No TZ= prefix: use postgres.backup.timeZone.
*/}}
{{- define "postgres.backup.validateSchedule" -}}
{{- $hint := printf "%s is %q: give five cron fields (minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\") or one of @hourly, @daily, @weekly, @monthly, @yearly" .path .value -}}
{{- if not (regexMatch "^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$" .value) -}}
{{- $fields := splitList " " .value -}}
{{- if ne (len $fields) 5 -}}{{ fail $hint }}{{- end -}}
{{- $ranges := list (list 0 59) (list 0 23) (list 1 31) (list 1 12) (list 0 7) -}}
{{- $names := list "" "" "" "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec" "sun|mon|tue|wed|thu|fri|sat" -}}
{{- range $n, $field := $fields -}}
{{- $r := index $ranges $n -}}
{{- $name := index $names $n -}}
{{- range $item := splitList "," $field -}}
{{- $value := printf "([0-9]{1,2}%s)" (ternary "" (printf "|(?i:%s)" $name) (eq $name "")) -}}
{{- if not (regexMatch (printf "^(\\*|\\?|%s(-%s)?)(/[0-9]{1,2})?$" $value $value) $item) -}}{{ fail $hint }}{{- end -}}
{{- $step := regexFind "/[0-9]+$" $item | trimPrefix "/" -}}
{{- if and $step (lt (atoi $step) 1) -}}{{ fail $hint }}{{- end -}}
{{- range $num := regexFindAll "[0-9]+" (regexReplaceAll "/[0-9]+$" $item "") -1 -}}
{{- if or (lt (atoi $num) (int (first $r))) (gt (atoi $num) (int (last $r))) -}}{{ fail $hint }}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
