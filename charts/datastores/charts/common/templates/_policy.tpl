{{/*
Policies around each server: who may reach it (NetworkPolicy), how many of its pods a voluntary
disruption may take (PodDisruptionBudget), how servers spread over the cluster
(topologySpreadConstraints, in common.workload.podSpec). .server is a server dict (name,
fullname, component) merged with its values.
*/}}

{{/*
The server's NetworkPolicy: ingress only to its port(s), from the peers of networkPolicy.from (by
default every pod of the release's namespace) and always from the chart's own backup, restore and
helm test pods; egress only to DNS (the servers call nothing else: no replication here), plus
networkPolicy.extraEgress. .ports: the ports the server listens on; with metrics on, the
exporters' ports are opened to networkPolicy.metricsFrom only (and stay closed while it is empty).
Usage: {{ include "common.policy.networkPolicy" (dict "context" $ "server" $s "ports" (list $port)) }}
*/}}
{{- define "common.policy.networkPolicy" -}}
{{- $np := .server.networkPolicy -}}
{{- if $np.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "instance" .server.name "component" .server.component) | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "common.labels.selector" (dict "context" .context "instance" .server.name) | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - ports:
        {{- range .ports }}
        - port: {{ int . }}
          protocol: TCP
        {{- end }}
      from:
        # The chart's own jobs and test pods.
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ .context.Release.Name | quote }}
            matchExpressions:
              - key: app.kubernetes.io/component
                operator: In
                values: [backup, restore, test, maintenance]
        {{- with $np.from }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- /* A rule without peers would admit everyone: with no metricsFrom the ports stay closed. */}}
    {{- with $np.metricsFrom }}
    {{- with include "common.metrics.ports" $.server | fromJsonArray }}
    - ports:
        {{- range . }}
        - port: {{ int . }}
          protocol: TCP
        {{- end }}
      from:
        {{- toYaml $np.metricsFrom | nindent 8 }}
    {{- end }}
    {{- end }}
    {{- with $np.extraIngress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  egress:
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    {{- with $np.extraEgress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
{{- end -}}

{{/*
The server's PodDisruptionBudget. Each server is one pod: maxUnavailable 1 (the default) lets a
node drain evict it, to come back elsewhere with its volume; minAvailable 1 makes a drain wait
until someone moves the server by hand, which some teams want for databases.
Usage: {{ include "common.policy.podDisruptionBudget" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.policy.podDisruptionBudget" -}}
{{- $pdb := .server.podDisruptionBudget -}}
{{- if $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .server.fullname | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
    {{- include "common.labels.standard" (dict "context" .context "instance" .server.name "component" .server.component) | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" (index $pdb "minAvailable")) }}
  minAvailable: {{ $pdb.minAvailable | toJson }}
  {{- else }}
  maxUnavailable: {{ ternary 1 $pdb.maxUnavailable (kindIs "invalid" (index $pdb "maxUnavailable")) | toJson }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "common.labels.selector" (dict "context" .context "instance" .server.name) | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
The pod's topologySpreadConstraints: each as given, with a labelSelector that selects every
server of the same kind in the release (all PostgreSQL instances, say) when it has none, so that
"spread my 14 databases over zones" is one line of values.
Usage: {{ include "common.policy.topologySpread" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.policy.topologySpread" -}}
{{- $out := list -}}
{{- range $c := .server.topologySpreadConstraints | default list -}}
{{- $c = deepCopy $c -}}
{{- if not (hasKey $c "labelSelector") -}}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (dict "app.kubernetes.io/name" $.context.Chart.Name "app.kubernetes.io/instance" $.context.Release.Name)) -}}
{{- end -}}
{{- $out = append $out $c -}}
{{- end -}}
{{- with $out -}}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
Checks of the policy values of one server; .in maps each block to where the user wrote it.
*/}}
{{- define "common.policy.validate" -}}
{{- $s := .s -}}
{{- include "common.validate.maps" (dict "values" $s "path" .path "keys" (list "networkPolicy" "podDisruptionBudget")) -}}
{{- $np := $s.networkPolicy -}}
{{- include "common.validate.bool" (dict "value" $np.enabled "path" (printf "%s.enabled" (get .in "networkPolicy"))) -}}
{{- range $k, $type := dict "from" "NetworkPolicyPeer" "metricsFrom" "NetworkPolicyPeer" "extraIngress" "NetworkPolicyIngressRule" "extraEgress" "NetworkPolicyEgressRule" -}}
{{- include "common.k8s.check" (dict "context" $.context "value" (index $np $k) "type" (printf "io.k8s.api.networking.v1.%s" $type) "list" true "path" (printf "%s.%s" (get $.in "networkPolicy") $k)) -}}
{{- end -}}
{{- $pdb := $s.podDisruptionBudget -}}
{{- include "common.validate.bool" (dict "value" $pdb.enabled "path" (printf "%s.enabled" (get .in "podDisruptionBudget"))) -}}
{{- range $k := list "minAvailable" "maxUnavailable" -}}
{{- $v := index $pdb $k -}}
{{- if not (or (kindIs "invalid" $v) (and (kindIs "string" $v) (regexMatch "^([0-9]|[1-9][0-9]|100)%$" $v)) (and (or (kindIs "float64" $v) (kindIs "int64" $v) (kindIs "int" $v)) (ge (float64 $v) 0.0) (le (float64 $v) 1.0) (eq (float64 $v) (float64 (int64 $v))))) -}}
{{- fail (printf "%s.%s is %v: give 0, 1 or a percentage such as \"100%%\" (each server is one pod)" (get $.in "podDisruptionBudget") $k $v) -}}
{{- end -}}
{{- end -}}
{{- if and (not (kindIs "invalid" (index $pdb "minAvailable"))) (not (kindIs "invalid" (index $pdb "maxUnavailable"))) -}}
{{- fail (printf "%s: give minAvailable or maxUnavailable, not both (Kubernetes refuses both)" (get .in "podDisruptionBudget")) -}}
{{- end -}}
{{- include "common.k8s.check" (dict "context" .context "value" $s.topologySpreadConstraints "type" "io.k8s.api.core.v1.PodSpec" "field" "topologySpreadConstraints" "path" (get .in "topologySpreadConstraints")) -}}
{{- end -}}
