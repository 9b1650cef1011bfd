//go:build e2e

package e2e_test

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/pgclient"
)

// A certificate the user made and put in a kubernetes.io/tls Secret is what the server presents.
func TestExistingSecretTLSSource(t *testing.T) {
	e := newEnv(t, "ds-existing")
	ca, err := certs.NewCA("e2e user CA")
	require.NoError(t, err)
	svc := "ext-postgres-app"
	server, err := ca.Server(svc, []string{svc, svc + "." + e.ns, svc + "." + e.ns + ".svc", svc + "." + e.ns + ".svc.cluster.local", "localhost"}, net.ParseIP("127.0.0.1"))
	require.NoError(t, err)
	_, err = e.client.CoreV1().Secrets(e.ns).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "app-db-tls"},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": server.CertPEM, "tls.key": server.KeyPEM, "ca.crt": ca.CertPEM},
	}, metav1.CreateOptions{})
	require.NoError(t, err)

	r := install(t, e, "ext", "dev.yaml", map[string]string{
		"postgres.tls.source":                            "existingSecret",
		"postgres.instances.app.tls.existingSecret.name": "app-db-tls",
		"redis.enabled":                                  "false",
	})
	pool, err := certs.Pool(ca.CertPEM)
	require.NoError(t, err)

	conn := r.postgres(t, "app", pool, "")
	var ssl bool
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl))
	assert.True(t, ssl)
	_, err = k8s.GetSecretE(t, e.kubectl, "ext-datastores-ca")
	assert.Error(t, err, "no CA is generated when every certificate is the user's")
}

// With E2E_CERT_MANAGER=1 (cert-manager installed in the cluster, as the workflow's second job
// does), certificates come from a CA Issuer through cert-manager Certificates.
func TestCertManagerTLSSource(t *testing.T) {
	requireCluster(t)
	if os.Getenv("E2E_CERT_MANAGER") != "1" {
		t.Skip("E2E_CERT_MANAGER is not 1: cert-manager is not known to be installed")
	}
	e := newEnv(t, "ds-certmanager")
	// A self-signed root, and a CA Issuer that signs with it.
	k8s.KubectlApplyFromString(t, e.kubectl, fmt.Sprintf(`
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: bootstrap, namespace: %[1]s}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: root, namespace: %[1]s}
spec:
  isCA: true
  commonName: e2e root
  secretName: root-ca
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: bootstrap, kind: Issuer}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ca, namespace: %[1]s}
spec: {ca: {secretName: root-ca}}
`, e.ns))
	k8s.WaitUntilSecretAvailable(t, e.kubectl, "root-ca", 60, 2*time.Second)

	r := install(t, e, "cm", "dev.yaml", map[string]string{
		"postgres.tls.source": "certManager", "postgres.tls.certManager.issuerRef.name": "ca",
		"redis.tls.source": "certManager", "redis.tls.certManager.issuerRef.name": "ca",
	})
	pool, err := certs.Pool(r.secret(t, "root-ca").Data["tls.crt"])
	require.NoError(t, err)

	conn, err := r.postgresE(t, "app", pgclient.VerifyFull(pool, r.serviceDNS("cm-postgres-app")), "")
	require.NoError(t, err)
	defer conn.Close(t.Context())
	var ssl bool
	require.NoError(t, conn.QueryRow(t.Context(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl))
	assert.True(t, ssl)
	certManagerRotation(t, e, r, pool)
}
