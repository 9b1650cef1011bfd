{{/*
Deep merge for per-server overrides of chart-wide defaults. Sprig's merge functions treat false,
0 and "" as absent, so an instance could not turn off a setting that is on chart-wide; this one
lets every value the user wrote win. Merges .override into .base in place (maps key by key; lists
and scalars replace) and prints nothing.
Usage: {{- include "common.values.mergeInto" (dict "base" $copyOfDefaults "override" $instance) -}}
*/}}
{{- define "common.values.mergeInto" -}}
{{- range $key, $value := .override -}}
{{- $current := index $.base $key -}}
{{- if and (kindIs "map" $value) (kindIs "map" $current) -}}
{{- include "common.values.mergeInto" (dict "base" $current "override" $value) -}}
{{- else -}}
{{- $_ := set $.base $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Renders the named template once per render and returns the same text to every later caller.
Helpers that merge and validate every server (postgres.instances) are needed by every template
file; this keeps a 14-instance render from doing that work fourteen times over. The cache lives
in .Release, the one map all templates of all subcharts share during a render.
Usage: {{ include "common.memo" (dict "context" $ "template" "postgres.instances.compute") }}
*/}}
{{- define "common.memo" -}}
{{- if not (hasKey .context.Release "datastoresMemo") -}}
{{- $_ := set .context.Release "datastoresMemo" dict -}}
{{- end -}}
{{- $memo := .context.Release.datastoresMemo -}}
{{- if not (hasKey $memo .template) -}}
{{- $_ := set $memo .template (include .template .context) -}}
{{- end -}}
{{- get $memo .template -}}
{{- end -}}
