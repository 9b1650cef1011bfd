{{/*
The parts every server's StatefulSet shares. .server is the server dict of common.tls (its
name, fullname, component) merged with its values (podLabels, podAnnotations, scheduling,
persistence, terminationGracePeriodSeconds).
*/}}

{{/*
Pod labels and annotations; .checksums are annotations that change when what the pod reads at
start changes, so that the pod rolls.
Usage: {{ include "common.workload.podMetadata" (dict "context" $ "server" $s "checksums" (dict "checksum/config" $sum)) | nindent 4 }}
*/}}
{{- define "common.workload.podMetadata" -}}
labels:
  {{- include "common.labels.standard" (dict "context" .context "instance" .server.name "component" .server.component) | nindent 2 }}
  {{- with .server.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  {{- range $k, $v := .checksums }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
  {{- with .server.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/*
The pod spec fields that are not containers or volumes: identity (its ServiceAccount, without
a token), pull secrets, the restricted security context, and scheduling.
Usage: {{ include "common.workload.podSpec" (dict "context" $ "server" $s "securityContext" $sc) | nindent 6 }}
*/}}
{{- define "common.workload.podSpec" -}}
serviceAccountName: {{ .server.fullname | quote }}
automountServiceAccountToken: false
enableServiceLinks: false
{{- with include "common.images.pullSecrets" .context }}
{{ . }}
{{- end }}
securityContext:
  {{- include "common.security.podSecurityContext" .securityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ int .server.terminationGracePeriodSeconds }}
{{- with .server.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .server.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .server.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .server.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "common.policy.topologySpread" . }}
{{ . }}
{{- end }}
{{- end -}}

{{/*
The data volume: a claim per pod from the StatefulSet (kept when the StatefulSet goes or
shrinks), or, with persistence.existingClaim, that claim as a pod volume. Never an emptyDir.
  common.storage.claimTemplates    the StatefulSet spec fields (nothing with an existing claim)
  common.storage.existingClaim     the pod volume (nothing without one)
Usage: {{ include "common.storage.claimTemplates" (dict "context" $ "server" $s) | nindent 2 }}
*/}}
{{- define "common.storage.claimTemplates" -}}
{{- $p := .server.persistence -}}
{{- if not $p.existingClaim -}}
persistentVolumeClaimRetentionPolicy:
  whenDeleted: Retain
  whenScaled: Retain
volumeClaimTemplates:
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: data
      labels:
        {{- include "common.labels.selector" (dict "context" .context "instance" .server.name) | nindent 8 }}
      {{- with $p.annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      {{- include "common.storage.spec" $p | nindent 6 }}
{{- end -}}
{{- end -}}

{{- define "common.storage.existingClaim" -}}
{{- with .persistence.existingClaim -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ . | quote }}
{{- end -}}
{{- end -}}

{{/*
A claim's spec from {accessModes, storageClass, size}. An empty storageClass leaves the
cluster's default; "-" asks for none ("").
*/}}
{{- define "common.storage.spec" -}}
accessModes:
  {{- toYaml .accessModes | nindent 2 }}
{{- with .storageClass }}
storageClassName: {{ ternary "" . (eq . "-") | quote }}
{{- end }}
resources:
  requests:
    storage: {{ .size | quote }}
{{- end -}}
