package render_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
)

const authSecret = devInstance + "-auth"

func TestGeneratedPasswordsAreLongAndDistinct(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want int
	}{
		{"default length", nil, 32},
		{"longer", map[string]string{"postgres.auth.passwordLength": "48"}, 48},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := chart.Get[*corev1.Secret](t, renderDev(t, tt.set), authSecret)
			user, admin := string(s.Data["password"]), string(s.Data["postgres-password"])

			assert.Regexp(t, regexp.MustCompile("^[A-Za-z0-9]+$"), user)
			assert.Len(t, user, tt.want)
			assert.Len(t, admin, tt.want)
			assert.NotEqual(t, user, admin)
		})
	}
}

func TestGeneratedPasswordSecretSurvivesUninstall(t *testing.T) {
	s := chart.Get[*corev1.Secret](t, renderDev(t, nil), authSecret)

	assert.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"], "the volume outlives the release and keeps the old password")
	assert.Equal(t, "app_user", string(s.Data["username"]))
	assert.Equal(t, "app_db", string(s.Data["database"]))
	assert.Equal(t, "test-postgres-app.datastores.svc.cluster.local", string(s.Data["host"]))
}

func TestGeneratedPasswordsAreReusedOnUpgrade(t *testing.T) {
	existing := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: authSecret, Namespace: "datastores"},
		Data:       map[string][]byte{"password": []byte("user-password-from-the-first-install"), "postgres-password": []byte("admin-password-from-the-first-install")},
	}
	rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: []runtime.Object{existing}, IsUpgrade: true})
	s := chart.Get[*corev1.Secret](t, rel, authSecret)

	assert.Equal(t, "user-password-from-the-first-install", string(s.Data["password"]))
	assert.Equal(t, "admin-password-from-the-first-install", string(s.Data["postgres-password"]))
}

// With auth.existingSecret the passwords stay in that Secret, which the pods mount; the chart's
// Secret of the instance only connects (and has no superuser password).
func TestExistingPasswordSecretIsMountedNotRendered(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"postgres.instances.app.auth.existingSecret":   "app-db-credentials",
		"postgres.instances.app.auth.userPasswordKey":  "app-password",
		"postgres.instances.app.auth.adminPasswordKey": "superuser-password",
	})

	connection := chart.Get[*corev1.Secret](t, rel, authSecret)
	assert.NotContains(t, connection.Data, "superuser-password")
	assert.NotContains(t, connection.Data, "app-password")
	assert.Equal(t, "app_user", string(connection.Data["username"]))
	creds := volume(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance), "credentials")
	assert.Equal(t, "app-db-credentials", creds.Secret.SecretName)
	assert.ElementsMatch(t, []corev1.KeyToPath{{Key: "app-password", Path: "password"}, {Key: "superuser-password", Path: "postgres-password"}}, creds.Secret.Items)
}

// A password must only ever be in a Secret: never in a ConfigMap, a container's command or args,
// or a literal env value (all of which `kubectl get -o yaml` shows to anyone who can read pods).
func TestPasswordsAppearOnlyInSecrets(t *testing.T) {
	tests := []struct {
		name   string
		values string
		set    map[string]string
	}{
		{"dev, generated", devValues, nil},
		{"bakery-ia, generated", bakeryValues, nil},
		{"dev, client certificates", devValues, map[string]string{"postgres.tls.clientCertificates": "true"}},
		{"bakery-ia, backups and Redis users", bakeryValues, map[string]string{"postgres.backup.enabled": "true", "redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "+@all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{tt.values}, SetValues: tt.set})
			var passwords []string
			for _, s := range chart.All[*corev1.Secret](rel) {
				for k, v := range s.Data {
					if strings.Contains(k, "password") {
						passwords = append(passwords, string(v))
					}
				}
			}
			require.NotEmpty(t, passwords)
			for _, leak := range visibleText(rel) {
				for _, p := range passwords {
					assert.NotContains(t, leak.text, p, "a password in %s", leak.where)
				}
			}
		})
	}
}

type visible struct{ where, text string }

// visibleText is everything outside Secrets that holds text a password could leak into.
func visibleText(rel *chart.Release) []visible {
	var out []visible
	for _, cm := range chart.All[*corev1.ConfigMap](rel) {
		for k, v := range cm.Data {
			out = append(out, visible{"ConfigMap " + cm.Name + " " + k, v})
		}
	}
	for _, pod := range rel.PodTemplates() {
		for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			where := pod.Owner + " container " + c.Name
			out = append(out, visible{where + " command/args", strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")})
			for _, e := range c.Env {
				out = append(out, visible{where + " env " + e.Name, e.Value})
			}
			for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
				if p != nil && p.Exec != nil {
					out = append(out, visible{where + " probe", strings.Join(p.Exec.Command, " ")})
				}
			}
		}
		for k, v := range pod.Meta.Annotations {
			out = append(out, visible{pod.Owner + " annotation " + k, v})
		}
	}
	return out
}

func TestNoContainerTakesAPasswordFromALiteralEnvValue(t *testing.T) {
	for _, pod := range chart.Render(t, chart.Options{ValuesFiles: []string{bakeryValues}}).PodTemplates() {
		for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
			for _, e := range c.Env {
				if strings.Contains(strings.ToUpper(e.Name), "PASSWORD") && !strings.HasSuffix(e.Name, "_FILE") {
					assert.Empty(t, e.Value, "%s %s: %s is a literal", pod.Owner, c.Name, e.Name)
				}
			}
		}
	}
}
