{{/*
redis.server: the server with its object names and normalised settings, validated. JSON; every
template reads it with
  {{- $s := include "redis.server" . | fromJson }}
*/}}
{{- define "redis.server" -}}
{{- include "common.memo" (dict "context" . "template" "redis.server.compute") -}}
{{- end -}}

{{- define "redis.server.compute" -}}
{{- include "common.validate.chart" (dict "context" . "blocks" (list "image" "securityContext" "tls" "auth" "persistence" "networkPolicy" "podDisruptionBudget" "metrics")) -}}
{{- if not (or (kindIs "map" .Values.config) (kindIs "invalid" .Values.config)) -}}
{{- fail "redis.config: give a map of directive: value" -}}
{{- end -}}
{{- $s := omit .Values "global" "enabled" "image" "imagePullSecrets" "securityContext" "nameOverride" "fullnameOverride" | deepCopy -}}
{{- $full := include "common.names.fullname" . -}}
{{- include "common.names.fits" (dict "name" $full "limit" 52 "why" "StatefulSet pods carry it in a 63-character label" "path" "redis" "context" .) -}}
{{- /* YAML reads an unquoted no/yes as a boolean: accept both spellings. */ -}}
{{- $authClients := $s.tls.authClients -}}
{{- if kindIs "bool" $authClients -}}
{{- $authClients = ternary "yes" "no" $authClients -}}
{{- end -}}
{{- $_ := set $s.tls "authClients" (toString $authClients) -}}
{{- $_ = set $s.tls "clientCertificates" (ne $s.tls.authClients "no") -}}
{{- $_ = set $s "name" "redis" -}}
{{- $_ = set $s "fullname" $full -}}
{{- $_ = set $s "headlessService" (printf "%s-hl" $full) -}}
{{- $_ = set $s "authSecret" ($s.auth.existingSecret | default (printf "%s-auth" $full)) -}}
{{- $_ = set $s "connectionSecret" (printf "%s-auth" $full) -}}
{{- if and (eq (toString $s.auth.existingSecret) (printf "%s-auth" $full)) (not (include "common.gitops" .)) -}}
{{- fail (printf "redis.auth.existingSecret is %q, the name of the connection Secret the chart writes; name your password Secret otherwise (only with global.gitops may it be the Secret datastores secrets made)" $s.auth.existingSecret) -}}
{{- end -}}
{{- $_ = set $s "tlsSecret" (ternary $s.tls.existingSecret.name (printf "%s-tls" $full) (eq (toString $s.tls.source) "existingSecret")) -}}
{{- $_ = set $s "clientTlsSecret" (printf "%s-client-tls" $full) -}}
{{- $_ = set $s "clientName" "redis-client" -}}
{{- /* The server certificate also authenticates the probe (and replicas) as a client. */ -}}
{{- $_ = set $s "serverUsages" (list "server auth" "client auth") -}}
{{- $_ = set $s "component" "cache" -}}
{{- $_ = set $s "gitops" (include "common.gitops" .) -}}
{{- include "redis.validate" (dict "s" $s "context" .) -}}
{{- include "common.names.claim" (dict "context" . "owner" "the release CA" "names" (list (include "common.names.caSecret" .))) -}}
{{- include "common.names.claim" (dict "context" . "owner" "redis" "names" (list $full (printf "%s-hl" $full) (printf "%s-metrics" $full) (printf "%s-auth" $full) (printf "%s-tls" $full) (printf "%s-client-tls" $full) (printf "%s-monitor" $full) (printf "%s-test" $full))) -}}
{{- $users := list -}}
{{- range $n, $u := $s.auth.users -}}
{{- $u = deepCopy $u -}}
{{- /* Redis takes '_' in a user name, Kubernetes not in object names: the user's Secret and
volume use '-' instead (a clash between two such names is refused by common.names.claim). */ -}}
{{- $_ := set $u "objectName" (replace "_" "-" $u.name) -}}
{{- $_ = set $u "volume" (printf "user-%s" $u.objectName) -}}
{{- $_ = set $u "secret" ($u.existingSecret | default (printf "%s-user-%s" $full $u.objectName)) -}}
{{- $_ = set $u "connectionSecret" (printf "%s-user-%s" $full $u.objectName) -}}
{{- include "common.names.claim" (dict "context" $ "owner" (printf "redis.auth.users[%d]" $n) "names" (list $u.connectionSecret)) -}}
{{- if and (eq (toString $u.existingSecret) $u.connectionSecret) (not (include "common.gitops" $)) -}}
{{- fail (printf "redis.auth.users[%s].existingSecret is %q, the name of the connection Secret the chart writes; name your password Secret otherwise" $u.name $u.existingSecret) -}}
{{- end -}}
{{- $_ = set $u "passwordKey" ($u.passwordKey | default "password") -}}
{{- $users = append $users $u -}}
{{- end -}}
{{- $_ = set $s.auth "users" $users -}}
{{- $taken := list $s.authSecret $s.connectionSecret -}}
{{- range $users }}{{ $taken = concat $taken (list .secret .connectionSecret) }}{{ end -}}
{{- include "common.metrics.validateSecret" (dict "s" $s "path" "redis.metrics" "taken" (uniq $taken)) -}}
{{- toJson $s -}}
{{- end -}}

{{/*
Everything that could render a Redis that takes plaintext, weak TLS, or a user without a password
fails here, naming the value and the fix.
*/}}
{{- define "redis.validate" -}}
{{- $ctx := .context -}}
{{- with .s -}}
{{- $in := dict -}}
{{- range $k := list "tls" "auth" "persistence" "port" "priorityClassName" "podLabels" "podAnnotations" "nodeSelector" "tolerations" "affinity" "resources" "terminationGracePeriodSeconds" "networkPolicy" "podDisruptionBudget" "topologySpreadConstraints" "extraEnv" "extraVolumes" "extraVolumeMounts" "sidecars" "metrics" -}}
{{- $_ := set $in $k (printf "redis.%s" $k) -}}
{{- end -}}
{{- include "common.validate.server" (dict "s" . "in" $in "base" "redis" "path" "redis" "passwordKeys" (list "passwordKey") "context" $ctx) -}}
{{- include "common.validate.bool" (dict "value" .auth.disableDefaultUser "path" "redis.auth.disableDefaultUser") -}}
{{- $paths := include "redis.paths" . | fromYaml -}}
{{- include "common.metrics.validate" (dict "s" . "path" "redis.metrics" "context" $ctx) -}}
{{- $volumes := list "data" "config" "scripts" "tls-secret" "tls" "credentials" "run" "monitor" -}}
{{- if kindIs "slice" .auth.users }}{{ range $u := .auth.users }}{{ if kindIs "map" $u }}{{ $volumes = append $volumes (printf "user-%v" (replace "_" "-" (toString (get $u "name")))) }}{{ end }}{{ end }}{{ end -}}
{{- include "common.extras.validate" (dict "s" . "in" $in "server" "redis" "context" $ctx
  "env" (list "REDISCLI_AUTH" "REDIS_PASSWORD" "REDIS_ARGS")
  "volumes" $volumes
  "paths" (list $paths.config $paths.data $paths.run $paths.credentials $paths.users "/tls" "/tls-secret" "/opt/datastores")) -}}
{{- if not (has .persistence.appendfsync (list "everysec" "always")) -}}
{{- fail (printf "redis.persistence.appendfsync is %v: use everysec (at most a second lost) or always" .persistence.appendfsync) -}}
{{- end -}}
{{- if not (regexMatch "^([0-9]+ [0-9]+( [0-9]+ [0-9]+)*)?$" (toString .persistence.save)) -}}
{{- fail (printf "redis.persistence.save is %q: give \"seconds changes\" pairs, e.g. \"3600 1 300 100\", or \"\" for no snapshots" (toString .persistence.save)) -}}
{{- end -}}
{{- if not (or (kindIs "slice" .auth.users) (kindIs "invalid" .auth.users)) -}}
{{- fail "redis.auth.users: give a list of {name, rules}" -}}
{{- end -}}
{{- /* The configuration and the start script share one ConfigMap, which Kubernetes caps at 1 MiB. */ -}}
{{- if gt (len (.auth.users | default list)) 100 -}}
{{- fail (printf "redis.auth.users has %d users: at most 100 fit the server's ConfigMap" (len .auth.users)) -}}
{{- end -}}
{{- if gt (len (.config | default dict)) 200 -}}
{{- fail (printf "redis.config has %d directives: at most 200 fit the server's ConfigMap" (len .config)) -}}
{{- end -}}
{{- if not (has .tls.protocols (list "TLSv1.2 TLSv1.3" "TLSv1.3" "TLSv1.2")) -}}
{{- fail (printf "redis.tls.protocols is %q: Redis must refuse TLS below 1.2; use \"TLSv1.2 TLSv1.3\", \"TLSv1.3\" or \"TLSv1.2\"" (toString .tls.protocols)) -}}
{{- end -}}
{{- if not (has .tls.authClients (list "no" "optional" "yes")) -}}
{{- fail (printf "redis.tls.authClients is %q: use no, optional or yes (client certificates required)" .tls.authClients) -}}
{{- end -}}
{{- if and .auth.disableDefaultUser (not .auth.users) -}}
{{- fail "redis.auth.disableDefaultUser is true but redis.auth.users is empty: no client could log in; add a user or keep the default user" -}}
{{- end -}}
{{- $names := list -}}
{{- range $n, $u := .auth.users -}}
{{- $path := printf "redis.auth.users[%d]" $n -}}
{{- if not (kindIs "map" $u) -}}
{{- fail (printf "%s is %s: give a user {name, rules}" $path (toJson $u)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z]([a-z0-9_-]{0,38}[a-z0-9])?$" (toString ($u.name | default ""))) -}}
{{- fail (printf "%s.name %q: give the user a name of at most 40 lower-case letters, digits, '-' and '_', starting with a letter and ending with a letter or digit (it also names its Secret)" $path (toString ($u.name | default ""))) -}}
{{- end -}}
{{- if has $u.name (list "default" "datastores-probe" "datastores-reload" "datastores-monitor") -}}
{{- fail (printf "%s.name %q is reserved for the chart's own users (default, datastores-probe, datastores-reload, datastores-monitor); the default user is configured with redis.auth" $path $u.name) -}}
{{- end -}}
{{- if has $u.name $names -}}
{{- fail (printf "%s.name %q appears twice in redis.auth.users" $path $u.name) -}}
{{- end -}}
{{- $names = append $names $u.name -}}
{{- include "common.validate.format" (dict "value" $u.existingSecret "path" (printf "%s.existingSecret" $path) "format" "dnsSubdomain" "optional" true) -}}
{{- if and $.s.gitops (not $u.existingSecret) -}}
{{- fail (printf "%s.existingSecret is empty, but global.gitops is true: a render without a cluster would make a new password every time; name a Secret made once (datastores secrets)" $path) -}}
{{- end -}}
{{- if and $u.existingSecret (hasKey $u "passwordKey") (not $u.passwordKey) -}}
{{- fail (printf "%s.passwordKey: name the key of Secret %q that holds the password" $path $u.existingSecret) -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" $u.passwordKey "path" (printf "%s.passwordKey" $path) "format" "secretKey" "optional" true) -}}
{{- /* Without an existing Secret the password is written into the user's connection Secret,
beside the keys the chart writes there: one of theirs would replace it. */ -}}
{{- if and (not $u.existingSecret) (has (toString $u.passwordKey) (include "common.connection.reservedKeys" $ | fromJsonArray)) -}}
{{- fail (printf "%s.passwordKey is %q: the chart writes that key of the user's connection Secret, so the password would be replaced or published; choose another key, e.g. password" $path (toString $u.passwordKey)) -}}
{{- end -}}
{{- $rules := toString ($u.rules | default "") -}}
{{- if not $rules -}}
{{- fail (printf "%s.rules is empty: give the user its ACL rules, e.g. \"~cache:* +@read +@write -@dangerous\"" $path) -}}
{{- end -}}
{{- /* Redis reads ACL rules case-insensitively: NOPASS is nopass. Redis 7 selectors,
"(~key:* +get)", hold rules too: each is checked without its parentheses. */ -}}
{{- range $rule := splitList " " $rules -}}
{{- $rule = trimAll "()" $rule -}}
{{- if or (has (lower $rule) (list "nopass" "resetpass" "on" "off" "reset")) (regexMatch "^[<>#!]" $rule) -}}
{{- fail (printf "%s.rules: %q is not allowed: every ACL user has a password from a Secret (generated, or %s.existingSecret), and the chart turns users on" $path $rule $path) -}}
{{- end -}}
{{- end -}}
{{- if gt (len $rules) 4096 -}}
{{- fail (printf "%s.rules is %d characters long: at most 4096" $path (len $rules)) -}}
{{- end -}}
{{- if not (regexMatch "^[-+~&%@*:|.,_/a-zA-Z0-9{}\\[\\]?() ]+$" $rules) -}}
{{- fail (printf "%s.rules %q: only ACL rule characters are allowed (no quotes, $, backquotes or line breaks)" $path $rules) -}}
{{- end -}}
{{- if not (regexMatch "^[^()]*(\\([^()]+\\)[^()]*)*$" $rules) -}}
{{- fail (printf "%s.rules %q: a selector is rules in one pair of parentheses, e.g. (~cache:* +get); selectors do not nest" $path $rules) -}}
{{- end -}}
{{- end -}}
{{- include "redis.validateConfig" .config -}}
{{- end -}}
{{- end -}}

{{/* redis.conf directives the chart owns: TLS, network, authentication, persistence locations. */}}
{{- define "redis.validateConfig" -}}
{{- $managed := dict
  "port" "the plaintext port is always 0"
  "tls-port" "use redis.port"
  "bind" "the server listens on every interface; restrict clients with NetworkPolicies"
  "protected-mode" "the chart sets it"
  "tls-cert-file" "the init container writes the certificate there"
  "tls-key-file" "the init container writes the key there"
  "tls-ca-cert-file" "the init container writes the CA there"
  "tls-ca-cert-dir" "the CA comes from the TLS Secret"
  "tls-protocols" "use redis.tls.protocols"
  "tls-auth-clients" "use redis.tls.authClients"
  "tls-replication" "replication always uses TLS"
  "tls-cluster" "cluster bus traffic would use TLS; cluster mode is not supported"
  "requirepass" "passwords come from Secrets; use redis.auth"
  "masterauth" "passwords come from Secrets"
  "aclfile" "the chart writes the ACL file from Secrets; use redis.auth.users"
  "user" "use redis.auth.users"
  "dir" "data lives on the PVC"
  "appendonly" "AOF is always on"
  "appendfsync" "use redis.persistence.appendfsync"
  "appenddirname" "the chart sets it"
  "dbfilename" "the chart sets it"
  "save" "use redis.persistence.save"
  "include" "the chart renders the whole configuration"
  "tls-ciphers" "the server's own TLS 1.2 cipher list is kept: a list of your own could allow NULL or export ciphers"
  "tls-ciphersuites" "the server's own TLS 1.3 suites are kept"
  "tls-prefer-server-ciphers" "the server always chooses the cipher"
  "tls-client-cert-file" "the server's certificate is its client certificate"
  "tls-client-key-file" "the server's key is its client key"
  "tls-key-file-pass" "keys are never passphrase-protected here"
  "tls-client-key-file-pass" "keys are never passphrase-protected here"
  "tls-dh-params-file" "the init container writes only the certificate, key and CA"
  "cluster-enabled" "cluster mode is not supported: its bus would listen without TLS"
  "cluster-config-file" "cluster mode is not supported"
  "cluster-port" "cluster mode is not supported"
  "unixsocket" "the chart sets it: a socket only the server's own uid can open, for the tls-reloader"
  "unixsocketperm" "the chart's socket stays 700"
  "replicaof" "the server would copy another server's data over its own; replicas are not supported"
  "slaveof" "the server would copy another server's data over its own; replicas are not supported"
  "masteruser" "replicas are not supported"
  "loadmodule" "modules are not loaded from values"
  "enable-protected-configs" "CONFIG SET of paths such as dir stays off"
  "enable-debug-command" "DEBUG stays off"
  "enable-module-command" "MODULE stays off"
  "rename-command" "use ACL rules to take commands from users"
  "acl-pubsub-default" "the chart relies on Redis 7's default (resetchannels)"
  "daemonize" "the server runs in the foreground of its container"
  "supervised" "the server runs in the foreground of its container"
  "pidfile" "the root file system is read-only"
  "logfile" "logs go to stderr for the cluster's log collector"
-}}
{{- range $key, $value := . -}}
{{- if hasKey $managed $key -}}
{{- fail (printf "redis.config.%s: this directive is managed by the chart (%s); remove it" $key (get $managed $key)) -}}
{{- end -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]*$" $key) -}}
{{- fail (printf "redis.config: %q is not a redis.conf directive name" $key) -}}
{{- end -}}
{{- if or (kindIs "map" $value) (kindIs "slice" $value) (kindIs "invalid" $value) (regexMatch "[[:cntrl:]\"'\\\\]" (toString $value)) -}}
{{- fail (printf "redis.config.%s is %q: a value must be one line without quotes or backslashes" $key (toString $value)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Pod paths; the real-server tests map them onto a temporary directory. */}}
{{- define "redis.paths" -}}
config: /etc/redis
data: /data
run: /run/redis
credentials: /run/secrets/redis
users: /run/secrets/redis-users
{{- end -}}

{{/* One redis.conf value: booleans as yes/no, whole numbers without exponent, the rest as is. */}}
{{- define "redis.confValue" -}}
{{- if kindIs "bool" . -}}
{{- ternary "yes" "no" . -}}
{{- else if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) -}}
{{- if eq (float64 .) (float64 (int64 .)) -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/* Non-empty when redis.external.enabled: a managed Redis, no server of the chart's. */}}
{{- define "redis.isExternal" -}}
{{- if eq (toString ((.Values.external | default dict).enabled)) "true" }}true{{ end -}}
{{- end -}}

{{/*
redis.external: the managed Redis of redis.external (ElastiCache, Azure Cache, Memorystore, ...),
validated and normalised, as JSON: connectionSecret, host, port, user, database, tls (rediss),
existingSecret {name, key}, ca (common.connection.externalCA), tlsEnforce. The chart deploys no
server; the connection Secret <fullname>-auth has the same keys as a user's of the chart's Redis.
A redis:// URL (plaintext) is refused unless tlsEnforce is false, which NOTES and an annotation
on the Secret then point out.
*/}}
{{- define "redis.external" -}}
{{- $path := "redis.external" -}}
{{- $e := dict "port" 6379 "database" 0 "tlsEnforce" true "existingSecret" (dict "key" "password") "ca" dict -}}
{{- include "common.values.mergeInto" (dict "base" $e "override" (deepCopy .Values.external)) -}}
{{- include "common.validate.maps" (dict "values" $e "path" $path "keys" (list "existingSecret" "ca")) -}}
{{- include "common.validate.bool" (dict "value" $e.tlsEnforce "path" "redis.external.tlsEnforce") -}}
{{- $tls := true -}}
{{- if $e.url -}}
{{- if .Values.external.host -}}
{{- fail "redis.external: give url or host, not both" -}}
{{- end -}}
{{- include "common.connection.validateURL" (dict "url" $e.url "schemes" "redis|rediss" "path" "redis.external.url" "example" "rediss://user@host:6379/0") -}}
{{- $u := urlParse (toString $e.url) -}}
{{- $tls = eq $u.scheme "rediss" -}}
{{- if contains ":" $u.userinfo -}}
{{- fail "redis.external.url holds a password: values are stored in the release, readable by anyone who can read it; put the password in the Secret redis.external.existingSecret names and remove it from the URL" -}}
{{- end -}}
{{- if $u.query -}}
{{- fail (printf "redis.external.url: parameters (%s) are not taken: the chart writes the connection URLs itself, with verification on (set the CA with redis.external.ca)" $u.query) -}}
{{- end -}}
{{- $hostport := regexFind "^(\\[[0-9a-fA-F:]+\\]|[^:]+)(:[0-9]+)?$" $u.host -}}
{{- $_ := set $e "host" (trimAll "[]" (regexReplaceAll ":[0-9]+$" $hostport "")) -}}
{{- with regexFind ":[0-9]+$" $hostport }}{{ $_ := set $e "port" (trimPrefix ":" . | atoi) }}{{ end -}}
{{- with trimPrefix "/" $u.path }}{{ $_ := set $e "database" . }}{{ end -}}
{{- $_ = set $e "user" $u.userinfo -}}
{{- else -}}
{{- $tls = ne (toString $e.tls) "false" -}}
{{- end -}}
{{- if and (not $tls) $e.tlsEnforce -}}
{{- fail "redis.external: redis:// is plaintext: the password and every key would cross the network unencrypted; use rediss:// (the managed service's TLS endpoint), or set redis.external.tlsEnforce: false if TLS ends before the server (you will be warned)" -}}
{{- end -}}
{{- if not (regexMatch "^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:]+$" (toString ($e.host | default ""))) -}}
{{- fail (printf "redis.external: the host %q is not a host name or IP address; give url: rediss://host:6379, or host" (toString ($e.host | default ""))) -}}
{{- end -}}
{{- include "common.validate.int" (dict "value" $e.port "path" "redis.external.port" "min" 1 "max" 65535) -}}
{{- if not (regexMatch "^[0-9]{1,5}$" (toString $e.database)) -}}
{{- fail (printf "redis.external: the database %q is not a number" (toString $e.database)) -}}
{{- end -}}
{{- if not (regexMatch "^([A-Za-z0-9_.-]{1,64})?$" (toString ($e.user | default ""))) -}}
{{- fail (printf "redis.external: the user %q is not a plain ACL user name (letters, digits, '_', '.', '-')" (toString $e.user)) -}}
{{- end -}}
{{- include "common.validate.format" (dict "value" $e.existingSecret.name "path" "redis.external.existingSecret.name" "format" "dnsSubdomain") -}}
{{- include "common.validate.format" (dict "value" $e.existingSecret.key "path" "redis.external.existingSecret.key" "format" "secretKey") -}}
{{- $ca := include "common.connection.externalCA" (dict "context" $ "ca" $e.ca "path" "redis.external.ca" "required" $tls) | fromJson -}}
{{- $full := include "common.names.fullname" . -}}
{{- if eq (toString $e.existingSecret.name) (printf "%s-auth" $full) -}}
{{- fail (printf "redis.external.existingSecret.name is %q, the name of the connection Secret the chart writes; name your password Secret otherwise" $e.existingSecret.name) -}}
{{- end -}}
{{- toJson (dict "connectionSecret" (printf "%s-auth" $full) "host" $e.host "port" (int $e.port) "database" (int $e.database)
  "user" ($e.user | default "default") "tls" $tls "existingSecret" $e.existingSecret "ca" $ca "tlsEnforce" $e.tlsEnforce) -}}
{{- end -}}
