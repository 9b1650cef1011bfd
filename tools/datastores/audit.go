package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
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

func auditCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("datastores audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files, endpoints, cas list
	fs.Var(&files, "f", "manifests to audit (repeatable; - reads stdin); without -f the live namespace is audited")
	namespace := fs.String("namespace", "", "the namespace: of a live audit (default: the kubeconfig context's), or of manifests that name none (default: default)")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of a live audit (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
	kubeContext := fs.String("context", "", "kubeconfig context")
	fs.Var(&endpoints, "endpoint", "NAME=HOST[:PORT]: probe the server of workload NAME at HOST (its ports as configured) or HOST:PORT, when auditing manifests (repeatable)")
	fs.Var(&cas, "ca", "a PEM file of CA certificates clients trust, besides each server's ca.crt (repeatable)")
	format := fs.String("format", "text", "output: "+strings.Join(report.Formats, ", "))
	failUnder := fs.String("fail-under", "", "exit 1 when the grade is below this one (A-F)")
	domain := fs.String("cluster-domain", "cluster.local", "the cluster's DNS domain, for the Service names certificates must cover")
	maxAge := fs.Duration("backup-max-age", 48*time.Hour, "how old the last successful backup may be")
	noWire := fs.Bool("no-wire", false, "live audit: do not port-forward to the servers")
	noExec := fs.Bool("no-exec", false, "live audit: do not exec into the pods")
	verbose := fs.Bool("v", false, "list passing checks too (text and markdown)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "datastores audit: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *failUnder != "" {
		if _, err := grade.Below("A", *failUnder); err != nil {
			fmt.Fprintln(stderr, "datastores audit:", err)
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	opts := audit.Options{ClusterDomain: *domain, BackupMaxAge: *maxAge}
	for _, f := range cas {
		certs, err := readCAs(f)
		if err != nil {
			fmt.Fprintln(stderr, "datastores audit:", err)
			return 2
		}
		opts.ExtraCAs = append(opts.ExtraCAs, certs...)
	}

	var inv *inventory.Inventory
	if len(files) > 0 {
		inv = &inventory.Inventory{DefaultNamespace: orDefault(*namespace, "default")}
		for _, f := range files {
			data, err := readInput(f, stdin)
			if err == nil {
				err = manifest.Read(bytes.NewReader(data), inv)
			}
			if err != nil {
				fmt.Fprintf(stderr, "datastores audit: %s: %v\n", f, err)
				return 2
			}
		}
		inv.Normalize()
		connect, err := endpointConnector(endpoints)
		if err != nil {
			fmt.Fprintln(stderr, "datastores audit:", err)
			return 2
		}
		opts.Connect = connect
	} else {
		if len(endpoints) > 0 {
			fmt.Fprintln(stderr, "datastores audit: --endpoint is for manifests (-f); a live audit reaches the servers by port-forward")
			return 2
		}
		c, err := cluster.Connect(*kubeconfig, *kubeContext)
		if err != nil {
			fmt.Fprintln(stderr, "datastores audit: kubeconfig:", err)
			return 2
		}
		ns := orDefault(*namespace, c.Namespace)
		if inv, err = c.Load(ctx, ns); err != nil {
			fmt.Fprintln(stderr, "datastores audit:", err)
			return 2
		}
		// The probes provoke refused connections on purpose (plaintext on a TLS port, TLS 1.1);
		// the port forwarder would log each one on stderr. The findings report them instead.
		utilruntime.ErrorHandlers = nil
		live := liveAccess{c: c, inv: inv}
		if !*noWire {
			opts.Connect = live.connect
		}
		if !*noExec {
			opts.Exec = live.exec
		}
	}

	r := audit.Run(ctx, inv, opts)
	if err := report.Write(stdout, r, *format, *verbose); err != nil {
		fmt.Fprintln(stderr, "datastores audit:", err)
		return 2
	}
	if *failUnder != "" {
		if below, _ := grade.Below(r.Grade, *failUnder); below {
			fmt.Fprintf(stderr, "datastores audit: grade %s is below %s\n", r.Grade, strings.ToUpper(*failUnder))
			return 1
		}
	}
	return 0
}

// endpointConnector maps --endpoint NAME=HOST[:PORT] to an audit.Options.Connect: the server of
// workload NAME is probed at HOST on the port asked for, or at HOST:PORT for its main port.
func endpointConnector(endpoints []string) (func(context.Context, *discover.Server, int) (string, func(), error), error) {
	if len(endpoints) == 0 {
		return nil, nil
	}
	type target struct {
		host string
		port int
	}
	targets := map[string]target{}
	for _, e := range endpoints {
		name, addr, ok := strings.Cut(e, "=")
		if !ok || name == "" || addr == "" {
			return nil, fmt.Errorf("--endpoint %q: want NAME=HOST[:PORT]", e)
		}
		t := target{host: addr}
		if h, p, err := net.SplitHostPort(addr); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("--endpoint %q: port %q", e, p)
			}
			t = target{h, n}
		}
		targets[name] = t
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
	}, nil
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

func readCAs(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil && b.Type == "CERTIFICATE" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--ca %s: no PEM certificate", file)
	}
	return out, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
