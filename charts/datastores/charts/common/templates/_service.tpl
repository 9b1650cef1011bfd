{{/*
A server's two Services: a ClusterIP Service for clients, and a headless Service that gives the
StatefulSet's pods stable DNS names (published before they are ready, so peers can find them).
Usage: {{ include "common.service.pair" (dict "context" $ "server" $s "port" 5432 "portName" "postgresql") }}
*/}}
{{- define "common.service.pair" -}}
{{- $labels := include "common.labels.standard" (dict "context" .context "instance" .server.name "component" .server.component) -}}
{{- $selector := include "common.labels.selector" (dict "context" .context "instance" .server.name) -}}
{{- range $svc := list (dict "name" .server.fullname "headless" false) (dict "name" .server.headlessService "headless" true) }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $svc.name | quote }}
  namespace: {{ $.context.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  type: ClusterIP
  {{- if $svc.headless }}
  clusterIP: None
  publishNotReadyAddresses: true
  {{- end }}
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: {{ $.portName | quote }}
      port: {{ int $.port }}
      targetPort: {{ $.portName }}
      protocol: TCP
{{- end }}
{{- end -}}

{{/*
A server's ServiceAccount, without an API token: no datastore talks to the Kubernetes API.
Usage: {{ include "common.service.account" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.service.account" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "instance" .server.name "component" .server.component) | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}
