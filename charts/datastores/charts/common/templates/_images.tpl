{{/*
Container images. global.imageRegistry replaces every image's registry (private mirrors,
air-gapped clusters). A tag of "latest", or no tag and no digest, fails: a restart must never
change what runs.
Usage: {{ include "common.images.image" (dict "image" .Values.image "context" $ "path" "postgres.image") }}
*/}}
{{- define "common.images.image" -}}
{{- include "common.validate.image" . -}}
{{- $registry := ((.context.Values.global).imageRegistry) | default .image.registry -}}
{{- $tag := toString (.image.tag | default "") -}}
{{- if and (not .image.digest) (or (eq $tag "") (eq $tag "latest")) -}}
{{- fail (printf "%s.tag: pin an exact version (or set %s.digest); \"latest\" and an empty tag make restarts pull a different image" .path .path) -}}
{{- end -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s.tag: \"latest\" is not allowed; pin an exact version" .path) -}}
{{- end -}}
{{- $ref := .image.repository -}}
{{- if $registry -}}
{{- $ref = printf "%s/%s" $registry $ref -}}
{{- end -}}
{{- if $tag -}}
{{- $ref = printf "%s:%s" $ref $tag -}}
{{- end -}}
{{- if .image.digest -}}
{{- $ref = printf "%s@%s" $ref .image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/*
imagePullSecrets from global.imagePullSecrets and the subchart's own list.
Usage: {{ include "common.images.pullSecrets" . }}
*/}}
{{- define "common.images.pullSecrets" -}}
{{- $names := list -}}
{{- range (concat ((.Values.global).imagePullSecrets | default list) (.Values.imagePullSecrets | default list)) -}}
{{- if kindIs "map" . -}}
{{- $names = append $names .name -}}
{{- else -}}
{{- $names = append $names . -}}
{{- end -}}
{{- end -}}
{{- if $names }}
imagePullSecrets:
{{- range $names | uniq }}
  - name: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}
