// Package audit runs the checklist over an inventory: for each PostgreSQL and Redis server it
// finds, the configuration (from the manifests), the wire (a real client's view, when the
// server can be reached) and the cluster (claims, pod files, namespace labels, backup runs); then
// the namespace's connection settings and backups. Each check yields a finding that passes,
// fails with the fix, or says why it could not run.
package audit

import (
	"context"
	"crypto/x509"
	"fmt"
	"sort"
	"time"

	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/grade"
	"github.com/datastores/datastores/tools/datastores/inventory"
)

// Sources of evidence, as findings name them.
const (
	FromConfig  = "manifest" // the objects: configuration files, env, volumes
	FromServer  = "server"   // the wire: what the server did with a real client
	FromCluster = "cluster"  // object status and the pod's files
)

// Options say how far the audit may reach.
type Options struct {
	// Now is the time certificates and backups are judged at.
	Now time.Time
	// ClusterDomain completes Service DNS names ("cluster.local").
	ClusterDomain string
	// ExtraCAs are trusted besides the CA certificates found beside each server certificate.
	ExtraCAs []*x509.Certificate
	// Connect returns an address that reaches a port of the server (a port-forward, or the
	// address given with --endpoint) and a function that releases it; nil: no wire checks.
	Connect func(ctx context.Context, s *discover.Server, port int) (addr string, release func(), err error)
	// Exec runs a command in the server's container and returns its output; nil: the pod's
	// files cannot be checked.
	Exec func(ctx context.Context, s *discover.Server, argv []string) (string, error)
	// BackupMaxAge is how old the last successful backup may be.
	BackupMaxAge time.Duration
}

// auditor collects findings.
type auditor struct {
	inv      *inventory.Inventory
	opts     Options
	findings []grade.Finding
	// notRun counts the servers of each check that the mode of the audit cannot run (wire
	// checks without a way to reach the servers, pod files and claims without a live
	// namespace): one finding says so for all of them.
	notRun map[[3]string]int
}

// Run audits the inventory.
func Run(ctx context.Context, inv *inventory.Inventory, opts Options) grade.Report {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.ClusterDomain == "" {
		opts.ClusterDomain = "cluster.local"
	}
	if opts.BackupMaxAge == 0 {
		opts.BackupMaxAge = 48 * time.Hour
	}
	a := &auditor{inv: inv, opts: opts, notRun: map[[3]string]int{}}
	servers := discover.Find(inv, opts.ClusterDomain)
	var names []string
	namespaces := map[string]bool{}
	pgNamespaces := map[string]bool{}
	for _, s := range servers {
		names = append(names, s.Target())
		namespaces[s.Workload.Namespace] = true
		if s.Kind == discover.Postgres {
			pgNamespaces[s.Workload.Namespace] = true
		}
		a.server(ctx, s)
	}
	a.reportNotRun()
	for _, ns := range sortedKeys(namespaces) {
		a.podSecurity(ns)
	}
	for _, ns := range sortedKeys(pgNamespaces) {
		a.backups(ns)
	}
	a.clientSettings()
	return grade.NewReport(names, a.findings)
}

// server runs every check of one server.
func (a *auditor) server(ctx context.Context, s *discover.Server) {
	if s.Kind == discover.Postgres {
		a.postgresSettings(s, FromConfig, s.Settings, len(s.Sources) > 0)
		a.postgresHBA(s, FromConfig, s.HBA, s.HBASource)
	} else {
		a.redisSettings(s, FromConfig, s.Settings, s.RedisAuth)
	}
	a.credentials(s)
	a.data(s)
	if s.TLS != nil {
		a.certificate(s, FromConfig, fmt.Sprintf("Secret %q", s.TLS.Secret), s.TLS.Leaf, s.TLS.Chain, s.TLS.CAs)
	} else {
		a.unknown("cert-chain", s.Target(), FromConfig, s.Kind, "no certificate found in the Secrets the pod mounts (not in the manifests, or not a Secret)")
	}
	if a.opts.Connect == nil {
		a.cannotRun("tls-disabled", FromServer, "not probed on the wire: audit a live namespace, or give --endpoint")
	} else if s.Kind == discover.Postgres {
		a.postgresWire(ctx, s)
	} else {
		a.redisWire(ctx, s)
	}
	a.keyFile(ctx, s)
	a.claims(s)
}

func (a *auditor) add(status grade.Status, name, target, source string, kind discover.Kind, msg string) {
	c, ok := checks[name]
	if !ok {
		panic("audit: no check named " + name)
	}
	f := grade.Finding{Check: name, Title: c.title, Severity: c.severity, Status: status, Target: target, Source: source, Message: msg}
	if status == grade.Fail {
		f.Fix = c.fixFor(string(kind))
	}
	a.findings = append(a.findings, f)
}

func (a *auditor) pass(name, target, source string, kind discover.Kind, format string, args ...any) {
	a.add(grade.Pass, name, target, source, kind, fmt.Sprintf(format, args...))
}

func (a *auditor) fail(name, target, source string, kind discover.Kind, format string, args ...any) {
	a.add(grade.Fail, name, target, source, kind, fmt.Sprintf(format, args...))
}

// failAs is fail with a severity other than the check's usual one (a Redis cache's data, a
// certificate that misses some forms of a name).
func (a *auditor) failAs(sev grade.Severity, name, target, source string, kind discover.Kind, format string, args ...any) {
	a.fail(name, target, source, kind, format, args...)
	a.findings[len(a.findings)-1].Severity = sev
}

func (a *auditor) unknown(name, target, source string, kind discover.Kind, format string, args ...any) {
	a.add(grade.Unknown, name, target, source, kind, fmt.Sprintf(format, args...))
}

// cannotRun notes a check this kind of audit cannot run on a server.
func (a *auditor) cannotRun(name, source, why string) {
	a.notRun[[3]string{name, source, why}]++
}

// reportNotRun adds one unknown finding per check the audit could not run, for all servers.
func (a *auditor) reportNotRun() {
	keys := make([][3]string, 0, len(a.notRun))
	for k := range a.notRun {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][2] < keys[j][0]+keys[j][2] })
	for _, k := range keys {
		a.unknown(k[0], fmt.Sprintf("%d servers", a.notRun[k]), k[1], "", "%s", k[2])
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
