package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/tools/datastores/certs"
)

func certsCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("datastores certs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := fs.String("f", "", "the values file whose servers need certificates (e.g. values/dev.yaml)")
	release := fs.String("release", "", "the release name the chart will be installed as")
	namespace := fs.String("namespace", "", "the namespace it will be installed in")
	fs.StringVar(namespace, "n", "", "shorthand for --namespace")
	algorithm := fs.String("key-algorithm", "ecdsa", "ecdsa (P-256) or rsa (2048)")
	days := fs.Int("days", 825, "validity of the server certificates, in days")
	caDays := fs.Int("ca-days", 3650, "validity of the CA, in days")
	caOut := fs.String("ca-out", "", "write the CA's Secret (with its key) to this file instead of stdout: keep it out of the cluster")
	out := fs.String("o", "", "write the Secrets to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *values == "" || *release == "" || *namespace == "" {
		fmt.Fprintln(stderr, "datastores certs: -f VALUES, --release and --namespace are required")
		return 2
	}
	data, err := os.ReadFile(*values)
	if err != nil {
		fmt.Fprintln(stderr, "datastores certs:", err)
		return 2
	}
	servers, err := certs.Servers(data, *release, *namespace)
	if err != nil {
		fmt.Fprintf(stderr, "datastores certs: %s: %v\n", *values, err)
		return 2
	}
	secrets, err := certs.Issue(servers, certs.Options{Release: *release, Namespace: *namespace, KeyAlgorithm: *algorithm, Days: *days, CADays: *caDays})
	if err != nil {
		fmt.Fprintln(stderr, "datastores certs:", err)
		return 2
	}
	if code := writeSecrets(secrets, *out, *caOut, stdout, stderr); code != 0 {
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
	fs := flag.NewFlagSet("datastores certs renew", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files list
	fs.Var(&files, "f", "Secrets written by `datastores certs` (repeatable; - reads stdin): the CA's and the servers'")
	algorithm := fs.String("key-algorithm", "", "ecdsa or rsa (default: each certificate's current kind)")
	days := fs.Int("days", 825, "validity of the renewed certificates, in days")
	caOut := fs.String("ca-out", "", "write the CA's Secret to this file instead of stdout")
	out := fs.String("o", "", "write the Secrets to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "datastores certs renew: -f SECRETS is required")
		return 2
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
			fmt.Fprintf(stderr, "datastores certs renew: %s: %v\n", f, err)
			return 2
		}
	}
	renewed, err := certs.Renew(in, certs.Options{KeyAlgorithm: *algorithm, Days: *days})
	if err != nil {
		fmt.Fprintln(stderr, "datastores certs renew:", err)
		return 2
	}
	fmt.Fprintf(stderr, "datastores certs renew: %d certificates renewed from the same CA\n", len(renewed)-1)
	return writeSecrets(renewed, *out, *caOut, stdout, stderr)
}

// writeSecrets writes the CA's Secret (first) to caOut when given, and the others (or all) to
// out or stdout; files are created 0600, since they hold private keys.
func writeSecrets(secrets []corev1.Secret, out, caOut string, stdout, stderr io.Writer) int {
	main := secrets
	if caOut != "" {
		var buf bytes.Buffer
		if err := certs.Write(&buf, secrets[:1]); err != nil || os.WriteFile(caOut, buf.Bytes(), 0o600) != nil {
			fmt.Fprintf(stderr, "datastores certs: writing %s: %v\n", caOut, err)
			return 2
		}
		main = secrets[1:]
	}
	var buf bytes.Buffer
	if err := certs.Write(&buf, main); err != nil {
		fmt.Fprintln(stderr, "datastores certs:", err)
		return 2
	}
	if out == "" {
		_, err := stdout.Write(buf.Bytes())
		if err != nil {
			return 2
		}
		return 0
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		fmt.Fprintln(stderr, "datastores certs:", err)
		return 2
	}
	return 0
}
