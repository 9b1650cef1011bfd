{{/*
Hooks for what the chart does not know about: extraEnv and extraVolumeMounts for the server
container, extraVolumes and sidecars for its pod. Each is checked so that no hook can weaken what
the chart promises: the restricted Pod Security profile, passwords only in Secrets, and the
server's own files and settings.
  extraEnv           EnvVars; not a name the chart sets, nor one with a prefix the server's
                     image and the chart's scripts read (envPrefixes), and a literal value never
                     for a name that says it holds a secret (use valueFrom.secretKeyRef)
  extraVolumes       Volumes of the types the restricted profile allows, not named like the
                     chart's own
  extraVolumeMounts  VolumeMounts of extraVolumes, not over a path the chart mounts
  sidecars           Containers; the chart sets their securityContext to its own restricted one
                     (only runAsUser/runAsGroup, non-zero, and readOnlyRootFilesystem may be
                     given) and refuses host ports
*/}}

{{- define "common.extras.restrictedVolumeTypes" -}}
{{- list "configMap" "csi" "downwardAPI" "emptyDir" "ephemeral" "persistentVolumeClaim" "projected" "secret" | toJson -}}
{{- end -}}

{{/*
Checks the hooks of one server: first the chart's own rules (with the chart's reasons), then each
item as the Kubernetes API types it (common.k8s.check).
Usage: {{ include "common.extras.validate" (dict "context" $ "s" $s "in" $in "server" "postgres" "env" (list "REDIS_ARGS" ...) "volumes" (list "data" ...) "paths" (list "/var/lib/postgresql" ...)) }}
Optional: "envPrefixes" (list "POSTGRES_" "PG"): every name starting with one of them is refused,
with "envWhy" (what reads those names) and "envFix" (where the setting belongs) in the message.
*/}}
{{- define "common.extras.validate" -}}
{{- $s := .s -}}
{{- range $k := list "extraEnv" "extraVolumes" "extraVolumeMounts" "sidecars" -}}
{{- $v := index $s $k -}}
{{- if not (or (kindIs "slice" $v) (kindIs "invalid" $v)) -}}
{{- fail (printf "%s: give a list" (get $.in $k)) -}}
{{- end -}}
{{- range $n, $item := $v -}}
{{- if not (and (kindIs "map" $item) (kindIs "string" $item.name) $item.name) -}}
{{- fail (printf "%s[%d]: give a map with a name" (get $.in $k) $n) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $n, $e := $s.extraEnv -}}
{{- $p := printf "%s[%d]" (get $.in "extraEnv") $n -}}
{{- if not (regexMatch "^[-._a-zA-Z][-._a-zA-Z0-9]*$" $e.name) -}}
{{- fail (printf "%s.name %q is not an environment variable name" $p $e.name) -}}
{{- end -}}
{{- if has $e.name $.env -}}
{{- fail (printf "%s.name %q is set by the chart; choose another variable" $p $e.name) -}}
{{- end -}}
{{- range $prefix := $.envPrefixes -}}
{{- if hasPrefix $prefix $e.name -}}
{{- fail (printf "%s.name %q is set by the chart, or changes how it works: no name starting with %s is accepted (%s); %s" $p $e.name (join " or " $.envPrefixes) $.envWhy $.envFix) -}}
{{- end -}}
{{- end -}}
{{- include "common.extras.literalSecret" (dict "env" $e "path" $p) -}}
{{- end -}}
{{- include "common.k8s.check" (dict "context" .context "value" $s.extraEnv "type" "io.k8s.api.core.v1.EnvVar" "list" true "path" (get .in "extraEnv")) -}}
{{- $names := list -}}
{{- range $n, $vol := $s.extraVolumes -}}
{{- $p := printf "%s[%d]" (get $.in "extraVolumes") $n -}}
{{- include "common.validate.format" (dict "value" $vol.name "path" (printf "%s.name" $p) "format" "dnsLabel") -}}
{{- if has $vol.name $.volumes -}}
{{- fail (printf "%s.name %q is one of the chart's own volumes; choose another name" $p $vol.name) -}}
{{- end -}}
{{- if has $vol.name $names -}}
{{- fail (printf "%s.name %q appears twice in %s" $p $vol.name (get $.in "extraVolumes")) -}}
{{- end -}}
{{- $types := without (keys $vol) "name" -}}
{{- if not (and (eq (len $types) 1) (has (first $types) (include "common.extras.restrictedVolumeTypes" . | fromJsonArray))) -}}
{{- fail (printf "%s %q: give one volume source of %s (the restricted Pod Security profile allows no other, hostPath among them)" $p $vol.name (include "common.extras.restrictedVolumeTypes" . | fromJsonArray | join ", ")) -}}
{{- end -}}
{{- /* The chart's pods run without a service-account token; a projected one would give the
server's pod API access. */ -}}
{{- range $i, $src := (($vol.projected | default dict).sources | default list) -}}
{{- if and (kindIs "map" $src) (hasKey $src "serviceAccountToken") -}}
{{- fail (printf "%s.projected.sources[%d].serviceAccountToken: the chart's pods run without a service-account token (automountServiceAccountToken: false); project configMap, secret or downwardAPI only" $p $i) -}}
{{- end -}}
{{- end -}}
{{- $names = append $names $vol.name -}}
{{- end -}}
{{- include "common.k8s.check" (dict "context" .context "value" $s.extraVolumes "type" "io.k8s.api.core.v1.Volume" "list" true "path" (get .in "extraVolumes")) -}}
{{- $mounted := list -}}
{{- range $n, $m := $s.extraVolumeMounts -}}
{{- $p := printf "%s[%d]" (get $.in "extraVolumeMounts") $n -}}
{{- if not (has $m.name $names) -}}
{{- fail (printf "%s.name %q is not a volume of extraVolumes" $p $m.name) -}}
{{- end -}}
{{- $path := include "common.extras.mountPath" (dict "mount" $m "path" $p "own" $.paths) -}}
{{- if has $path $mounted -}}
{{- fail (printf "%s.mountPath %q: another of %s mounts there already" $p $m.mountPath (get $.in "extraVolumeMounts")) -}}
{{- end -}}
{{- $mounted = append $mounted $path -}}
{{- end -}}
{{- include "common.k8s.check" (dict "context" .context "value" $s.extraVolumeMounts "type" "io.k8s.api.core.v1.VolumeMount" "list" true "path" (get .in "extraVolumeMounts")) -}}
{{- $reserved := list "prepare-tls" "tls-reloader" "metrics" "certificate-exporter" .server -}}
{{- /* Ports the pod's containers already listen on: the server's, the exporters'. */ -}}
{{- $ports := list (int $s.port) -}}
{{- range include "common.metrics.ports" $s | fromJsonArray }}{{ $ports = append $ports (int .) }}{{ end -}}
{{- range $n, $c := $s.sidecars -}}
{{- $p := printf "%s[%d]" (get $.in "sidecars") $n -}}
{{- include "common.validate.format" (dict "value" $c.name "path" (printf "%s.name" $p) "format" "dnsLabel") -}}
{{- if has $c.name $reserved -}}
{{- fail (printf "%s.name %q is a container of the chart; choose another name" $p $c.name) -}}
{{- end -}}
{{- $reserved = append $reserved $c.name -}}
{{- if not (and (kindIs "string" $c.image) $c.image) -}}
{{- fail (printf "%s.image: give the sidecar's image (pinned: a tag other than latest, or a digest)" $p) -}}
{{- end -}}
{{- if or (hasSuffix ":latest" $c.image) (not (regexMatch "[:@]" (regexReplaceAll "^[^/]*:[0-9]+/" $c.image ""))) -}}
{{- fail (printf "%s.image %q: pin a version (a tag other than latest, or a digest)" $p $c.image) -}}
{{- end -}}
{{- if not (or (kindIs "map" $c.securityContext) (kindIs "invalid" $c.securityContext)) -}}
{{- fail (printf "%s.securityContext: give a map" $p) -}}
{{- end -}}
{{- range $k, $v := $c.securityContext | default dict -}}
{{- if not (has $k (list "runAsUser" "runAsGroup" "readOnlyRootFilesystem")) -}}
{{- fail (printf "%s.securityContext.%s: the chart sets the sidecar's security context to its restricted one; only runAsUser, runAsGroup (non-zero) and readOnlyRootFilesystem may be given" $p $k) -}}
{{- end -}}
{{- end -}}
{{- range $k := list "runAsUser" "runAsGroup" -}}
{{- if hasKey ($c.securityContext | default dict) $k -}}
{{- include "common.validate.int" (dict "value" (index $c.securityContext $k) "path" (printf "%s.securityContext.%s" $p $k) "min" 1 "max" 2147483647) -}}
{{- end -}}
{{- end -}}
{{- if not (or (kindIs "slice" $c.ports) (kindIs "invalid" $c.ports)) -}}
{{- fail (printf "%s.ports: give a list" $p) -}}
{{- end -}}
{{- range $i, $port := $c.ports | default list -}}
{{- if not (kindIs "map" $port) -}}
{{- fail (printf "%s.ports[%d]: give a map {name, containerPort}" $p $i) -}}
{{- end -}}
{{- if or $port.hostPort $port.hostIP -}}
{{- fail (printf "%s.ports: hostPort is not allowed (the restricted profile refuses host ports)" $p) -}}
{{- end -}}
{{- if has (int $port.containerPort) $ports -}}
{{- fail (printf "%s.ports[%d].containerPort %v: the server or an exporter of the pod already listens there; choose another port" $p $i $port.containerPort) -}}
{{- end -}}
{{- $ports = append $ports (int $port.containerPort) -}}
{{- end -}}
{{- if not (or (kindIs "slice" $c.env) (kindIs "invalid" $c.env)) -}}
{{- fail (printf "%s.env: give a list" $p) -}}
{{- end -}}
{{- range $i, $e := $c.env | default list -}}
{{- if kindIs "map" $e -}}
{{- include "common.extras.literalSecret" (dict "env" $e "path" (printf "%s.env[%d]" $p $i)) -}}
{{- end -}}
{{- end -}}
{{- /* A sidecar sees the volumes of extraVolumes only: the chart's hold the passwords, the keys
and the data. */ -}}
{{- range $i, $m := $c.volumeMounts | default list -}}
{{- if and (kindIs "map" $m) (not (has $m.name $names)) -}}
{{- fail (printf "%s.volumeMounts[%d].name %q is not a volume of extraVolumes (a sidecar mounts only those: the chart's volumes hold its passwords, keys and data)" $p $i (toString $m.name)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- include "common.k8s.check" (dict "context" .context "value" $s.sidecars "type" "io.k8s.api.core.v1.Container" "list" true "path" (get .in "sidecars")) -}}
{{- end -}}

{{/*
A literal environment value must not be a secret: refused for a name that says it holds one, in
any spelling (PASSWORD, db-passwd, ApiKey, AUTH_TOKEN, ...), and for a value that looks like one
whatever its name (a URL with a password, a private key).
Usage: {{ include "common.extras.literalSecret" (dict "env" $e "path" "postgres.extraEnv[0]") }}
*/}}
{{- define "common.extras.literalSecret" -}}
{{- $e := .env -}}
{{- if hasKey $e "value" -}}
{{- $name := toString $e.name -}}
{{- $value := toString $e.value -}}
{{- if regexMatch "(?i)pass|pwd|secret|token|credential|private|auth|apikey|api[-_.]key|access[-_.]?key|(^|[-_.])key($|[-_.])|dsn|cookie|session" $name -}}
{{- fail (printf "%s: %s looks like a secret; a literal value would be readable by anyone who can read the pod: use valueFrom.secretKeyRef" .path $name) -}}
{{- end -}}
{{- if or (regexMatch "://[^/@[:space:]]*:[^/@[:space:]]*@" $value) (contains "PRIVATE KEY" $value) -}}
{{- fail (printf "%s: the value of %s holds a password or a key; a literal value would be readable by anyone who can read the pod: put it in a Secret and use valueFrom.secretKeyRef" .path $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
A mount path, cleaned as the runtime cleans it ("//", "/./", "/.." collapse), refused at, under or
above a path the chart mounts: a user volume there would replace pg_hba.conf, postgresql.conf or
redis.conf, or hide the chart's own files. Prints the cleaned path.
*/}}
{{- define "common.extras.mountPath" -}}
{{- $raw := toString (.mount.mountPath | default "") -}}
{{- include "common.validate.format" (dict "value" $raw "path" (printf "%s.mountPath" .path) "format" "path") -}}
{{- $path := clean $raw -}}
{{- range $own := .own -}}
{{- if or (eq $path $own) (eq $path "/") (hasPrefix (printf "%s/" $own) $path) (hasPrefix (printf "%s/" $path) $own) -}}
{{- fail (printf "%s.mountPath %q would cover or sit inside %s, which the chart mounts; choose another path" $.path $raw $own) -}}
{{- end -}}
{{- end -}}
{{- $path -}}
{{- end -}}

{{/*
The sidecars, each with the chart's restricted security context (with the uid/gid it may give).
Usage: {{ include "common.extras.sidecars" (dict "sidecars" $s.sidecars "securityContext" $sc) | nindent 8 }}
*/}}
{{- define "common.extras.sidecars" -}}
{{- range $c := .sidecars }}
{{- $c = deepCopy $c }}
{{- $own := $c.securityContext | default dict }}
{{- $ids := deepCopy $.securityContext }}
{{- $_ := set $ids "securityContext" (merge (pick $own "runAsUser" "runAsGroup") (deepCopy $.securityContext.securityContext)) }}
{{- $context := include "common.security.containerSecurityContext" $ids | fromYaml }}
{{- if hasKey $own "readOnlyRootFilesystem" }}{{ $_ := set $context "readOnlyRootFilesystem" $own.readOnlyRootFilesystem }}{{ end }}
{{- $_ = set $c "securityContext" $context }}
- {{ toYaml $c | nindent 2 | trim }}
{{- end }}
{{- end -}}
