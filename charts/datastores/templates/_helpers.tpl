{{/*
Non-empty when some server of the release takes its certificate from the release CA.
*/}}
{{- define "datastores.generatesTLS" -}}
{{- $pg := .Values.postgres | default dict -}}
{{- $redis := .Values.redis | default dict -}}
{{- if or (and $pg.enabled $pg.instances (eq (dig "tls" "source" "" $pg) "generate")) (and $redis.enabled (eq (dig "tls" "source" "" $redis) "generate")) -}}
true
{{- end -}}
{{- end -}}

{{/*
When a server's generated certificate expires (and when helm upgrade renews it), for NOTES.
Usage: {{ include "datastores.certificateExpiry" (dict "context" $subchartContext "server" $s) }}
*/}}
{{- define "datastores.certificateExpiry" -}}
{{- if eq .server.tls.source "generate" -}}
{{- $cert := first (include "common.tls.certificates" . | fromJsonArray) -}}
{{- $data := include "common.tls.signedCertificate" (dict "context" .context "secret" $cert.secret "commonName" $cert.commonName "dnsNames" $cert.dnsNames "ipAddresses" $cert.ipAddresses) | fromJson -}}
certificate expires {{ $data.notAfter }}; helm upgrade renews it {{ dig "tls" "generate" "renewBeforeDays" 30 (.context.Values.global | default dict) }} days before
{{- end -}}
{{- end -}}
