package main

// The checks every subcommand runs on its flags before doing anything: each names the flag, the
// value it was given (quoted, so that a newline or a control character cannot forge a line of
// output) and what to give instead. A command collects them, prints them all and exits 2.

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/datastores/datastores/tools/datastores/grade"
)

// maxDays is the longest validity the chart accepts (global.tls.generate.caValidityDays).
const maxDays = 36500

var (
	// dnsLabel is an RFC 1123 label (a namespace).
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	// letterLabel is a DNS label that starts with a letter, as Service names must (a release
	// name and an instance name end up at the start of one).
	letterLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	// dnsSubdomain is an RFC 1123 subdomain (the cluster domain).
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// hostName is what --endpoint accepts as a host besides an IP address.
	hostName = regexp.MustCompile(`^[A-Za-z0-9_]([-A-Za-z0-9_]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([-A-Za-z0-9_]*[A-Za-z0-9_])?)*\.?$`)
)

// command is a subcommand's flag set and the name its messages start with.
type command struct {
	name           string // "datastores certs"
	fs             *flag.FlagSet
	stdout, stderr io.Writer
}

// newCommand makes the flag set of a subcommand; intro is printed before the flags by -h.
func newCommand(name, intro string, stdout, stderr io.Writer) *command {
	c := &command{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.fs.Usage = func() {
		w := c.fs.Output()
		if intro != "" {
			fmt.Fprint(w, intro+"\n\n")
		}
		fmt.Fprintf(w, "Flags of %s:\n", name)
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses args. ok is false when the command ends here with code: 0 after -h (the flags
// on stdout), 2 after a flag the flag package refused, or an argument that is not a flag
// (none of the subcommands takes one).
func (c *command) parse(args []string) (code int, ok bool) {
	c.fs.SetOutput(io.Discard) // the flag package's own message does not start with our name
	err := c.fs.Parse(args)
	c.fs.SetOutput(c.stderr)
	if errors.Is(err, flag.ErrHelp) {
		c.fs.SetOutput(c.stdout)
		c.fs.Usage()
		c.fs.SetOutput(c.stderr)
		return 0, false
	}
	if err != nil {
		// The flag package writes a flag's name as given: c.fail keeps every line after our name.
		c.fail(fmt.Errorf("%v%s", err, c.hint(err)))
		fmt.Fprintf(c.stderr, "Run \"%s -h\" for the flags.\n", c.name)
		return 2, false
	}
	if c.fs.NArg() > 0 {
		fmt.Fprintf(c.stderr, "%s: unexpected argument %q: the command takes no arguments, only flags (and flags end at the first argument that is not one)\n", c.name, c.fs.Arg(0))
		fmt.Fprintf(c.stderr, "Run \"%s -h\" for the flags.\n", c.name)
		return 2, false
	}
	return 0, true
}

var flagInError = regexp.MustCompile(`(?:for(?: flag)?|needs an argument:) -+([^\s:]+)`)

// hint adds what the flag a parse error names wants.
func (c *command) hint(err error) string {
	m := flagInError.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	f := c.fs.Lookup(m[1])
	if f == nil {
		return ""
	}
	return fmt.Sprintf(" (%s%s: %s)", dashes(f.Name), valueName(f), f.Usage)
}

func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// valueName is what a flag takes, as -h writes it (INT, DURATION; nothing for a switch).
func valueName(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	if name == "" {
		return ""
	}
	return " " + strings.ToUpper(name)
}

// fail prints each error on a line of its own after the command's name and returns 2. Errors
// that are nil are skipped; with none, it returns 0.
func (c *command) fail(errs ...error) int {
	code := 0
	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(c.stderr, "%s: %s\n", c.name, line)
		}
		code = 2
	}
	return code
}

// missing says which flags a command needs, and where to read about them; it returns 2.
func (c *command) missing(what string) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.name, what)
	fmt.Fprintf(c.stderr, "Run \"%s -h\" for the flags.\n", c.name)
	return 2
}

// checkDays: a validity of 1 to 36500 days.
func checkDays(flagName string, days int) error {
	if days < 1 || days > maxDays {
		return fmt.Errorf("%s %d: give a number of days from 1 to %d (the chart's maximum)", flagName, days, maxDays)
	}
	return nil
}

// checkServerDays: the server certificates cannot outlive their CA.
func checkServerDays(days, caDays int) error {
	if days > caDays {
		return fmt.Errorf("--days %d is longer than --ca-days %d: a certificate cannot outlive its CA; give --days at most %d, or a longer --ca-days", days, caDays, caDays)
	}
	return nil
}

// checkRelease: a Helm release name that can start the chart's Service names.
func checkRelease(release string) error {
	if release == "" {
		return nil // required-ness is the command's to say
	}
	if len(release) > 53 || !letterLabel.MatchString(release) {
		return fmt.Errorf("--release %q: give a Helm release name: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 53 characters", release)
	}
	return nil
}

// checkNamespace: a namespace name (a DNS label).
func checkNamespace(ns string) error {
	if ns == "" {
		return nil
	}
	if len(ns) > 63 || !dnsLabel.MatchString(ns) {
		return fmt.Errorf("-n/--namespace %q: give a namespace name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", ns)
	}
	return nil
}

// checkInstance: a PostgreSQL instance name (postgres.instances.<name>), a DNS label that starts
// with a letter, as the chart requires.
func checkInstance(instance string) error {
	if instance == "" {
		return nil
	}
	if len(instance) > 63 || !letterLabel.MatchString(instance) {
		return fmt.Errorf("--instance %q: give the name of a postgres.instances entry: lower-case letters, digits and '-', starting with a letter, at most 63 characters", instance)
	}
	return nil
}

// checkClusterDomain: a DNS subdomain.
func checkClusterDomain(domain string) error {
	if len(domain) > 253 || !dnsSubdomain.MatchString(domain) {
		return fmt.Errorf("--cluster-domain %q: give the cluster's DNS domain, lower-case, e.g. cluster.local", domain)
	}
	return nil
}

// checkKeyAlgorithm: ecdsa or rsa; "" too when the command has a default of its own.
func checkKeyAlgorithm(algorithm string, emptyOK bool) error {
	if algorithm == "ecdsa" || algorithm == "rsa" || (emptyOK && algorithm == "") {
		return nil
	}
	return fmt.Errorf("--key-algorithm %q: give ecdsa (P-256) or rsa (2048)", algorithm)
}

// checkOneOf: a value from a fixed list.
func checkOneOf(flagName, value string, allowed []string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return fmt.Errorf("%s %q: give one of %s", flagName, value, strings.Join(allowed, ", "))
}

// checkGrade: a grade letter for --fail-under ("" means none).
func checkGrade(letter string) error {
	if letter == "" {
		return nil
	}
	if _, err := grade.Below("A", letter); err != nil || len(letter) != 1 {
		return fmt.Errorf("--fail-under %q: give a grade, one of A, B, C, D, F", letter)
	}
	return nil
}

// checkPositiveDuration: more than zero.
func checkPositiveDuration(flagName string, d time.Duration, example string) error {
	if d <= 0 {
		return fmt.Errorf("%s %s: give a duration above zero, e.g. %s", flagName, d, example)
	}
	return nil
}

// checkWait: zero (do not wait) or more.
func checkWait(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("--wait %s: give how long to wait, e.g. 2m, or 0 not to wait", d)
	}
	return nil
}

// checkSize: a positive quantity, a whole number of bytes (1500m is 1.5 bytes, not 1500
// megabytes).
func checkSize(size string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(size)
	if err != nil {
		return q, fmt.Errorf("--size %q: give a size such as 20Gi (%v)", size, err)
	}
	if q.Sign() <= 0 {
		return q, fmt.Errorf("--size %q: give a size above zero, such as 20Gi", size)
	}
	if q.Cmp(*resource.NewQuantity(math.MaxInt64, resource.BinarySI)) >= 0 {
		return q, fmt.Errorf("--size %q: too large; give a size such as 20Gi", size)
	}
	if q.Cmp(*resource.NewQuantity(q.Value(), resource.BinarySI)) != 0 {
		return q, fmt.Errorf("--size %q: not a whole number of bytes (the suffix m means thousandths); give a size such as 20Gi or 500Mi", size)
	}
	return q, nil
}

// checkInputs: the files of a repeatable -f; "-" (stdin) at most once, and only where stdin is
// read.
func checkInputs(files []string, stdinOK bool) error {
	var errs []error
	stdin := 0
	for _, f := range files {
		switch {
		case f == "":
			errs = append(errs, errors.New("-f \"\": give a file name"+map[bool]string{true: ", or - for stdin", false: ""}[stdinOK]))
		case f == "-" && !stdinOK:
			errs = append(errs, errors.New("-f -: this command does not read stdin; give the file's path"))
		case f == "-":
			if stdin++; stdin == 2 {
				errs = append(errs, errors.New("-f - given more than once: stdin can be read only once"))
			}
		}
	}
	return errors.Join(errs...)
}

// checkFilesExist: every file of -f is there (for commands that hand the names to a library
// whose failures are not usage errors).
func checkFilesExist(files []string) error {
	var errs []error
	for _, f := range files {
		if f == "" || f == "-" {
			continue // checkInputs' to say
		}
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("-f: %w", err))
		}
	}
	return errors.Join(errs...)
}

// readCAFile reads a --ca file: PEM with at least one certificate, and no private key (the CA's
// key must never reach the clients' Secrets). It returns the certificates, and the file's
// CERTIFICATE blocks alone, PEM-encoded.
func readCAFile(path string) ([]*x509.Certificate, []byte, error) {
	if path == "" {
		return nil, nil, errors.New(`--ca "": give the path of a PEM file of CA certificates`)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--ca: %w", err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return nil, nil, fmt.Errorf("--ca %s holds a private key: give the CA's certificate only (ca.crt, or tls.crt of the CA's Secret), never its key", path)
	}
	var certs []*x509.Certificate
	var blocks []byte
	for n := 1; ; n++ {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("--ca %s: PEM block %d is not a valid certificate: %v", path, n, err)
		}
		certs = append(certs, c)
		blocks = append(blocks, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})...)
	}
	if len(certs) == 0 {
		return nil, nil, fmt.Errorf("--ca %s: no PEM CERTIFICATE block: give a PEM file of CA certificates (-----BEGIN CERTIFICATE-----)", path)
	}
	return certs, blocks, nil
}

// endpoint is a parsed --endpoint NAME=HOST[:PORT] (port 0: the server's own ports).
type endpoint struct {
	name, host string
	port       int
}

// parseEndpoint reads NAME=HOST, NAME=HOST:PORT, NAME=[IPv6] or NAME=[IPv6]:PORT.
func parseEndpoint(v string) (endpoint, error) {
	bad := func(why string) (endpoint, error) {
		return endpoint{}, fmt.Errorf("--endpoint %q: %s; give NAME=HOST or NAME=HOST:PORT (NAME: a server's workload in the manifests)", v, why)
	}
	name, addr, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return bad("no '='")
	case name == "":
		return bad("no workload NAME before '='")
	case addr == "":
		return bad("no HOST after '='")
	}
	e := endpoint{name: name, host: addr}
	if h, p, err := net.SplitHostPort(addr); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
			return bad(fmt.Sprintf("port %q is not a number from 1 to 65535", p))
		}
		e.host, e.port = h, n
	} else if strings.HasPrefix(addr, "[") && strings.HasSuffix(addr, "]") {
		e.host = addr[1 : len(addr)-1]
	}
	if e.host == "" {
		return bad("empty HOST")
	}
	if ip := net.ParseIP(e.host); ip == nil && (len(e.host) > 253 || !hostName.MatchString(e.host)) {
		return bad(fmt.Sprintf("HOST %q is neither an IP address nor a host name", e.host))
	}
	return e, nil
}

// checkEndpointNames: every --endpoint names a server the audit found, and none twice.
func checkEndpointNames(endpoints []endpoint, servers []string) error {
	var errs []error
	seen := map[string]bool{}
	for _, e := range endpoints {
		if seen[e.name] {
			errs = append(errs, fmt.Errorf("--endpoint %q given more than once: give one address per workload", e.name))
		}
		seen[e.name] = true
		if slices.Contains(servers, e.name) {
			continue
		}
		known := "the manifests hold no PostgreSQL or Redis server"
		if len(servers) > 0 {
			known = "the servers' workloads are " + strings.Join(servers, ", ")
		}
		errs = append(errs, fmt.Errorf("--endpoint %q: no server's workload of that name in the manifests (%s)", e.name, known))
	}
	return errors.Join(errs...)
}
