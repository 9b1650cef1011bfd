// Package invariants checks the promises every render of the chart keeps, whatever the values:
// on the parsed postgresql.conf, pg_hba.conf, redis.conf and ACL lines (not by grepping), on the
// generated certificates, and on where secrets may appear. The API server's validation of each
// object is the chart harness's own job (RenderE); this is what no API server checks.
package invariants

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
)

// Check returns every broken promise of a render, or nil.
func Check(rel *chart.Release) error {
	var errs []error
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		if conf, ok := cm.Data["postgresql.conf"]; ok {
			errs = append(errs, prefix("ConfigMap "+cm.Name+" postgresql.conf", postgresConf(conf)))
			errs = append(errs, prefix("ConfigMap "+cm.Name+" pg_hba.conf", hba(cm.Data["pg_hba.conf"])))
		}
		if conf, ok := cm.Data["redis.conf"]; ok {
			errs = append(errs, prefix("ConfigMap "+cm.Name+" redis.conf", redisConf(conf)))
			errs = append(errs, prefix("ConfigMap "+cm.Name+" start-redis.sh", aclLines(cm.Data["start-redis.sh"])))
		}
	}
	for _, sts := range chart.All[*appsv1.StatefulSet](rel) {
		errs = append(errs, prefix("StatefulSet "+sts.Name, passwordKeys(rel, sts)))
	}
	errs = append(errs, certificates(rel), secretsStaySecret(rel), mountsExist(rel))
	return errors.Join(errs...)
}

func prefix(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// postgresConf: the file parses, every setting appears once, and the settings that make the
// server TLS-only, reachable and SCRAM-only have the chart's values.
func postgresConf(text string) error {
	settings, err := ParsePostgresConf(text)
	if err != nil {
		return err
	}
	got := map[string]string{}
	var errs []error
	for _, s := range settings {
		if _, dup := got[s.Name]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s is set twice (the later one wins)", s.Line, s.Name))
		}
		if strings.HasPrefix(s.Name, "include") {
			errs = append(errs, fmt.Errorf("line %d: %s reads another file", s.Line, s.Name))
		}
		got[s.Name] = s.Value
	}
	want := map[string]string{
		"ssl": "on", "listen_addresses": "*", "password_encryption": "scram-sha-256",
		"hba_file": "/etc/postgresql/pg_hba.conf", "ssl_cert_file": "/tls/tls.crt",
		"ssl_key_file": "/tls/tls.key", "ssl_ca_file": "/tls/ca.crt", "ssl_prefer_server_ciphers": "on",
	}
	for name, value := range want {
		if got[name] != value {
			errs = append(errs, fmt.Errorf("%s is %q, want %q", name, got[name], value))
		}
	}
	versions := []string{"TLSv1.2", "TLSv1.3"}
	min := slices.Index(versions, got["ssl_min_protocol_version"])
	if min < 0 {
		errs = append(errs, fmt.Errorf("ssl_min_protocol_version is %q", got["ssl_min_protocol_version"]))
	}
	if max, ok := got["ssl_max_protocol_version"]; ok && max != "" && slices.Index(versions, max) < min {
		errs = append(errs, fmt.Errorf("ssl_max_protocol_version %q is below the minimum", max))
	}
	if c, ok := got["ssl_ciphers"]; ok {
		errs = append(errs, fmt.Errorf("ssl_ciphers is set (%q)", c))
	}
	return errors.Join(errs...)
}

// hba: plaintext TCP is rejected before any other TCP rule, every TCP rule is hostssl with a
// password, a certificate or a rejection, and the socket needs a password too.
func hba(text string) error {
	rules, err := ParseHba(text)
	if err != nil {
		return err
	}
	var errs []error
	sawTLS := false
	rejected := map[string]bool{}
	for _, r := range rules {
		f := r.Fields
		switch f[0] {
		case "local":
			if len(f) != 4 || f[3] != "scram-sha-256" {
				errs = append(errs, fmt.Errorf("line %d: local rule %v is not scram-sha-256", r.Line, f))
			}
		case "hostnossl":
			if len(f) != 5 || f[4] != "reject" {
				errs = append(errs, fmt.Errorf("line %d: plaintext rule %v does not reject", r.Line, f))
			}
			if !sawTLS {
				rejected[f[3]] = true
			}
		case "hostssl":
			sawTLS = true
			if len(f) < 5 || !slices.Contains([]string{"scram-sha-256", "cert", "reject"}, f[4]) {
				errs = append(errs, fmt.Errorf("line %d: TLS rule %v has a method other than scram-sha-256, cert or reject", r.Line, f))
			}
			for _, opt := range f[min(5, len(f)):] {
				if opt != "clientcert=verify-full" {
					errs = append(errs, fmt.Errorf("line %d: option %q", r.Line, opt))
				}
			}
		default:
			errs = append(errs, fmt.Errorf("line %d: rule type %q", r.Line, f[0]))
		}
	}
	if !rejected["0.0.0.0/0"] || !rejected["::/0"] {
		errs = append(errs, fmt.Errorf("plaintext TCP is not rejected for IPv4 and IPv6 before the TLS rules"))
	}
	return errors.Join(errs...)
}

// redisConf: the plaintext port is closed, TLS 1.2+ only, no other listener than the in-memory
// socket only the server's uid opens (the tls-reloader's), no replication source, no file of
// directives, each directive once.
func redisConf(text string) error {
	lines, err := ParseRedisConf(text)
	if err != nil {
		return err
	}
	var errs []error
	got := map[string][]string{}
	for _, args := range lines {
		name := args[0]
		if _, dup := got[name]; dup {
			errs = append(errs, fmt.Errorf("%s appears twice (the later one wins)", name))
		}
		got[name] = args[1:]
	}
	want := map[string]string{"port": "0", "protected-mode": "yes", "tls-replication": "yes",
		"tls-cert-file": "/tls/tls.crt", "tls-key-file": "/tls/tls.key", "tls-ca-cert-file": "/tls/ca.crt",
		"aclfile": "/run/redis/users.acl", "appendonly": "yes", "dir": "/data"}
	if _, ok := got["unixsocket"]; ok {
		want["unixsocket"], want["unixsocketperm"] = "/run/redis/redis.sock", "700"
	}
	for name, value := range want {
		if strings.Join(got[name], " ") != value {
			errs = append(errs, fmt.Errorf("%s is %q, want %q", name, strings.Join(got[name], " "), value))
		}
	}
	if len(got["tls-port"]) != 1 || got["tls-port"][0] == "0" {
		errs = append(errs, fmt.Errorf("tls-port is %v", got["tls-port"]))
	}
	protocols := strings.Fields(strings.Join(got["tls-protocols"], " "))
	if len(protocols) == 0 {
		errs = append(errs, fmt.Errorf("tls-protocols is not set"))
	}
	for _, p := range protocols {
		if p != "TLSv1.2" && p != "TLSv1.3" {
			errs = append(errs, fmt.Errorf("tls-protocols accepts %q", p))
		}
	}
	if a := strings.Join(got["tls-auth-clients"], " "); !slices.Contains([]string{"no", "optional", "yes"}, a) {
		errs = append(errs, fmt.Errorf("tls-auth-clients is %q", a))
	}
	for _, forbidden := range []string{"include", "requirepass", "replicaof", "slaveof",
		"tls-ciphers", "tls-ciphersuites", "loadmodule", "enable-protected-configs", "enable-debug-command",
		"enable-module-command", "rename-command", "user", "masterauth"} {
		if _, ok := got[forbidden]; ok {
			errs = append(errs, fmt.Errorf("%s is set", forbidden))
		}
	}
	if v, ok := got["cluster-enabled"]; ok && strings.EqualFold(strings.Join(v, ""), "yes") {
		errs = append(errs, fmt.Errorf("cluster-enabled yes opens a plaintext cluster bus"))
	}
	return errors.Join(errs...)
}

var (
	aclLine = regexp.MustCompile(`^\s*echo "user (\S+) (on|off)( .*)?"$`)
	hashArg = regexp.MustCompile(`#\$\(hash /run/secrets/redis(-users/[a-z][a-z0-9_-]*)?/password\)`)
	// The tls-reloader's user: a password made at start inside the pod, CONFIG SET only.
	reloadUser = `echo "user datastores-reload on #$(hash /run/redis/reload.password) -@all +config|set"`
)

// aclLines: each user line the start script writes has a password hash from a Secret file and
// no rule that removes it, allows no password, or runs a shell expansion; Redis reads rules
// case-insensitively, so the comparison is too.
func aclLines(script string) error {
	var errs []error
	users := 0
	for _, line := range strings.Split(script, "\n") {
		if !strings.Contains(line, `echo "user `) {
			continue
		}
		users++
		if strings.Contains(line, `echo "user datastores-reload `) {
			if strings.TrimSpace(line) != reloadUser {
				errs = append(errs, fmt.Errorf("ACL line %q: the reload user has the run's own password and CONFIG SET only", line))
			}
			continue
		}
		m := aclLine.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, fmt.Errorf("ACL line %q is not one user with its rules", line))
			continue
		}
		if m[2] == "off" {
			if strings.TrimSpace(m[3]) != "" {
				errs = append(errs, fmt.Errorf("ACL user %s is off but has rules %q", m[1], m[3]))
			}
			continue
		}
		hashes := len(hashArg.FindAllString(m[3], -1))
		for _, rule := range strings.Fields(hashArg.ReplaceAllString(m[3], "")) {
			lower := strings.ToLower(rule)
			switch {
			case slices.Contains([]string{"nopass", "resetpass", "on", "off", "reset"}, lower),
				strings.ContainsAny(rule[:1], "<>#!"), strings.ContainsAny(rule, "$`\\\""):
				errs = append(errs, fmt.Errorf("ACL user %s: rule %q", m[1], rule))
			}
		}
		if hashes != 1 {
			errs = append(errs, fmt.Errorf("ACL user %s has %d password hashes, want 1", m[1], hashes))
		}
	}
	if users == 0 {
		errs = append(errs, fmt.Errorf("no ACL user"))
	}
	return errors.Join(errs...)
}

// passwordKeys: the two password files of a PostgreSQL pod come from different Secret keys, so
// the application user and the superuser never share a password, and the superuser's never
// comes from a Secret the chart fills with connection details (which applications mount).
func passwordKeys(rel *chart.Release, sts *appsv1.StatefulSet) error {
	type source struct{ secret, key string }
	var errs []error
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name != "credentials" {
			continue
		}
		paths := map[source]string{}
		add := func(secret string, items []corev1.KeyToPath) {
			for _, item := range items {
				src := source{secret, item.Key}
				if other, ok := paths[src]; ok {
					errs = append(errs, fmt.Errorf("key %q of Secret %s is both %s and %s", item.Key, secret, other, item.Path))
				}
				paths[src] = item.Path
				if item.Path != "postgres-password" {
					continue
				}
				if s, ok := chart.Find[*corev1.Secret](rel, secret); ok && len(s.Data["host"]) > 0 {
					errs = append(errs, fmt.Errorf("the superuser's password comes from Secret %s, the connection Secret applications mount", secret))
				}
			}
		}
		switch {
		case v.Secret != nil:
			add(v.Secret.SecretName, v.Secret.Items)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					add(src.Secret.Name, src.Secret.Items)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// certificates: every certificate the chart generates is valid now and for a day more, and only
// the release CA is a CA.
func certificates(rel *chart.Release) error {
	var errs []error
	now := time.Now()
	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Type != corev1.SecretTypeTLS {
			continue
		}
		c, err := certs.Parse(s.Data["tls.crt"])
		if err != nil {
			errs = append(errs, fmt.Errorf("Secret %s: %w", s.Name, err))
			continue
		}
		if now.Before(c.NotBefore) || now.Add(24*time.Hour).After(c.NotAfter) {
			errs = append(errs, fmt.Errorf("Secret %s: certificate valid %s to %s", s.Name, c.NotBefore, c.NotAfter))
		}
		if c.IsCA != strings.HasSuffix(s.Name, "-datastores-ca") {
			errs = append(errs, fmt.Errorf("Secret %s: IsCA is %v", s.Name, c.IsCA))
		}
	}
	return errors.Join(errs...)
}

// secretsStaySecret: no value of a rendered Secret appears in a ConfigMap, a container's
// command, args or env, or an annotation.
func secretsStaySecret(rel *chart.Release) error {
	var secrets []string
	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Type == corev1.SecretTypeTLS {
			if key, ok := s.Data["tls.key"]; ok {
				secrets = append(secrets, string(key))
			}
			continue
		}
		for k, v := range s.Data {
			if strings.Contains(strings.ToLower(k), "password") && len(v) > 0 {
				secrets = append(secrets, string(v))
			}
		}
	}
	var errs []error
	leak := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				errs = append(errs, fmt.Errorf("%s holds a secret value", where))
				return
			}
		}
	}
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		for k, v := range cm.Data {
			leak("ConfigMap "+cm.Name+" "+k, v)
		}
	}
	for _, p := range rel.PodTemplates() {
		for k, v := range p.Meta.Annotations {
			leak(p.Owner+" annotation "+k, v)
		}
		for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
			leak(p.Owner+" container "+c.Name+" command", strings.Join(append(append([]string{}, c.Command...), c.Args...), " "))
			for _, e := range c.Env {
				leak(p.Owner+" container "+c.Name+" env "+e.Name, e.Value)
			}
		}
	}
	return errors.Join(errs...)
}

// mountsExist: every key a pod mounts from a Secret or ConfigMap the chart renders is in it (a
// key YAML read as a boolean or a number would be renamed, and the pod could not start).
func mountsExist(rel *chart.Release) error {
	keys := map[string]map[string]bool{}
	for _, s := range chart.All[*corev1.Secret](rel) {
		keys["Secret/"+s.Name] = map[string]bool{}
		for k := range s.Data {
			keys["Secret/"+s.Name][k] = true
		}
	}
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		keys["ConfigMap/"+cm.Name] = map[string]bool{}
		for k := range cm.Data {
			keys["ConfigMap/"+cm.Name][k] = true
		}
	}
	var errs []error
	check := func(owner, source string, items []corev1.KeyToPath) {
		have, rendered := keys[source]
		if !rendered {
			return // made by the user or cert-manager
		}
		for _, item := range items {
			if !have[item.Key] {
				errs = append(errs, fmt.Errorf("%s mounts key %q of %s, which has no such key", owner, item.Key, source))
			}
		}
	}
	for _, p := range rel.PodTemplates() {
		for _, v := range p.Spec.Volumes {
			switch {
			case v.Secret != nil:
				check(p.Owner, "Secret/"+v.Secret.SecretName, v.Secret.Items)
			case v.ConfigMap != nil:
				check(p.Owner, "ConfigMap/"+v.ConfigMap.Name, v.ConfigMap.Items)
			case v.Projected != nil:
				for _, src := range v.Projected.Sources {
					if src.Secret != nil {
						check(p.Owner, "Secret/"+src.Secret.Name, src.Secret.Items)
					}
					if src.ConfigMap != nil {
						check(p.Owner, "ConfigMap/"+src.ConfigMap.Name, src.ConfigMap.Items)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}
