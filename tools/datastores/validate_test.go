package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/datastores/datastores/test/harness/chart"
)

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// runCommand runs the command as the binary would, with an empty stdin.
func runCommand(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// prefix is what every message of a subcommand starts with: "datastores certs renew: ".
func prefix(args []string) string {
	name := "datastores " + args[0]
	if args[0] == "certs" && len(args) > 1 && args[1] == "renew" {
		name += " renew"
	}
	return name + ": "
}

// assertRefused checks a usage error: exit 2, stderr's first line from the subcommand, and each
// of want in the message.
func assertRefused(t *testing.T, args []string, want ...string) {
	t.Helper()
	r := runCommand(t, args...)
	assert.Equal(t, 2, r.code, "args %q\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, prefix(args)), "stderr starts with %q:\n%s", prefix(args), r.stderr)
	for _, w := range want {
		assert.Contains(t, r.stderr, w, "args %q", args)
	}
	assert.NotContains(t, r.stderr, "<nil>")
}

// assertAccepted checks that a command gets past its flag checks: exit 0, or, for one that goes
// on to a cluster, the kubeconfig refused (never a flag).
func assertAccepted(t *testing.T, args []string) {
	t.Helper()
	r := runCommand(t, args...)
	if r.code != 0 {
		assert.Equal(t, 2, r.code, "stderr: %s", r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, prefix(args)+"kubeconfig: "), "args %q: refused before the cluster:\n%s", args, r.stderr)
	}
}

// fixture is what the command tests read: the repository's values and chart, a kubeconfig that
// does not exist (the cluster commands fail there, never reaching a cluster), a CA certificate,
// manifests with one server, and Secrets that `certs renew` takes.
type fixture struct {
	dir, values, chart, kubeconfig, caCert, manifests, tlsSecrets string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	root := chart.RepoRoot()
	dir := t.TempDir()
	f := fixture{
		dir:        dir,
		values:     filepath.Join(root, "values", "dev.yaml"),
		chart:      filepath.Join(root, "charts", "datastores"),
		kubeconfig: filepath.Join(dir, "no-kubeconfig"),
		caCert:     filepath.Join(dir, "ca.crt"),
		manifests:  filepath.Join(root, "tools", "datastores", "testdata", "bitnami-redis.yaml"),
		tlsSecrets: filepath.Join(dir, "tls-in.yaml"),
	}
	cert, _ := selfSigned(t)
	require.NoError(t, os.WriteFile(f.caCert, cert, 0o600))
	r := runCommand(t, "certs", "-f", f.values, "--release", "test", "-n", "apps", "-o", f.tlsSecrets)
	require.Equal(t, 0, r.code, r.stderr)
	return f
}

// selfSigned is a CA certificate and its key, PEM-encoded.
func selfSigned(t *testing.T) (cert, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// The argument lists of each subcommand that pass every check; a test appends the flag it tries.
func (f fixture) certs(extra ...string) []string {
	return append([]string{"certs", "-f", f.values, "--release", "test", "-n", "apps", "-o", filepath.Join(f.dir, "out.yaml")}, extra...)
}

func (f fixture) renew(extra ...string) []string {
	return append([]string{"certs", "renew", "-f", f.tlsSecrets, "-o", filepath.Join(f.dir, "renewed.yaml")}, extra...)
}

func (f fixture) secrets(extra ...string) []string {
	return append([]string{"secrets", "-f", f.values, "--release", "test", "-n", "apps", "--chart", f.chart}, extra...)
}

func (f fixture) audit(extra ...string) []string {
	return append([]string{"audit", "-f", f.manifests}, extra...)
}

func (f fixture) liveAudit(extra ...string) []string {
	return append([]string{"audit", "--kubeconfig", f.kubeconfig}, extra...)
}

func (f fixture) expand(extra ...string) []string {
	return append([]string{"expand", "-n", "apps", "--release", "test", "--instance", "app", "--size", "20Gi", "--kubeconfig", f.kubeconfig}, extra...)
}

// Validity: 1 to 36500 days (the chart's maximum), the server certificates no longer than the CA.
func TestDaysFlagsOutOfRangeAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"certs --days 0", f.certs("--days", "0"), "--days 0: give a number of days from 1 to 36500"},
		{"certs --days -1", f.certs("--days", "-1"), "--days -1: give a number of days from 1 to 36500"},
		{"certs --days 36501", f.certs("--days", "36501", "--ca-days", "36500"), "--days 36501: give a number of days from 1 to 36500"},
		{"certs --days not a number", f.certs("--days", "ten"), `invalid value "ten" for flag -days`},
		{"certs --days beyond int", f.certs("--days", "99999999999999999999"), "for flag -days: value out of range"},
		{"certs --ca-days 0", f.certs("--ca-days", "0"), "--ca-days 0: give a number of days from 1 to 36500"},
		{"certs --ca-days -3650", f.certs("--ca-days", "-3650"), "--ca-days -3650: give a number of days from 1 to 36500"},
		{"certs --ca-days 36501", f.certs("--ca-days", "36501"), "--ca-days 36501: give a number of days from 1 to 36500"},
		{"certs --days longer than --ca-days", f.certs("--days", "900", "--ca-days", "800"), "--days 900 is longer than --ca-days 800"},
		{"certs --days longer than the default --ca-days", f.certs("--days", "4000"), "--days 4000 is longer than --ca-days 3650"},
		{"renew --days 0", f.renew("--days", "0"), "--days 0: give a number of days from 1 to 36500"},
		{"renew --days -825", f.renew("--days", "-825"), "--days -825: give a number of days from 1 to 36500"},
		{"renew --days 36501", f.renew("--days", "36501"), "--days 36501: give a number of days from 1 to 36500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

func TestDaysFlagsAtTheLimitsAreAccepted(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"certs --days 1", f.certs("--days", "1")},
		{"certs --days and --ca-days 36500", f.certs("--days", "36500", "--ca-days", "36500")},
		{"certs --days equal to --ca-days", f.certs("--days", "800", "--ca-days", "800")},
		{"certs --ca-days 1 --days 1", f.certs("--days", "1", "--ca-days", "1")},
		{"renew --days 1", f.renew("--days", "1")},
		{"renew --days 36500", f.renew("--days", "36500")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertAccepted(t, tc.args)
		})
	}
}

// Names: Helm release names (start with a letter, at most 53), namespaces (DNS labels, at most
// 63), instance names (DNS labels that start with a letter), the cluster domain (a DNS name).
func TestNameFlagsThatAreNotNamesAreRefused(t *testing.T) {
	f := newFixture(t)
	long54, long64 := "r"+strings.Repeat("a", 53), "n"+strings.Repeat("a", 63)
	const releaseMsg, nsMsg, instanceMsg = "give a Helm release name", "give a namespace name", "give the name of a postgres.instances entry"
	type tc struct {
		name string
		args []string
		want []string
	}
	var cases []tc
	for _, bad := range []string{"Data", "1data", "data-", "-data", "da_ta", "da.ta", "dätä", "a\nb", " data", long54} {
		cases = append(cases,
			tc{"certs --release " + bad, f.certs("--release", bad), []string{"--release", releaseMsg}},
			tc{"secrets --release " + bad, f.secrets("--release", bad), []string{"--release", releaseMsg}},
			tc{"expand --release " + bad, f.expand("--release", bad), []string{"--release", releaseMsg}})
	}
	for _, bad := range []string{"Apps", "apps-", "-apps", "ap ps", "ap.ps", "äpps", "a\nb", long64} {
		cases = append(cases,
			tc{"certs -n " + bad, f.certs("-n", bad), []string{"-n/--namespace", nsMsg}},
			tc{"certs --namespace " + bad, f.certs("--namespace", bad), []string{"-n/--namespace", nsMsg}},
			tc{"secrets -n " + bad, f.secrets("-n", bad), []string{"-n/--namespace", nsMsg}},
			tc{"expand --namespace " + bad, f.expand("--namespace", bad), []string{"-n/--namespace", nsMsg}},
			tc{"audit -f -n " + bad, f.audit("-n", bad), []string{"-n/--namespace", nsMsg}},
			tc{"live audit -n " + bad, f.liveAudit("-n", bad), []string{"-n/--namespace", nsMsg}})
	}
	for _, bad := range []string{"App", "1app", "ap_p", "app-", "a\nb", "i" + strings.Repeat("a", 63)} {
		cases = append(cases, tc{"expand --instance " + bad, f.expand("--instance", bad), []string{"--instance", instanceMsg}})
	}
	for _, bad := range []string{"Cluster.Local", "cluster..local", "cluster.local.", "", "-cluster.local"} {
		cases = append(cases, tc{"audit --cluster-domain " + bad, f.audit("--cluster-domain", bad), []string{"--cluster-domain", "give the cluster's DNS domain"}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertRefused(t, c.args, c.want...)
		})
	}
}

func TestNameFlagsAtTheLimitsAreAccepted(t *testing.T) {
	f := newFixture(t)
	release53, ns63, instance63 := "r"+strings.Repeat("a", 52), "n"+strings.Repeat("a", 62), "i"+strings.Repeat("a", 62)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"certs --release of 53 characters", f.certs("--release", release53)},
		{"certs --release with digits and dashes", f.certs("--release", "a-1-b2")},
		{"certs --namespace of 63 characters", f.certs("--namespace", ns63)},
		{"certs -n starting with a digit", f.certs("-n", "1apps")},
		{"expand --instance of 63 characters", f.expand("--instance", instance63)},
		{"audit --cluster-domain of several labels", f.audit("--cluster-domain", "k8s.example-1.com")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertAccepted(t, tc.args)
		})
	}
}

func TestKeyAlgorithmOtherThanECDSAOrRSAIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"certs dsa", f.certs("--key-algorithm", "dsa")},
		{"certs upper case", f.certs("--key-algorithm", "ECDSA")},
		{"certs empty", f.certs("--key-algorithm", "")},
		{"certs ed25519", f.certs("--key-algorithm", "ed25519")},
		{"renew dsa", f.renew("--key-algorithm", "dsa")},
		{"renew upper case", f.renew("--key-algorithm", "RSA")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, "--key-algorithm", "give ecdsa (P-256) or rsa (2048)")
		})
	}
}

// --ca (secrets, audit): PEM with a certificate, never a private key.
func TestCAFileThatIsNotCertificatesIsRefused(t *testing.T) {
	f := newFixture(t)
	cert, key := selfSigned(t)
	write := func(name string, content []byte) string {
		t.Helper()
		p := filepath.Join(f.dir, name)
		require.NoError(t, os.WriteFile(p, content, 0o600))
		return p
	}
	files := []struct {
		name, path string
		want       string
	}{
		{"missing", filepath.Join(f.dir, "missing.crt"), "no such file or directory"},
		{"empty", write("empty.crt", nil), "no PEM CERTIFICATE block"},
		{"not PEM", write("text.crt", []byte("this is a certificate, trust me\n")), "no PEM CERTIFICATE block"},
		{"DER", write("der.crt", mustDER(t, cert)), "no PEM CERTIFICATE block"},
		{"a private key alone", write("key.pem", key), "holds a private key"},
		{"the CA with its key", write("ca-and-key.pem", append(append([]byte{}, cert...), key...)), "holds a private key"},
		{"a broken certificate", write("broken.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})), "is not a valid certificate"},
		{"a public key", write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("x")})), "no PEM CERTIFICATE block"},
		{"a directory", f.dir, "is a directory"},
	}
	for _, file := range files {
		for _, cmd := range []struct {
			name string
			args []string
		}{
			{"secrets", f.secrets("--ca", file.path)},
			{"audit", f.audit("--ca", file.path)},
			{"live audit", f.liveAudit("--ca", file.path)},
		} {
			t.Run(cmd.name+" "+file.name, func(t *testing.T) {
				assertRefused(t, cmd.args, "--ca", file.want)
			})
		}
	}
}

func mustDER(t *testing.T, certPEM []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	require.NotNil(t, b)
	return b.Bytes
}

func TestCAFileOfCertificatesIsAccepted(t *testing.T) {
	f := newFixture(t)
	cert, _ := selfSigned(t)
	other, _ := selfSigned(t)
	bundle := filepath.Join(f.dir, "bundle.crt")
	require.NoError(t, os.WriteFile(bundle, append([]byte("# two CAs\n"+string(cert)), other...), 0o600))
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"audit, one certificate", f.audit("--ca", f.caCert)},
		{"audit, a bundle with a comment", f.audit("--ca", bundle)},
		{"secrets, one certificate", f.secrets("--ca", f.caCert)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertAccepted(t, tc.args)
		})
	}
}

// secrets --ca writes the file's certificates as each connection Secret's ca.crt, and nothing
// else of the file.
func TestSecretsWritesOnlyTheCertificatesOfTheCAFile(t *testing.T) {
	f := newFixture(t)
	cert, _ := selfSigned(t)
	file := filepath.Join(f.dir, "commented.crt")
	require.NoError(t, os.WriteFile(file, append([]byte("subject=test CA\n"), cert...), 0o600))
	r := runCommand(t, f.secrets("--ca", file)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ca.crt: "+b64(cert))
	assert.NotContains(t, r.stdout, b64(append([]byte("subject=test CA\n"), cert...)))
}

// --endpoint NAME=HOST[:PORT]: a server's workload, a host, a port from 1 to 65535.
func TestEndpointThatIsMalformedOrUnknownIsRefused(t *testing.T) {
	f := newFixture(t)
	const format = "give NAME=HOST or NAME=HOST:PORT"
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"no =", f.audit("--endpoint", "cache-redis-master"), []string{"no '='", format}},
		{"no name", f.audit("--endpoint", "=10.0.0.1"), []string{"no workload NAME", format}},
		{"no host", f.audit("--endpoint", "cache-redis-master="), []string{"no HOST", format}},
		{"empty host before the port", f.audit("--endpoint", "cache-redis-master=:6379"), []string{"empty HOST", format}},
		{"port 0", f.audit("--endpoint", "cache-redis-master=10.0.0.1:0"), []string{`port "0" is not a number from 1 to 65535`}},
		{"port 65536", f.audit("--endpoint", "cache-redis-master=10.0.0.1:65536"), []string{`port "65536" is not a number from 1 to 65535`}},
		{"negative port", f.audit("--endpoint", "cache-redis-master=10.0.0.1:-1"), []string{`port "-1" is not a number`}},
		{"signed port", f.audit("--endpoint", "cache-redis-master=10.0.0.1:+6379"), []string{`port "+6379" is not a number`}},
		{"named port", f.audit("--endpoint", "cache-redis-master=10.0.0.1:redis"), []string{`port "redis" is not a number`}},
		{"empty port", f.audit("--endpoint", "cache-redis-master=10.0.0.1:"), []string{`port "" is not a number`}},
		{"host with a space", f.audit("--endpoint", "cache-redis-master=a b"), []string{"neither an IP address nor a host name"}},
		{"host with a slash", f.audit("--endpoint", "cache-redis-master=a/b:6379"), []string{"neither an IP address nor a host name"}},
		{"an unknown workload", f.audit("--endpoint", "cache-redis=10.0.0.1"), []string{`--endpoint "cache-redis": no server's workload`, "cache-redis-master"}},
		{"a workload twice", f.audit("--endpoint", "cache-redis-master=10.0.0.1", "--endpoint", "cache-redis-master=10.0.0.2"), []string{"given more than once"}},
		{"a live audit", f.liveAudit("--endpoint", "cache-redis-master=10.0.0.1"), []string{"--endpoint is for manifests (-f)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want...)
		})
	}
}

func TestEndpointsAreParsed(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want endpoint
	}{
		{"db=10.0.0.12", endpoint{"db", "10.0.0.12", 0}},
		{"db=10.0.0.12:15432", endpoint{"db", "10.0.0.12", 15432}},
		{"db=db.example.com:1", endpoint{"db", "db.example.com", 1}},
		{"db=localhost:65535", endpoint{"db", "localhost", 65535}},
		{"db=::1", endpoint{"db", "::1", 0}},
		{"db=[::1]", endpoint{"db", "::1", 0}},
		{"db=[::1]:6380", endpoint{"db", "::1", 6380}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := parseEndpoint(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e)
		})
	}
}

// An endpoint that passes the checks is probed: the audit reports the refused connection.
func TestEndpointOfAKnownWorkloadIsProbed(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ endpoint, dialed string }{
		{"cache-redis-master=127.0.0.1:1", "dial tcp 127.0.0.1:1:"},
		{"cache-redis-master=[::1]:1", "dial tcp [::1]:1:"},
	} {
		t.Run(tc.endpoint, func(t *testing.T) {
			r := runCommand(t, f.audit("--endpoint", tc.endpoint, "--format", "json")...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, tc.dialed, "the probe went to the address given")
		})
	}
}

func TestDurationFlagsOutOfRangeAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"audit --backup-max-age 0", f.audit("--backup-max-age", "0"), "--backup-max-age 0s: give a duration above zero"},
		{"audit --backup-max-age -1h", f.audit("--backup-max-age", "-1h"), "--backup-max-age -1h0m0s: give a duration above zero"},
		{"audit --backup-max-age in days", f.audit("--backup-max-age", "2d"), `invalid value "2d" for flag -backup-max-age`},
		{"live audit --backup-max-age -1s", f.liveAudit("--backup-max-age", "-1s"), "--backup-max-age -1s: give a duration above zero"},
		{"expand --wait -1s", f.expand("--wait", "-1s"), "--wait -1s: give how long to wait"},
		{"expand --wait without a unit", f.expand("--wait", "120"), `invalid value "120" for flag -wait`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

func TestDurationFlagsAtTheLimitsAreAccepted(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"audit --backup-max-age 1ns", f.audit("--backup-max-age", "1ns")},
		{"audit --backup-max-age 720h", f.audit("--backup-max-age", "720h")},
		{"expand --wait 0 (do not wait)", f.expand("--wait", "0")},
		{"expand --wait 10m", f.expand("--wait", "10m")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertAccepted(t, tc.args)
		})
	}
}

func TestGradeAndFormatOutsideTheirListsAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"--fail-under E", f.audit("--fail-under", "E"), `--fail-under "E": give a grade, one of A, B, C, D, F`},
		{"--fail-under G", f.audit("--fail-under", "G"), `--fail-under "G": give a grade`},
		{"--fail-under AB", f.audit("--fail-under", "AB"), `--fail-under "AB": give a grade`},
		{"--fail-under A+", f.audit("--fail-under", "A+"), `--fail-under "A+": give a grade`},
		{"--fail-under on a live audit", f.liveAudit("--fail-under", "1"), `--fail-under "1": give a grade`},
		{"--format xml", f.audit("--format", "xml"), `--format "xml": give one of text, json, markdown`},
		{"--format empty", f.audit("--format", ""), `--format "": give one of text, json, markdown`},
		{"--format upper case", f.liveAudit("--format", "JSON"), `--format "JSON": give one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

func TestSizeThatIsNotAPositiveQuantityIsRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		size, want string
	}{
		{"0", "give a size above zero"},
		{"0Gi", "give a size above zero"},
		{"-1Gi", "give a size above zero"},
		{"20 Gi", "give a size such as 20Gi"},
		{"20GB", "give a size such as 20Gi"},
		{"big", "give a size such as 20Gi"},
		{"100m", "not a whole number of bytes"},
		{"1e30", "too large"},
	} {
		t.Run(tc.size, func(t *testing.T) {
			assertRefused(t, f.expand("--size", tc.size), "--size "+quote(tc.size), tc.want)
		})
	}
}

func quote(s string) string { return `"` + s + `"` }

func TestRequiredFlagsMissingAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"certs without --release", []string{"certs", "-f", f.values, "-n", "apps"}, "-f VALUES, --release and --namespace are required"},
		{"renew without -f", []string{"certs", "renew", "-o", filepath.Join(f.dir, "x.yaml")}, "-f SECRETS is required"},
		{"secrets without -n", []string{"secrets", "-f", f.values, "--release", "test"}, "-f VALUES, --release and --namespace are required"},
		{"expand without --size", []string{"expand", "-n", "apps", "--release", "test", "--redis"}, "--size and one of --instance NAME or --redis are required"},
		{"expand without --instance or --redis", []string{"expand", "-n", "apps", "--release", "test", "--size", "1Gi"}, "one of --instance NAME or --redis are required"},
		{"expand with --instance and --redis", f.expand("--redis"), `--instance "app" and --redis: give one of them`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

// -f: a name; "-" (stdin) only where stdin is read, and once.
func TestInputFlagsThatCannotBeReadAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"audit -f empty", []string{"audit", "-f", ""}, `-f "": give a file name, or - for stdin`},
		{"audit -f - twice", []string{"audit", "-f", "-", "-f", "-"}, "-f - given more than once"},
		{"audit -f missing", []string{"audit", "-f", filepath.Join(f.dir, "missing.yaml")}, "no such file or directory"},
		{"renew -f - twice", []string{"certs", "renew", "-f", "-", "-f", "-"}, "-f - given more than once"},
		{"certs -f stdin", f.certs("-f", "-"), "-f -: this command does not read stdin"},
		{"certs -f missing", f.certs("-f", filepath.Join(f.dir, "missing.yaml")), "no such file or directory"},
		{"secrets -f stdin", f.secrets("-f", "-"), "-f -: this command does not read stdin"},
		{"secrets -f missing", f.secrets("-f", filepath.Join(f.dir, "missing.yaml")), "-f: stat " + filepath.Join(f.dir, "missing.yaml") + ": no such file or directory"},
		{"secrets --chart missing", f.secrets("--chart", filepath.Join(f.dir, "nochart")), `--chart "` + filepath.Join(f.dir, "nochart") + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

// None of the subcommands takes an argument: one is refused, not ignored (with the flags after
// it, which the flag package would leave unparsed).
func TestUnexpectedArgumentsAreRefused(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		arg  string
	}{
		{"audit", f.audit("extra"), "extra"},
		{"live audit", f.liveAudit("datastores"), "datastores"},
		{"certs", f.certs("extra"), "extra"},
		{"certs with flags after the argument", []string{"certs", "-f", f.values, "values/prod.yaml", "--release", "test", "-n", "apps"}, "values/prod.yaml"},
		{"renew", f.renew("extra"), "extra"},
		{"certs with renew after a flag", []string{"certs", "-o", filepath.Join(f.dir, "o.yaml"), "renew"}, "renew"},
		{"secrets", f.secrets("extra"), "extra"},
		{"expand", f.expand("extra"), "extra"},
		{"expand, a size without its flag", []string{"expand", "-n", "apps", "--release", "test", "--redis", "20Gi"}, "20Gi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, "unexpected argument "+quote(tc.arg))
		})
	}
}

// A flag the flag package refuses is named with what it wants, after the command's name, on
// lines that all start with it (a name with a newline cannot forge a line).
func TestFlagParseErrorsNameTheFlag(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", f.certs("--day", "3"), "flag provided but not defined: -day"},
		{"missing value", []string{"certs", "--ca-days"}, "flag needs an argument: -ca-days (--ca-days INT: validity of the CA"},
		{"bad boolean", f.expand("--dry-run=maybe"), `invalid boolean value "maybe" for -dry-run: parse error (--dry-run: check, change nothing)`},
		{"unknown flag with a newline", f.audit("--x\ndatastores audit: forged"), "datastores audit: flag provided but not defined: -x\ndatastores audit: datastores audit: forged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertRefused(t, tc.args, tc.want)
		})
	}
}

// b64 is the standard base64 of data, as a Secret's data holds it.
func b64(data []byte) string {
	return base64.StdEncoding.EncodeToString(data)
}
