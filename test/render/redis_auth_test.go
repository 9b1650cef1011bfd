package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/chart"
)

func TestRedisPasswordIsGeneratedAndKept(t *testing.T) {
	s := chart.Get[*corev1.Secret](t, renderDev(t, nil), redisName+"-auth")
	assert.GreaterOrEqual(t, len(s.Data["password"]), 32)
	assert.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"])

	existing := existingSecret(redisName+"-auth", map[string]string{"password": "the-password-of-the-first-install"})
	upgraded := chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, Existing: []runtime.Object{existing}, IsUpgrade: true})
	assert.Equal(t, "the-password-of-the-first-install", string(chart.Get[*corev1.Secret](t, upgraded, redisName+"-auth").Data["password"]))
}

// Clients get a rediss:// URL with the password, the form go-redis, redis-py and redis-cli all
// parse (no ssl_cert_reqs, which go-redis refuses), and the CA beside it.
func TestRedisConnectionURLVerifiesTheServer(t *testing.T) {
	rel := renderDev(t, nil)
	s := chart.Get[*corev1.Secret](t, rel, redisName+"-auth")

	assert.Equal(t, "rediss://default:"+string(s.Data["password"])+"@test-redis.datastores.svc.cluster.local:6379/0", string(s.Data["url"]))
	assert.Equal(t, chart.Get[*corev1.Secret](t, rel, caName).Data["ca.crt"], s.Data["ca.crt"])
}

func TestRedisStartScriptWritesHashedUsers(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"default user", nil, []string{
			`echo "user default on #$(hash /run/secrets/redis/password) ~* &* +@all"`,
			`echo "user datastores-reload on #$(hash /run/redis/reload.password) -@all +config|set"`,
		}},
		{"ACL users", map[string]string{
			"redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@read +@write -@dangerous",
		}, []string{
			`echo "user default on #$(hash /run/secrets/redis/password) ~* &* +@all"`,
			`echo "user orders on #$(hash /run/secrets/redis-users/orders/password) ~orders:* +@read +@write -@dangerous"`,
		}},
		{"default user disabled", map[string]string{
			"redis.auth.disableDefaultUser": "true",
			"redis.auth.users[0].name":      "orders", "redis.auth.users[0].rules": "~orders:* +@all",
		}, []string{
			`echo "user default off"`,
			`echo "user datastores-probe on #$(hash /run/secrets/redis/password) -@all +ping"`,
			`echo "user datastores-reload on #$(hash /run/redis/reload.password) -@all +config|set"`,
		}},
		{"reload off", map[string]string{"redis.tls.reload.enabled": "false"}, []string{
			`echo "user default on #$(hash /run/secrets/redis/password) ~* &* +@all"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := configFile(t, renderDev(t, tt.set), redisName, "start-redis.sh")
			for _, line := range tt.want {
				assert.Contains(t, script, line)
			}
			assert.Contains(t, script, `exec redis-server /etc/redis/redis.conf "$@"`)
		})
	}
}

func TestRedisACLUsersGetTheirOwnSecrets(t *testing.T) {
	rel := renderDev(t, map[string]string{
		"redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "~orders:* +@all",
		"redis.auth.users[1].name": "sessions", "redis.auth.users[1].rules": "~session:* +@all",
		"redis.auth.users[1].existingSecret": "sessions-redis", "redis.auth.users[1].passwordKey": "secret",
	})
	sts := chart.Get[*appsv1.StatefulSet](t, rel, redisName)

	orders := chart.Get[*corev1.Secret](t, rel, redisName+"-user-orders")
	assert.Equal(t, "orders", string(orders.Data["username"]))
	assert.GreaterOrEqual(t, len(orders.Data["password"]), 32)
	sessions := chart.Get[*corev1.Secret](t, rel, redisName+"-user-sessions")
	assert.NotContains(t, sessions.Data, "secret", "the existing Secret keeps the password; this one only connects")
	assert.Contains(t, sessions.Annotations, "datastores.io/incomplete", "its password was not found at render time")
	assert.NotContains(t, sessions.Data, "url")

	assert.Equal(t, []corev1.KeyToPath{{Key: "password", Path: "password"}}, volume(t, sts, "user-orders").Secret.Items)
	assert.Equal(t, "sessions-redis", volume(t, sts, "user-sessions").Secret.SecretName)
	assert.Equal(t, []corev1.KeyToPath{{Key: "secret", Path: "password"}}, volume(t, sts, "user-sessions").Secret.Items)
	assert.Equal(t, "/run/secrets/redis-users/sessions", mountPath(t, container(t, sts, "redis"), "user-sessions"))
}

func TestRedisProbesAuthenticateOverTLSWithoutArguments(t *testing.T) {
	rel := renderDev(t, nil)
	sts := chart.Get[*appsv1.StatefulSet](t, rel, redisName)
	redis := container(t, sts, "redis")
	probe := configFile(t, rel, redisName, "probe.sh")

	for name, p := range map[string]*corev1.Probe{"startup": redis.StartupProbe, "readiness": redis.ReadinessProbe, "liveness": redis.LivenessProbe} {
		require.NotNil(t, p, name)
		assert.Equal(t, []string{"/bin/sh", "/opt/datastores/probe.sh"}, p.Exec.Command, name)
	}
	assert.Contains(t, probe, `REDISCLI_AUTH="$(tr -d '\r\n' < /run/secrets/redis/password)"`)
	assert.Contains(t, probe, "redis-cli --no-auth-warning --tls --cacert /tls/ca.crt")
	assert.NotContains(t, probe, " -a ", "redis-cli -a would put the password on the command line")
	assert.NotContains(t, probe, "--pass")
	assert.Equal(t, []string{"/bin/sh", "/opt/datastores/start-redis.sh"}, redis.Command)
	assert.Empty(t, redis.Args)
	assert.Empty(t, redis.Env, "nothing, secret or not, comes through the environment")
}

func TestRedisRunsAsItsOwnUserWithAVolume(t *testing.T) {
	sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), redisName)

	assert.Equal(t, int64(999), *sts.Spec.Template.Spec.SecurityContext.RunAsUser)
	assert.Equal(t, int64(999), *container(t, sts, "prepare-tls").SecurityContext.RunAsUser)
	assert.Equal(t, "docker.io/library/redis:7.4.5-alpine", container(t, sts, "redis").Image)
	assert.Equal(t, container(t, sts, "redis").Image, container(t, sts, "prepare-tls").Image)
	assert.Equal(t, redisName+"-hl", sts.Spec.ServiceName)
	svc := chart.Get[*corev1.Service](t, renderDev(t, nil), redisName)
	assert.Equal(t, int32(6379), svc.Spec.Ports[0].Port)
	assert.Equal(t, "redis-tls", svc.Spec.Ports[0].Name)
}

func TestRedisUserChangeRollsThePod(t *testing.T) {
	before := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), redisName).Spec.Template.Annotations["checksum/config"]
	after := chart.Get[*appsv1.StatefulSet](t, renderDev(t, map[string]string{"redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "+@all"}), redisName).Spec.Template.Annotations["checksum/config"]

	assert.NotEqual(t, before, after, "the ACL file is written at start")
}

// No rendered object may hand clients a default that skips verification: the source platform's
// ssl_cert_reqs=none, libpq's sslmode=disable/allow/prefer/require, or an insecure flag.
func TestNoRenderedClientDefaultSkipsVerification(t *testing.T) {
	weak := []string{"ssl_cert_reqs=none", "ssl_cert_reqs=optional", "CERT_NONE", "sslmode=disable", "sslmode=allow", "sslmode=prefer", "sslmode=require", "--insecure", "insecure_skip_verify", "InsecureSkipVerify"}
	for _, values := range []string{devValues, bakeryValues} {
		rel := chart.Render(t, chart.Options{ValuesFiles: []string{values}})
		var texts []string
		for _, m := range rel.Manifests {
			texts = append(texts, m.Content)
		}
		for _, s := range chart.All[*corev1.Secret](rel) {
			for _, v := range s.Data {
				texts = append(texts, string(v))
			}
		}
		texts = append(texts, rel.Notes)
		for _, text := range texts {
			for _, w := range weak {
				assert.NotContains(t, strings.ToLower(text), strings.ToLower(w))
			}
		}
	}
}
