package render_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/podfs"
)

// runPrepareTLS runs the rendered init container's script with sh against a pod file system
// whose TLS Secret holds data.
func runPrepareTLS(t *testing.T, rel *chart.Release, secretData map[string][]byte) (*podfs.Layout, string, error) {
	t.Helper()
	sts := chart.Get[*appsv1.StatefulSet](t, rel, devInstance)
	src := podfs.Sources{Secrets: map[string]*corev1.Secret{}, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, s := range chart.All[*corev1.Secret](rel) {
		src.Secrets[s.Name] = s
	}
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		src.ConfigMaps[cm.Name] = cm
	}
	secretName := volume(t, sts, "tls-secret").Secret.SecretName
	src.Secrets[secretName] = &corev1.Secret{Data: secretData}
	layout, err := podfs.New(t.TempDir(), sts.Spec.Template.Spec, src, podfs.Owner{UID: os.Getuid(), GID: os.Getgid()})
	require.NoError(t, err)

	initC := container(t, sts, "prepare-tls")
	cmd := exec.Command(initC.Command[0], layout.Rewrite(initC.Command[1]))
	cmd.Env = append(layout.Env(initC), "PATH="+os.Getenv("PATH"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return layout, out.String(), err
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestPrepareTLSLeavesTheKeyAt0600(t *testing.T) {
	rel := renderDev(t, nil)
	secret := chart.Get[*corev1.Secret](t, rel, tlsSecret)
	layout, out, err := runPrepareTLS(t, rel, secret.Data)
	require.NoError(t, err, out)
	dir := layout.HostPath("/tls")

	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(dir, "tls.key")), "PostgreSQL refuses a key with group or world access")
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, "tls.crt")))
	assert.Equal(t, os.FileMode(0o644), mode(t, filepath.Join(dir, "ca.crt")))
	for file, key := range map[string]string{"tls.crt": "tls.crt", "tls.key": "tls.key", "ca.crt": "ca.crt"} {
		got, err := os.ReadFile(filepath.Join(dir, file))
		require.NoError(t, err)
		assert.Equal(t, secret.Data[key], got, file)
	}
	assert.Equal(t, os.FileMode(0o440), mode(t, filepath.Join(layout.HostPath("/tls-secret"), "tls.key")),
		"the Secret volume itself stays group-readable: that is why the copy exists")
}

func TestPrepareTLSRenamesExistingSecretKeys(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.tls.source": "existingSecret", "postgres.tls.existingSecret.name": "app-db-tls",
		"postgres.tls.existingSecret.keys.certificate": "server-cert.pem",
		"postgres.tls.existingSecret.keys.privateKey":  "server-key.pem",
		"postgres.tls.existingSecret.keys.ca":          "ca-cert.pem",
	})
	layout, out, err := runPrepareTLS(t, rel, map[string][]byte{
		"server-cert.pem": []byte("CERT"), "server-key.pem": []byte("KEY"), "ca-cert.pem": []byte("CA"),
	})
	require.NoError(t, err, out)

	key, err := os.ReadFile(filepath.Join(layout.HostPath("/tls"), "tls.key"))
	require.NoError(t, err)
	assert.Equal(t, "KEY", string(key))
	assert.Equal(t, os.FileMode(0o600), mode(t, filepath.Join(layout.HostPath("/tls"), "tls.key")))
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
			layout, out, err := runPrepareTLS(t, renderDev(t, nil), tt.data)
			require.Error(t, err)
			assert.Contains(t, out, `prepare-tls: the TLS Secret "`+tlsSecret+`" `+tt.missing)
			_, statErr := os.Stat(filepath.Join(layout.HostPath("/tls"), "tls.crt"))
			assert.True(t, os.IsNotExist(statErr), "nothing is half-copied")
		})
	}
}
