{{/*
Security contexts that pass the Kubernetes "restricted" Pod Security profile: never root, no
privilege escalation, every capability dropped, RuntimeDefault seccomp, read-only root file system.
The uid/gid come from values because images differ (70 for postgres:alpine, 999 for redis).
Usage: {{ include "common.security.podSecurityContext" (dict "securityContext" .Values.securityContext "path" "postgres.securityContext") }}
*/}}
{{- define "common.security.podSecurityContext" -}}
{{- include "common.security.validate" . -}}
runAsNonRoot: true
runAsUser: {{ int64 .securityContext.runAsUser }}
runAsGroup: {{ int64 .securityContext.runAsGroup }}
fsGroup: {{ int64 .securityContext.fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "common.security.containerSecurityContext" -}}
{{- include "common.security.validate" . -}}
runAsNonRoot: true
runAsUser: {{ int64 .securityContext.runAsUser }}
runAsGroup: {{ int64 .securityContext.runAsGroup }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "common.security.validate" -}}
{{- range $field := list "runAsUser" "runAsGroup" "fsGroup" -}}
{{- $id := index $.securityContext $field -}}
{{- if or (kindIs "invalid" $id) (lt (int64 $id) 1) -}}
{{- fail (printf "%s.%s must be a non-zero id (the server never runs as root); use the image's own user, e.g. 70 for postgres:alpine or 999 for redis" $.path $field) -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $id "path" (printf "%s.%s" $.path $field) "min" 1 "max" 2147483647) -}}
{{- end -}}
{{- end -}}
