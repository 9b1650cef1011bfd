{{/*
Checks of single values against the formats Kubernetes, cert-manager and the servers accept. A
value that reaches a manifest, a configuration file or a script is checked here before it is
used, so a line break or a quote can never add a field, a setting or a command: the render fails
instead, naming the value and what it may contain.
*/}}

{{/* The formats: a pattern, a maximum length, and what to tell the user; one template each, so a
check parses only its own. */}}
{{- define "common.validate.formats.dnsLabel" -}}
{"re": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "max": 63, "hint": "a DNS label: lower-case letters, digits and '-', starting with a letter, at most 63 characters"}
{{- end -}}
{{- define "common.validate.formats.dnsSubdomain" -}}
{"re": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", "max": 253, "hint": "a Kubernetes object name: lower-case letters, digits, '-' and '.', at most 253 characters"}
{{- end -}}
{{- define "common.validate.formats.secretKey" -}}
{"re": "^[-._a-zA-Z0-9]*[-_a-zA-Z0-9][-._a-zA-Z0-9]*$", "max": 253, "hint": "a Secret key: letters, digits, '-', '_' and '.'"}
{{- end -}}
{{- define "common.validate.formats.duration" -}}
{"re": "^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$", "max": 32, "hint": "a Prometheus duration such as 30s, 1m30s or 1h (whole numbers of y, w, d, h, m, s, ms)"}
{{- end -}}
{{- define "common.validate.formats.size" -}}
{"re": "^([0-9]*[1-9][0-9]*(\\.[0-9]+)?|[0-9]+\\.[0-9]*[1-9][0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$", "max": 32, "hint": "a size above zero such as 8Gi or 500Mi"}
{{- end -}}
{{- define "common.validate.formats.registry" -}}
{"re": "^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$", "max": 255, "hint": "a registry host, with an optional :port and path, e.g. mirror.example.com:5000/dockerhub"}
{{- end -}}
{{- define "common.validate.formats.repository" -}}
{"re": "^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", "max": 255, "hint": "an image repository such as library/postgres"}
{{- end -}}
{{- define "common.validate.formats.tag" -}}
{"re": "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", "max": 128, "hint": "an image tag such as 17.6-alpine"}
{{- end -}}
{{- define "common.validate.formats.digest" -}}
{"re": "^sha256:[a-f0-9]{64}$", "max": 71, "hint": "a digest sha256:<64 hex digits>"}
{{- end -}}
{{- define "common.validate.formats.kind" -}}
{"re": "^[A-Z][A-Za-z0-9]*$", "max": 63, "hint": "a Kubernetes kind such as Issuer or ClusterIssuer"}
{{- end -}}
{{- define "common.validate.formats.timeZone" -}}
{"re": "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$", "max": 64, "hint": "an IANA time zone such as Europe/Madrid"}
{{- end -}}
{{- define "common.validate.formats.token" -}}
{"re": "^[A-Za-z0-9]([A-Za-z0-9._:-]*[A-Za-z0-9])?$", "max": 63, "hint": "a short token of letters, digits, '.', '_', ':' and '-' (a date such as 2026-12-04)"}
{{- end -}}
{{- define "common.validate.formats.path" -}}
{"re": "^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$", "max": 255, "hint": "an absolute file path of letters, digits, '.', '_', '-' and '/'"}
{{- end -}}
{{- define "common.validate.formats.pullPolicy" -}}
{"re": "^(Always|IfNotPresent|Never)$", "max": 12, "hint": "Always, IfNotPresent or Never"}
{{- end -}}

{{/*
Fails unless .value is a string of .format (see common.validate.formats.*); an empty string passes
when .optional is true.
Usage: {{ include "common.validate.format" (dict "value" $v "path" "postgres.persistence.existingClaim" "format" "dnsSubdomain" "optional" true) }}
*/}}
{{- define "common.validate.format" -}}
{{- $f := include (printf "common.validate.formats.%s" .format) . | fromJson -}}
{{- $v := .value -}}
{{- if and .optional (or (kindIs "invalid" $v) (and (kindIs "string" $v) (eq $v ""))) -}}
{{- else if not (kindIs "string" $v) -}}
{{- fail (printf "%s is %v, not a string: give %s" .path $v $f.hint) -}}
{{- else if or (gt (len $v) (int $f.max)) (not (regexMatch $f.re $v)) -}}
{{- fail (printf "%s is %q: give %s" .path $v $f.hint) -}}
{{- end -}}
{{- end -}}

{{/*
Fails unless .value is a whole number from .min to .max (YAML gives numbers as float64 or int64).
Usage: {{ include "common.validate.int" (dict "value" $v "path" "postgres.port" "min" 1 "max" 65535) }}
*/}}
{{- define "common.validate.int" -}}
{{- $v := .value -}}
{{- $ok := false -}}
{{- if or (kindIs "float64" $v) (kindIs "int" $v) (kindIs "int64" $v) -}}
{{- $ok = and (eq (float64 $v) (float64 (int64 $v))) (ge (float64 $v) (float64 .min)) (le (float64 $v) (float64 .max)) -}}
{{- end -}}
{{- if not $ok -}}
{{- fail (printf "%s is %v: give a whole number from %v to %v" .path $v .min .max) -}}
{{- end -}}
{{- end -}}

{{/* Fails unless .value is true or false. */}}
{{- define "common.validate.bool" -}}
{{- if not (kindIs "bool" .value) -}}
{{- fail (printf "%s is %v: give true or false (without quotes)" .path .value) -}}
{{- end -}}
{{- end -}}

{{/*
Fails unless each of .keys of .values is a map: `key: null` in a values file removes the chart's
defaults, and the templates would then dereference nothing.
Usage: {{ include "common.validate.maps" (dict "values" $v "path" "postgres" "keys" (list "tls" "auth")) }}
*/}}
{{- define "common.validate.maps" -}}
{{- range $k := .keys -}}
{{- if not (kindIs "map" (get $.values $k)) -}}
{{- fail (printf "%s.%s is %v: give a map, or remove the line to keep the chart's defaults" $.path $k (get $.values $k | toJson)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Pod labels and annotations: qualified names, string values, and for labels the 63-character
values Kubernetes allows. Labels may not replace the ones the chart selects pods by.
Usage: {{ include "common.validate.metadata" (dict "labels" $l "labelsPath" "postgres.podLabels" "annotations" $a "annotationsPath" "postgres.podAnnotations") }}
*/}}
{{- define "common.validate.metadata" -}}
{{- $name := "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" -}}
{{- range $what := list "labels" "annotations" -}}
{{- $m := index $ $what -}}
{{- $p := index $ (printf "%sPath" $what) -}}
{{- if not (or (kindIs "map" $m) (kindIs "invalid" $m)) -}}
{{- fail (printf "%s: give a map of name: value" $p) -}}
{{- end -}}
{{- $size := 0 -}}
{{- range $k, $v := $m -}}
{{- $size = add $size (len $k) (len (toString $v)) -}}
{{- if gt $size 131072 -}}
{{- fail (printf "%s: over 128 KiB of names and values; Kubernetes allows 256 KiB of annotations per object, shared with the chart's own" $p) -}}
{{- end -}}
{{- if or (not (regexMatch $name $k)) (gt (len $k) 316) -}}
{{- fail (printf "%s: %q is not a label or annotation name (an optional DNS prefix and '/', then letters, digits, '-', '_' and '.')" $p $k) -}}
{{- end -}}
{{- if not (kindIs "string" $v) -}}
{{- fail (printf "%s.%s is %v: give the value as a quoted string" $p $k $v) -}}
{{- end -}}
{{- if eq $what "labels" -}}
{{- if or (hasPrefix "app.kubernetes.io/" $k) (hasPrefix "datastores.io/" $k) (hasPrefix "helm.sh/" $k) -}}
{{- fail (printf "%s.%s: the chart sets this label (it selects the server's pods); remove it" $p $k) -}}
{{- end -}}
{{- if not (regexMatch "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$" $v) -}}
{{- fail (printf "%s.%s is %q: a label value has at most 63 letters, digits, '-', '_' and '.'" $p $k $v) -}}
{{- end -}}
{{- else if hasPrefix "checksum/" $k -}}
{{- fail (printf "%s.%s: the chart sets checksum/ annotations to roll the pod; remove it" $p $k) -}}
{{- else if regexMatch "^(container\\.apparmor\\.security\\.beta|seccomp\\.security\\.alpha|container\\.seccomp\\.security\\.alpha)\\.kubernetes\\.io/" $k -}}
{{- fail (printf "%s.%s: the chart sets the pod's seccomp profile (RuntimeDefault) in its security context, and the restricted Pod Security profile refuses an unconfined AppArmor or seccomp profile; remove the annotation" $p $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A single-line string without control characters: what may go inside a quoted value of a
configuration file.
Usage: {{ include "common.validate.line" (dict "value" $v "path" "postgres.audit.logLinePrefix") }}
*/}}
{{- define "common.validate.line" -}}
{{- if not (kindIs "string" .value) -}}
{{- fail (printf "%s is %v: give a string" .path .value) -}}
{{- end -}}
{{- if regexMatch "[[:cntrl:]]" .value -}}
{{- fail (printf "%s is %q: a value must be one line, without control characters" .path .value) -}}
{{- end -}}
{{- if gt (len .value) 4096 -}}
{{- fail (printf "%s is %d characters long: a configuration value has at most 4096" .path (len .value)) -}}
{{- end -}}
{{- end -}}

{{/*
Minutes in a duration of hours and minutes (2160h, 90m, 1h30m); the format is checked first.
*/}}
{{- define "common.validate.minutes" -}}
{{- $h := regexFind "[0-9]+h" . | trimSuffix "h" | default "0" -}}
{{- $m := regexFind "[0-9]+m" . | trimSuffix "m" | default "0" -}}
{{- add (mul (atoi $h) 60) (atoi $m) -}}
{{- end -}}

{{/*
What a subchart checks before it reads its values: the blocks of defaults it dereferences are
maps, the globals, the TLS block's nested maps, and the name overrides.
Usage: {{ include "common.validate.chart" (dict "context" . "blocks" (list "image" "tls")) }}
*/}}
{{- define "common.validate.chart" -}}
{{- $name := .context.Chart.Name -}}
{{- $v := .context.Values -}}
{{- include "common.validate.maps" (dict "values" $v "path" $name "keys" .blocks) -}}
{{- include "common.validate.global" .context -}}
{{- include "common.validate.tlsMaps" (dict "tls" $v.tls "path" (printf "%s.tls" $name)) -}}
{{- range $k := list "fullnameOverride" "nameOverride" -}}
{{- include "common.validate.format" (dict "value" (get $v $k) "path" (printf "%s.%s" $name $k) "format" "dnsLabel" "optional" true) -}}
{{- end -}}
{{- end -}}

{{/*
The global values every subchart reads: image registry and pull secrets, cluster domain, and the
generated CA's settings. Keys the chart does not know are left alone: a parent chart that has this
one as a dependency may set globals of its own.
Usage: {{ include "common.validate.global" . }}
*/}}
{{/* Non-empty with global.gitops: renders must not depend on lookup (see common.validate.server). */}}
{{- define "common.gitops" -}}
{{- if eq (toString (dig "gitops" false (.Values.global | default dict))) "true" }}true{{ end -}}
{{- end -}}

{{- define "common.validate.global" -}}
{{- $g := .Values.global | default dict -}}
{{- include "common.validate.format" (dict "value" $g.imageRegistry "path" "global.imageRegistry" "format" "registry" "optional" true) -}}
{{- include "common.validate.format" (dict "value" ($g.clusterDomain | default "cluster.local") "path" "global.clusterDomain" "format" "dnsSubdomain") -}}
{{- if not (or (kindIs "slice" $g.imagePullSecrets) (kindIs "invalid" $g.imagePullSecrets)) -}}
{{- fail "global.imagePullSecrets: give a list of Secret names" -}}
{{- end -}}
{{- range $where, $list := dict "global" $g.imagePullSecrets .Chart.Name .Values.imagePullSecrets -}}
{{- if not (or (kindIs "slice" $list) (kindIs "invalid" $list)) -}}
{{- fail (printf "%s.imagePullSecrets: give a list of Secret names" $where) -}}
{{- end -}}
{{- range $n, $s := $list -}}
{{- include "common.validate.format" (dict "value" (ternary (get (ternary $s dict (kindIs "map" $s)) "name") $s (kindIs "map" $s)) "path" (printf "%s.imagePullSecrets[%d]" $where $n) "format" "dnsSubdomain") -}}
{{- end -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" (dig "connection" "caFile" "/etc/datastores/ca.crt" $g) "path" "global.connection.caFile" "format" "path") -}}
{{- include "common.validate.bool" (dict "value" (dig "gitops" false $g) "path" "global.gitops") -}}
{{- $gen := dig "tls" "generate" dict $g -}}
{{- if not (has ($gen.keyAlgorithm | default "ecdsa") (list "ecdsa" "rsa")) -}}
{{- fail (printf "global.tls.generate.keyAlgorithm is %v: use ecdsa or rsa" $gen.keyAlgorithm) -}}
{{- end -}}
{{- /* Beyond 100 years the validity overflows Go's durations and the certificate expires in the past. */ -}}
{{- $caDays := ternary 3650 $gen.caValidityDays (kindIs "invalid" $gen.caValidityDays) -}}
{{- include "common.validate.int" (dict "value" $caDays "path" "global.tls.generate.caValidityDays" "min" 1 "max" 36500) -}}
{{- $certDays := ternary 825 $gen.certificateValidityDays (kindIs "invalid" $gen.certificateValidityDays) -}}
{{- include "common.validate.int" (dict "value" $certDays "path" "global.tls.generate.certificateValidityDays" "min" 1 "max" $caDays) -}}
{{- /* At or beyond the validity, every upgrade would reissue every certificate. */ -}}
{{- $renewDays := ternary 30 $gen.renewBeforeDays (kindIs "invalid" $gen.renewBeforeDays) -}}
{{- include "common.validate.int" (dict "value" $renewDays "path" "global.tls.generate.renewBeforeDays" "min" 1 "max" (sub (int $certDays) 1)) -}}
{{- /* The CA rollover (common.tls.ca): the next CA is published caRenewBeforeDays before the
current one expires and signs caOverlapDays later, which must still leave the current CA more
than renewBeforeDays, or certificates would have to be renewed under a CA about to expire. */ -}}
{{- $caRenew := ternary 365 $gen.caRenewBeforeDays (kindIs "invalid" $gen.caRenewBeforeDays) -}}
{{- include "common.validate.int" (dict "value" $caRenew "path" "global.tls.generate.caRenewBeforeDays" "min" (add (int $renewDays) 1) "max" (sub (int $caDays) 1)) -}}
{{- include "common.validate.format" (dict "value" $gen.rotateCA "path" "global.tls.generate.rotateCA" "format" "token" "optional" true) -}}
{{- $overlap := ternary 30 $gen.caOverlapDays (kindIs "invalid" $gen.caOverlapDays) -}}
{{- include "common.validate.int" (dict "value" $overlap "path" "global.tls.generate.caOverlapDays" "min" 0 "max" (sub (sub (int $caRenew) (int $renewDays)) 1)) -}}
{{- end -}}

{{/*
What every server (a PostgreSQL instance, the Redis server) has in common: TLS source settings,
password Secret names and keys, storage, pod metadata and scheduling. .in maps each block to the
path the user wrote it under (the instance, or the chart-wide default).
.raw is what the user wrote for this server (nil when there is no per-server block) and .base the
chart-wide path.
Usage: {{ include "common.validate.server" (dict "s" $merged "in" $paths "raw" $raw "base" "postgres" "path" "postgres.instances.app" "passwordKeys" (list "userPasswordKey")) }}
*/}}
{{- define "common.validate.server" -}}
{{- /* Paths name where the user wrote a value: the server's own block, or the chart-wide default. */ -}}
{{- $s := .s -}}
{{- $in := .in -}}
{{- include "common.validate.maps" (dict "values" $s "path" .path "keys" (list "tls" "auth" "persistence")) -}}
{{- include "common.validate.tlsMaps" (dict "tls" $s.tls "path" $in.tls) -}}
{{- include "common.policy.validate" (dict "s" $s "in" $in "path" .path "context" .context) -}}
{{- if $s.gitops -}}
{{- /* global.gitops: every render must come out the same without a cluster to look in. */ -}}
{{- if eq $s.tls.source "generate" -}}
{{- fail (printf "%s.source is generate, but global.gitops is true: a render without a cluster (helm template, Argo CD, Flux) would make a new CA and certificates every time; use certManager, or existingSecret with Secrets made once (datastores certs)" $in.tls) -}}
{{- end -}}
{{- if not $s.auth.existingSecret -}}
{{- fail (printf "%s.existingSecret is empty, but global.gitops is true: a render without a cluster would make new passwords every time; name a Secret made once (datastores secrets, kept encrypted with Sealed Secrets or SOPS, or synced by External Secrets)" $in.auth) -}}
{{- end -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $s.port "path" $in.port "min" 1 "max" 65535) -}}
{{- include "common.tls.validate" (dict "tls" $s.tls "path" $in.tls) -}}
{{- $es := $s.tls.existingSecret -}}
{{- if eq $s.tls.source "existingSecret" -}}
{{- include "common.validate.format" (dict "value" $es.name "path" (include "common.validate.at" (list $ "tls.existingSecret.name")) "format" "dnsSubdomain") -}}
{{- range $k := list "certificate" "privateKey" "ca" -}}
{{- include "common.validate.format" (dict "value" (get $es.keys $k) "path" (include "common.validate.at" (list $ (printf "tls.existingSecret.keys.%s" $k))) "format" "secretKey") -}}
{{- end -}}
{{- end -}}
{{- if eq $s.tls.source "certManager" -}}
{{- $cm := $s.tls.certManager -}}
{{- $cmPath := printf "%s.certManager" $in.tls -}}
{{- include "common.validate.format" (dict "value" $cm.issuerRef.name "path" (include "common.validate.at" (list $ "tls.certManager.issuerRef.name")) "format" "dnsSubdomain") -}}
{{- include "common.validate.format" (dict "value" $cm.issuerRef.kind "path" (include "common.validate.at" (list $ "tls.certManager.issuerRef.kind")) "format" "kind" "optional" true) -}}
{{- include "common.validate.format" (dict "value" $cm.issuerRef.group "path" (include "common.validate.at" (list $ "tls.certManager.issuerRef.group")) "format" "dnsSubdomain" "optional" true) -}}
{{- /* An issuer of cert-manager's own group is an Issuer or a ClusterIssuer; external issuers
(other groups) name their own kinds. */ -}}
{{- if and (eq ($cm.issuerRef.group | default "cert-manager.io") "cert-manager.io") (not (has ($cm.issuerRef.kind | default "Issuer") (list "Issuer" "ClusterIssuer"))) -}}
{{- fail (printf "%s is %q: cert-manager.io issuers are Issuer or ClusterIssuer (set issuerRef.group for an external issuer's own kind)" (include "common.validate.at" (list $ "tls.certManager.issuerRef.kind")) (toString $cm.issuerRef.kind)) -}}
{{- end -}}
{{- range $k := list "duration" "renewBefore" -}}
{{- $d := get $cm $k -}}
{{- /* Go's durations end at 2562047h: cert-manager cannot read a longer one. */ -}}
{{- if not (and (kindIs "string" $d) (regexMatch "^([0-9]{1,7}h)?([0-9]{1,9}m)?$" $d) $d (le (include "common.validate.minutes" $d | int64) 153722820)) -}}
{{- fail (printf "%s.%s is %q: give hours and minutes, e.g. 2160h or 1h30m, up to 2562047h" $cmPath $k (toString $d)) -}}
{{- end -}}
{{- end -}}
{{- $duration := include "common.validate.minutes" $cm.duration | int -}}
{{- $renew := include "common.validate.minutes" $cm.renewBefore | int -}}
{{- if lt $duration 60 -}}
{{- fail (printf "%s is %s: cert-manager issues certificates for at least 1h" (include "common.validate.at" (list $ "tls.certManager.duration")) $cm.duration) -}}
{{- end -}}
{{- if or (lt $renew 5) (ge $renew $duration) -}}
{{- fail (printf "%s is %s: it must be at least 5m and shorter than duration (%s)" (include "common.validate.at" (list $ "tls.certManager.renewBefore")) $cm.renewBefore $cm.duration) -}}
{{- end -}}
{{- if not (has ($cm.privateKeyRotationPolicy | default "Always") (list "Always" "Never")) -}}
{{- fail (printf "%s is %v: use Always (a new key at every renewal) or Never" (include "common.validate.at" (list $ "tls.certManager.privateKeyRotationPolicy")) $cm.privateKeyRotationPolicy) -}}
{{- end -}}
{{- if not (has $cm.keyAlgorithm (list "ecdsa" "rsa")) -}}
{{- fail (printf "%s is %v: use ecdsa or rsa" (include "common.validate.at" (list $ "tls.certManager.keyAlgorithm")) $cm.keyAlgorithm) -}}
{{- end -}}
{{- end -}}
{{- include "common.validate.bool" (dict "value" $s.tls.reload.enabled "path" (include "common.validate.at" (list $ "tls.reload.enabled"))) -}}
{{- include "common.validate.int" (dict "value" $s.tls.reload.intervalSeconds "path" (include "common.validate.at" (list $ "tls.reload.intervalSeconds")) "min" 1 "max" 50) -}}
{{- if not (kindIs "bool" $s.tls.clientCertificates) -}}
{{- fail (printf "%s is %v: give true or false (without quotes)" (include "common.validate.at" (list $ "tls.clientCertificates")) $s.tls.clientCertificates) -}}
{{- end -}}
{{- /* Passwords: Secret names and keys that cannot collide with each other or with the keys the chart writes. */ -}}
{{- include "common.secrets.validate" (dict "auth" $s.auth "path" $in.auth "keys" .passwordKeys) -}}
{{- include "common.validate.format" (dict "value" $s.auth.existingSecret "path" (include "common.validate.at" (list $ "auth.existingSecret")) "format" "dnsSubdomain" "optional" true) -}}
{{- $seen := dict -}}
{{- range $k := .passwordKeys -}}
{{- $v := get $s.auth $k -}}
{{- $p := include "common.validate.at" (list $ (printf "auth.%s" $k)) -}}
{{- include "common.validate.format" (dict "value" $v "path" $p "format" "secretKey") -}}
{{- if and (not $s.auth.existingSecret) (has $v (include "common.connection.reservedKeys" . | fromJsonArray)) -}}
{{- fail (printf "%s is %q: the chart writes that key of the Secret with connection details, so the password would be replaced or published; choose another key, e.g. password" $p $v) -}}
{{- end -}}
{{- if and (not $s.auth.existingSecret) (eq $v "password") (ne $k (first $.passwordKeys)) -}}
{{- fail (printf "%s is \"password\": that key holds the application user's password in the connection Secret; choose another key, e.g. postgres-password" $p) -}}
{{- end -}}
{{- /* One key in one Secret holds one password; the superuser's own Secret
(existingSuperuserSecret) may use the same key name as the application's. */ -}}
{{- $in := "" -}}
{{- if and (eq $k "adminPasswordKey") $s.auth.existingSuperuserSecret (ne (toString $s.auth.existingSuperuserSecret) (toString $s.auth.existingSecret)) -}}
{{- $in = printf "%s/" $s.auth.existingSuperuserSecret -}}
{{- end -}}
{{- if hasKey $seen (printf "%s%s" $in $v) -}}
{{- fail (printf "%s is %q, the same key as %s: two users would share one password; give each its own key" $p $v (get $seen (printf "%s%s" $in $v))) -}}
{{- end -}}
{{- $_ := set $seen (printf "%s%s" $in $v) $p -}}
{{- end -}}
{{- if not $s.auth.existingSecret -}}
{{- /* randAlphaNum allocates the whole length: a huge number would exhaust the renderer. */ -}}
{{- include "common.validate.int" (dict "value" $s.auth.passwordLength "path" (include "common.validate.at" (list $ "auth.passwordLength")) "min" 32 "max" 1024) -}}
{{- end -}}
{{- /* Storage. */ -}}
{{- $pv := $s.persistence -}}
{{- include "common.validate.format" (dict "value" $pv.existingClaim "path" (include "common.validate.at" (list $ "persistence.existingClaim")) "format" "dnsSubdomain" "optional" true) -}}
{{- if and (not $pv.existingClaim) (not $pv.size) -}}
{{- fail (printf "%s.size is empty: give the data volume a size (e.g. 8Gi) or set %s.existingClaim; data never lives on an emptyDir" $in.persistence $in.persistence) -}}
{{- else if not $pv.existingClaim -}}
{{- include "common.validate.format" (dict "value" (toString $pv.size) "path" (include "common.validate.at" (list $ "persistence.size")) "format" "size") -}}
{{- end -}}
{{- if ne (toString $pv.storageClass) "-" -}}
{{- include "common.validate.format" (dict "value" $pv.storageClass "path" (include "common.validate.at" (list $ "persistence.storageClass")) "format" "dnsSubdomain" "optional" true) -}}
{{- end -}}
{{- include "common.validate.accessModes" (dict "value" $pv.accessModes "path" (include "common.validate.at" (list $ "persistence.accessModes"))) -}}
{{- include "common.validate.metadata" (dict "annotations" $pv.annotations "annotationsPath" (include "common.validate.at" (list $ "persistence.annotations"))) -}}
{{- /* Pod metadata and scheduling. */ -}}
{{- include "common.validate.metadata" (dict "labels" $s.podLabels "labelsPath" $in.podLabels "annotations" $s.podAnnotations "annotationsPath" $in.podAnnotations) -}}
{{- include "common.validate.format" (dict "value" $s.priorityClassName "path" $in.priorityClassName "format" "dnsSubdomain" "optional" true) -}}
{{- include "common.validate.int" (dict "value" $s.terminationGracePeriodSeconds "path" $in.terminationGracePeriodSeconds "min" 0 "max" 86400) -}}
{{- /* Scheduling, as the Kubernetes API types it (common.k8s.check). */ -}}
{{- range $k := list "nodeSelector" "tolerations" "affinity" -}}
{{- include "common.k8s.check" (dict "context" $.context "value" (get $s $k) "type" "io.k8s.api.core.v1.PodSpec" "field" $k "path" (get $in $k)) -}}
{{- end -}}
{{- include "common.validate.resources" (dict "resources" $s.resources "path" $in.resources "context" .context) -}}
{{- end -}}

{{/*
A claim's access modes: a list of at least one that the API server knows.
Usage: {{ include "common.validate.accessModes" (dict "value" $modes "path" "postgres.persistence.accessModes") }}
*/}}
{{- define "common.validate.accessModes" -}}
{{- if not (and (kindIs "slice" .value) .value) -}}
{{- fail (printf "%s: give a list of access modes, e.g. [ReadWriteOnce]" .path) -}}
{{- end -}}
{{- range $m := .value -}}
{{- if not (has $m (list "ReadWriteOnce" "ReadWriteOncePod" "ReadWriteMany" "ReadOnlyMany")) -}}
{{- fail (printf "%s: %v is not an access mode; use ReadWriteOnce, ReadWriteOncePod, ReadWriteMany or ReadOnlyMany" $.path $m) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
An image block: registry, repository, tag or digest and pull policy, each in the format a
container runtime accepts.
Usage: {{ include "common.validate.image" (dict "image" .Values.image "path" "postgres.image") }}
*/}}
{{- define "common.validate.image" -}}
{{- if not (kindIs "map" .image) -}}
{{- fail (printf "%s is %v: give a map, or remove the line to keep the chart's defaults" .path (toJson .image)) -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" .image.registry "path" (printf "%s.registry" .path) "format" "registry" "optional" true) -}}
{{- include "common.validate.format" (dict "value" .image.repository "path" (printf "%s.repository" .path) "format" "repository") -}}
{{- include "common.validate.format" (dict "value" .image.tag "path" (printf "%s.tag" .path) "format" "tag" "optional" true) -}}
{{- include "common.validate.format" (dict "value" .image.digest "path" (printf "%s.digest" .path) "format" "digest" "optional" true) -}}
{{- include "common.validate.format" (dict "value" .image.pullPolicy "path" (printf "%s.pullPolicy" .path) "format" "pullPolicy") -}}
{{- end -}}

{{/*
A container's resources: requests and limits of cpu, memory, ephemeral-storage or hugepages, each
a quantity, requests at most the limits (common.k8s.check, ResourceRequirements).
Usage: {{ include "common.validate.resources" (dict "context" $ "resources" $r "path" "postgres.resources") }}
*/}}
{{- define "common.validate.resources" -}}
{{- include "common.k8s.check" (dict "context" .context "value" .resources "type" "io.k8s.api.core.v1.ResourceRequirements" "path" .path) -}}
{{- end -}}

{{/*
The path of a field as the user wrote it: under the server's own block when .raw has it, else
under the chart-wide default.
Usage: {{ include "common.validate.at" (list $ctx "persistence.size") }} (ctx: raw, base, path)
*/}}
{{- define "common.validate.at" -}}
{{- $ctx := index . 0 -}}
{{- $field := index . 1 -}}
{{- $node := $ctx.raw -}}
{{- $found := kindIs "map" $node -}}
{{- range $part := splitList "." $field -}}
{{- if and $found (kindIs "map" $node) (hasKey $node $part) -}}
{{- $node = index $node $part -}}
{{- else -}}
{{- $found = false -}}
{{- end -}}
{{- end -}}
{{- printf "%s.%s" (ternary $ctx.path $ctx.base $found) $field -}}
{{- end -}}

{{/*
The nested maps of a tls block, checked before anything reads them.
Usage: {{ include "common.validate.tlsMaps" (dict "tls" $tls "path" "redis.tls") }}
*/}}
{{- define "common.validate.tlsMaps" -}}
{{- include "common.validate.maps" (dict "values" .tls "path" .path "keys" (list "existingSecret" "certManager" "reload")) -}}
{{- include "common.validate.maps" (dict "values" .tls.existingSecret "path" (printf "%s.existingSecret" .path) "keys" (list "keys")) -}}
{{- include "common.validate.maps" (dict "values" .tls.certManager "path" (printf "%s.certManager" .path) "keys" (list "issuerRef")) -}}
{{- end -}}
