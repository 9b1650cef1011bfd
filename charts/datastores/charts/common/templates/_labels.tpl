{{/*
Labels. The selector labels identify one server of one release; the standard labels add what
`kubectl get -l` and dashboards want.
Usage: {{ include "common.labels.standard" (dict "context" $ "instance" "auth" "component" "database") }}
*/}}

{{- define "common.labels.standard" -}}
{{ include "common.labels.selector" . }}
app.kubernetes.io/managed-by: {{ .context.Release.Service | quote }}
app.kubernetes.io/part-of: datastores
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .context.Chart.Name .context.Chart.Version | replace "+" "_" | quote }}
{{- with .component }}
app.kubernetes.io/component: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "common.labels.selector" -}}
app.kubernetes.io/name: {{ .context.Chart.Name | quote }}
app.kubernetes.io/instance: {{ .context.Release.Name | quote }}
{{- with .instance }}
datastores.io/instance: {{ . | quote }}
{{- end }}
{{- end -}}
