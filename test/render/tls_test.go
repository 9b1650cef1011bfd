package render_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
)

const (
	tlsSecret = devInstance + "-tls"
	caName    = "test-datastores-ca"
)

// serviceNames are the names a client in the cluster may use for an instance.
func serviceNames(fullname, namespace string) []string {
	var out []string
	for _, svc := range []string{fullname, fullname + "-hl"} {
		out = append(out, svc, svc+"."+namespace, svc+"."+namespace+".svc", svc+"."+namespace+".svc.cluster.local")
	}
	return append(out, fullname+"-0."+fullname+"-hl."+namespace+".svc.cluster.local", "localhost")
}

// serverCert returns an instance's certificate and the CA pool from its TLS Secret.
func serverCert(t *testing.T, rel *chart.Release, secret string) (*x509.Certificate, *x509.CertPool) {
	t.Helper()
	s := chart.Get[*corev1.Secret](t, rel, secret)
	assert.Equal(t, corev1.SecretTypeTLS, s.Type)
	cert, err := certs.Parse(s.Data["tls.crt"])
	require.NoError(t, err)
	pool, err := certs.Pool(s.Data["ca.crt"])
	require.NoError(t, err)
	return cert, pool
}

func TestGeneratedCertificateVerifiesForEveryServiceName(t *testing.T) {
	rel := renderDev(t, nil)
	cert, pool := serverCert(t, rel, tlsSecret)

	for _, name := range serviceNames(devInstance, "datastores") {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		assert.NoError(t, err, name)
	}
	_, err := cert.Verify(x509.VerifyOptions{DNSName: "test-postgres-other.datastores.svc.cluster.local", Roots: pool})
	assert.Error(t, err, "another Service's name must not verify")
	assert.Contains(t, fmt.Sprint(cert.IPAddresses), "127.0.0.1")
}

func TestGeneratedCertificateFollowsTheClusterDomain(t *testing.T) {
	cert, pool := serverCert(t, renderDev(t, map[string]string{"global.clusterDomain": "corp.example"}), tlsSecret)

	_, err := cert.Verify(x509.VerifyOptions{DNSName: devInstance + ".datastores.svc.corp.example", Roots: pool})
	assert.NoError(t, err)
}

func TestGeneratedKeysAreECDSAP256ByDefault(t *testing.T) {
	tests := []struct {
		name  string
		set   map[string]string
		check func(t *testing.T, key any)
	}{
		{"ecdsa default", nil, func(t *testing.T, key any) {
			k, ok := key.(*ecdsa.PrivateKey)
			require.True(t, ok, "%T", key)
			assert.Equal(t, elliptic.P256(), k.Curve)
		}},
		{"rsa on request", map[string]string{"global.tls.generate.keyAlgorithm": "rsa"}, func(t *testing.T, key any) {
			k, ok := key.(*rsa.PrivateKey)
			require.True(t, ok, "%T", key)
			assert.GreaterOrEqual(t, k.N.BitLen(), 2048)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := renderDev(t, tt.set)
			for _, name := range []string{tlsSecret, caName} {
				key, err := certs.ParseKey(chart.Get[*corev1.Secret](t, rel, name).Data["tls.key"])
				require.NoError(t, err, name)
				tt.check(t, key)
			}
		})
	}
}

func TestOneCASignsEveryInstance(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}})
	ca := chart.Get[*corev1.Secret](t, rel, caName)
	caCert, err := certs.Parse(ca.Data["tls.crt"])
	require.NoError(t, err)
	assert.True(t, caCert.IsCA)
	published := chart.Get[*corev1.ConfigMap](t, rel, caName)
	assert.Equal(t, string(ca.Data["tls.crt"]), published.Data["ca.crt"], "clients get the CA certificate from a ConfigMap, without its key")

	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Type != corev1.SecretTypeTLS || s.Name == caName {
			continue
		}
		assert.Equal(t, ca.Data["tls.crt"], s.Data["ca.crt"], s.Name)
		cert, err := certs.Parse(s.Data["tls.crt"])
		require.NoError(t, err)
		assert.NoError(t, cert.CheckSignatureFrom(caCert), s.Name)
	}
}

// postgresSecrets are the Secrets of the postgres subchart.
func postgresSecrets(rel *chart.Release) []*corev1.Secret {
	var out []*corev1.Secret
	for _, s := range chart.All[*corev1.Secret](rel) {
		if s.Labels["app.kubernetes.io/name"] == "postgres" {
			out = append(out, s)
		}
	}
	return out
}

// The objects a first install put in the cluster, as `lookup` finds them on upgrade.
func installed(rel *chart.Release) []runtime.Object {
	var out []runtime.Object
	for _, s := range chart.All[*corev1.Secret](rel) {
		out = append(out, s)
	}
	return out
}

func TestGeneratedCertificatesAreReusedOnUpgrade(t *testing.T) {
	first := renderDev(t, nil)
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: installed(first), IsUpgrade: true,
		SetValues: map[string]string{"postgres.resources.limits.memory": "2Gi"}})

	for _, name := range []string{caName, tlsSecret} {
		assert.Equal(t, chart.Get[*corev1.Secret](t, first, name).Data, chart.Get[*corev1.Secret](t, upgrade, name).Data, name)
	}
	assert.Equal(t, chart.Get[*appsv1.StatefulSet](t, first, devInstance).Spec.Template.Annotations, chart.Get[*appsv1.StatefulSet](t, upgrade, devInstance).Spec.Template.Annotations,
		"an unchanged certificate does not roll the pod")
}

func TestNewServiceNamesGetANewCertificateFromTheSameCA(t *testing.T) {
	first := renderDev(t, nil)
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: installed(first), IsUpgrade: true,
		SetValues: map[string]string{"global.clusterDomain": "corp.example"}})

	assert.Equal(t, chart.Get[*corev1.Secret](t, first, caName).Data, chart.Get[*corev1.Secret](t, upgrade, caName).Data)
	assert.NotEqual(t, chart.Get[*corev1.Secret](t, first, tlsSecret).Data["tls.crt"], chart.Get[*corev1.Secret](t, upgrade, tlsSecret).Data["tls.crt"])
	cert, pool := serverCert(t, upgrade, tlsSecret)
	_, err := cert.Verify(x509.VerifyOptions{DNSName: devInstance + ".datastores.svc.corp.example", Roots: pool})
	assert.NoError(t, err)
	assert.Equal(t, chart.Get[*appsv1.StatefulSet](t, first, devInstance).Spec.Template, chart.Get[*appsv1.StatefulSet](t, upgrade, devInstance).Spec.Template,
		"the tls-reloader loads the new certificate: the pod does not roll")
}

// Client certificates for the application's user and for the superuser, whom the post-upgrade
// maintenance Job logs in as (clientcert=verify-full compares the CN with the user).
func TestGeneratedClientCertificatesNameTheirUsers(t *testing.T) {
	rel := renderDev(t, map[string]string{"postgres.tls.clientCertificates": "true"})
	for secret, user := range map[string]string{devInstance + "-client-tls": "app_user", devInstance + "-superuser-client-tls": "postgres"} {
		s := chart.Get[*corev1.Secret](t, rel, secret)
		cert, err := certs.Parse(s.Data["tls.crt"])
		require.NoError(t, err)
		pool, err := certs.Pool(s.Data["ca.crt"])
		require.NoError(t, err)

		assert.Equal(t, user, cert.Subject.CommonName, secret)
		_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		assert.NoError(t, err, secret)
	}
	_, ok := chart.Find[*corev1.Secret](renderDev(t, nil), devInstance+"-superuser-client-tls")
	assert.False(t, ok, "none without client certificates")
}

func TestExistingTLSSecretIsUsedAsIs(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.tls.source":                            "existingSecret",
		"postgres.instances.app.tls.existingSecret.name": "app-db-tls",
		"postgres.tls.existingSecret.keys.certificate":   "server.pem",
		"postgres.tls.existingSecret.keys.privateKey":    "server-key.pem",
		"postgres.tls.existingSecret.keys.ca":            "ca.pem",
	})
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)

	assert.Equal(t, "app-db-tls", volume(t, sts, "tls-secret").Secret.SecretName)
	vars := env(container(t, sts, "prepare-tls"))
	assert.Equal(t, "server.pem", vars["TLS_CERT_KEY"])
	assert.Equal(t, "server-key.pem", vars["TLS_KEY_KEY"])
	assert.Equal(t, "ca.pem", vars["TLS_CA_KEY"])
	assert.Equal(t, "app-db-tls", vars["TLS_SECRET_NAME"])
	for _, s := range postgresSecrets(rel) {
		assert.NotEqual(t, corev1.SecretTypeTLS, s.Type, "no certificate is generated: %s", s.Name)
	}
}

func TestCertManagerIssuesOneCertificatePerInstance(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{
		"postgres.tls.source":                     "certManager",
		"postgres.tls.certManager.issuerRef.name": "internal-ca",
		"postgres.tls.certManager.issuerRef.kind": "ClusterIssuer",
	}})
	certsByName := chart.All[*chart.Certificate](rel)

	require.Len(t, certsByName, 14)
	for _, c := range certsByName {
		instance := c.Name[:len(c.Name)-len("-tls")]
		assert.Equal(t, c.Name, c.Spec.SecretName)
		assert.ElementsMatch(t, serviceNames(instance, "datastores")[:8], c.Spec.DNSNames[:8], c.Name)
		assert.Contains(t, c.Spec.DNSNames, "localhost")
		assert.Equal(t, chart.IssuerReference{Name: "internal-ca", Kind: "ClusterIssuer", Group: "cert-manager.io"}, c.Spec.IssuerRef)
		assert.Equal(t, "ECDSA", c.Spec.PrivateKey.Algorithm)
		assert.Contains(t, c.Spec.Usages, "server auth")
		sts := chart.Get[*appsv1.StatefulSet](t, rel, instance)
		assert.Equal(t, c.Spec.SecretName, volume(t, sts, "tls-secret").Secret.SecretName)
	}
	for _, s := range postgresSecrets(rel) {
		assert.NotEqual(t, corev1.SecretTypeTLS, s.Type, "cert-manager writes the certificates: %s", s.Name)
	}
}

func TestCertManagerIssuesTheClientCertificate(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.tls.source": "certManager", "postgres.tls.certManager.issuerRef.name": "internal-ca",
		"postgres.tls.clientCertificates": "true",
	})
	for name, user := range map[string]string{devInstance + "-client-tls": "app_user", devInstance + "-superuser-client-tls": "postgres"} {
		c := chart.Get[*chart.Certificate](t, rel, name)
		assert.Equal(t, user, c.Spec.CommonName, name)
		assert.Contains(t, c.Spec.Usages, "client auth", name)
		assert.Empty(t, c.Spec.DNSNames, name)
	}
}

// withServerCertificate returns the installed objects with the server certificate replaced by one
// from the same CA that expires at notAfter, as if it had been issued that long ago.
func withServerCertificate(t *testing.T, objs []runtime.Object, secret string, notAfter time.Time) []runtime.Object {
	t.Helper()
	ca, err := certs.Load(secretIn(t, objs, caName).Data["tls.crt"], secretIn(t, objs, caName).Data["tls.key"])
	require.NoError(t, err)
	s := secretIn(t, objs, secret)
	old, err := certs.Parse(s.Data["tls.crt"])
	require.NoError(t, err)
	renewed, err := ca.Reissue(old, notAfter)
	require.NoError(t, err)
	s.Data["tls.crt"], s.Data["tls.key"] = renewed.CertPEM, renewed.KeyPEM
	return objs
}

// secretIn is the Secret called name among objs.
func secretIn(t *testing.T, objs []runtime.Object, name string) *corev1.Secret {
	t.Helper()
	for _, o := range objs {
		if s, ok := o.(*corev1.Secret); ok && s.Name == name {
			return s
		}
	}
	t.Fatalf("no Secret %s", name)
	return nil
}

func TestGeneratedSecretRecordsItsExpiry(t *testing.T) {
	rel := renderDev(t, nil)
	s := chart.Get[*corev1.Secret](t, rel, tlsSecret)
	recorded, err := time.Parse(time.RFC3339, s.Annotations["datastores.io/tls-not-after"])
	require.NoError(t, err)
	cert, _ := serverCert(t, rel, tlsSecret)
	assert.Equal(t, cert.NotAfter.UTC(), recorded.UTC(), "read from the certificate itself")
}

// helm upgrade reissues, from the same CA, a certificate that expires within renewBeforeDays (read
// from the certificate, whatever its Secret says), and keeps one that does not.
func TestGeneratedCertificateIsReissuedNearItsExpiry(t *testing.T) {
	days := func(n int) time.Time { return time.Now().Add(time.Duration(n) * 24 * time.Hour) }
	tests := []struct {
		name     string
		notAfter time.Time
		set      map[string]string
		reissued bool
	}{
		{"10 days left", days(10), nil, true},
		{"100 days left", days(100), nil, false},
		{"100 days left, renewal at 120", days(100), map[string]string{"global.tls.generate.renewBeforeDays": "120"}, true},
		{"expired", days(-1), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := renderDev(t, nil)
			existing := withServerCertificate(t, installed(first), tlsSecret, tt.notAfter)
			before := secretIn(t, existing, tlsSecret).Data["tls.crt"]
			upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: existing, IsUpgrade: true, SetValues: tt.set})

			after := chart.Get[*corev1.Secret](t, upgrade, tlsSecret).Data["tls.crt"]
			assert.Equal(t, tt.reissued, !bytes.Equal(before, after))
			assert.Equal(t, chart.Get[*corev1.Secret](t, first, caName).Data, chart.Get[*corev1.Secret](t, upgrade, caName).Data, "the CA stays")
			cert, pool := serverCert(t, upgrade, tlsSecret)
			_, err := cert.Verify(x509.VerifyOptions{DNSName: devInstance + ".datastores.svc.cluster.local", Roots: pool})
			assert.NoError(t, err)
		})
	}
}

// A Secret without the record of the CA that signed it (a Secret of an older chart) is reissued
// once, so that from then on every certificate is known to chain to the CA that signs.
func TestGeneratedCertificateWithoutSignerRecordIsReissued(t *testing.T) {
	existing := installed(renderDev(t, nil))
	old := secretIn(t, existing, tlsSecret)
	signer := old.Annotations["datastores.io/tls-ca"]
	require.NotEmpty(t, signer)
	delete(old.Annotations, "datastores.io/tls-ca")
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: existing, IsUpgrade: true})

	assert.NotEqual(t, old.Data["tls.crt"], chart.Get[*corev1.Secret](t, upgrade, tlsSecret).Data["tls.crt"])
	assert.Equal(t, signer, chart.Get[*corev1.Secret](t, upgrade, tlsSecret).Annotations["datastores.io/tls-ca"], "the same CA signs")
}

// When the CA Secret is gone (deleted, or replaced by hand), the new CA signs new server
// certificates on the next upgrade instead of leaving them signed by a CA clients no longer trust.
func TestCertificatesOfAReplacedCAAreReissued(t *testing.T) {
	first := renderDev(t, nil)
	var withoutCA []runtime.Object
	for _, o := range installed(first) {
		if o.(*corev1.Secret).Name != caName {
			withoutCA = append(withoutCA, o)
		}
	}
	upgrade := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: withoutCA, IsUpgrade: true})

	newCA := chart.Get[*corev1.Secret](t, upgrade, caName).Data["tls.crt"]
	require.NotEqual(t, chart.Get[*corev1.Secret](t, first, caName).Data["tls.crt"], newCA)
	for _, s := range postgresSecrets(upgrade) {
		if s.Type != corev1.SecretTypeTLS {
			continue
		}
		assert.Equal(t, newCA, s.Data["ca.crt"], s.Name)
		cert, pool := serverCert(t, upgrade, s.Name)
		_, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		assert.NoError(t, err, s.Name)
	}
}

// cert-manager server certificates name the server by SANs only (no 64-byte common-name limit to
// hit in a long namespace); the client certificate's common name is the user PostgreSQL matches.
func TestCertManagerServerCertificatesCarrySANsOnly(t *testing.T) {
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Namespace: strings.Repeat("n", 63), SetValues: map[string]string{
		"postgres.tls.source": "certManager", "postgres.tls.certManager.issuerRef.name": "ca",
		"postgres.tls.clientCertificates": "true",
		"redis.tls.source":                "certManager", "redis.tls.certManager.issuerRef.name": "ca",
	}})
	byName := map[string]*chart.Certificate{}
	for _, c := range chart.All[*chart.Certificate](rel) {
		byName[c.Name] = c
	}
	for _, server := range []string{tlsSecret, "test-redis-tls"} {
		require.Contains(t, byName, server)
		assert.Empty(t, byName[server].Spec.CommonName, server)
		assert.NotEmpty(t, byName[server].Spec.DNSNames, server)
	}
	require.Contains(t, byName, devInstance+"-client-tls")
	assert.Equal(t, "app_user", byName[devInstance+"-client-tls"].Spec.CommonName)
}

func TestCertManagerPrivateKeyRotationPolicy(t *testing.T) {
	for _, policy := range []string{"", "Always", "Never"} {
		t.Run("policy "+policy, func(t *testing.T) {
			set := map[string]string{"postgres.tls.source": "certManager", "postgres.tls.certManager.issuerRef.name": "ca"}
			if policy != "" {
				set["postgres.tls.certManager.privateKeyRotationPolicy"] = policy
			}
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
			want := policy
			if want == "" {
				want = "Always"
			}
			c := chart.Get[*chart.Certificate](t, rel, tlsSecret)
			assert.Equal(t, want, c.Spec.PrivateKey.RotationPolicy)
			assert.Equal(t, "2160h", c.Spec.Duration)
			assert.Equal(t, "720h", c.Spec.RenewBefore)
		})
	}
}

// NOTES tell when each generated certificate expires.
func TestNotesShowWhenGeneratedCertificatesExpire(t *testing.T) {
	rel := renderDev(t, nil)
	for _, secret := range []string{tlsSecret, "test-redis-tls"} {
		notAfter := chart.Get[*corev1.Secret](t, rel, secret).Annotations["datastores.io/tls-not-after"]
		require.NotEmpty(t, notAfter)
		assert.Contains(t, rel.Notes, "certificate expires "+notAfter, secret)
	}
	assert.Equal(t, 2, strings.Count(rel.Notes, "certificate expires "), "one line per server")
	assert.Contains(t, rel.Notes, "helm upgrade renews it 30 days before")
}

// For certificates the chart does not make, NOTES read the expiry from the Secret in the cluster,
// and warn within 7 days of it.
func TestNotesShowWhenExistingCertificatesExpire(t *testing.T) {
	ca, err := certs.NewCA("user CA")
	require.NoError(t, err)
	tests := []struct {
		name    string
		expires time.Time
		warn    bool
	}{
		{"far", time.Now().Add(90 * 24 * time.Hour), false},
		{"within 7 days", time.Now().Add(5 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, err := ca.Reissue(&x509.Certificate{DNSNames: []string{"localhost"}}, tt.expires)
			require.NoError(t, err)
			secret := &corev1.Secret{Data: map[string][]byte{"tls.crt": server.CertPEM, "tls.key": server.KeyPEM, "ca.crt": ca.CertPEM}}
			secret.Name, secret.Namespace = "app-tls", "datastores"
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: []runtime.Object{secret}, SetValues: map[string]string{
				"postgres.tls.source": "existingSecret", "postgres.instances.app.tls.existingSecret.name": "app-tls",
			}})
			line := "certificate expires " + server.Cert.NotAfter.UTC().Format(time.RFC3339) + "; renew it in Secret app-tls"
			assert.Contains(t, rel.Notes, line)
			assert.Equal(t, tt.warn, strings.Contains(rel.Notes, line+" -- WARNING: within 7 days (helm test fails)"))
		})
	}
}
