// Package discover finds the PostgreSQL and Redis servers in an inventory, whoever deployed them
// (this chart, Bitnami's charts, hand-written manifests), and gathers what the checks need about
// each: its effective settings (image defaults, configuration files from ConfigMaps, environment
// variables the image reads, the command line), pg_hba rules, passwords, certificate, data volume
// and the DNS names clients use.
//
// A server is a container that listens on a port and runs a PostgreSQL or Redis image (or
// declares the well-known port 5432 or 6379). Containers without ports (sidecars, jobs, helm
// test pods) are clients, not servers.
package discover

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/conf"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// Kind is the server's software.
type Kind string

const (
	Postgres Kind = "postgres"
	Redis    Kind = "redis"
)

// Server is one PostgreSQL or Redis server and what the audit knows of it.
type Server struct {
	Kind      Kind
	Workload  *inventory.Workload
	Container corev1.Container
	// Flavor is the image family whose defaults apply: "bitnami", "official" or "".
	Flavor string
	// Port is PostgreSQL's port, or Redis' TLS port (0: none). PlainPort is Redis' plaintext
	// port (0: closed).
	Port, PlainPort int
	Services        []corev1.Service
	// Names are the DNS names clients use: each Service's name, name.ns, name.ns.svc and
	// name.ns.svc.<cluster domain>.
	Names []string
	// Settings are the effective parameters; Sources says where they came from.
	Settings conf.Settings
	Sources  []string
	// HBA are PostgreSQL's pg_hba rules; nil when the manifests do not show them. HBASource
	// names the file (or the image default) they were read from.
	HBA       []conf.HBARule
	HBASource string
	// RedisUsers are the "user" directives of redis.conf; RedisAuth says how Redis asks for a
	// password ("requirepass", "aclfile", "user", "env"), empty when it does not.
	RedisUsers []string
	RedisAuth  string
	// Credentials are the passwords the manifests give the server (and its clients).
	Credentials []Credential
	// Exposed lists where a password is visible outside a Secret (argv, a ConfigMap, a literal
	// environment value).
	Exposed []string
	// TLS is the certificate material in the Secret the pod mounts, when it is in the inventory.
	TLS *TLSMaterial
	// DataPath is where the server keeps its data, Data what backs it.
	DataPath string
	Data     inventory.File
	// KeyFile is the private key's path in the pod.
	KeyFile string
}

// Target names the server in findings: "postgres <namespace>/<workload>".
func (s *Server) Target() string {
	return fmt.Sprintf("%s %s/%s", s.Kind, s.Workload.Namespace, s.Workload.Name)
}

// Credential is a password and whom it belongs to.
type Credential struct {
	User     string // empty when the manifests do not say
	Password string
	Source   string // e.g. `Secret "x" key "password"`
	Admin    bool   // the superuser (PostgreSQL) or the default user (Redis)
}

// TLSMaterial is a server certificate, its chain, and the CAs published beside it.
type TLSMaterial struct {
	Secret string
	Leaf   *x509.Certificate
	Chain  []*x509.Certificate // intermediates after the leaf
	CAs    []*x509.Certificate // ca.crt (every CA certificate in the Secret)
}

// Find returns every server in the inventory, in workload order.
func Find(inv *inventory.Inventory, clusterDomain string) []*Server {
	var out []*Server
	for i := range inv.Workloads {
		w := &inv.Workloads[i]
		for _, c := range w.Template.Spec.Containers {
			kind := kindOf(c)
			if kind == "" {
				continue
			}
			s := &Server{Kind: kind, Workload: w, Container: c, Flavor: flavor(c.Image), Settings: conf.Settings{}}
			if kind == Postgres {
				postgres(inv, s)
			} else {
				redis(inv, s)
			}
			s.Services = clientServices(inv.ServicesFor(w), c, s.clientPort())
			s.Names = dnsNames(s.Services, clusterDomain)
			s.TLS = tlsMaterial(inv, s)
			s.Data = inv.Lookup(w, &s.Container, s.DataPath)
			out = append(out, s)
			break // one server per pod: a second server container would be unusual and is not audited
		}
	}
	return out
}

// kindOf tells a server container from everything else.
func kindOf(c corev1.Container) Kind {
	if len(c.Ports) == 0 {
		return ""
	}
	name := path.Base(imageRepo(c.Image))
	for _, not := range []string{"exporter", "sentinel", "pgbouncer", "pgpool", "operator", "backup", "proxy"} {
		if strings.Contains(name, not) {
			return ""
		}
	}
	switch {
	case strings.Contains(name, "postgres") || strings.Contains(name, "postgis") || strings.Contains(name, "timescaledb"):
		return Postgres
	case strings.Contains(name, "redis") || strings.Contains(name, "valkey"):
		return Redis
	}
	for _, p := range c.Ports {
		switch {
		case p.ContainerPort == 5432 || strings.Contains(p.Name, "postgres"):
			return Postgres
		case p.ContainerPort == 6379 || strings.Contains(p.Name, "redis"):
			return Redis
		}
	}
	return ""
}

// imageRepo is an image reference without registry, tag and digest: "bitnami/postgresql".
func imageRepo(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	parts := strings.Split(image, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		parts = parts[1:]
	}
	return strings.ToLower(strings.Join(parts, "/"))
}

func flavor(image string) string {
	repo := imageRepo(image)
	switch {
	case strings.HasPrefix(repo, "bitnami/") || strings.Contains(repo, "/bitnami/"):
		return "bitnami"
	case repo == "postgres" || repo == "library/postgres" || repo == "redis" || repo == "library/redis":
		return "official"
	}
	return ""
}

// clientPort is the port clients of the server use: PostgreSQL's, Redis' TLS port, else its
// plaintext one.
func (s *Server) clientPort() int {
	for _, p := range []int{s.Port, s.PlainPort} {
		if p != 0 {
			return p
		}
	}
	return containerPort(s.Container, 0)
}

// clientServices keeps the Services that lead to the server's port: a Service for a metrics
// sidecar selects the same pod, but no database client uses its name.
func clientServices(services []corev1.Service, c corev1.Container, port int) []corev1.Service {
	var out []corev1.Service
	for _, svc := range services {
		for _, sp := range svc.Spec.Ports {
			target := sp.TargetPort.IntValue()
			if sp.TargetPort.String() == "" || sp.TargetPort.String() == "0" {
				target = int(sp.Port)
			}
			for _, cp := range c.Ports {
				if cp.Name != "" && cp.Name == sp.TargetPort.String() {
					target = int(cp.ContainerPort)
				}
			}
			if target == port {
				out = append(out, svc)
				break
			}
		}
	}
	return out
}

func dnsNames(services []corev1.Service, domain string) []string {
	var out []string
	for _, s := range services {
		out = append(out, s.Name, s.Name+"."+s.Namespace, s.Name+"."+s.Namespace+".svc", s.Name+"."+s.Namespace+".svc."+domain)
	}
	return out
}

// env is the container's environment as the audit can resolve it.
type env struct {
	inv *inventory.Inventory
	w   *inventory.Workload
	c   *corev1.Container
}

// value returns an environment variable's value and where it comes from; literal is true for a
// value written in the pod spec itself.
func (e env) value(name string) (value, source string, literal, ok bool) {
	for _, v := range e.c.Env {
		if v.Name != name {
			continue
		}
		if v.ValueFrom == nil {
			return v.Value, fmt.Sprintf("env %s", name), true, true
		}
		if ref := v.ValueFrom.SecretKeyRef; ref != nil {
			if s := e.inv.Secret(e.w.Namespace, ref.Name); s != nil {
				if b, found := inventory.SecretValue(s, ref.Key); found {
					return string(b), fmt.Sprintf("Secret %q key %q", ref.Name, ref.Key), false, true
				}
			}
			return "", fmt.Sprintf("Secret %q key %q", ref.Name, ref.Key), false, false
		}
		if ref := v.ValueFrom.ConfigMapKeyRef; ref != nil {
			if cm := e.inv.ConfigMap(e.w.Namespace, ref.Name); cm != nil {
				if s, found := cm.Data[ref.Key]; found {
					return s, fmt.Sprintf("ConfigMap %q key %q", ref.Name, ref.Key), true, true
				}
			}
		}
		return "", "", false, false
	}
	for _, from := range e.c.EnvFrom {
		key := strings.TrimPrefix(name, from.Prefix)
		if from.SecretRef != nil {
			if s := e.inv.Secret(e.w.Namespace, from.SecretRef.Name); s != nil {
				if b, found := inventory.SecretValue(s, key); found {
					return string(b), fmt.Sprintf("Secret %q key %q", s.Name, key), false, true
				}
			}
		}
		if from.ConfigMapRef != nil {
			if cm := e.inv.ConfigMap(e.w.Namespace, from.ConfigMapRef.Name); cm != nil {
				if v, found := cm.Data[key]; found {
					return v, fmt.Sprintf("ConfigMap %q key %q", cm.Name, key), true, true
				}
			}
		}
	}
	return "", "", false, false
}

func (e env) get(name string) string {
	v, _, _, _ := e.value(name)
	return v
}

// first is the first of the variables that is set.
func (e env) first(names ...string) (value, name string) {
	for _, n := range names {
		if v, _, _, ok := e.value(n); ok {
			return v, n
		}
	}
	return "", ""
}

// secretFile resolves a password file the container reads (a *_FILE variable).
func (e env) secretFile(p string) (string, string, bool) {
	f := e.inv.Lookup(e.w, e.c, p)
	if f.Kind == inventory.KindSecret && f.Found {
		return strings.TrimRight(string(f.Data), "\r\n"), fmt.Sprintf("Secret %q key %q", f.Object, f.Key), true
	}
	return "", "", false
}

// words is the container's command line split into words, with the words of every script it
// runs from a ConfigMap (comment lines left out): a server started by a wrapper script still
// shows its arguments.
func (e env) words() []string {
	argv := append(append([]string{}, e.c.Command...), e.c.Args...)
	words := conf.ShellWords(argv)
	for _, w := range words {
		if !strings.HasPrefix(w, "/") {
			continue
		}
		if f := e.inv.Lookup(e.w, e.c, w); f.Kind == inventory.KindConfigMap && f.Found {
			for _, line := range strings.Split(string(f.Data), "\n") {
				if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
					words = append(words, conf.ShellWords([]string{t})...)
				}
			}
		}
	}
	return words
}

// mountedConfig returns the ConfigMap files the container mounts whose base name is one of
// names, sorted by path.
func mountedConfig(inv *inventory.Inventory, w *inventory.Workload, c *corev1.Container, names ...string) []string {
	var out []string
	for p := range inv.MountedFiles(w, c) {
		base := path.Base(p)
		for _, n := range names {
			if base == n || (n == "conf.d/*.conf" && path.Base(path.Dir(p)) == "conf.d" && strings.HasSuffix(base, ".conf")) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

func isYes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "on", "1":
		return true
	}
	return false
}

func atoi(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

// tlsMaterial finds the server certificate: in the Secret behind the certificate file when the
// server reads it from a Secret volume, otherwise in any Secret volume of the pod (the chart's
// init container copies it from there).
func tlsMaterial(inv *inventory.Inventory, s *Server) *TLSMaterial {
	var secrets []string
	certFile := s.Settings["ssl_cert_file"]
	if s.Kind == Redis {
		certFile = s.Settings["tls-cert-file"]
	}
	if certFile != "" {
		if f := inv.Lookup(s.Workload, &s.Container, certFile); f.Kind == inventory.KindSecret {
			secrets = append(secrets, f.Object)
		}
	}
	for _, v := range s.Workload.Template.Spec.Volumes {
		switch {
		case v.Secret != nil:
			secrets = append(secrets, v.Secret.SecretName)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					secrets = append(secrets, src.Secret.Name)
				}
			}
		}
	}
	for _, name := range secrets {
		sec := inv.Secret(s.Workload.Namespace, name)
		if sec == nil {
			continue
		}
		if m := parseTLSSecret(sec); m != nil {
			return m
		}
	}
	return nil
}

// parseTLSSecret reads whatever keys hold the certificate (tls.crt, redis-cert.pem,
// server-cert.pem...): the first leaf certificate that may serve TLS, the certificates after it,
// and every CA certificate.
func parseTLSSecret(sec *corev1.Secret) *TLSMaterial {
	m := &TLSMaterial{Secret: sec.Name}
	keys := make([]string, 0, len(sec.Data))
	for k := range sec.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		certs := parsePEM(sec.Data[k])
		for i, c := range certs {
			switch {
			case c.IsCA:
				m.CAs = append(m.CAs, c)
			case m.Leaf == nil && i == 0 && servesTLS(c):
				m.Leaf = c
				m.Chain = certs[1:]
			}
		}
	}
	if m.Leaf == nil {
		return nil
	}
	return m
}

func servesTLS(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

func parsePEM(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// passwordVolumes adds the password-like keys of the Secret volumes the server container
// mounts (the chart's /run/secrets/<server>), skipping sources already known.
func passwordVolumes(e env, s *Server, user func(sec *corev1.Secret, key string) (string, bool)) {
	seen := map[string]bool{}
	for _, c := range s.Credentials {
		seen[c.Source] = true
	}
	for _, v := range mountedSecrets(e) {
		sec := e.inv.Secret(e.w.Namespace, v.name)
		if sec == nil {
			continue
		}
		var keys []string
		if len(v.items) > 0 {
			for _, it := range v.items {
				keys = append(keys, it.Key)
			}
		} else {
			for k := range sec.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		}
		for _, k := range keys {
			src := fmt.Sprintf("Secret %q key %q", sec.Name, k)
			if !strings.Contains(strings.ToLower(k), "password") || seen[src] {
				continue
			}
			b, ok := inventory.SecretValue(sec, k)
			if !ok {
				continue
			}
			seen[src] = true
			u, admin := user(sec, k)
			s.Credentials = append(s.Credentials, Credential{User: u, Password: strings.TrimRight(string(b), "\r\n"), Source: src, Admin: admin})
		}
	}
}

// mountedSecret is a Secret a container mounts, with the items it takes (none: every key).
type mountedSecret struct {
	name  string
	items []corev1.KeyToPath
}

// mountedSecrets are the Secrets of the container's volumes: a Secret volume, or each Secret of a
// projected volume (one directory from several Secrets, as the chart mounts its two passwords).
func mountedSecrets(e env) []mountedSecret {
	var out []mountedSecret
	for _, m := range e.c.VolumeMounts {
		for _, v := range e.w.Template.Spec.Volumes {
			switch {
			case v.Name != m.Name:
			case v.Secret != nil:
				out = append(out, mountedSecret{v.Secret.SecretName, v.Secret.Items})
			case v.Projected != nil:
				for _, src := range v.Projected.Sources {
					if src.Secret != nil {
						out = append(out, mountedSecret{src.Secret.Name, src.Secret.Items})
					}
				}
			}
		}
	}
	return out
}
