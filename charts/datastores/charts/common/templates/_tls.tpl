{{/*
TLS material for servers. Three sources, chosen per server with tls.source:

  generate        the chart makes one CA per release (Secret <release>-datastores-ca) and signs one
                  certificate per server; all of it is looked up first, so `helm upgrade` keeps it.
  existingSecret  a kubernetes.io/tls Secret the user made (tls.existingSecret.name, key names
                  configurable).
  certManager     a cert-manager Certificate per server, issued by tls.certManager.issuerRef.

ECDSA P-256 keys by default: as strong as RSA-3072 for TLS and generated in microseconds, where
RSA key generation takes long enough to make every render slow.
*/}}

{{/*
Fails on a TLS block that cannot give the server a verified certificate.
Usage: {{ include "common.tls.validate" (dict "tls" $tls "path" "postgres.instances.auth.tls") }}
*/}}
{{- define "common.tls.validate" -}}
{{- $sources := list "generate" "existingSecret" "certManager" -}}
{{- if not (has .tls.source $sources) -}}
{{- fail (printf "%s.source is %q: TLS cannot be turned off; choose one of generate, existingSecret, certManager" .path (toString .tls.source)) -}}
{{- end -}}
{{- if and (eq .tls.source "existingSecret") (not .tls.existingSecret.name) -}}
{{- fail (printf "%s.existingSecret.name is empty: name the kubernetes.io/tls Secret that holds this server's certificate (%s.source is existingSecret)" .path .path) -}}
{{- end -}}
{{- if eq .tls.source "existingSecret" -}}
{{- range $k := list "certificate" "privateKey" "ca" -}}
{{- if not (index $.tls.existingSecret.keys $k) -}}
{{- fail (printf "%s.existingSecret.keys.%s is empty: name the key of Secret %q that holds it" $.path $k $.tls.existingSecret.name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq .tls.source "certManager") (not .tls.certManager.issuerRef.name) -}}
{{- fail (printf "%s.certManager.issuerRef.name is empty: name the cert-manager Issuer or ClusterIssuer that signs this server's certificate (%s.source is certManager)" .path .path) -}}
{{- end -}}
{{- end -}}

{{/*
The DNS names a server's certificate must cover: its Service and headless Service in every form a
client may use (short, namespaced, .svc, fully qualified), the pods behind the headless Service,
and localhost for probes and `kubectl port-forward`.
Usage: {{ include "common.tls.dnsNames" (dict "context" $ "services" (list $svc $headless) "headless" $headless) | fromJsonArray }}
*/}}
{{- define "common.tls.dnsNames" -}}
{{- $ns := .context.Release.Namespace -}}
{{- $domain := include "common.names.clusterDomain" .context -}}
{{- $names := list -}}
{{- range .services -}}
{{- $names = concat $names (list . (printf "%s.%s" . $ns) (printf "%s.%s.svc" . $ns) (printf "%s.%s.svc.%s" . $ns $domain)) -}}
{{- end -}}
{{- with .headless -}}
{{- $names = append $names (printf "*.%s.%s.svc.%s" . $ns $domain) -}}
{{- end -}}
{{- $names = append $names "localhost" -}}
{{- toJson $names -}}
{{- end -}}

{{/*
The release CA, as JSON:
  cert, key   the CA that signs server and client certificates now (base64 PEM)
  bundle      what clients must trust (base64 PEM): the signing CA, the next one once it is
              published, the previous one until it expires
  next        {cert, key, published}: the CA that signs from the first upgrade caOverlapDays after
              it was published (absent outside a rollover)
  previous    the CA that signed before the last rollover (absent when none, or expired)
  notAfter    the signing CA's expiry (RFC 3339)
Looked up from the CA Secret and advanced one step per render, so every `helm upgrade` moves a
rollover on by itself:
  1. the signing CA expires within caRenewBeforeDays: a next CA is made and published beside it;
  2. caOverlapDays later (time for every client to load the bundle), the next CA signs, and every
     server certificate is reissued by it; the old CA stays in the bundle until it expires;
  3. an expired previous CA leaves the bundle.
A new value of global.tls.generate.rotateCA (recorded on the CA Secret) starts step 1 at once.
A CA that expires within renewBeforeDays with no next CA (no upgrade ran during the window) is
replaced at once: its certificates could not be renewed under it.
Remembered in .Release, the one map every template of every subchart shares during a render, so
PostgreSQL and Redis certificates are signed by the same CA.
Usage: {{ $ca := include "common.tls.ca" $ | fromJson }}
*/}}
{{- define "common.tls.ca" -}}
{{- if not (hasKey .Release "datastoresCA") -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "common.names.caSecret" .) | default dict -}}
{{- $data := dig "data" dict $secret -}}
{{- $gen := include "common.tls.generateSettings" . | fromJson -}}
{{- $day := 86400 -}}
{{- $now := now | unixEpoch | atoi -}}
{{- $cur := dict "cert" (get $data "tls.crt") "key" (get $data "tls.key") -}}
{{- $next := dict -}}
{{- $previous := "" -}}
{{- if not (and $cur.cert $cur.key) -}}
{{- $cur = include "common.tls.newCA" . | fromJson -}}
{{- else -}}
{{- if and (get $data "next.crt") (get $data "next.key") -}}
{{- $next = dict "cert" (get $data "next.crt") "key" (get $data "next.key") "published" (dig "metadata" "annotations" "datastores.io/ca-next-published" "" $secret) -}}
{{- end -}}
{{- $previous = get $data "previous.crt" | default "" -}}
{{- $left := include "common.tls.secondsLeft" $cur.cert | atoi -}}
{{- $asked := and $gen.rotateCA (ne (toString $gen.rotateCA) (dig "metadata" "annotations" "datastores.io/ca-rotate" "" $secret)) -}}
{{- if and (not $next) (or $asked (lt $left (mul $gen.caRenewBeforeDays $day))) -}}
{{- $next = include "common.tls.newCA" . | fromJson -}}
{{- $_ := set $next "published" (dateInZone "2006-01-02T15:04:05Z07:00" now "UTC") -}}
{{- end -}}
{{- if $next -}}
{{- $published := toDate "2006-01-02T15:04:05Z07:00" $next.published | unixEpoch | atoi -}}
{{- if or (ge (sub $now $published) (mul $gen.caOverlapDays $day)) (lt $left (mul $gen.renewBeforeDays $day)) -}}
{{- $previous = $cur.cert -}}
{{- $cur = dict "cert" $next.cert "key" $next.key -}}
{{- $next = dict -}}
{{- end -}}
{{- end -}}
{{- if and $previous (le (include "common.tls.secondsLeft" $previous | atoi) 0) -}}
{{- $previous = "" -}}
{{- end -}}
{{- end -}}
{{- $bundle := b64dec $cur.cert -}}
{{- with $next.cert }}{{ $bundle = printf "%s%s" $bundle (b64dec .) }}{{ end -}}
{{- with $previous }}{{ $bundle = printf "%s%s" $bundle (b64dec .) }}{{ end -}}
{{- $ca := dict "cert" $cur.cert "key" $cur.key "bundle" (b64enc $bundle) "notAfter" (include "common.tls.notAfter" $cur.cert) "rotate" (toString ($gen.rotateCA | default "")) -}}
{{- with $next }}{{ $_ := set $ca "next" . }}{{ end -}}
{{- with $previous }}{{ $_ := set $ca "previous" . }}{{ end -}}
{{- $_ := set .Release "datastoresCA" $ca -}}
{{- end -}}
{{- toJson .Release.datastoresCA -}}
{{- end -}}

{{/*
A new release CA as JSON {cert, key} (base64 PEM). Its name carries the day it was made, so the
CAs of a rollover, both in the bundle, are told apart by name as well as by key identifier.
*/}}
{{- define "common.tls.newCA" -}}
{{- $gen := include "common.tls.generateSettings" . | fromJson -}}
{{- $cn := printf "datastores CA %s %s/%s" (dateInZone "2006-01-02" now "UTC") .Release.Namespace .Release.Name | trunc 64 -}}
{{- $ca := dict -}}
{{- if eq $gen.keyAlgorithm "rsa" -}}
{{- $ca = genCA $cn (int $gen.caValidityDays) -}}
{{- else -}}
{{- $ca = genCAWithKey $cn (int $gen.caValidityDays) (genPrivateKey "ecdsa") -}}
{{- end -}}
{{- toJson (dict "cert" ($ca.Cert | b64enc) "key" ($ca.Key | b64enc)) -}}
{{- end -}}

{{/*
global.tls.generate with its defaults, as JSON (the umbrella chart's values.yaml holds the same
defaults; a subchart installed alone has none).
*/}}
{{- define "common.tls.generateSettings" -}}
{{- $gen := dig "tls" "generate" dict (.Values.global | default dict) -}}
{{- $out := dict "keyAlgorithm" "ecdsa" "caValidityDays" 3650 "certificateValidityDays" 825 "renewBeforeDays" 30 "caRenewBeforeDays" 365 "caOverlapDays" 30 "rotateCA" "" -}}
{{- range $k, $v := $gen -}}
{{- if not (kindIs "invalid" $v) }}{{ $_ := set $out $k $v }}{{ end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The expiry (notAfter, RFC 3339 in UTC) of the first certificate in a base64 PEM, as Secrets hold
it; empty when there is none. Read from the certificate itself: in DER, the validity is a SEQUENCE
of two times, UTCTime (tag 0x17, 13 bytes) or GeneralizedTime (tag 0x18, 15 bytes), a byte
pattern nothing before it in a certificate matches.
*/}}
{{- define "common.tls.notAfter" -}}
{{- $pem := b64dec (toString .) -}}
{{- $body := regexFind "-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----" $pem | replace "-----BEGIN CERTIFICATE-----" "" | replace "-----END CERTIFICATE-----" "" | nospace -}}
{{- $v := regexFind "\\x17\\x0d[0-9]{12}Z\\x17\\x0d[0-9]{12}Z|\\x17\\x0d[0-9]{12}Z\\x18\\x0f[0-9]{14}Z|\\x18\\x0f[0-9]{14}Z\\x18\\x0f[0-9]{14}Z" (b64dec $body) -}}
{{- if $v -}}
{{- $end := regexReplaceAll "^.*Z[\\x17\\x18].(.*)Z$" $v "${1}" -}}
{{- if eq (len $end) 12 -}}
{{- $end = printf "%s%s" (ternary "19" "20" (ge (atoi (substr 0 2 $end)) 50)) $end -}}
{{- end -}}
{{- printf "%s-%s-%sT%s:%s:%sZ" (substr 0 4 $end) (substr 4 6 $end) (substr 6 8 $end) (substr 8 10 $end) (substr 10 12 $end) (substr 12 14 $end) -}}
{{- end -}}
{{- end -}}

{{/*
Seconds from now until the first certificate of a base64 PEM expires; negative once it has, and
for something that is not a certificate.
*/}}
{{- define "common.tls.secondsLeft" -}}
{{- include "common.tls.secondsUntil" (include "common.tls.notAfter" .) -}}
{{- end -}}

{{/* Seconds from now until an RFC 3339 time; -1 for an empty one. */}}
{{- define "common.tls.secondsUntil" -}}
{{- with . -}}
{{- sub (toDate "2006-01-02T15:04:05Z07:00" . | unixEpoch | atoi) (now | unixEpoch | atoi) -}}
{{- else -}}
-1
{{- end -}}
{{- end -}}

{{/*
A certificate signed by the release CA, as JSON {"tls.crt", "tls.key", "ca.crt"} (base64),
"notAfter" (RFC 3339) and "signer" (the signing CA's fingerprint), for the Secret .secret. The
Secret in the cluster is reused when it was issued for the same names (annotation
datastores.io/tls-names) by the CA that signs now (annotation datastores.io/tls-ca) and its
certificate expires more than global.tls.generate.renewBeforeDays from now; its ca.crt always
becomes the current bundle. So upgrades keep certificates, while a new Service name, a new CA or a
certificate near its end gets a new one. A certificate never outlives the CA that signs it. The
result is remembered for the render, so the Secret and the pod's checksum annotation agree.
Usage: {{ include "common.tls.signedCertificate" (dict "context" $ "secret" $name "commonName" $cn "dnsNames" $dns "ipAddresses" (list "127.0.0.1")) | fromJson }}
*/}}
{{- define "common.tls.signedCertificate" -}}
{{- if not (hasKey .context.Release "datastoresTLS") -}}
{{- $_ := set .context.Release "datastoresTLS" dict -}}
{{- end -}}
{{- $memo := .context.Release.datastoresTLS -}}
{{- if not (hasKey $memo .secret) -}}
{{- $sum := include "common.tls.namesChecksum" . -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace .secret | default dict -}}
{{- $data := dig "data" dict $existing -}}
{{- $annotations := dig "metadata" "annotations" dict $existing -}}
{{- $ca := include "common.tls.ca" .context | fromJson -}}
{{- $signer := $ca.cert | sha256sum | trunc 16 -}}
{{- $gen := include "common.tls.generateSettings" .context | fromJson -}}
{{- $left := include "common.tls.secondsLeft" (get $data "tls.crt") | atoi -}}
{{- if and (eq (get $annotations "datastores.io/tls-names") $sum) (eq (get $annotations "datastores.io/tls-ca") $signer) (get $data "tls.key") (gt $left (mul $gen.renewBeforeDays 86400)) -}}
{{- $_ := set $memo .secret (dict "tls.crt" (get $data "tls.crt") "tls.key" (get $data "tls.key") "ca.crt" $ca.bundle "notAfter" (include "common.tls.notAfter" (get $data "tls.crt")) "signer" $signer) -}}
{{- else -}}
{{- $issuer := buildCustomCert $ca.cert $ca.key -}}
{{- /* At most the CA's remaining life: a certificate valid after its CA is not. */ -}}
{{- $days := min (int $gen.certificateValidityDays) (div (include "common.tls.secondsLeft" $ca.cert | atoi) 86400) | int -}}
{{- $cert := dict -}}
{{- if eq $gen.keyAlgorithm "rsa" -}}
{{- $cert = genSignedCert .commonName (.ipAddresses | default list) (.dnsNames | default list) $days $issuer -}}
{{- else -}}
{{- $cert = genSignedCertWithKey .commonName (.ipAddresses | default list) (.dnsNames | default list) $days $issuer (genPrivateKey "ecdsa") -}}
{{- end -}}
{{- $crt := $cert.Cert | b64enc -}}
{{- $_ := set $memo .secret (dict "tls.crt" $crt "tls.key" ($cert.Key | b64enc) "ca.crt" $ca.bundle "notAfter" (include "common.tls.notAfter" $crt) "signer" $signer) -}}
{{- end -}}
{{- end -}}
{{- toJson (get $memo .secret) -}}
{{- end -}}

{{/*
The checksum of what a certificate was issued for; stored on generated Secrets.
*/}}
{{- define "common.tls.namesChecksum" -}}
{{- list .commonName (.dnsNames | default list) (.ipAddresses | default list) | toJson | sha256sum | trunc 16 -}}
{{- end -}}

{{/*
A cert-manager Certificate for one server (or one client, when .usages says "client auth").
Usage: {{ include "common.tls.certManagerCertificate" (dict "context" $ "name" $n "secret" $s "commonName" $cn "dnsNames" $dns "ipAddresses" $ips "certManager" $tls.certManager "labels" $labels "usages" (list "server auth")) }}
*/}}
{{- define "common.tls.certManagerCertificate" -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ .name | quote }}
  namespace: {{ .context.Release.Namespace | quote }}
  labels:
{{ .labels | indent 4 }}
spec:
  secretName: {{ .secret | quote }}
  {{- /* Server certificates carry their names as SANs only, as cert-manager recommends (a common
  name is limited to 64 bytes and ignored by clients that verify SANs); client certificates keep the
  user as common name, which PostgreSQL's cert authentication matches. */}}
  {{- if has "client auth" .usages | and (not (has "server auth" .usages)) }}
  commonName: {{ .commonName | quote }}
  {{- end }}
  {{- with .dnsNames }}
  dnsNames:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .ipAddresses }}
  ipAddresses:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  duration: {{ .certManager.duration | quote }}
  renewBefore: {{ .certManager.renewBefore | quote }}
  privateKey:
    algorithm: {{ ternary "RSA" "ECDSA" (eq .certManager.keyAlgorithm "rsa") }}
    size: {{ ternary 2048 256 (eq .certManager.keyAlgorithm "rsa") }}
    rotationPolicy: {{ .certManager.privateKeyRotationPolicy | default "Always" | quote }}
  usages:
    - digital signature
    - key encipherment
    {{- range .usages }}
    - {{ . }}
    {{- end }}
  issuerRef:
    name: {{ .certManager.issuerRef.name | quote }}
    kind: {{ .certManager.issuerRef.kind | default "Issuer" | quote }}
    group: {{ .certManager.issuerRef.group | default "cert-manager.io" | quote }}
{{- end -}}

{{/*
A checksum of the TLS material a pod mounts, for the pod annotation that rolls the pod when the
certificate changes. For Secrets the chart does not write, the cluster's copy is hashed when it
can be read.
Usage: {{ include "common.tls.checksum" (dict "context" $ "secret" $name "data" $dataOrNil) }}
*/}}
{{- define "common.tls.checksum" -}}
{{- if .data -}}
{{- toJson .data | sha256sum -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace .secret | default dict -}}
{{- toJson (dig "data" dict $existing) | sha256sum -}}
{{- end -}}
{{- end -}}

{{/*
A server, as the TLS helpers below see it: a dict with
  name            the value of the datastores.io/instance label ("auth", "redis")
  fullname        its object prefix; Services <fullname> and <headlessService>
  headlessService
  tls             its tls values block (source, clientCertificates, existingSecret, certManager)
  tlsSecret       the Secret its pod mounts
  clientTlsSecret the Secret of the client certificate the chart issues with tls.clientCertificates
  clientName      the client certificate's CN (the PostgreSQL user; for Redis, the ACL user)
  adminClientTlsSecret, adminClientName
                  optional: a second client certificate, for the chart's own jobs (PostgreSQL's
                  superuser, whom the maintenance Job logs in as)
  serverUsages    extended key usages of the server certificate
  component       the app.kubernetes.io/component label
*/}}

{{/*
The certificates a server needs from the chart (generate or certManager): the server's, for the
names of its Services, and with tls.clientCertificates a client certificate.
Usage: {{ include "common.tls.certificates" (dict "context" $ "server" $s) | fromJsonArray }}
*/}}
{{- define "common.tls.certificates" -}}
{{- $s := .server -}}
{{- $ns := .context.Release.Namespace -}}
{{- $dns := include "common.tls.dnsNames" (dict "context" .context "services" (list $s.fullname $s.headlessService) "headless" $s.headlessService) | fromJsonArray -}}
{{- $cn := printf "%s.%s.svc.%s" $s.fullname $ns (include "common.names.clusterDomain" .context) -}}
{{- if gt (len (printf "*.%s.%s.svc.%s" $s.headlessService $ns (include "common.names.clusterDomain" .context))) 253 -}}
{{- fail (printf "global.clusterDomain %q: the server's DNS names in namespace %q would be over 253 characters; use a shorter cluster domain or namespace" (include "common.names.clusterDomain" .context) $ns) -}}
{{- end -}}
{{- /* X.509 allows a common name of 64 characters at most (cert-manager refuses longer ones);
clients verify the DNS names, so the Service's short name serves when the full one is too long. */ -}}
{{- if gt (len $cn) 64 -}}
{{- $cn = $s.fullname -}}
{{- end -}}
{{- $certs := list (dict "secret" $s.tlsSecret "commonName" $cn "dnsNames" $dns "ipAddresses" (list "127.0.0.1" "::1") "usages" $s.serverUsages) -}}
{{- if $s.tls.clientCertificates -}}
{{- $certs = append $certs (dict "secret" $s.clientTlsSecret "commonName" $s.clientName "dnsNames" list "ipAddresses" list "usages" (list "client auth")) -}}
{{- /* The chart's own client, where it has one (PostgreSQL's maintenance Job, as the superuser). */ -}}
{{- with $s.adminClientTlsSecret -}}
{{- $certs = append $certs (dict "secret" . "commonName" $s.adminClientName "dnsNames" list "ipAddresses" list "usages" (list "client auth")) -}}
{{- end -}}
{{- end -}}
{{- toJson $certs -}}
{{- end -}}

{{/*
The objects that give a server its certificates: Secrets signed by the release CA (generate), or
cert-manager Certificates (certManager); nothing for existingSecret.
Usage: {{ include "common.tls.objects" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.tls.objects" -}}
{{- $s := .server -}}
{{- $labels := include "common.labels.standard" (dict "context" .context "instance" $s.name "component" $s.component) -}}
{{- range $cert := include "common.tls.certificates" . | fromJsonArray -}}
{{- if eq $s.tls.source "generate" }}
{{- $data := include "common.tls.signedCertificate" (dict "context" $.context "secret" $cert.secret "commonName" $cert.commonName "dnsNames" $cert.dnsNames "ipAddresses" $cert.ipAddresses) | fromJson }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $cert.secret | quote }}
  namespace: {{ $.context.Release.Namespace | quote }}
  labels:
    {{- $labels | nindent 4 }}
  annotations:
    datastores.io/tls-names: {{ include "common.tls.namesChecksum" $cert | quote }}
    datastores.io/tls-ca: {{ get $data "signer" | quote }}
    datastores.io/tls-not-after: {{ get $data "notAfter" | quote }}
type: kubernetes.io/tls
data:
  tls.crt: {{ get $data "tls.crt" }}
  tls.key: {{ get $data "tls.key" }}
  ca.crt: {{ get $data "ca.crt" }}
{{- else if eq $s.tls.source "certManager" }}
---
{{ include "common.tls.certManagerCertificate" (dict "context" $.context "name" $cert.secret "secret" $cert.secret "commonName" $cert.commonName "dnsNames" $cert.dnsNames "ipAddresses" $cert.ipAddresses "certManager" $s.tls.certManager "usages" $cert.usages "labels" $labels) }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The pod annotation value that changes when the server's certificate does.
Usage: checksum/tls: {{ include "common.tls.podChecksum" (dict "context" $ "server" $s) }}
*/}}
{{- define "common.tls.podChecksum" -}}
{{- $s := .server -}}
{{- $data := dict -}}
{{- if eq $s.tls.source "generate" -}}
{{- $cert := first (include "common.tls.certificates" . | fromJsonArray) -}}
{{- $data = include "common.tls.signedCertificate" (dict "context" .context "secret" $cert.secret "commonName" $cert.commonName "dnsNames" $cert.dnsNames "ipAddresses" $cert.ipAddresses) | fromJson -}}
{{- end -}}
{{- include "common.tls.checksum" (dict "context" .context "secret" $s.tlsSecret "data" $data) -}}
{{- end -}}

{{/* Where the TLS init container reads the Secret and writes the server's copy. */}}
{{- define "common.tls.paths" -}}
scripts: /opt/datastores
secret: /tls-secret
dir: /tls
{{- end -}}

{{/*
The init container that gives the server its certificate, and the tls-reloader sidecar that gives
it every renewed one (see common.scripts.prepareTLS); the pod must mount the chart's ConfigMap,
holding prepare-tls.sh (and, for the sidecar, the datastore's reload-tls.sh), as volume "scripts".
The sidecar also gets .mounts, the volumes its reload command needs (credentials, the socket).
Usage: {{ include "common.tls.initContainer" (dict "server" $s "image" $image "pullPolicy" $pp "securityContext" $sc) | nindent 8 }}
       {{ include "common.tls.reloader" (dict "server" $s "image" $image "pullPolicy" $pp "securityContext" $sc "mounts" $yaml) | nindent 8 }}
*/}}
{{- define "common.tls.initContainer" -}}
{{- include "common.tls.container" (merge (dict "watch" false) .) -}}
{{- end -}}

{{- define "common.tls.reloader" -}}
{{- if .server.tls.reload.enabled -}}
{{- include "common.tls.container" (merge (dict "watch" true) .) -}}
{{- end -}}
{{- end -}}

{{- define "common.tls.container" -}}
{{- $p := include "common.tls.paths" . | fromYaml -}}
{{- $tls := .server.tls -}}
{{- $own := eq $tls.source "existingSecret" -}}
- name: {{ ternary "tls-reloader" "prepare-tls" .watch }}
  image: {{ .image | quote }}
  imagePullPolicy: {{ .pullPolicy | quote }}
  command: {{ ternary (list "/bin/sh" (printf "%s/prepare-tls.sh" $p.scripts) "watch") (list "/bin/sh" (printf "%s/prepare-tls.sh" $p.scripts)) .watch | toJson }}
  env:
    - name: TLS_SOURCE_DIR
      value: {{ $p.secret | quote }}
    - name: TLS_DIR
      value: {{ $p.dir | quote }}
    - name: TLS_SECRET_NAME
      value: {{ .server.tlsSecret | quote }}
    - name: TLS_CERT_KEY
      value: {{ ternary $tls.existingSecret.keys.certificate "tls.crt" $own | quote }}
    - name: TLS_KEY_KEY
      value: {{ ternary $tls.existingSecret.keys.privateKey "tls.key" $own | quote }}
    - name: TLS_CA_KEY
      value: {{ ternary $tls.existingSecret.keys.ca "ca.crt" $own | quote }}
    {{- if .watch }}
    - name: TLS_RELOAD_SECONDS
      value: {{ int $tls.reload.intervalSeconds | quote }}
    - name: TLS_RELOAD_COMMAND
      value: {{ printf "%s/reload-tls.sh" $p.scripts | quote }}
    {{- end }}
  securityContext:
    {{- include "common.security.containerSecurityContext" .securityContext | nindent 4 }}
  resources:
    requests:
      cpu: {{ ternary "5m" "10m" .watch }}
      memory: 16Mi
    limits:
      memory: 64Mi
  volumeMounts:
    - name: scripts
      mountPath: {{ $p.scripts }}
      readOnly: true
    - name: tls-secret
      mountPath: {{ $p.secret }}
      readOnly: true
    - name: tls
      mountPath: {{ $p.dir }}
    {{- with .mounts }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/*
The pod volumes of the TLS hand-over: the Secret as Kubernetes mounts it (group-readable through
fsGroup, not chmod-able; only the init container and the tls-reloader read it) and the in-memory
emptyDir the server reads, where the key is 0600 and never touches a disk.
Usage: {{ include "common.tls.volumes" $s | nindent 8 }}
*/}}
{{- define "common.tls.volumes" -}}
- name: tls-secret
  secret:
    secretName: {{ .tlsSecret | quote }}
    defaultMode: 0440
- name: tls
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
{{- end -}}
