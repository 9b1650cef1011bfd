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
