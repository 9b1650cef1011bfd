{{/*
Resource names. Every subchart prefixes its objects with common.names.fullname and names the
objects of one server (a PostgreSQL instance, the Redis server) with common.names.instance.
*/}}

{{/*
The subchart-wide prefix: fullnameOverride, else the release name when it already contains the
chart name, else "<release>-<chart>".
Usage: {{ include "common.names.fullname" . }}
*/}}
{{- define "common.names.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The name of one server's objects: "<fullname>-<name>". Not truncated: two instances whose names
were cut to the same prefix would share Services and Secrets, so a name that is too long fails.
A StatefulSet's pods carry a controller-revision-hash label of "<name>-<10 characters>", which
must fit in 63 characters: hence 52.
Usage: {{ include "common.names.instance" (dict "context" $ "name" "auth" "path" "postgres.instances.auth") }}
*/}}
{{- define "common.names.instance" -}}
{{- $full := printf "%s-%s" (include "common.names.fullname" .context) .name -}}
{{- if gt (len $full) 52 -}}
{{- fail (printf "%s: the resource name %q is %d characters long, over the limit of 52 (StatefulSet pods carry it in a 63-character label); use a shorter instance name, a shorter release name, or set %s.fullnameOverride" .path $full (len $full) .context.Chart.Name) -}}
{{- end -}}
{{- $full -}}
{{- end -}}

{{/*
The CA Secret that one release shares between all its servers when TLS is generated at install.
Usage: {{ include "common.names.caSecret" . }}
*/}}
{{- define "common.names.caSecret" -}}
{{- printf "%s-datastores-ca" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The cluster DNS domain, "cluster.local" unless global.clusterDomain says otherwise.
*/}}
{{- define "common.names.clusterDomain" -}}
{{- (.Values.global).clusterDomain | default "cluster.local" -}}
{{- end -}}
