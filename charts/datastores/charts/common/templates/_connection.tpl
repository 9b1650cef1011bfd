{{/*
Connection Secrets: the keys an application reads to connect, each already in the form its driver
parses, with verification of the server on. The source documents' faults are clients that pass
libpq's sslmode to asyncpg (which wants ssl=) and Redis clients that turn verification off; here
every form is written once, for its own grammar, and tested with the real driver.

Every value is quoted for its target: percent-encoding in URLs (RFC 3986 userinfo, path and
query), single quotes with backslash escapes in libpq's keyword/value strings, backslash escapes
of ':' and '\' in .pgpass lines. Generated passwords are letters and digits; passwords from an
existing Secret may hold anything.
*/}}

{{/* Percent-encodes a URL component (userinfo, path segment or query value); a space is %20. */}}
{{- define "common.connection.escape" -}}
{{- urlquery (toString .) | replace "+" "%20" -}}
{{- end -}}

{{/* A host as a URL writes it: an IPv6 address in brackets (RFC 3986), names and IPv4 as they are. */}}
{{- define "common.connection.uriHost" -}}
{{- if contains ":" . }}[{{ . }}]{{ else }}{{ . }}{{ end -}}
{{- end -}}

{{/*
Fails unless .url is a URL of one of .schemes ("a|b") that the templates can take apart: a host
name or address (IPv6 in brackets), an optional port, user, path and query, every other
character percent-encoded. urlParse would otherwise stop the render with Go's own error, which
names no value.
Usage: {{ include "common.connection.validateURL" (dict "url" $u "schemes" "redis|rediss" "path" "redis.external.url" "example" "rediss://user@host:6379/0") }}
*/}}
{{- define "common.connection.validateURL" -}}
{{- $scheme := regexFind "^[A-Za-z][-A-Za-z0-9+.]*://" (toString .url) | trimSuffix "://" -}}
{{- if not (has $scheme (splitList "|" .schemes)) -}}
{{- fail (printf "%s: %q is not a %s:// URL" .path (toString .url) (splitList "|" .schemes | last)) -}}
{{- end -}}
{{- $char := "([-A-Za-z0-9._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})" -}}
{{- $re := printf "^(%s)://((%s|:)+@)?([A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{1,5})?(/(%s|[:@/])*)?(\\?(%s|[:@/?])*)?$" .schemes $char $char $char -}}
{{- if not (and (kindIs "string" .url) (regexMatch $re .url)) -}}
{{- fail (printf "%s is %q: not a URL the chart can read; give one like %s (characters outside letters, digits and -._~ percent-encoded)" .path (toString .url) .example) -}}
{{- end -}}
{{- end -}}

{{/* A value of a libpq keyword/value connection string: single-quoted, \ and ' escaped. */}}
{{- define "common.connection.pgValue" -}}
'{{ toString . | replace "\\" "\\\\" | replace "'" "\\'" }}'
{{- end -}}

{{/* A field of a .pgpass line: \ and : escaped. */}}
{{- define "common.connection.pgpassField" -}}
{{- toString . | replace "\\" "\\\\" | replace ":" "\\:" -}}
{{- end -}}

{{/*
The PostgreSQL connection keys, as JSON of plain strings (the caller base64-encodes them).
  .host .port .database .user .password  the connection
  .caFile   where the application mounts the CA (sslrootcert)
  .sslmode  verify-full, unless external mode's tlsEnforce: false keeps a weaker one
Keys: the service-binding ones (type, provider, host, port, database, username, password, sslmode,
sslrootcert), CloudNativePG's (dbname, uri, jdbc-uri, pgpass), a keyword/value dsn, and SQLAlchemy
URLs for psycopg2 and asyncpg. asyncpg takes ssl=<mode> (never sslmode) and reads the CA from the
PGSSLROOTCERT environment variable: SQLAlchemy passes URL parameters to asyncpg.connect(), which
has no sslrootcert argument.
Usage: {{ include "common.connection.postgres" (dict "host" $h "port" 5432 "database" $db "user" $u "password" $p "caFile" $ca "sslmode" "verify-full") | fromJson }}
*/}}
{{- define "common.connection.postgres" -}}
{{- $port := toString (int .port) -}}
{{- $host := include "common.connection.uriHost" .host -}}
{{- $auth := printf "%s:%s@%s:%s" (include "common.connection.escape" .user) (include "common.connection.escape" .password) $host $port -}}
{{- $db := include "common.connection.escape" .database -}}
{{- $tls := printf "sslmode=%s" .sslmode -}}
{{- if .caFile -}}
{{- $tls = printf "%s&sslrootcert=%s" $tls (include "common.connection.escape" .caFile) -}}
{{- end -}}
{{- $out := dict
  "type" "postgresql"
  "provider" "datastores"
  "host" .host
  "port" $port
  "database" .database
  "dbname" .database
  "username" .user
  "password" .password
  "sslmode" .sslmode
  "uri" (printf "postgresql://%s/%s?%s" $auth $db $tls)
  "jdbc-uri" (printf "jdbc:postgresql://%s:%s/%s?user=%s&password=%s&%s" $host $port $db (include "common.connection.escape" .user) (include "common.connection.escape" .password) $tls)
  "pgpass" (printf "%s:%s:%s:%s:%s\n" (include "common.connection.pgpassField" .host) $port (include "common.connection.pgpassField" .database) (include "common.connection.pgpassField" .user) (include "common.connection.pgpassField" .password))
  "sqlalchemy-uri" (printf "postgresql+psycopg2://%s/%s?%s" $auth $db $tls)
  "sqlalchemy-asyncpg-uri" (printf "postgresql+asyncpg://%s/%s?ssl=%s" $auth $db .sslmode)
-}}
{{- $dsn := list (printf "host=%s" (include "common.connection.pgValue" .host)) (printf "port=%s" $port) (printf "dbname=%s" (include "common.connection.pgValue" .database)) (printf "user=%s" (include "common.connection.pgValue" .user)) (printf "password=%s" (include "common.connection.pgValue" .password)) (printf "sslmode=%s" .sslmode) -}}
{{- if .caFile -}}
{{- $_ := set $out "sslrootcert" .caFile -}}
{{- $dsn = append $dsn (printf "sslrootcert=%s" (include "common.connection.pgValue" .caFile)) -}}
{{- end -}}
{{- $_ := set $out "dsn" (join " " $dsn) -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The Redis connection keys of one user, as JSON of plain strings.
  url           rediss:// with the user and password and nothing else: go-redis's ParseURL refuses
                options it does not know (ssl_cert_reqs among them); go-redis, redis-py and
                redis-cli all parse it and verify the server's chain by default. The CA goes to
                each client its own way (go-redis TLSConfig.RootCAs, redis-cli --cacert).
  redis-py-url  the same with redis-py's own parameters: redis-py does not check the server's name
                unless told (ssl_check_hostname, False by default), and takes the CA file from
                ssl_ca_certs.
Usage: {{ include "common.connection.redis" (dict "host" $h "port" 6379 "user" $u "password" $p "tls" true "caFile" $ca) | fromJson }}
*/}}
{{- define "common.connection.redis" -}}
{{- $port := toString (int .port) -}}
{{- $scheme := ternary "rediss" "redis" (eq (toString .tls) "true") -}}
{{- $out := dict "type" "redis" "provider" "datastores" "host" .host "port" $port "username" .user "password" .password
  "url" (printf "%s://%s:%s@%s:%s/%d" $scheme (include "common.connection.escape" .user) (include "common.connection.escape" .password) (include "common.connection.uriHost" .host) $port (int (.database | default 0))) -}}
{{- $_ := set $out "ssl" (ternary "true" "false" (eq (toString .tls) "true")) -}}
{{- if eq (toString .tls) "true" -}}
{{- $py := printf "%s?ssl_cert_reqs=required&ssl_check_hostname=true" $out.url -}}
{{- with .caFile }}{{ $py = printf "%s&ssl_ca_certs=%s" $py (include "common.connection.escape" .) }}{{ end -}}
{{- $_ := set $out "redis-py-url" $py -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
A connection Secret's data: the keys above base64-encoded, plus ca.crt (base64 PEM) when known.
Without the password (.password false: an existing Secret the render could not read), the keys
that would carry it are left out rather than written without it.
Usage: {{ include "common.connection.data" (dict "keys" $keys "ca" $caB64 "password" (ne $password "")) | trim | nindent 2 }}
*/}}
{{- define "common.connection.data" -}}
{{- $keys := .keys -}}
{{- if not .password -}}
{{- $keys = omit $keys "password" "uri" "dsn" "pgpass" "jdbc-uri" "sqlalchemy-uri" "sqlalchemy-asyncpg-uri" "url" "redis-py-url" -}}
{{- end -}}
{{- range $k := keys $keys | sortAlpha }}
{{ $k | quote }}: {{ get $keys $k | b64enc | quote }}
{{- end }}
{{- with .ca }}
"ca.crt": {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
The annotation that says why a connection Secret has no connection string: its password is in
an existing Secret the render could not read (helm template, or a Secret not made yet).
Usage: {{ include "common.connection.incomplete" (dict "secret" $name "key" $key) }}
*/}}
{{- define "common.connection.incomplete" -}}
datastores.io/incomplete: {{ printf "Secret %s has no key %s (or it could not be read at render time)" .secret .key | quote }}
{{- end -}}

{{/*
Where applications mount the CA the connection strings name (sslrootcert): global.connection.caFile.
*/}}
{{- define "common.connection.caFile" -}}
{{- dig "connection" "caFile" "/etc/datastores/ca.crt" (.Values.global | default dict) -}}
{{- end -}}

{{/*
The CA a server's clients must trust, base64 PEM, for its connection Secret: the release CA's
bundle (generate), or the ca.crt of the TLS Secret in the cluster (existingSecret, certManager;
empty until cert-manager has issued it: the next upgrade adds it).
Usage: {{ include "common.connection.serverCA" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.connection.serverCA" -}}
{{- if eq .server.tls.source "generate" -}}
{{- (include "common.tls.ca" .context | fromJson).bundle -}}
{{- else -}}
{{- $key := ternary .server.tls.existingSecret.keys.ca "ca.crt" (eq .server.tls.source "existingSecret") -}}
{{- dig "data" $key "" (lookup "v1" "Secret" .context.Release.Namespace .server.tlsSecret | default dict) -}}
{{- end -}}
{{- end -}}

{{/* The keys connection Secrets hold besides the password: no password key may take one of them. */}}
{{- define "common.connection.reservedKeys" -}}
{{- list "type" "provider" "host" "port" "database" "dbname" "username" "sslmode" "sslrootcert" "uri" "jdbc-uri" "pgpass" "dsn" "sqlalchemy-uri" "sqlalchemy-asyncpg-uri" "url" "redis-py-url" "ssl" "ca.crt" | toJson -}}
{{- end -}}

{{/*
External managed servers (RDS, Cloud SQL, Azure, ElastiCache, ...): the chart deploys no server
for them and publishes the same connection Secrets, with the password from the user's Secret and
the CA from a ConfigMap, a Secret, or the system bundle.

common.connection.externalCA resolves an external server's ca block to JSON:
  kind, name, key  where the CA is (configMap or secret), for the pods that mount it (backup)
  data             its PEM, base64, as the connection Secret's ca.crt (empty when it cannot be
                   read at render time, or with the system bundle)
  file             the sslrootcert the connection strings name: global.connection.caFile, or
                   ca.systemFile with the system bundle
Exactly one of ca.configMap.name, ca.secret.name, ca.system; none at all only when .required is
false (tlsEnforce: false with a mode that verifies nothing).
Usage: {{ include "common.connection.externalCA" (dict "context" $ "ca" $e.ca "path" "postgres.external.rds.ca" "required" true) | fromJson }}
*/}}
{{- define "common.connection.externalCA" -}}
{{- $ca := .ca | default dict -}}
{{- if not (kindIs "map" $ca) -}}
{{- fail (printf "%s: give a map with configMap, secret or system" .path) -}}
{{- end -}}
{{- range $k := list "configMap" "secret" -}}
{{- if and (hasKey $ca $k) (not (kindIs "map" (get $ca $k))) -}}
{{- fail (printf "%s.%s: give a map {name, key}" $.path $k) -}}
{{- end -}}
{{- end -}}
{{- $cm := $ca.configMap | default dict -}}
{{- $sec := $ca.secret | default dict -}}
{{- $system := $ca.system | default false -}}
{{- include "common.validate.bool" (dict "value" $system "path" (printf "%s.system" .path)) -}}
{{- $given := list -}}
{{- if $cm.name }}{{ $given = append $given "configMap" }}{{ end -}}
{{- if $sec.name }}{{ $given = append $given "secret" }}{{ end -}}
{{- if $system }}{{ $given = append $given "system" }}{{ end -}}
{{- if gt (len $given) 1 -}}
{{- fail (printf "%s: give one CA source, not %s" .path (join " and " $given)) -}}
{{- end -}}
{{- $out := dict "kind" "" "name" "" "key" "" "data" "" "file" "" -}}
{{- if not $given -}}
{{- if .required -}}
{{- fail (printf "%s: name the CA that signed the server's certificate: %s.configMap.name or %s.secret.name (with .key, default ca.crt), or %s.system: true for a public CA in the system bundle" .path .path .path .path) -}}
{{- end -}}
{{- else if $system -}}
{{- $file := $ca.systemFile | default "/etc/ssl/certs/ca-certificates.crt" -}}
{{- include "common.validate.format" (dict "value" $file "path" (printf "%s.systemFile" .path) "format" "path") -}}
{{- $_ := set $out "kind" "system" -}}
{{- $_ = set $out "file" $file -}}
{{- else -}}
{{- $src := ternary $cm $sec (has "configMap" $given) -}}
{{- $kind := first $given -}}
{{- $key := $src.key | default "ca.crt" -}}
{{- include "common.validate.format" (dict "value" $src.name "path" (printf "%s.%s.name" .path $kind) "format" "dnsSubdomain") -}}
{{- include "common.validate.format" (dict "value" $key "path" (printf "%s.%s.key" .path $kind) "format" "secretKey") -}}
{{- $data := "" -}}
{{- if eq $kind "configMap" -}}
{{- with dig "data" $key "" (lookup "v1" "ConfigMap" .context.Release.Namespace $src.name | default dict) }}{{ $data = b64enc . }}{{ end -}}
{{- else -}}
{{- $data = dig "data" $key "" (lookup "v1" "Secret" .context.Release.Namespace $src.name | default dict) -}}
{{- end -}}
{{- $out = dict "kind" $kind "name" $src.name "key" $key "data" $data "file" (include "common.connection.caFile" .context) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The TLS mode of an external PostgreSQL server. With tlsEnforce (the default) every mode becomes
verify-full: the others do not check the server (disable, allow, prefer, require) or not its name
(verify-ca: any certificate of the CA would do, another customer's server at the same provider
among them). With tlsEnforce: false the mode stays as written (verify-full when none is), and the
chart says so loudly (NOTES, an annotation on the Secret).
Usage: {{ include "common.connection.sslmode" (dict "requested" $mode "enforce" true "path" $p) }}
*/}}
{{- define "common.connection.sslmode" -}}
{{- $modes := list "disable" "allow" "prefer" "require" "verify-ca" "verify-full" -}}
{{- $r := toString (.requested | default "") -}}
{{- if and $r (not (has $r $modes)) -}}
{{- fail (printf "%s: sslmode=%s is not a libpq sslmode; use verify-full (or one of %s)" .path $r (join ", " $modes)) -}}
{{- end -}}
{{- if not $r -}}
verify-full
{{- else if not .enforce -}}
{{- $r -}}
{{- else -}}
verify-full
{{- end -}}
{{- end -}}
