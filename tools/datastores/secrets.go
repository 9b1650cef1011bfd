package main

import (
	"fmt"
	"io"
	"os"

	"github.com/datastores/datastores/tools/datastores/secrets"
)

const secretsUsage = `Usage: datastores secrets -f VALUES --release NAME -n/--namespace NS [--chart DIR] [--ca FILE]

Makes, once, the password and connection Secrets a GitOps install (global.gitops) names with
existingSecret, exactly as the chart would have generated them, as Secret manifests on stdout:
encrypt them (Sealed Secrets, SOPS) or push them to your secret store; never commit them in clear.
--ca puts the CA clients verify against into each connection Secret's ca.crt (the ca.crt of
datastores certs' output, or your issuer's CA).`

func secretsCommand(args []string, stdout, stderr io.Writer) int {
	c := newCommand("datastores secrets", secretsUsage, stdout, stderr)
	fs := c.fs
	var files list
	fs.Var(&files, "f", "values file (repeatable)")
	release := fs.String("release", "", "the Helm release")
	namespace := fs.String("namespace", "", "the release's namespace")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	chartDir := fs.String("chart", "charts/datastores", "the chart (directory or package)")
	caFile := fs.String("ca", "", "PEM file of the CA clients trust (certificates only, no key)")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if len(files) == 0 || *release == "" || *namespace == "" {
		return c.missing("-f VALUES, --release and --namespace are required")
	}
	var chartErr error
	if _, err := os.Stat(*chartDir); err != nil {
		chartErr = fmt.Errorf("--chart %q: %v; give the chart's directory (charts/datastores, the default, from the repository's root) or its package", *chartDir, err)
	}
	if code := c.fail(checkInputs(files, false), checkFilesExist(files), checkRelease(*release), checkNamespace(*namespace), chartErr); code != 0 {
		return code
	}
	var ca []byte
	if *caFile != "" {
		var err error
		if _, ca, err = readCAFile(*caFile); err != nil {
			return c.fail(err)
		}
	}
	out, err := secrets.Make(secrets.Options{Chart: *chartDir, ValuesFiles: files, Release: *release, Namespace: *namespace, CA: ca})
	if err != nil {
		c.fail(err)
		return 1
	}
	b, err := secrets.Write(out)
	if err != nil {
		c.fail(err)
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		c.fail(fmt.Errorf("writing stdout: %w", err))
		return 1
	}
	for _, s := range out {
		fmt.Fprintf(stderr, "datastores secrets: %s\n", s.Name)
	}
	return 0
}
