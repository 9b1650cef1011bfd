package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pod"
	"github.com/datastores/datastores/test/harness/proc"
)

// runPrepareTLS runs the rendered init container's script with sh, as the current user, against
// the pod's file system whose TLS Secret holds data.
func runPrepareTLS(t *testing.T, set map[string]string, secretData map[string][]byte) (*pod.Pod, string, error) {
	t.Helper()
	rel := renderDev(t, set)
	secret := volume(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance), "tls-secret").Secret.SecretName
	p, err := pod.New(pod.Options{
		Chart:    chart.Options{ValuesFiles: []string{devValues}, SetValues: set},
		Workload: "StatefulSet/" + devInstance,
		User:     proc.User{UID: os.Getuid(), GID: os.Getgid()},
		Secrets:  map[string]map[string][]byte{secret: secretData},
		Path:     os.Getenv("PATH"),
	})
	require.NoError(t, err)
	t.Cleanup(p.Remove)
	out, err := p.PrepareTLS()
	return p, out, err
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestPrepareTLSLeavesTheKeyAt0600(t *testing.T) {
	secret := chart.Get[*corev1.Secret](t, renderDev(t, nil), tlsSecret)
	p, out, err := runPrepareTLS(t, nil, secret.Data)
	require.NoError(t, err, out)
	dir := p.Layout.HostPath("/tls")

	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, "tls.key")), "PostgreSQL refuses a key with group or world access")
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, "tls.crt")))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, "ca.crt")))
	for file, key := range map[string]string{"tls.crt": "tls.crt", "tls.key": "tls.key", "ca.crt": "ca.crt"} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		assert.Equal(t, secret.Data[key], got, file)
	}
	assert.Equal(t, os.FileMode(0o440), mode(t, filepath.Join(p.Layout.HostPath("/tls-secret"), "tls.key")),
		"the Secret volume itself stays group-readable: that is why the copy exists")
}

func TestPrepareTLSRenamesExistingSecretKeys(t *testing.T) {
	set := map[string]string{
		"postgres.tls.source": "existingSecret", "postgres.tls.existingSecret.name": "app-db-tls",
		"postgres.tls.existingSecret.keys.certificate": "server-cert.pem",
		"postgres.tls.existingSecret.keys.privateKey":  "server-key.pem",
		"postgres.tls.existingSecret.keys.ca":          "ca-cert.pem",
	}
	p, out, err := runPrepareTLS(t, set, map[string][]byte{
		"server-cert.pem": []byte("CERT"), "server-key.pem": []byte("KEY"), "ca-cert.pem": []byte("CA"),
	})
	require.NoError(t, err, out)

	key, err := os.ReadFile(filepath.Join(p.Layout.HostPath("/tls"), "tls.key"))
	require.NoError(t, err)
	assert.Equal(t, "KEY", string(key))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(p.Layout.HostPath("/tls"), "tls.key")))
}

func TestPrepareTLSNamesTheMissingFile(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string][]byte
		missing string
	}{
		{"no key", map[string][]byte{"tls.crt": []byte("C"), "ca.crt": []byte("A")}, `has no key "tls.key"`},
		{"no CA", map[string][]byte{"tls.crt": []byte("C"), "tls.key": []byte("K")}, `has no key "ca.crt"`},
		{"empty certificate", map[string][]byte{"tls.crt": {}, "tls.key": []byte("K"), "ca.crt": []byte("A")}, `has no key "tls.crt" (or it is empty)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, out, err := runPrepareTLS(t, nil, tt.data)
			require.Error(t, err)
			assert.Contains(t, out, `prepare-tls: the TLS Secret "`+tlsSecret+`" `+tt.missing)
			_, statErr := os.Stat(filepath.Join(p.Layout.HostPath("/tls"), "tls.crt"))
			assert.True(t, os.IsNotExist(statErr), "nothing is half-copied")
		})
	}
}
