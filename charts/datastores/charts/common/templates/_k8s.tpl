{{/*
Kubernetes structures passed through from values (tolerations, affinity, topologySpreadConstraints,
NetworkPolicy peers and rules, extraEnv, extraVolumes, extraVolumeMounts, sidecars) are checked
against the Kubernetes API's own definitions before they reach a manifest, so a wrong value is
refused with its path instead of a manifest the API server rejects.

Two layers:
- common.k8s.walk checks a value against the generated definitions (common.k8s.definitions,
  made from the pinned k8s.io/kubernetes OpenAPI definitions by internal/k8sschema): types,
  enums, required fields, unknown fields, name formats, ranges. The subcharts' values.schema.json
  carry the same definitions, so helm install refuses first and a render without the schema
  refuses the same values here.
- common.k8s.rules.<Type> checks what a schema cannot say (a toleration's value with Exists,
  exactly one volume source, requests above limits), as the API server's validation does.
*/}}

{{/*
Fails unless .value is a valid .type (a definition name, e.g. io.k8s.api.core.v1.Toleration), a
list of them with .list, or the .field of a .type (e.g. the nodeSelector of a PodSpec); .path
names where the user wrote it. A null value passes (the templates leave the field out).
Usage: {{ include "common.k8s.check" (dict "context" $ "value" $v "type" "io.k8s.api.core.v1.Toleration" "list" true "path" "postgres.tolerations") }}
*/}}
{{- define "common.k8s.check" -}}
{{- if not (kindIs "invalid" .value) -}}
{{- $_ := include "common.k8s.load" .context -}}
{{- $defs := .context.Release.datastoresMemo.k8sDefinitions -}}
{{- $schema := dict "$ref" (printf "#/definitions/%s" .type) -}}
{{- if .field -}}
{{- $schema = get (get $defs .type).properties .field -}}
{{- else if .list -}}
{{- $schema = dict "type" "array" "items" $schema -}}
{{- end -}}
{{- include "common.k8s.walk" (dict "defs" $defs "schema" $schema "value" .value "path" .path) -}}
{{- end -}}
{{- end -}}

{{/* Parses the definitions once per render into the render memo (see common.memo). */}}
{{- define "common.k8s.load" -}}
{{- if not (hasKey .Release "datastoresMemo") -}}
{{- $_ := set .Release "datastoresMemo" dict -}}
{{- end -}}
{{- if not (hasKey .Release.datastoresMemo "k8sDefinitions") -}}
{{- $_ := set .Release.datastoresMemo "k8sDefinitions" (include "common.k8s.definitions" . | fromJson) -}}
{{- end -}}
{}
{{- end -}}

{{/* The JSON type of a value: object, array, string, boolean, integer, number or null. */}}
{{- define "common.k8s.kind" -}}
{{- if kindIs "map" . -}}object
{{- else if kindIs "slice" . -}}array
{{- else if kindIs "string" . -}}string
{{- else if kindIs "bool" . -}}boolean
{{- else if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) -}}
{{- if eq (float64 .) (float64 (int64 .)) }}integer{{ else }}number{{ end -}}
{{- else if kindIs "invalid" . -}}null
{{- else -}}{{ kindOf . }}
{{- end -}}
{{- end -}}

{{/*
One value against one schema: the subset of JSON Schema the generated definitions use ($ref,
type, enum, required, properties, additionalProperties, propertyNames, items, minItems, pattern,
maxLength, minimum, maximum), then the definition's own rules.
*/}}
{{- define "common.k8s.walk" -}}
{{- $s := .schema -}}
{{- $type := "" -}}
{{- with get $s "$ref" -}}
{{- $type = trimPrefix "#/definitions/" . -}}
{{- $s = get $.defs $type -}}
{{- end -}}
{{- $v := .value -}}
{{- $p := .path -}}
{{- $kind := include "common.k8s.kind" $v -}}
{{- $short := $type | splitList "." | last -}}
{{- with $s.type -}}
{{- $types := . -}}
{{- if kindIs "string" . }}{{ $types = list . }}{{ end -}}
{{- if not (or (has $kind $types) (and (eq $kind "integer") (has "number" $types))) -}}
{{- fail (printf "%s is %s: give %s" $p (include "common.k8s.show" $v) (include "common.k8s.want" (dict "types" $types "short" $short "schema" $s))) -}}
{{- end -}}
{{- end -}}
{{- with $s.enum -}}
{{- if not (has $v .) -}}
{{- fail (printf "%s is %s: use %s" $p (include "common.k8s.show" $v) (join ", " .)) -}}
{{- end -}}
{{- end -}}
{{- if eq $kind "string" -}}
{{- if and (hasKey $s "maxLength") (gt (len $v) (int $s.maxLength)) -}}
{{- fail (printf "%s is %d characters long: give %s (at most %d)" $p (len $v) ($s.description | default "a shorter value") (int $s.maxLength)) -}}
{{- end -}}
{{- if and $s.pattern (not (regexMatch $s.pattern $v)) -}}
{{- fail (printf "%s is %q: give %s" $p $v ($s.description | default (printf "a value matching %s" $s.pattern))) -}}
{{- end -}}
{{- else if or (eq $kind "integer") (eq $kind "number") -}}
{{- if or (and (hasKey $s "minimum") (lt (float64 $v) (float64 $s.minimum))) (and (hasKey $s "maximum") (gt (float64 $v) (float64 $s.maximum))) -}}
{{- fail (printf "%s is %v: give a number from %v to %v" $p $v (ternary $s.minimum "-inf" (hasKey $s "minimum")) (ternary $s.maximum "+inf" (hasKey $s "maximum"))) -}}
{{- end -}}
{{- else if eq $kind "array" -}}
{{- if and (hasKey $s "minItems") (lt (len $v) (int $s.minItems)) -}}
{{- fail (printf "%s is empty: give at least %d" $p (int $s.minItems)) -}}
{{- end -}}
{{- with $s.items -}}
{{- range $n, $item := $v -}}
{{- include "common.k8s.walk" (dict "defs" $.defs "schema" $s.items "value" $item "path" (printf "%s[%d]" $p $n)) -}}
{{- end -}}
{{- end -}}
{{- else if eq $kind "object" -}}
{{- range $r := $s.required | default list -}}
{{- if kindIs "invalid" (index $v $r) -}}
{{- fail (printf "%s.%s is missing: a %s needs it" $p $r ($short | default "value")) -}}
{{- end -}}
{{- end -}}
{{- $props := $s.properties | default dict -}}
{{- range $k, $x := $v -}}
{{- with $s.propertyNames -}}
{{- if or (and .pattern (not (regexMatch .pattern $k))) (and (hasKey . "maxLength") (gt (len $k) (int .maxLength))) (and .enum (not (has $k .enum))) -}}
{{- fail (printf "%s.%s: %q cannot be a name here: give %s" $p $k $k (.description | default (join ", " (.enum | default list)))) -}}
{{- end -}}
{{- end -}}
{{- if hasKey $props $k -}}
{{- include "common.k8s.walk" (dict "defs" $.defs "schema" (get $props $k) "value" $x "path" (printf "%s.%s" $p $k)) -}}
{{- else if kindIs "map" $s.additionalProperties -}}
{{- include "common.k8s.walk" (dict "defs" $.defs "schema" $s.additionalProperties "value" $x "path" (printf "%s.%s" $p $k)) -}}
{{- else if and (hasKey $s "additionalProperties") (not $s.additionalProperties) -}}
{{- fail (printf "%s.%s: %s has no field %q (it has %s)" $p $k ($short | default "this value") $k (keys $props | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if has $type (list
  "io.k8s.api.core.v1.Toleration" "io.k8s.api.core.v1.TopologySpreadConstraint"
  "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement" "io.k8s.api.core.v1.NodeSelectorRequirement"
  "io.k8s.api.core.v1.NodeSelectorTerm" "io.k8s.api.core.v1.PodAffinityTerm"
  "io.k8s.api.core.v1.EnvVar" "io.k8s.api.core.v1.EnvVarSource" "io.k8s.api.core.v1.EnvFromSource"
  "io.k8s.api.core.v1.Volume" "io.k8s.api.core.v1.VolumeProjection" "io.k8s.api.core.v1.DownwardAPIVolumeFile"
  "io.k8s.api.core.v1.VolumeMount" "io.k8s.api.core.v1.Probe" "io.k8s.api.core.v1.LifecycleHandler"
  "io.k8s.api.core.v1.Container" "io.k8s.api.core.v1.ResourceRequirements"
  "io.k8s.api.core.v1.PersistentVolumeClaimSpec"
  "io.k8s.api.networking.v1.NetworkPolicyPeer" "io.k8s.api.networking.v1.NetworkPolicyPort" "io.k8s.api.networking.v1.IPBlock") -}}
{{- include (printf "common.k8s.rules.%s" $short) (dict "value" $v "path" $p) -}}
{{- end -}}
{{- end -}}

{{/* A value as a message shows it: strings quoted, the rest as JSON. */}}
{{- define "common.k8s.show" -}}
{{- if kindIs "string" . }}{{ . | quote }}{{ else }}{{ toJson . }}{{ end -}}
{{- end -}}

{{/* What a schema wants, for a message: "a Toleration (a map)", "a list", "text". */}}
{{- define "common.k8s.want" -}}
{{- $words := dict "object" "a map" "array" "a list" "string" "text" "boolean" "true or false" "integer" "a whole number" "number" "a number" -}}
{{- $out := list -}}
{{- range .types }}{{ $out = append $out (get $words .) }}{{ end -}}
{{- if and .short (has "object" .types) -}}
{{- printf "a %s (%s)" .short (join " or " $out) -}}
{{- else -}}
{{- join " or " $out -}}
{{- end -}}
{{- end -}}

{{/* How many of .keys .value sets (non-null). */}}
{{- define "common.k8s.count" -}}
{{- $n := 0 -}}
{{- range $k := .keys }}{{ if not (kindIs "invalid" (index $.value $k)) }}{{ $n = add1 $n }}{{ end }}{{ end -}}
{{- $n -}}
{{- end -}}

{{/* Fails unless .value sets exactly one of .keys (what: the kind of thing, for the message). */}}
{{- define "common.k8s.exactlyOne" -}}
{{- if ne (include "common.k8s.count" .) "1" -}}
{{- fail (printf "%s: give exactly one %s of %s" .path .what (join ", " .keys)) -}}
{{- end -}}
{{- end -}}

{{/* validateTolerations. */}}
{{- define "common.k8s.rules.Toleration" -}}
{{- $t := .value -}}
{{- if and (not $t.key) (ne ($t.operator | default "Equal") "Exists") -}}
{{- fail (printf "%s: a toleration without a key must have operator Exists (it then tolerates every taint)" .path) -}}
{{- end -}}
{{- if and (eq ($t.operator | default "Equal") "Exists") $t.value -}}
{{- fail (printf "%s.value: a toleration with operator Exists matches every value; remove value or use operator Equal" .path) -}}
{{- end -}}
{{- if and (not (kindIs "invalid" $t.tolerationSeconds)) (ne (toString $t.effect) "NoExecute") -}}
{{- fail (printf "%s.tolerationSeconds: only a toleration with effect NoExecute has a toleration time" .path) -}}
{{- end -}}
{{- end -}}

{{/* validateTopologySpreadConstraints. */}}
{{- define "common.k8s.rules.TopologySpreadConstraint" -}}
{{- $c := .value -}}
{{- if and (not (kindIs "invalid" $c.minDomains)) (ne $c.whenUnsatisfiable "DoNotSchedule") -}}
{{- fail (printf "%s.minDomains: only with whenUnsatisfiable DoNotSchedule" .path) -}}
{{- end -}}
{{- /* Without a labelSelector the chart's own applies (common.policy.topologySpread). */ -}}
{{- $selector := $c.labelSelector | default (dict "matchLabels" (dict "app.kubernetes.io/name" "" "app.kubernetes.io/instance" "")) -}}
{{- include "common.k8s.labelKeys" (dict "value" $c "selector" $selector "lists" (list "matchLabelKeys") "path" .path) -}}
{{- end -}}

{{/*
matchLabelKeys (and mismatchLabelKeys) of a topology spread constraint or an affinity term: no
key twice, none also in the labelSelector (validateMatchLabelKeys...). Without a labelSelector
the chart's own selector applies to topology spread constraints; affinity terms need one.
*/}}
{{- define "common.k8s.labelKeys" -}}
{{- $selector := .selector | default dict -}}
{{- $selectorKeys := keys ($selector.matchLabels | default dict) -}}
{{- range $e := $selector.matchExpressions | default list }}{{ $selectorKeys = append $selectorKeys $e.key }}{{ end -}}
{{- $seen := list -}}
{{- range $list := .lists -}}
{{- range $n, $k := get $.value $list | default list -}}
{{- if has $k $seen -}}
{{- fail (printf "%s.%s[%d]: %q appears twice" $.path $list $n $k) -}}
{{- end -}}
{{- if has $k $selectorKeys -}}
{{- fail (printf "%s.%s[%d]: %q is also a key of labelSelector; give each key in one place" $.path $list $n $k) -}}
{{- end -}}
{{- $seen = append $seen $k -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ValidateLabelSelectorRequirement. */}}
{{- define "common.k8s.rules.LabelSelectorRequirement" -}}
{{- $r := .value -}}
{{- if and (has $r.operator (list "In" "NotIn")) (not $r.values) -}}
{{- fail (printf "%s.values: operator %s needs at least one value" .path $r.operator) -}}
{{- end -}}
{{- if and (has $r.operator (list "Exists" "DoesNotExist")) $r.values -}}
{{- fail (printf "%s.values: operator %s takes no values; remove them" .path $r.operator) -}}
{{- end -}}
{{- end -}}

{{/* validateNodeSelectorRequirement: the operators and their values, label names and values. */}}
{{- define "common.k8s.rules.NodeSelectorRequirement" -}}
{{- $r := .value -}}
{{- if and (has $r.operator (list "In" "NotIn")) (not $r.values) -}}
{{- fail (printf "%s.values: operator %s needs at least one value" .path $r.operator) -}}
{{- end -}}
{{- if and (has $r.operator (list "Exists" "DoesNotExist")) $r.values -}}
{{- fail (printf "%s.values: operator %s takes no values; remove them" .path $r.operator) -}}
{{- end -}}
{{- if has $r.operator (list "Gt" "Lt") -}}
{{- if not (and (eq (len ($r.values | default list)) 1) (regexMatch "^-?[0-9]{1,18}$" (toString (first ($r.values | default (list "")))))) -}}
{{- fail (printf "%s.values: operator %s needs exactly one whole number" .path $r.operator) -}}
{{- end -}}
{{- else -}}
{{- range $n, $x := $r.values -}}
{{- if not (regexMatch "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$" $x) -}}
{{- fail (printf "%s.values[%d] is %q: give a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit)" $.path $n $x) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* validateNodeFieldSelectorRequirement: matchFields can only select by metadata.name. */}}
{{- define "common.k8s.rules.NodeSelectorTerm" -}}
{{- range $n, $r := .value.matchFields | default list -}}
{{- if not (and (eq $r.key "metadata.name") (has $r.operator (list "In" "NotIn")) (eq (len ($r.values | default list)) 1)) -}}
{{- fail (printf "%s.matchFields[%d]: give key metadata.name, operator In or NotIn and exactly one node name" $.path $n) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* validatePodAffinityTerm. */}}
{{- define "common.k8s.rules.PodAffinityTerm" -}}
{{- $t := .value -}}
{{- if not $t.topologyKey -}}
{{- fail (printf "%s.topologyKey is empty: give the node label to group by, e.g. kubernetes.io/hostname" .path) -}}
{{- end -}}
{{- if and (or $t.matchLabelKeys $t.mismatchLabelKeys) (not $t.labelSelector) -}}
{{- fail (printf "%s: matchLabelKeys and mismatchLabelKeys need a labelSelector" .path) -}}
{{- end -}}
{{- include "common.k8s.labelKeys" (dict "value" $t "selector" $t.labelSelector "lists" (list "matchLabelKeys" "mismatchLabelKeys") "path" .path) -}}
{{- end -}}

{{/* validateEnv: a value or a source, not both. */}}
{{- define "common.k8s.rules.EnvVar" -}}
{{- if and .value.value (not (kindIs "invalid" .value.valueFrom)) -}}
{{- fail (printf "%s: give value or valueFrom, not both" .path) -}}
{{- end -}}
{{- end -}}

{{- define "common.k8s.rules.EnvVarSource" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "configMapKeyRef" "fieldRef" "resourceFieldRef" "secretKeyRef") "what" "source" "path" .path) -}}
{{- end -}}

{{- define "common.k8s.rules.EnvFromSource" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "configMapRef" "secretRef") "what" "source" "path" .path) -}}
{{- end -}}

{{- define "common.k8s.rules.Volume" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "configMap" "csi" "downwardAPI" "emptyDir" "ephemeral" "persistentVolumeClaim" "projected" "secret") "what" "volume source" "path" .path) -}}
{{- end -}}

{{- define "common.k8s.rules.VolumeProjection" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "configMap" "downwardAPI" "secret") "what" "projection (a service-account token is not allowed: the chart's pods run without one)" "path" .path) -}}
{{- end -}}

{{/* validateDownwardAPIVolumeFile: a field or a container resource (which needs its container). */}}
{{- define "common.k8s.rules.DownwardAPIVolumeFile" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "fieldRef" "resourceFieldRef") "what" "source" "path" .path) -}}
{{- if and .value.resourceFieldRef (not .value.resourceFieldRef.containerName) -}}
{{- fail (printf "%s.resourceFieldRef.containerName: name the container whose resources the file shows" .path) -}}
{{- end -}}
{{- end -}}

{{- define "common.k8s.rules.VolumeMount" -}}
{{- if and .value.subPath .value.subPathExpr -}}
{{- fail (printf "%s: give subPath or subPathExpr, not both" .path) -}}
{{- end -}}
{{- end -}}

{{/* validateProbe, validateHandler: one handler. */}}
{{- define "common.k8s.rules.Probe" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "exec" "httpGet" "tcpSocket" "grpc") "what" "handler" "path" .path) -}}
{{- end -}}

{{- define "common.k8s.rules.LifecycleHandler" -}}
{{- include "common.k8s.exactlyOne" (dict "value" .value "keys" (list "exec" "httpGet" "sleep") "what" "handler" "path" .path) -}}
{{- end -}}

{{/* validateContainers: ports unique; liveness and startup probes succeed on the first success. */}}
{{- define "common.k8s.rules.Container" -}}
{{- $c := .value -}}
{{- range $probe := list "livenessProbe" "startupProbe" -}}
{{- $pr := get $c $probe -}}
{{- if and (kindIs "map" $pr) (not (kindIs "invalid" $pr.successThreshold)) (ne (int $pr.successThreshold) 1) -}}
{{- fail (printf "%s.%s.successThreshold must be 1" $.path $probe) -}}
{{- end -}}
{{- end -}}
{{- $names := list -}}
{{- $numbers := list -}}
{{- range $n, $port := $c.ports | default list -}}
{{- if and $port.name (has $port.name $names) -}}
{{- fail (printf "%s.ports[%d].name %q appears twice" $.path $n $port.name) -}}
{{- end -}}
{{- $key := printf "%v/%s" $port.containerPort ($port.protocol | default "TCP") -}}
{{- if has $key $numbers -}}
{{- fail (printf "%s.ports[%d]: port %s appears twice" $.path $n $key) -}}
{{- end -}}
{{- $names = append $names ($port.name | default "") -}}
{{- $numbers = append $numbers $key -}}
{{- end -}}
{{- end -}}

{{/* validateResourceRequirements: requests at most the limits. */}}
{{- define "common.k8s.rules.ResourceRequirements" -}}
{{- $limits := .value.limits | default dict -}}
{{- range $name, $q := .value.requests | default dict -}}
{{- if hasKey $limits $name -}}
{{- if gt (include "common.k8s.quantity" $q | float64) (include "common.k8s.quantity" (get $limits $name) | float64) -}}
{{- fail (printf "%s.requests.%s is %v, above its limit %v" $.path $name $q (get $limits $name)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A claim template asks for some storage. */}}
{{- define "common.k8s.rules.PersistentVolumeClaimSpec" -}}
{{- $size := (.value.resources | default dict).requests | default dict -}}
{{- if not (gt (include "common.k8s.quantity" ($size.storage | default "0") | float64) 0.0) -}}
{{- fail (printf "%s.resources.requests.storage: give the size of the volume, e.g. 1Gi" .path) -}}
{{- end -}}
{{- end -}}

{{/*
A quantity (100m, 1.5Gi, 1e3, 256) as a plain number, for comparisons; the format is checked
before (common.k8s.walk).
*/}}
{{- define "common.k8s.quantity" -}}
{{- $q := toString . -}}
{{- $number := regexFind "^[0-9.]+([eE][+-]?[0-9]+)?" $q -}}
{{- $suffix := trimPrefix $number $q -}}
{{- $factors := dict "" 1.0 "n" 0.000000001 "u" 0.000001 "m" 0.001 "k" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 "P" 1000000000000000.0 "E" 1000000000000000000.0
  "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- mulf ($number | default "0" | float64) (get $factors $suffix | default 1.0) -}}
{{- end -}}

{{/* validateNetworkPolicyPeer: something to select, and an IP block alone. */}}
{{- define "common.k8s.rules.NetworkPolicyPeer" -}}
{{- $n := include "common.k8s.count" (dict "value" .value "keys" (list "podSelector" "namespaceSelector")) | int -}}
{{- if and .value.ipBlock (gt $n 0) -}}
{{- fail (printf "%s: an ipBlock peer cannot also have a podSelector or namespaceSelector; give two peers" .path) -}}
{{- end -}}
{{- if and (not .value.ipBlock) (eq $n 0) -}}
{{- fail (printf "%s: give a podSelector, a namespaceSelector or an ipBlock ({podSelector: {}} for every pod of the namespace)" .path) -}}
{{- end -}}
{{- end -}}

{{/* validateNetworkPolicyPort: a range needs a numbered start. */}}
{{- define "common.k8s.rules.NetworkPolicyPort" -}}
{{- $p := .value -}}
{{- if not (kindIs "invalid" $p.endPort) -}}
{{- if not (and (not (kindIs "string" $p.port)) (not (kindIs "invalid" $p.port)) (ge (int $p.endPort) (int $p.port))) -}}
{{- fail (printf "%s.endPort: a port range needs a port number below or at endPort" .path) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* validateIPBlock: valid CIDRs; every exception inside the block and smaller. */}}
{{- define "common.k8s.rules.IPBlock" -}}
{{- $block := include "common.k8s.cidr" (dict "cidr" .value.cidr "path" (printf "%s.cidr" .path)) | fromJson -}}
{{- range $n, $e := .value.except | default list -}}
{{- $x := include "common.k8s.cidr" (dict "cidr" $e "path" (printf "%s.except[%d]" $.path $n)) | fromJson -}}
{{- if or (ne $x.family $block.family) (le (int $x.bits) (int $block.bits)) (ne (substr 0 (int $block.bits) $x.binary) (substr 0 (int $block.bits) $block.binary)) -}}
{{- fail (printf "%s.except[%d] %q is not a smaller block inside %q" $.path $n $e $.value.cidr) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A CIDR, checked as net.ParseCIDR does (address octets and groups in range, the prefix length
within the family's): {family, bits, binary} where binary is the address's bits as 0s and 1s.
*/}}
{{- define "common.k8s.cidr" -}}
{{- $parts := splitList "/" .cidr -}}
{{- $addr := first $parts -}}
{{- $bits := last $parts -}}
{{- $binary := "" -}}
{{- $family := "" -}}
{{- if regexMatch "^[0-9]{1,3}(\\.[0-9]{1,3}){3}$" $addr -}}
{{- $family = "4" -}}
{{- range $o := splitList "." $addr -}}
{{- if or (gt (int $o) 255) (and (gt (len $o) 1) (hasPrefix "0" $o)) -}}
{{- fail (printf "%s %q: %q is not an IPv4 address" $.path $.cidr $addr) -}}
{{- end -}}
{{- $binary = printf "%s%08b" $binary (int $o) -}}
{{- end -}}
{{- else if and (regexMatch "^[0-9a-fA-F:]+$" $addr) (le (len (regexFindAll "::" $addr -1)) 1) (not (contains ":::" $addr)) -}}
{{- $family = "6" -}}
{{- $halves := splitList "::" $addr -}}
{{- $head := compact (splitList ":" (first $halves)) -}}
{{- $tail := list -}}
{{- if eq (len $halves) 2 }}{{ $tail = compact (splitList ":" (last $halves)) }}{{ end -}}
{{- $groups := concat $head $tail -}}
{{- if or (and (eq (len $halves) 1) (ne (len $groups) 8)) (and (eq (len $halves) 2) (gt (len $groups) 7)) -}}
{{- fail (printf "%s %q: %q is not an IPv6 address" $.path $.cidr $addr) -}}
{{- end -}}
{{- $all := $head -}}
{{- if eq (len $halves) 2 -}}
{{- range $i := until (sub 8 (len $groups) | int) }}{{ $all = append $all "0" }}{{ end -}}
{{- end -}}
{{- $all = concat $all $tail -}}
{{- range $g := $all -}}
{{- if gt (len $g) 4 -}}
{{- fail (printf "%s %q: %q is not an IPv6 address" $.path $.cidr $addr) -}}
{{- end -}}
{{- $binary = printf "%s%016b" $binary (int64 (printf "0x%s" $g)) -}}
{{- end -}}
{{- else -}}
{{- fail (printf "%s is %q: give a CIDR such as 10.0.0.0/8 or fd00::/8" .path .cidr) -}}
{{- end -}}
{{- $max := ternary 32 128 (eq $family "4") -}}
{{- if not (and (regexMatch "^(0|[1-9][0-9]{0,2})$" $bits) (le (int $bits) $max) (ne (len $parts) 1)) -}}
{{- fail (printf "%s is %q: the prefix length must be 0 to %d" .path .cidr $max) -}}
{{- end -}}
{{- toJson (dict "family" $family "bits" (int $bits) "binary" $binary) -}}
{{- end -}}
