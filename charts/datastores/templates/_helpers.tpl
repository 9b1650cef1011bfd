{{/*
Non-empty when some server of the release takes its certificate from the release CA.
*/}}
{{- define "datastores.generatesTLS" -}}
{{- $pg := .Values.postgres | default dict -}}
{{- $redis := .Values.redis | default dict -}}
{{- $redisExternal := eq (toString (dig "external" "enabled" false $redis)) "true" -}}
{{- if or (and $pg.enabled $pg.instances (eq (dig "tls" "source" "" $pg) "generate")) (and $redis.enabled (not $redisExternal) (eq (dig "tls" "source" "" $redis) "generate")) -}}
true
{{- end -}}
{{- end -}}

{{/*
When a server's certificate expires, for NOTES: the generated one as issued (and when helm upgrade
renews it), an existing Secret's or cert-manager's as the cluster holds it, with a warning within
7 days (helm test fails then too).
Usage: {{ include "datastores.certificateExpiry" (dict "context" $subchartContext "server" $s) }}
*/}}
{{- define "datastores.certificateExpiry" -}}
{{- $s := .server -}}
{{- $notAfter := "" -}}
{{- $renewal := "" -}}
{{- if eq $s.tls.source "generate" -}}
{{- $cert := first (include "common.tls.certificates" . | fromJsonArray) -}}
{{- $data := include "common.tls.signedCertificate" (dict "context" .context "secret" $cert.secret "commonName" $cert.commonName "dnsNames" $cert.dnsNames "ipAddresses" $cert.ipAddresses) | fromJson -}}
{{- $notAfter = $data.notAfter -}}
{{- $renewal = printf "helm upgrade renews it %v days before" (include "common.tls.generateSettings" .context | fromJson).renewBeforeDays -}}
{{- else -}}
{{- $secret := lookup "v1" "Secret" .context.Release.Namespace $s.tlsSecret | default dict -}}
{{- $key := ternary $s.tls.existingSecret.keys.certificate "tls.crt" (eq $s.tls.source "existingSecret") -}}
{{- $notAfter = include "common.tls.notAfter" (dig "data" $key "" $secret) -}}
{{- $renewal = ternary "cert-manager renews it" (printf "renew it in Secret %s" $s.tlsSecret) (eq $s.tls.source "certManager") -}}
{{- end -}}
{{- with $notAfter -}}
certificate expires {{ . }}; {{ $renewal }}
{{- if lt (include "common.tls.secondsUntil" . | atoi) (mul 7 86400) }} -- WARNING: within 7 days (helm test fails)
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The release CA's expiry and the state of a rollover, for NOTES.
*/}}
{{- define "datastores.caStatus" -}}
{{- $ca := include "common.tls.ca" . | fromJson -}}
{{- $gen := include "common.tls.generateSettings" . | fromJson -}}
release CA expires {{ $ca.notAfter }}; helm upgrade publishes the next CA {{ $gen.caRenewBeforeDays }} days before.
{{- with $ca.next }}
  CA rollover: the next CA was published {{ .published }} and is in ca.crt beside the current one.
  It signs from the first helm upgrade after {{ dateInZone "2006-01-02T15:04:05Z" (toDate "2006-01-02T15:04:05Z07:00" .published | dateModify (printf "+%dh" (mul (int $gen.caOverlapDays) 24))) "UTC" }}
  (every certificate reissued, loaded without restarts): by then every client must trust the new ca.crt.
{{- end }}
{{- with $ca.previous }}
  The previous CA stays in ca.crt until it expires ({{ include "common.tls.notAfter" . }}).
{{- end }}
{{- end -}}
