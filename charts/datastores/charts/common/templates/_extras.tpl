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
Checks the hooks of one server.
Usage: {{ include "common.extras.validate" (dict "s" $s "in" $in "env" (list "REDIS_ARGS" ...) "volumes" (list "data" ...) "paths" (list "/var/lib/postgresql" ...)) }}
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
{{- if and (hasKey $e "value") (regexMatch "(?i)pass|secret|token|credential|private|(^|_)key($|_)" $e.name) -}}
{{- fail (printf "%s: %s looks like a secret; a literal value would be readable by anyone who can read the pod: use valueFrom.secretKeyRef" $p $e.name) -}}
{{- end -}}
{{- end -}}
{{- $names := list -}}
{{- range $n, $vol := $s.extraVolumes -}}
{{- $p := printf "%s[%d]" (get $.in "extraVolumes") $n -}}
{{- include "common.validate.format" (dict "value" $vol.name "path" (printf "%s.name" $p) "format" "dnsLabel") -}}
{{- if has $vol.name $.volumes -}}
{{- fail (printf "%s.name %q is one of the chart's own volumes; choose another name" $p $vol.name) -}}
{{- end -}}
{{- $types := without (keys $vol) "name" -}}
{{- if not (and (eq (len $types) 1) (has (first $types) (include "common.extras.restrictedVolumeTypes" . | fromJsonArray))) -}}
{{- fail (printf "%s %q: give one volume source of %s (the restricted Pod Security profile allows no other, hostPath among them)" $p $vol.name (include "common.extras.restrictedVolumeTypes" . | fromJsonArray | join ", ")) -}}
{{- end -}}
{{- $names = append $names $vol.name -}}
{{- end -}}
{{- range $n, $m := $s.extraVolumeMounts -}}
{{- $p := printf "%s[%d]" (get $.in "extraVolumeMounts") $n -}}
{{- if not (has $m.name $names) -}}
{{- fail (printf "%s.name %q is not a volume of extraVolumes" $p $m.name) -}}
{{- end -}}
{{- $path := toString ($m.mountPath | default "") -}}
{{- include "common.validate.format" (dict "value" $path "path" (printf "%s.mountPath" $p) "format" "path") -}}
{{- range $own := $.paths -}}
{{- if or (eq $path $own) (hasPrefix (printf "%s/" $own) $path) (hasPrefix (printf "%s/" $path) $own) -}}
{{- fail (printf "%s.mountPath %q would cover or sit inside %s, which the chart mounts; choose another path" $p $path $own) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $reserved := list "prepare-tls" "tls-reloader" -}}
{{- range $n, $c := $s.sidecars -}}
{{- $p := printf "%s[%d]" (get $.in "sidecars") $n -}}
{{- include "common.validate.format" (dict "value" $c.name "path" (printf "%s.name" $p) "format" "dnsLabel") -}}
{{- if has $c.name (concat $reserved (list $.server)) -}}
{{- fail (printf "%s.name %q is a container of the chart; choose another name" $p $c.name) -}}
{{- end -}}
{{- if not (and (kindIs "string" $c.image) $c.image) -}}
{{- fail (printf "%s.image: give the sidecar's image (pinned: a tag other than latest, or a digest)" $p) -}}
{{- end -}}
{{- if or (hasSuffix ":latest" $c.image) (not (regexMatch "[:@]" (regexReplaceAll "^[^/]*:[0-9]+/" $c.image ""))) -}}
{{- fail (printf "%s.image %q: pin a version (a tag other than latest, or a digest)" $p $c.image) -}}
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
{{- range $port := $c.ports | default list -}}
{{- if $port.hostPort -}}
{{- fail (printf "%s.ports: hostPort is not allowed (the restricted profile refuses host ports)" $p) -}}
{{- end -}}
{{- end -}}
{{- end -}}
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
