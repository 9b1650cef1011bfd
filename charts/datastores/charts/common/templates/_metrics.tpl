{{/*
Metrics (opt-in, metrics.enabled). Beside each server run its exporter (postgres_exporter,
redis_exporter: the subcharts render those) and x509-certificate-exporter, which reads the
certificate files the server serves (/tls/tls.crt, /tls/ca.crt: the tls-reloader's copies) so that
their expiry is a metric whatever the TLS source. The exporters connect to the server over TLS
with full verification (localhost is in every server certificate) as a login that may only read
statistics. All of them run as the server's user: they read the CA and the password files the
server's pod already holds, and nothing else.

Prometheus Operator objects are opt-in too: a Service for the metrics ports with a
ServiceMonitor, or a PodMonitor, and a PrometheusRule with the alerts.
*/}}

{{/*
Checks a server's metrics block (and refuses a generated monitoring password in GitOps mode).
Usage: {{ include "common.metrics.validate" (dict "s" $s "path" "postgres.metrics") }}
*/}}
{{- define "common.metrics.validate" -}}
{{- $m := .s.metrics -}}
{{- $p := .path -}}
{{- if not (kindIs "map" $m) -}}
{{- fail (printf "%s: give a map, or remove the line to keep the chart's defaults" $p) -}}
{{- end -}}
{{- include "common.validate.bool" (dict "value" $m.enabled "path" (printf "%s.enabled" $p)) -}}
{{- include "common.validate.maps" (dict "values" $m "path" $p "keys" (list "image" "certificates" "serviceMonitor" "podMonitor" "prometheusRule")) -}}
{{- include "common.validate.int" (dict "value" $m.port "path" (printf "%s.port" $p) "min" 1024 "max" 65535) -}}
{{- include "common.validate.bool" (dict "value" $m.certificates.enabled "path" (printf "%s.certificates.enabled" $p)) -}}
{{- include "common.validate.int" (dict "value" $m.certificates.port "path" (printf "%s.certificates.port" $p) "min" 1024 "max" 65535) -}}
{{- if eq (int $m.port) (int $m.certificates.port) -}}
{{- fail (printf "%s.port and %s.certificates.port are both %d: give each exporter its own port" $p $p (int $m.port)) -}}
{{- end -}}
{{- range $k := list "port" "certificates.port" -}}
{{- $port := ternary $m.port $m.certificates.port (eq $k "port") -}}
{{- if eq (int $port) (int $.s.port) -}}
{{- fail (printf "%s.%s is %d, the server's own port: give the exporter another" $p $k (int $port)) -}}
{{- end -}}
{{- end -}}
{{- range $k := list "serviceMonitor" "podMonitor" "prometheusRule" -}}
{{- $o := get $m $k -}}
{{- include "common.validate.bool" (dict "value" $o.enabled "path" (printf "%s.%s.enabled" $p $k)) -}}
{{- if not (or (kindIs "map" $o.labels) (kindIs "invalid" $o.labels)) -}}
{{- fail (printf "%s.%s.labels: give a map of label: value (the labels your Prometheus selects by)" $p $k) -}}
{{- end -}}
{{- include "common.validate.metadata" (dict "labels" $o.labels "labelsPath" (printf "%s.%s.labels" $p $k)) -}}
{{- end -}}
{{- range $k := list "serviceMonitor" "podMonitor" -}}
{{- include "common.validate.format" (dict "value" (get $m $k).interval "path" (printf "%s.%s.interval" $p $k) "format" "duration") -}}
{{- if has (toString (get $m $k).interval) (list "0" "") -}}
{{- fail (printf "%s.%s.interval is %q: give how often to scrape, e.g. 30s" $p $k (toString (get $m $k).interval)) -}}
{{- end -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $m.prometheusRule.certificateExpiryDays "path" (printf "%s.prometheusRule.certificateExpiryDays" $p) "min" 1 "max" 365) -}}
{{- include "common.validate.format" (dict "value" $m.existingSecret "path" (printf "%s.existingSecret" $p) "format" "dnsSubdomain" "optional" true) -}}
{{- include "common.validate.resources" (dict "resources" $m.resources "path" (printf "%s.resources" $p) "context" .context) -}}
{{- if and $m.enabled .s.gitops (not $m.existingSecret) -}}
{{- fail (printf "%s.existingSecret is empty, but global.gitops is true: a render without a cluster would make a new monitoring password every time; name a Secret (key password) made once" $p) -}}
{{- end -}}
{{- end -}}

{{/*
metrics.existingSecret must be the monitoring login's own Secret: naming one of the server's
password Secrets would give the exporter, and anyone who reads its Secret, that login's password
(and make two logins share one). .taken: the server's password and connection Secrets.
Usage: {{ include "common.metrics.validateSecret" (dict "s" $s "path" "postgres.metrics" "taken" (list $a $b)) }}
*/}}
{{- define "common.metrics.validateSecret" -}}
{{- with .s.metrics.existingSecret -}}
{{- if has . $.taken -}}
{{- fail (printf "%s.existingSecret is %q, a Secret that holds the server's own passwords (%s): the exporter would log in with them; give the monitoring login a Secret of its own (key password), or leave it empty to generate one" $.path . (join ", " $.taken)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The Secret with the monitoring login's password, generated once and kept (like the servers'),
unless metrics.existingSecret names one. Key: password.
Usage: {{ include "common.metrics.secret" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.metrics.secretName" -}}
{{- .server.metrics.existingSecret | default (printf "%s-monitor" .server.fullname) -}}
{{- end -}}

{{- define "common.metrics.secret" -}}
{{- if and .server.metrics.enabled (not .server.metrics.existingSecret) }}
{{- $name := include "common.metrics.secretName" . }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "instance" .server.name "component" "metrics") | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  password: {{ include "common.secrets.password" (dict "context" .context "secret" $name "key" "password" "length" 32) }}
{{- end }}
{{- end -}}

{{/*
x509-certificate-exporter's configuration: the files the server serves, read again at every poll
(skipUnchanged: false; the default keeps the first reading of a file and would report a renewed
certificate's old expiry).
*/}}
{{- define "common.metrics.x509Config" -}}
server:
  listen: ":{{ int .server.metrics.certificates.port }}"
cache:
  filePoll:
    skipUnchanged: false
sources:
  - kind: file
    name: {{ .server.fullname }}
    paths: [/tls/tls.crt, /tls/ca.crt]
    refreshInterval: 30s
{{- end -}}

{{/*
The x509-certificate-exporter container. The pod mounts the server's ConfigMap key
x509-exporter.yaml (common.metrics.x509Config) in volume "scripts".
Usage: {{ include "common.metrics.certificatesContainer" (dict "context" $ "server" $s "securityContext" $sc "path" "postgres.metrics") | nindent 8 }}
*/}}
{{- define "common.metrics.certificatesContainer" -}}
{{- $c := .server.metrics.certificates -}}
- name: certificate-exporter
  image: {{ include "common.images.image" (dict "image" $c.image "context" .context "path" (printf "%s.certificates.image" .path)) | quote }}
  imagePullPolicy: {{ $c.image.pullPolicy | quote }}
  command: ["/x509-certificate-exporter"]
  args: ["--config", "/opt/datastores/x509-exporter.yaml"]
  ports:
    - name: certificates
      containerPort: {{ int $c.port }}
      protocol: TCP
  readinessProbe:
    httpGet:
      path: /metrics
      port: certificates
    periodSeconds: 30
    timeoutSeconds: 5
  securityContext:
    {{- include "common.security.containerSecurityContext" .securityContext | nindent 4 }}
  {{- with .server.metrics.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: scripts
      mountPath: /opt/datastores
      readOnly: true
    - name: tls
      mountPath: /tls
      readOnly: true
{{- end -}}

{{/*
The ports the NetworkPolicy opens to metrics.metricsFrom: the exporter's and the certificate
exporter's. Empty without metrics.
*/}}
{{- define "common.metrics.ports" -}}
{{- $m := .metrics -}}
{{- if $m.enabled -}}
{{- $ports := list (int $m.port) -}}
{{- if $m.certificates.enabled }}{{ $ports = append $ports (int $m.certificates.port) }}{{ end -}}
{{- toJson $ports -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/*
Prometheus Operator objects of one server: a Service for the metrics ports with a ServiceMonitor,
and/or a PodMonitor.
Usage: {{ include "common.metrics.monitors" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.metrics.monitors" -}}
{{- $m := .server.metrics -}}
{{- if $m.enabled -}}
{{- $selector := include "common.labels.selector" (dict "context" .context "instance" .server.name) -}}
{{- $labels := include "common.labels.standard" (dict "context" .context "instance" .server.name "component" "metrics") -}}
{{- $endpoints := list "metrics" -}}
{{- if $m.certificates.enabled }}{{ $endpoints = append $endpoints "certificates" }}{{ end -}}
{{- if $m.serviceMonitor.enabled }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ printf "%s-metrics" .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- $selector | nindent 4 }}
  ports:
    - name: metrics
      port: {{ int $m.port }}
      targetPort: metrics
      protocol: TCP
    {{- if $m.certificates.enabled }}
    - name: certificates
      port: {{ int $m.certificates.port }}
      targetPort: certificates
      protocol: TCP
    {{- end }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $m.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
      app.kubernetes.io/component: metrics
  endpoints:
    {{- range $endpoints }}
    - port: {{ . }}
      interval: {{ $m.serviceMonitor.interval | quote }}
    {{- end }}
{{- end }}
{{- if $m.podMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: {{ .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
    {{- with $m.podMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- $selector | nindent 6 }}
  podMetricsEndpoints:
    {{- range $endpoints }}
    - port: {{ . }}
      interval: {{ $m.podMonitor.interval | quote }}
    {{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
The certificate alerts, shared by both servers: the served certificate or its CA expires within
certificateExpiryDays, or has expired. .pods is a regular expression of the servers' pod names.
*/}}
{{- define "common.metrics.certificateRules" -}}
- alert: DatastoresCertificateExpiresSoon
  expr: {{ printf "(x509_cert_not_after{namespace=%q, pod=~%q} - time()) < %d * 86400" .context.Release.Namespace .pods (int .days) | quote }}
  for: 10m
  labels:
    severity: warning
  annotations:
    summary: {{ "A datastore certificate expires soon" | quote }}
    description: {{ "{{ $labels.filename }} of {{ $labels.pod }} (subject {{ $labels.subject_CN }}) expires in {{ $value | humanizeDuration }}: check the TLS source (cert-manager, helm upgrade for generated certificates, your Secret)." | quote }}
- alert: DatastoresCertificateExpired
  expr: {{ printf "x509_cert_expired{namespace=%q, pod=~%q} == 1" .context.Release.Namespace .pods | quote }}
  labels:
    severity: critical
  annotations:
    summary: {{ "A datastore certificate has expired" | quote }}
    description: {{ "{{ $labels.filename }} of {{ $labels.pod }} has expired: clients that verify the server refuse it." | quote }}
{{- end -}}
