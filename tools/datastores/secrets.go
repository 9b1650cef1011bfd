package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/datastores/datastores/tools/datastores/secrets"
)

const secretsUsage = `Usage: datastores secrets -f VALUES --release NAME --namespace NS [--chart DIR] [--ca FILE]

Makes, once, the password and connection Secrets a GitOps install (global.gitops) names with
existingSecret, exactly as the chart would have generated them, as Secret manifests on stdout:
encrypt them (Sealed Secrets, SOPS) or push them to your secret store; never commit them in clear.
--ca puts the CA clients verify against into each connection Secret's ca.crt (the ca.crt of
datastores certs' output, or your issuer's CA).
`

func secretsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secrets", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, secretsUsage); fs.PrintDefaults() }
	var files list
	fs.Var(&files, "f", "values file (repeatable)")
	release := fs.String("release", "", "the Helm release")
	namespace := fs.String("namespace", "", "the release's namespace")
	chartDir := fs.String("chart", "charts/datastores", "the chart (directory or package)")
	caFile := fs.String("ca", "", "PEM file of the CA clients trust")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(files) == 0 || *release == "" || *namespace == "" {
		fs.Usage()
		return 2
	}
	var ca []byte
	if *caFile != "" {
		var err error
		if ca, err = os.ReadFile(*caFile); err != nil {
			fmt.Fprintf(stderr, "datastores secrets: %v\n", err)
			return 2
		}
	}
	out, err := secrets.Make(secrets.Options{Chart: *chartDir, ValuesFiles: files, Release: *release, Namespace: *namespace, CA: ca})
	if err != nil {
		fmt.Fprintf(stderr, "datastores secrets: %v\n", err)
		return 1
	}
	b, err := secrets.Write(out)
	if err != nil {
		fmt.Fprintf(stderr, "datastores secrets: %v\n", err)
		return 1
	}
	_, _ = stdout.Write(b)
	for _, s := range out {
		fmt.Fprintf(stderr, "datastores secrets: %s\n", s.Name)
	}
	return 0
}
