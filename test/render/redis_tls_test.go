package render_test

import (
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

func TestRedisCertificateVerifiesForItsServiceNames(t *testing.T) {
	rel := renderDev(t, nil)
	cert, pool := serverCert(t, rel, redisName+"-tls")

	for _, name := range serviceNames(redisName, "datastores") {
		_, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool})
		assert.NoError(t, err, name)
	}
	assert.Contains(t, cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth, "the probe presents the server certificate when client certificates are required")
	pgCA := chart.Get[*corev1.Secret](t, rel, tlsSecret).Data["ca.crt"]
	assert.Equal(t, string(pgCA), string(chart.Get[*corev1.Secret](t, rel, redisName+"-tls").Data["ca.crt"]), "one CA for the whole release")
}

func TestRedisExistingTLSSecretKeysAreRenamedByTheInitContainer(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"redis.tls.source": "existingSecret", "redis.tls.existingSecret.name": "redis-tls",
		"redis.tls.existingSecret.keys.certificate": "redis-cert.pem",
		"redis.tls.existingSecret.keys.privateKey":  "redis-key.pem",
		"redis.tls.existingSecret.keys.ca":          "ca-cert.pem",
	})
	sts := chart.Get[*appsv1.StatefulSet](t, rel, redisName)
	vars := env(container(t, sts, "prepare-tls"))

	assert.Equal(t, "redis-tls", volume(t, sts, "tls-secret").Secret.SecretName)
	assert.Equal(t, "redis-cert.pem", vars["TLS_CERT_KEY"])
	assert.Equal(t, "redis-key.pem", vars["TLS_KEY_KEY"])
	assert.Equal(t, "ca-cert.pem", vars["TLS_CA_KEY"])
	_, generated := chart.Find[*corev1.Secret](rel, redisName+"-tls")
	assert.False(t, generated)
}

func TestRedisCertManagerCertificate(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"redis.tls.source": "certManager", "redis.tls.certManager.issuerRef.name": "internal-ca",
		"redis.tls.authClients": "yes",
	})
	server := chart.Get[*chart.Certificate](t, rel, redisName+"-tls")
	client := chart.Get[*chart.Certificate](t, rel, redisName+"-client-tls")

	assert.Contains(t, server.Spec.DNSNames, "test-redis.datastores.svc.cluster.local")
	assert.ElementsMatch(t, []string{"digital signature", "key encipherment", "server auth", "client auth"}, server.Spec.Usages)
	assert.Contains(t, client.Spec.Usages, "client auth")
	require.Equal(t, "internal-ca", server.Spec.IssuerRef.Name)
}
