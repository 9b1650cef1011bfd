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
{{- include "common.names.fits" (dict "name" $full "limit" 52 "why" "StatefulSet pods carry it in a 63-character label" "path" .path "context" .context) -}}
{{- $full -}}
{{- end -}}

{{/*
Fails when a name the chart builds is longer than what its object allows, naming the value that
made it and the fix. why: the reason for the limit.
Usage: {{ include "common.names.fits" (dict "name" $n "limit" 52 "why" "..." "path" "postgres.backup" "context" $) }}
*/}}
{{- define "common.names.fits" -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" .name) -}}
{{- fail (printf "%s: the resource name %q is not a DNS label (lower-case letters, digits and '-', starting with a letter), which Services require; use a release name that starts with a letter and has no '.', or set %s.fullnameOverride" .path .name .context.Chart.Name) -}}
{{- end -}}
{{- if gt (len .name) (int .limit) -}}
{{- fail (printf "%s: the resource name %q is %d characters long, over the limit of %d (%s); use a shorter instance name, a shorter release name, or set %s.fullnameOverride" .path .name (len .name) (int .limit) .why .context.Chart.Name) -}}
{{- end -}}
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

{{/*
Every object name of the release has one owner: the value that makes it (postgres.instances.app,
redis, postgres.backup, ...). Each server and job claims the names of every object it may render,
whether or not the feature that renders it is on now, so that two values can never render two
objects under one name (an instance named maintenance and the maintenance Job's ConfigMap, a
redis.fullnameOverride equal to an instance's name) and turning a feature on later cannot create
a clash either. The claims live in .Release, shared by every subchart of a render.
Usage: {{ include "common.names.claim" (dict "context" $ "owner" "postgres.instances.app" "names" (list $a $b)) }}
*/}}
{{- define "common.names.claim" -}}
{{- if not (hasKey .context.Release "datastoresNames") -}}
{{- $_ := set .context.Release "datastoresNames" dict -}}
{{- end -}}
{{- $claims := .context.Release.datastoresNames -}}
{{- range $name := .names -}}
{{- $other := get $claims $name -}}
{{- if and $other (ne $other $.owner) -}}
{{- fail (printf "%s: the object name %q is also %s's; two objects of the release cannot share a name: rename one of them (an instance, a user, postgres.fullnameOverride or redis.fullnameOverride)" $.owner $name $other) -}}
{{- end -}}
{{- $_ := set $claims $name $.owner -}}
{{- end -}}
{{- end -}}
