{{/*
Passwords that survive `helm upgrade`.

A database stores its password when its data directory is first created; a new random password
on every upgrade would lock every client out. So the value already in the cluster wins, and a new
one is generated only when the Secret (or its key) does not exist yet. Letters and digits only: no
character needs escaping in a URL, a shell or a connection string.

When a password moves to another Secret, .previous (a dict of secret and key) names where an
earlier version of the chart kept it: read there when the new place has none yet, so the move keeps
the password the database holds.

Returns the base64 form, ready for a Secret's data.
Usage: {{ include "common.secrets.password" (dict "context" $ "secret" "ds-postgres-auth" "key" "password" "length" 32) }}
*/}}
{{- define "common.secrets.password" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace .secret -}}
{{- $value := dig "data" .key "" ($existing | default dict) -}}
{{- with .previous -}}
{{- if not $value -}}
{{- $value = dig "data" .key "" (lookup "v1" "Secret" $.context.Release.Namespace .secret | default dict) -}}
{{- end -}}
{{- end -}}
{{- if $value -}}
{{- $value -}}
{{- else -}}
{{- randAlphaNum (int .length) | b64enc -}}
{{- end -}}
{{- end -}}

{{/*
Checks the auth block of one server: an existing Secret needs its key names; a generated password
needs at least 32 characters.
Usage: {{ include "common.secrets.validate" (dict "auth" $auth "path" "postgres.instances.auth.auth" "keys" (list "userPasswordKey")) }}
*/}}
{{- define "common.secrets.validate" -}}
{{- if .auth.existingSecret -}}
{{- range $key := .keys -}}
{{- if not (index $.auth $key) -}}
{{- fail (printf "%s.%s: name the key of Secret %q that holds the password (%s.existingSecret is set)" $.path $key $.auth.existingSecret $.path) -}}
{{- end -}}
{{- end -}}
{{- else if lt (int .auth.passwordLength) 32 -}}
{{- fail (printf "%s.passwordLength is %v: generated passwords must be at least 32 characters; raise it or use %s.existingSecret" .path .auth.passwordLength .path) -}}
{{- end -}}
{{- end -}}
