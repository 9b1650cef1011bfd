// Command datastores audits a PostgreSQL and Redis data plane and grades it, the way the source
// documents' security checklist did by hand, and issues the certificates a values file's servers
// need when the chart cannot generate them (lookup-less installs).
//
//	datastores audit -f manifests.yaml              # rendered manifests (helm template ... | datastores audit -f -)
//	datastores audit -n datastores                  # a live namespace, through the kubeconfig
//	datastores certs -f values.yaml --release R -n NS > tls-secrets.yaml
//	datastores certs renew -f tls-secrets.yaml > renewed.yaml
//	datastores expand -n datastores --release data --instance orders --size 50Gi
//
// Exit status: 0, 1 when the grade is below --fail-under, 2 on a usage or access error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `datastores: audit a PostgreSQL/Redis data plane, and issue its certificates.

Usage:
  datastores audit [-f FILE]... [flags]     audit manifests (-f, "-" for stdin) or a live namespace
  datastores certs -f VALUES --release NAME --namespace NS [flags]
                                            issue a CA and the servers' TLS Secrets
  datastores certs renew -f SECRETS [flags] re-issue the server certificates with the same CA
  datastores secrets -f VALUES --release NAME --namespace NS [--ca FILE]
                                            the password and connection Secrets of a GitOps install
  datastores expand --namespace NS --release NAME (--instance NAME | --redis) --size SIZE
                                            grow a server's data volume (helm upgrade cannot)

Run "datastores <command> -h" for the flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command without the process: tests call it with their own streams.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "audit":
		return auditCommand(args[1:], stdin, stdout, stderr)
	case "expand":
		return expandCommand(args[1:], stdout, stderr)
	case "secrets":
		return secretsCommand(args[1:], stdout, stderr)
	case "certs":
		if len(args) > 1 && args[1] == "renew" {
			return renewCommand(args[2:], stdin, stdout, stderr)
		}
		return certsCommand(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "datastores: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// readInput reads a file, or stdin for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
