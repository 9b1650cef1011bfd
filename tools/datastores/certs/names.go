// Package certs issues the TLS Secrets a values file's servers need, for installs where the
// chart cannot look up what it generated before (`helm template` piped to kubectl, Argo CD,
// Flux): one CA, one certificate per server with the same names the chart gives it (see
// charts/datastores/charts/common/templates/_tls.tpl, common.tls.certificates), as
// kubernetes.io/tls Secrets named as the chart names them, for tls.source: existingSecret.
// Renew re-issues the server certificates from the same CA, so clients keep trusting them.
package certs

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Server is one server of a values file and the certificate it needs.
type Server struct {
	// Fullname is the prefix of its objects ("<release>-postgres-<instance>", "<release>-redis").
	Fullname string
	// Secret is its TLS Secret: tls.existingSecret.name when the values file sets it, else the
	// chart's own name, "<fullname>-tls".
	Secret string
	// Value is where the values file names that Secret, for the install's --set.
	Value       string
	CommonName  string
	DNSNames    []string
	IPAddresses []net.IP
}

// Servers lists the PostgreSQL instances and the Redis server a values file deploys (external
// servers have no certificate of the chart's) with the names the chart puts in their
// certificates: both Services (<fullname>, <fullname>-hl) in every form, the headless Service's
// pods, localhost, 127.0.0.1 and ::1.
func Servers(values []byte, release, namespace string) ([]Server, error) {
	var v map[string]any
	if err := yaml.Unmarshal(values, &v); err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	domain := str(dig(v, "global", "clusterDomain"), "cluster.local")
	var out []Server
	if b, ok := dig(v, "postgres", "enabled").(bool); !ok || b {
		prefix := fullname(release, "postgres", str(dig(v, "postgres", "nameOverride"), ""), str(dig(v, "postgres", "fullnameOverride"), ""))
		instances, _ := dig(v, "postgres", "instances").(map[string]any)
		names := make([]string, 0, len(instances))
		for n := range instances {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			path := "postgres.instances." + n + ".tls.existingSecret.name"
			secret := str(dig(instances, n, "tls", "existingSecret", "name"), "")
			out = append(out, server(prefix+"-"+n, secret, path, namespace, domain))
		}
	}
	if b, _ := dig(v, "redis", "enabled").(bool); b {
		if ext, _ := dig(v, "redis", "external", "enabled").(bool); !ext {
			full := fullname(release, "redis", str(dig(v, "redis", "nameOverride"), ""), str(dig(v, "redis", "fullnameOverride"), ""))
			out = append(out, server(full, str(dig(v, "redis", "tls", "existingSecret", "name"), ""), "redis.tls.existingSecret.name", namespace, domain))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the values deploy no server: no postgres.instances, and redis is not enabled")
	}
	return out, nil
}

func server(full, secret, value, ns, domain string) Server {
	if secret == "" {
		secret = full + "-tls"
	}
	headless := full + "-hl"
	var dns []string
	for _, svc := range []string{full, headless} {
		dns = append(dns, svc, svc+"."+ns, svc+"."+ns+".svc", svc+"."+ns+".svc."+domain)
	}
	dns = append(dns, "*."+headless+"."+ns+".svc."+domain, "localhost")
	cn := full + "." + ns + ".svc." + domain
	if len(cn) > 64 { // X.509's limit; clients verify the DNS names anyway
		cn = full
	}
	return Server{Fullname: full, Secret: secret, Value: value, CommonName: cn, DNSNames: dns,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}}
}

// fullname is common.names.fullname: fullnameOverride, else the release name when it contains
// the chart's name, else "<release>-<chart>", at most 63 characters.
func fullname(release, chart, nameOverride, fullnameOverride string) string {
	trunc := func(s string) string {
		if len(s) > 63 {
			s = s[:63]
		}
		return strings.TrimSuffix(s, "-")
	}
	if fullnameOverride != "" {
		return trunc(fullnameOverride)
	}
	name := chart
	if nameOverride != "" {
		name = nameOverride
	}
	if strings.Contains(release, name) {
		return trunc(release)
	}
	return trunc(release + "-" + name)
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(v any, def string) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return def
}
