package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/datastores/datastores/tools/datastores/audit"
	"github.com/datastores/datastores/tools/datastores/cluster"
	"github.com/datastores/datastores/tools/datastores/discover"
	"github.com/datastores/datastores/tools/datastores/grade"
	"github.com/datastores/datastores/tools/datastores/inventory"
	"github.com/datastores/datastores/tools/datastores/manifest"
	"github.com/datastores/datastores/tools/datastores/report"
)

const auditUsage = `Usage: datastores audit [-f FILE]... [flags]

Audits rendered manifests (-f, "-" for stdin) or, without -f, a live namespace through the
kubeconfig, and grades the data plane A to F. Exit status: 0; 1 when the grade is below
--fail-under; 2 on a usage or access error.`

func auditCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("datastores audit", auditUsage, stdout, stderr)
	fs := c.fs
	var files, endpointFlags, cas list
	fs.Var(&files, "f", "manifests to audit (repeatable; - reads stdin); without -f the live namespace is audited")
	namespace := fs.String("namespace", "", "the namespace: of a live audit (default: the kubeconfig context's), or of manifests that name none (default: default)")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of a live audit (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	kubeContext := fs.String("context", "", "kubeconfig context")
	fs.Var(&endpointFlags, "endpoint", "NAME=HOST[:PORT]: probe the server of workload NAME at HOST (its ports as configured) or HOST:PORT, when auditing manifests (repeatable)")
	fs.Var(&cas, "ca", "a PEM file of CA certificates clients trust, besides each server's ca.crt (repeatable)")
	format := fs.String("format", "text", "output: "+strings.Join(report.Formats, ", "))
	failUnder := fs.String("fail-under", "", "exit 1 when the grade is below this one (A-F)")
	domain := fs.String("cluster-domain", "cluster.local", "the cluster's DNS domain, for the Service names certificates must cover")
	maxAge := fs.Duration("backup-max-age", 48*time.Hour, "how old the last successful backup may be")
	noWire := fs.Bool("no-wire", false, "live audit: do not port-forward to the servers")
	noExec := fs.Bool("no-exec", false, "live audit: do not exec into the pods")
	verbose := fs.Bool("v", false, "list passing checks too (text and markdown)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	errs := []error{
		checkInputs(files, true),
		checkNamespace(*namespace),
		checkOneOf("--format", *format, report.Formats),
		checkGrade(*failUnder),
		checkClusterDomain(*domain),
		checkPositiveDuration("--backup-max-age", *maxAge, "48h"),
	}
	var endpoints []endpoint
	for _, e := range endpointFlags {
		ep, err := parseEndpoint(e)
		errs = append(errs, err)
		endpoints = append(endpoints, ep)
	}
	if len(endpoints) > 0 && len(files) == 0 {
		errs = append(errs, errors.New("--endpoint is for manifests (-f); a live audit reaches the servers by port-forward"))
	}
	opts := audit.Options{ClusterDomain: *domain, BackupMaxAge: *maxAge}
	for _, f := range cas {
		certs, _, err := readCAFile(f)
		errs = append(errs, err)
		opts.ExtraCAs = append(opts.ExtraCAs, certs...)
	}
	if code := c.fail(errs...); code != 0 {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var inv *inventory.Inventory
	if len(files) > 0 {
		inv = &inventory.Inventory{DefaultNamespace: orDefault(*namespace, "default")}
		for _, f := range files {
			data, err := readInput(f, stdin)
			if err == nil {
				err = manifest.Read(bytes.NewReader(data), inv)
			}
			if err != nil {
				return c.fail(fmt.Errorf("%s: %w", f, err))
			}
		}
		inv.Normalize()
		if len(endpoints) > 0 {
			var servers []string
			for _, s := range discover.Find(inv, *domain) {
				if !slices.Contains(servers, s.Workload.Name) {
					servers = append(servers, s.Workload.Name)
				}
			}
			if code := c.fail(checkEndpointNames(endpoints, servers)); code != 0 {
				return code
			}
			opts.Connect = endpointConnector(endpoints)
		}
	} else {
		cl, err := cluster.Connect(*kubeconfig, *kubeContext)
		if err != nil {
			return c.fail(fmt.Errorf("kubeconfig: %w", err))
		}
		ns := orDefault(*namespace, cl.Namespace)
		if inv, err = cl.Load(ctx, ns); err != nil {
			return c.fail(err)
		}
		// The probes provoke refused connections on purpose (plaintext on a TLS port, TLS 1.1);
		// the port forwarder would log each one on stderr. The findings report them instead.
		utilruntime.ErrorHandlers = nil
		live := liveAccess{c: cl, inv: inv}
		if !*noWire {
			opts.Connect = live.connect
		}
		if !*noExec {
			opts.Exec = live.exec
		}
	}

	r := audit.Run(ctx, inv, opts)
	if err := report.Write(stdout, r, *format, *verbose); err != nil {
		return c.fail(err)
	}
	if *failUnder != "" {
		if below, _ := grade.Below(r.Grade, *failUnder); below {
			fmt.Fprintf(stderr, "datastores audit: grade %s is below %s\n", r.Grade, strings.ToUpper(*failUnder))
			return 1
		}
	}
	return 0
}

// endpointConnector maps the --endpoint flags to an audit.Options.Connect: the server of
// workload NAME is probed at HOST on the port asked for, or at HOST:PORT for its main port.
func endpointConnector(endpoints []endpoint) func(context.Context, *discover.Server, int) (string, func(), error) {
	targets := map[string]endpoint{}
	for _, e := range endpoints {
		targets[e.name] = e
	}
	return func(_ context.Context, s *discover.Server, port int) (string, func(), error) {
		t, ok := targets[s.Workload.Name]
		if !ok {
			return "", nil, fmt.Errorf("no --endpoint for %s", s.Workload.Name)
		}
		if t.port != 0 && port == s.Port {
			port = t.port
		}
		return net.JoinHostPort(t.host, strconv.Itoa(port)), func() {}, nil
	}
}

// liveAccess reaches a live namespace's servers.
type liveAccess struct {
	c   *cluster.Cluster
	inv *inventory.Inventory
}

func (l liveAccess) connect(ctx context.Context, s *discover.Server, port int) (string, func(), error) {
	p, err := cluster.Pod(l.inv, s)
	if err != nil {
		return "", nil, err
	}
	return l.c.Forward(ctx, p.Namespace, p.Name, port)
}

func (l liveAccess) exec(ctx context.Context, s *discover.Server, argv []string) (string, error) {
	p, err := cluster.Pod(l.inv, s)
	if err != nil {
		return "", err
	}
	return l.c.Exec(ctx, p.Namespace, p.Name, s.Container.Name, argv)
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
