package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/certs"
)

const certsUsage = `Usage: datastores certs -f VALUES --release NAME -n/--namespace NS [flags]

Issues a CA and one certificate per server of the values file, as the TLS Secrets the chart
names, for tls.source: existingSecret. Files are written 0600, all or none. Renewing them later:
datastores certs renew -h.`

const renewUsage = `Usage: datastores certs renew -f SECRETS [-f SECRETS]... [flags]

Re-issues the server certificates of Secrets written by datastores certs from the same CA, with
new keys. The outputs may be the input files: they are replaced only once everything is written.`

func certsCommand(args []string, stdout, stderr io.Writer) int {
	c := newCommand("datastores certs", certsUsage, stdout, stderr)
	fs := c.fs
	values := fs.String("f", "", "the values file whose servers need certificates (e.g. values/dev.yaml)")
	release := fs.String("release", "", "the release name the chart will be installed as")
	namespace := fs.String("namespace", "", "the namespace it will be installed in")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	algorithm := fs.String("key-algorithm", "ecdsa", "ecdsa (P-256) or rsa (2048)")
	days := fs.Int("days", 825, fmt.Sprintf("validity of the server certificates, in days (1 to %d, at most --ca-days)", maxDays))
	caDays := fs.Int("ca-days", 3650, fmt.Sprintf("validity of the CA, in days (1 to %d)", maxDays))
	caOut := fs.String("ca-out", "", "write the CA's Secret (with its key) to this file instead of stdout: keep it out of the cluster")
	out := fs.String("o", "", "write the Secrets to this file instead of stdout")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if *values == "" || *release == "" || *namespace == "" {
		return c.missing("-f VALUES, --release and --namespace are required")
	}
	outs := []output{{flag: "-o", path: *out}, {flag: "--ca-out", path: *caOut}}
	if code := c.fail(
		checkInputs([]string{*values}, false),
		checkRelease(*release),
		checkNamespace(*namespace),
		checkKeyAlgorithm(*algorithm, false),
		checkDays("--days", *days),
		checkDays("--ca-days", *caDays),
		checkServerDays(*days, *caDays),
		checkOutputs(outs, []string{*values}),
	); code != 0 {
		return code
	}
	data, err := os.ReadFile(*values)
	if err != nil {
		return c.fail(fmt.Errorf("-f: %w", err))
	}
	servers, err := certs.Servers(data, *release, *namespace)
	if err != nil {
		return c.fail(fmt.Errorf("%s: %w", *values, err))
	}
	secrets, err := certs.Issue(servers, certs.Options{Release: *release, Namespace: *namespace, KeyAlgorithm: *algorithm, Days: *days, CADays: *caDays})
	if err != nil {
		return c.fail(err)
	}
	if code := writeSecrets(c, secrets, *out, *caOut); code != 0 {
		return code
	}
	// What the install needs to use them.
	var set []string
	for _, s := range servers {
		set = append(set, s.Value+"="+s.Secret)
	}
	fmt.Fprintf(stderr, "datastores certs: %d certificates from one CA. Apply them, then install with tls.source existingSecret:\n  kubectl -n %s apply -f <the Secrets>\n  helm install %s charts/datastores -n %s -f %s \\\n    --set postgres.tls.source=existingSecret,redis.tls.source=existingSecret \\\n    --set %s\n",
		len(servers), *namespace, *release, *namespace, *values, strings.Join(set, ","))
	return 0
}

func renewCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("datastores certs renew", renewUsage, stdout, stderr)
	fs := c.fs
	var files list
	fs.Var(&files, "f", "Secrets written by `datastores certs` (repeatable; - reads stdin): the CA's and the servers'")
	algorithm := fs.String("key-algorithm", "", "ecdsa or rsa (default: each certificate's current kind)")
	days := fs.Int("days", 825, fmt.Sprintf("validity of the renewed certificates, in days (1 to %d)", maxDays))
	caOut := fs.String("ca-out", "", "write the CA's Secret to this file instead of stdout")
	out := fs.String("o", "", "write the Secrets to this file instead of stdout")
	if code, ok := c.parse(args); !ok {
		return code
	}
	if len(files) == 0 {
		return c.missing("-f SECRETS is required")
	}
	// The outputs may be the inputs (renewing in place): they are read before anything is written.
	if code := c.fail(
		checkInputs(files, true),
		checkKeyAlgorithm(*algorithm, true),
		checkDays("--days", *days),
		checkOutputs([]output{{flag: "-o", path: *out}, {flag: "--ca-out", path: *caOut}}, nil),
	); code != 0 {
		return code
	}
	var in []corev1.Secret
	for _, f := range files {
		data, err := readInput(f, stdin)
		if err == nil {
			var s []corev1.Secret
			s, err = certs.Read(data)
			in = append(in, s...)
		}
		if err != nil {
			return c.fail(fmt.Errorf("%s: %w", f, err))
		}
	}
	renewed, err := certs.Renew(in, certs.Options{KeyAlgorithm: *algorithm, Days: *days})
	if err != nil {
		return c.fail(err)
	}
	if code := writeSecrets(c, renewed, *out, *caOut); code != 0 {
		return code
	}
	fmt.Fprintf(stderr, "datastores certs renew: %d certificates renewed from the same CA\n", len(renewed)-1)
	return 0
}

// writeSecrets writes the CA's Secret (first) to caOut when given, and the others (or all) to
// out or stdout. The files are written all or none (writeFiles), before anything goes to stdout.
func writeSecrets(c *command, secrets []corev1.Secret, out, caOut string) int {
	main := secrets
	var files []output
	if caOut != "" {
		var buf bytes.Buffer
		if err := certs.Write(&buf, secrets[:1]); err != nil {
			return c.fail(fmt.Errorf("the CA's Secret: %w", err))
		}
		files = append(files, output{flag: "--ca-out", path: caOut, data: buf.Bytes()})
		main = secrets[1:]
	}
	var buf bytes.Buffer
	if err := certs.Write(&buf, main); err != nil {
		return c.fail(err)
	}
	if out != "" {
		files = append(files, output{flag: "-o", path: out, data: buf.Bytes()})
	}
	if err := writeFiles(files); err != nil {
		return c.fail(err)
	}
	if out == "" {
		if _, err := c.stdout.Write(buf.Bytes()); err != nil {
			return c.fail(fmt.Errorf("writing stdout: %w", err))
		}
	}
	return 0
}
