package certs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/certs"
)

func parse(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	require.NotNil(t, block)
	c, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return c
}

func valuesOf(t *testing.T, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chart.RepoRoot(), file))
	require.NoError(t, err)
	return data
}

func issue(t *testing.T, values []byte, release, ns string, o certs.Options) ([]certs.Server, []corev1.Secret) {
	t.Helper()
	servers, err := certs.Servers(values, release, ns)
	require.NoError(t, err)
	o.Release, o.Namespace = release, ns
	secrets, err := certs.Issue(servers, o)
	require.NoError(t, err)
	require.Len(t, secrets, len(servers)+1, "the CA, then one Secret per server")
	return servers, secrets
}

// The names must be the chart's own: a certificate from `datastores certs` replaces the one
// the chart would generate, and clients verify the same names.
func TestServersHaveTheNamesOfTheChartsCertificates(t *testing.T) {
	for _, tc := range []struct {
		name, values, release, namespace string
		inline                           bool // values is the file's text
	}{
		{"dev", "values/dev.yaml", "test", "datastores", false},
		{"bakery-ia", "values/bakery-ia.yaml", "bakery", "bakery-ia", false},
		{"a release named after the chart", "values/dev.yaml", "postgres-prod", "db", false},
		{"overrides and another cluster domain", `global: {clusterDomain: corp.internal}
postgres:
  fullnameOverride: pg
  instances: {app: {database: app_db, user: app_user}, orders: {database: orders_db, user: orders_user}}
redis: {enabled: true, nameOverride: cache}
`, "test", "datastores", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(chart.RepoRoot(), tc.values)
			if tc.inline {
				file = chart.ValuesFile(t, tc.values)
			}
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			servers, err := certs.Servers(data, tc.release, tc.namespace)
			require.NoError(t, err)
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{file}, ReleaseName: tc.release, Namespace: tc.namespace})
			require.Len(t, servers, len(chart.All[*appsv1.StatefulSet](rel)), "one certificate per server")
			for _, s := range servers {
				chartCert := parse(t, chart.Get[*corev1.Secret](t, rel, s.Secret).Data["tls.crt"])
				assert.ElementsMatch(t, chartCert.DNSNames, s.DNSNames, s.Secret)
				assert.Equal(t, chartCert.Subject.CommonName, s.CommonName, s.Secret)
				var ips []string
				for _, ip := range chartCert.IPAddresses {
					ips = append(ips, ip.String())
				}
				assert.ElementsMatch(t, ips, []string{s.IPAddresses[0].String(), s.IPAddresses[1].String()})
			}
		})
	}
}

func TestIssueMakesTLSSecretsThatVerifyByEveryName(t *testing.T) {
	for _, tc := range []struct {
		algorithm string
		check     func(t *testing.T, c *x509.Certificate)
	}{
		{"", func(t *testing.T, c *x509.Certificate) { // ECDSA P-256 by default
			k, ok := c.PublicKey.(*ecdsa.PublicKey)
			require.True(t, ok, "%T", c.PublicKey)
			assert.Equal(t, elliptic.P256(), k.Curve)
		}},
		{"rsa", func(t *testing.T, c *x509.Certificate) {
			k, ok := c.PublicKey.(*rsa.PublicKey)
			require.True(t, ok, "%T", c.PublicKey)
			assert.Equal(t, 2048, k.N.BitLen())
		}},
	} {
		t.Run("key "+tc.algorithm, func(t *testing.T) {
			servers, secrets := issue(t, valuesOf(t, "values/dev.yaml"), "test", "datastores", certs.Options{KeyAlgorithm: tc.algorithm})
			assert.Equal(t, "ca", secrets[0].Annotations[certs.RoleAnnotation])
			ca := parse(t, secrets[0].Data["tls.crt"])
			assert.True(t, ca.IsCA)
			pool := x509.NewCertPool()
			pool.AddCert(ca)
			for i, s := range servers {
				sec := secrets[i+1]
				assert.Equal(t, s.Secret, sec.Name)
				assert.Equal(t, "datastores", sec.Namespace)
				assert.Equal(t, corev1.SecretTypeTLS, sec.Type)
				assert.Equal(t, secrets[0].Data["tls.crt"], sec.Data["ca.crt"], "ca.crt is the CA")
				leaf := parse(t, sec.Data["tls.crt"])
				tc.check(t, leaf)
				for _, name := range s.DNSNames {
					name = strings.Replace(name, "*", "audit-0", 1)
					_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name})
					assert.NoError(t, err, name)
				}
			}
		})
	}
}

func TestRenewReissuesFromTheSameCA(t *testing.T) {
	_, secrets := issue(t, valuesOf(t, "values/bakery-ia.yaml"), "bakery", "bakery-ia", certs.Options{Days: 10})
	renewed, err := certs.Renew(secrets, certs.Options{})
	require.NoError(t, err)
	require.Len(t, renewed, len(secrets))
	assert.Equal(t, secrets[0], renewed[0], "the CA's Secret is unchanged")
	pool := x509.NewCertPool()
	pool.AddCert(parse(t, secrets[0].Data["tls.crt"]))
	for i := 1; i < len(secrets); i++ {
		old, now := parse(t, secrets[i].Data["tls.crt"]), parse(t, renewed[i].Data["tls.crt"])
		assert.Equal(t, secrets[i].Name, renewed[i].Name)
		assert.NotEqual(t, old.SerialNumber, now.SerialNumber)
		assert.NotEqual(t, secrets[i].Data["tls.key"], renewed[i].Data["tls.key"], "a new key")
		assert.Equal(t, old.DNSNames, now.DNSNames)
		assert.Equal(t, old.Subject.CommonName, now.Subject.CommonName)
		assert.True(t, now.NotAfter.After(time.Now().AddDate(0, 0, 800)), "renewed for the default 825 days")
		_, err := now.Verify(x509.VerifyOptions{Roots: pool, DNSName: now.DNSNames[0]})
		assert.NoError(t, err, "clients that trust the old ca.crt verify it")
	}
}

func TestRenewNeedsTheCASecret(t *testing.T) {
	_, secrets := issue(t, valuesOf(t, "values/dev.yaml"), "test", "datastores", certs.Options{})
	_, err := certs.Renew(secrets[1:], certs.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no CA Secret")
}

func TestServersRefusesValuesWithoutServers(t *testing.T) {
	_, err := certs.Servers(valuesOf(t, "values/external-managed.yaml"), "test", "datastores")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no server")
}

// The chart installs with the issued Secrets as tls.source existingSecret: the pods mount them,
// and the connection Secrets publish their CA (read with lookup, once the Secrets exist).
func TestTheChartInstallsWithTheIssuedSecrets(t *testing.T) {
	servers, secrets := issue(t, valuesOf(t, "values/dev.yaml"), "test", "datastores", certs.Options{})
	set := map[string]string{"postgres.tls.source": "existingSecret", "redis.tls.source": "existingSecret"}
	var existing []runtime.Object
	for _, s := range servers {
		set[s.Value] = s.Secret
	}
	for i := range secrets {
		existing = append(existing, &secrets[i])
	}
	rel, err := chart.RenderE(chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: set, Existing: existing})
	require.NoError(t, err)
	for _, s := range servers {
		assert.NotContains(t, chart.Names[*corev1.Secret](rel), s.Secret, "the chart does not render a Secret it is given")
		sts := chart.Get[*appsv1.StatefulSet](t, rel, s.Fullname)
		var mounted []string
		for _, v := range sts.Spec.Template.Spec.Volumes {
			if v.Secret != nil {
				mounted = append(mounted, v.Secret.SecretName)
			}
		}
		assert.Contains(t, mounted, s.Secret)
		conn := chart.Get[*corev1.Secret](t, rel, s.Fullname+"-auth")
		assert.Equal(t, string(secrets[0].Data["tls.crt"]), string(conn.Data["ca.crt"]), "the connection Secret publishes the issuing CA")
	}
	assert.False(t, slices.Contains(chart.Names[*corev1.Secret](rel), "test-datastores-ca"), "no generated CA")
}
