package render_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
)

const (
	authSecret      = devInstance + "-auth"
	superuserSecret = devInstance + "-superuser"
)

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
			rel := renderDev(t, tt.set)
			user := string(chart.Get[*corev1.Secret](t, rel, authSecret).Data["password"])
			admin := string(chart.Get[*corev1.Secret](t, rel, superuserSecret).Data["postgres-password"])

			assert.Regexp(t, regexp.MustCompile("^[A-Za-z0-9]+$"), user)
			assert.Len(t, user, tt.want)
			assert.Len(t, admin, tt.want)
			assert.NotEqual(t, user, admin)
		})
	}
}

func TestGeneratedPasswordSecretsSurviveUninstall(t *testing.T) {
	rel := renderDev(t, nil)
	for _, name := range []string{authSecret, superuserSecret} {
		s := chart.Get[*corev1.Secret](t, rel, name)
		assert.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"], "%s: the volume outlives the release and keeps the old password", name)
	}
	s := chart.Get[*corev1.Secret](t, rel, authSecret)
	assert.Equal(t, "app_user", string(s.Data["username"]))
	assert.Equal(t, "app_db", string(s.Data["database"]))
	assert.Equal(t, "test-postgres-app.datastores.svc.cluster.local", string(s.Data["host"]))
}

// An application is given <instance>-auth whole (envFrom, a volume): it must hold nothing but
// what its own user may do. The superuser's password is in <instance>-superuser, which the server
// pod and the maintenance Job mount and nothing an application is told to use.
func TestTheConnectionSecretHoldsNoSuperuserPassword(t *testing.T) {
	rel := renderDev(t, nil)
	admin := chart.Get[*corev1.Secret](t, rel, superuserSecret).Data["postgres-password"]
	require.Len(t, admin, 32)
	for k, v := range chart.Get[*corev1.Secret](t, rel, authSecret).Data {
		assert.NotContains(t, string(v), string(admin), "key %s of the connection Secret", k)
	}
	assert.Equal(t, "postgres", string(chart.Get[*corev1.Secret](t, rel, superuserSecret).Data["username"]))
	assert.Contains(t, rel.Notes, "Secret "+superuserSecret+", key postgres-password", "NOTES say where the superuser's password is")
}

// The database keeps the passwords it was first given, so an upgrade must too: from this
// chart's own Secrets, and from a release of a chart before 0.2.0, whose -auth Secret also held
// the superuser's password (the move must not make a new one the server does not know).
func TestGeneratedPasswordsAreReusedOnUpgrade(t *testing.T) {
	tests := []struct {
		name     string
		existing []runtime.Object
	}{
		{"this chart's Secrets", []runtime.Object{
			existingSecret(authSecret, map[string]string{"password": "user-password-from-the-first-install"}),
			existingSecret(superuserSecret, map[string]string{"postgres-password": "admin-password-from-the-first-install"}),
		}},
		{"a release before 0.2.0, both in -auth", []runtime.Object{
			existingSecret(authSecret, map[string]string{"password": "user-password-from-the-first-install", "postgres-password": "admin-password-from-the-first-install"}),
		}},
		{"-superuser wins over what -auth still has", []runtime.Object{
			existingSecret(authSecret, map[string]string{"password": "user-password-from-the-first-install", "postgres-password": "stale"}),
			existingSecret(superuserSecret, map[string]string{"postgres-password": "admin-password-from-the-first-install"}),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: tt.existing, IsUpgrade: true})
			auth := chart.Get[*corev1.Secret](t, rel, authSecret)

			assert.Equal(t, "user-password-from-the-first-install", string(auth.Data["password"]))
			assert.NotContains(t, auth.Data, "postgres-password", "the upgrade takes the superuser's password out of -auth")
			assert.Equal(t, "admin-password-from-the-first-install", string(chart.Get[*corev1.Secret](t, rel, superuserSecret).Data["postgres-password"]))
		})
	}
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
	assert.Equal(t, map[string]string{"password": "app-db-credentials/app-password", "postgres-password": "app-db-credentials/superuser-password"},
		passwordFiles(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance)))
	_, generated := chart.Find[*corev1.Secret](rel, superuserSecret)
	assert.False(t, generated, "the superuser's password is the existing Secret's")
}

// auth.existingSuperuserSecret keeps the superuser's password in a Secret of its own, beside a
// generated or an existing application password.
func TestExistingSuperuserSecret(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want map[string]string
	}{
		{"with a generated application password", map[string]string{"postgres.auth.existingSuperuserSecret": "db-admin"},
			map[string]string{"password": authSecret + "/password", "postgres-password": "db-admin/postgres-password"}},
		{"with an existing application password", map[string]string{"postgres.instances.app.auth.existingSecret": "app-db", "postgres.instances.app.auth.existingSuperuserSecret": "db-admin"},
			map[string]string{"password": "app-db/password", "postgres-password": "db-admin/postgres-password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.set["postgres.extensions"] = "{pgcrypto,hstore}" // so that the maintenance Job runs
			rel := renderDev(t, tt.set)
			assert.Equal(t, tt.want, passwordFiles(t, chart.Get[*appsv1.StatefulSet](t, rel, devInstance)))
			_, generated := chart.Find[*corev1.Secret](rel, superuserSecret)
			assert.False(t, generated)
			job, ok := chart.FindHook[*batchv1.Job](rel, "test-postgres-maintenance")
			require.True(t, ok, "the post-upgrade Job")
			assert.Contains(t, rel.Notes, "Secret db-admin, key postgres-password")
			assert.Contains(t, projectedSecrets(job.Spec.Template.Spec), "db-admin", "the maintenance Job logs in as the superuser")
		})
	}
}

// The superuser's Secret must be one the chart does not write (or the pod waits for a Secret that
// never comes, or mounts a key that is not there), and a Kubernetes name.
func TestExistingSuperuserSecretRefusals(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"the connection Secret", "postgres.auth.existingSuperuserSecret", authSecret, "postgres.auth.existingSuperuserSecret is \"" + authSecret + "\", the name of a Secret the chart writes"},
		{"the generated superuser Secret", "postgres.instances.app.auth.existingSuperuserSecret", superuserSecret, "postgres.instances.app.auth.existingSuperuserSecret is \"" + superuserSecret + "\", the name of a Secret the chart writes"},
		{"not a name", "postgres.auth.existingSuperuserSecret", "Admin_Secret", "postgres.auth.existingSuperuserSecret is \"Admin_Secret\": give a Kubernetes object name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{tt.key: tt.value}, SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// passwordFiles maps each file of a PostgreSQL pod's credentials volume to its Secret/key.
func passwordFiles(t *testing.T, sts *appsv1.StatefulSet) map[string]string {
	t.Helper()
	creds := volume(t, sts, "credentials")
	require.NotNil(t, creds.Projected, "credentials is a projected volume: each password from its own Secret")
	files := map[string]string{}
	for _, src := range creds.Projected.Sources {
		require.NotNil(t, src.Secret)
		for _, item := range src.Secret.Items {
			files[item.Path] = src.Secret.Name + "/" + item.Key
		}
	}
	return files
}

// projectedSecrets: the names of every Secret a pod's projected volumes read.
func projectedSecrets(spec corev1.PodSpec) []string {
	var names []string
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.Secret != nil {
				names = append(names, src.Secret.Name)
			}
		}
	}
	return names
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
