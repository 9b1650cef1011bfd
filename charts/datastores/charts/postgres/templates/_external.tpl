{{/*
postgres.externals: the managed PostgreSQL servers of postgres.external (RDS, Cloud SQL, Azure
Flexible Server, ...), validated and normalised. The chart deploys nothing for them but their
connection Secret, <fullname>-<name>-auth, with the same keys as an instance's, and backs them up
with the instances. JSON list; each entry:
  name, connectionSecret, host, port, database, user
  existingSecret {name, key}  the password
  ca                          common.connection.externalCA
  sslmode                     what the connection strings say (common.connection.sslmode)
  requested                   what the URL said ("" when nothing)
  tlsEnforce                  false: the mode as written, with a warning
*/}}
{{- define "postgres.externals" -}}
{{- include "common.memo" (dict "context" . "template" "postgres.externals.compute") -}}
{{- end -}}

{{- define "postgres.externals.compute" -}}
{{- $all := .Values.external | default dict -}}
{{- if not (kindIs "map" $all) -}}
{{- fail "postgres.external: give a map of name: {url or host/database/user, existingSecret, ca}" -}}
{{- end -}}
{{- $out := list -}}
{{- range $name := keys $all | sortAlpha -}}
{{- $path := printf "postgres.external.%s" $name -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "%s: the name %q must be a DNS label (lower-case letters, digits and '-', starting with a letter): it names the connection Secret" $path $name) -}}
{{- end -}}
{{- if hasKey ($.Values.instances | default dict) $name -}}
{{- fail (printf "%s: %q is also an instance (postgres.instances.%s); an external server and an instance cannot share a name, they would share a connection Secret" $path $name $name) -}}
{{- end -}}
{{- $raw := get $all $name -}}
{{- if not (kindIs "map" $raw) -}}
{{- fail (printf "%s is empty: give url (postgresql://user@host:5432/db) or host, database and user, and existingSecret.name" $path) -}}
{{- end -}}
{{- $e := dict "port" 5432 "tlsEnforce" true "existingSecret" (dict "key" "password") "ca" dict -}}
{{- include "common.values.mergeInto" (dict "base" $e "override" (deepCopy $raw)) -}}
{{- include "common.validate.maps" (dict "values" $e "path" $path "keys" (list "existingSecret" "ca")) -}}
{{- include "common.validate.bool" (dict "value" $e.tlsEnforce "path" (printf "%s.tlsEnforce" $path)) -}}
{{- $requested := "" -}}
{{- if $e.url -}}
{{- if or $raw.host $raw.database $raw.user -}}
{{- fail (printf "%s: give url or host/database/user, not both" $path) -}}
{{- end -}}
{{- include "common.connection.validateURL" (dict "url" $e.url "schemes" "postgres|postgresql" "path" (printf "%s.url" $path) "example" "postgresql://user@host:5432/db?sslmode=verify-full") -}}
{{- $u := urlParse (toString $e.url) -}}
{{- if contains ":" $u.userinfo -}}
{{- fail (printf "%s.url holds a password: values are stored in the release, readable by anyone who can read it; put the password in the Secret %s.existingSecret names and remove it from the URL" $path $path) -}}
{{- end -}}
{{- $hostport := regexFind "^(\\[[0-9a-fA-F:]+\\]|[^:]+)(:[0-9]+)?$" $u.host -}}
{{- $_ := set $e "host" (trimAll "[]" (regexReplaceAll ":[0-9]+$" $hostport "")) -}}
{{- with regexFind ":[0-9]+$" $hostport }}{{ $_ := set $e "port" (trimPrefix ":" . | atoi) }}{{ end -}}
{{- $_ = set $e "database" (trimPrefix "/" $u.path) -}}
{{- $_ = set $e "user" $u.userinfo -}}
{{- range $param := splitList "&" $u.query -}}
{{- if $param -}}
{{- $kv := splitn "=" 2 $param -}}
{{- if eq $kv._0 "sslmode" -}}
{{- $requested = $kv._1 -}}
{{- else if ne $kv._0 "sslrootcert" -}}
{{- fail (printf "%s.url: the parameter %q is not taken: the chart writes the connection strings itself, with sslmode and sslrootcert (set the CA with %s.ca)" $path $kv._0 $path) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- $requested = toString ($e.sslmode | default "") -}}
{{- end -}}
{{- if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:]+$" (toString ($e.host | default ""))) -}}
{{- fail (printf "%s: the host %q is not a host name or IP address; give url: postgresql://user@host:5432/db, or host" $path (toString ($e.host | default ""))) -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $e.port "path" (printf "%s.port" $path) "min" 1 "max" 65535) -}}
{{- range $k := list "database" "user" -}}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_$-]{0,62}$" (toString (get $e $k | default ""))) -}}
{{- fail (printf "%s: the %s %q is missing or not a plain identifier (letters, digits, '_', '$', '-'; at most 63)" $path $k (toString (get $e $k | default ""))) -}}
{{- end -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" $e.existingSecret.name "path" (printf "%s.existingSecret.name" $path) "format" "dnsSubdomain") -}}
{{- include "common.validate.format" (dict "value" $e.existingSecret.key "path" (printf "%s.existingSecret.key" $path) "format" "secretKey") -}}
{{- $sslmode := include "common.connection.sslmode" (dict "requested" $requested "enforce" $e.tlsEnforce "path" $path) -}}
{{- $verifies := has $sslmode (list "verify-ca" "verify-full") -}}
{{- $ca := include "common.connection.externalCA" (dict "context" $ "ca" $e.ca "path" (printf "%s.ca" $path) "required" $verifies) | fromJson -}}
{{- $full := include "common.names.instance" (dict "context" $ "name" $name "path" $path) -}}
{{- include "common.names.claim" (dict "context" $ "owner" $path "names" (include "postgres.names" (dict "fullname" $full "kind" "external") | fromJsonArray)) -}}
{{- if eq (toString $e.existingSecret.name) (printf "%s-auth" $full) -}}
{{- fail (printf "%s.existingSecret.name is %q, the name of the connection Secret the chart writes; name your password Secret otherwise" $path $e.existingSecret.name) -}}
{{- end -}}
{{- $out = append $out (dict "name" $name "connectionSecret" (printf "%s-auth" $full) "host" $e.host "port" (int $e.port)
  "database" $e.database "user" $e.user "existingSecret" $e.existingSecret "ca" $ca
  "sslmode" $sslmode "requested" $requested "tlsEnforce" $e.tlsEnforce) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
