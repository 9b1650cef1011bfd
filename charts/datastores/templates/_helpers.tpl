{{/*
Non-empty when some server of the release takes its certificate from the release CA.
*/}}
{{- define "datastores.generatesTLS" -}}
{{- $pg := .Values.postgres | default dict -}}
{{- if and $pg.enabled $pg.instances (eq (dig "tls" "source" "" $pg) "generate") -}}
true
{{- end -}}
{{- end -}}
