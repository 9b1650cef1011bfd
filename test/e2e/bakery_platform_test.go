//go:build e2e

package e2e_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// TestBakeryPlatform installs values/bakery-ia.yaml, the source documents' platform (14
// PostgreSQL databases and the Redis cache), and proves for every server, from a pod inside the
// cluster that has only the chart's Secrets: verify-full by Service name, plaintext refused, its
// own password accepted and another server's refused. Then a `helm upgrade` that rolls every pod
// keeps all 15 passwords, every certificate and the CA, and every server's data.
func TestBakeryPlatform(t *testing.T) {
	e := newEnv(t, "ds-bakery")
	r := install(t, e, "bk", "bakery-ia.yaml", map[string]string{})
	probe := newPlatformProbe(t, r)
	require.Len(t, probe.instances, 14, "values/bakery-ia.yaml has 14 PostgreSQL instances")

	t.Run("every server from inside the cluster: verify-full, no plaintext, only its own password", func(t *testing.T) {
		logs := probe.run(t, "check")
		for _, server := range append(append([]string{}, probe.instances...), "redis") {
			for _, check := range []string{"verify-full", "plaintext-refused", "other-password-refused", "write"} {
				assert.Contains(t, logs, server+" "+check+" ok\n", "%s: %s", server, check)
			}
		}
		assert.NotContains(t, logs, " FAIL", logs)
	})

	t.Run("Redis verifies by its Service name", func(t *testing.T) {
		password := string(r.secret(t, "bk-redis-auth").Data["password"])
		assert.Equal(t, "PONG", r.redis(t, password, false).Ping(t.Context()).Val())
	})

	t.Run("helm upgrade keeps all 15 passwords, the certificates and the data", func(t *testing.T) {
		before := probe.credentials(t)
		pods := probe.podUIDs(t)

		r.upgrade(t, map[string]string{"postgres.podAnnotations.e2e-upgraded": "yes", "redis.podAnnotations.e2e-upgraded": "yes"})

		for name, uid := range probe.podUIDs(t) {
			assert.NotEqual(t, pods[name], uid, "%s was not replaced: the upgrade must roll it for the test to mean anything", name)
		}
		after := probe.credentials(t)
		require.Len(t, after, len(before))
		for key, value := range before {
			assert.Equal(t, value, after[key], key)
		}
		logs := probe.run(t, "verify")
		for _, server := range append(append([]string{}, probe.instances...), "redis") {
			assert.Contains(t, logs, server+" data-kept ok\n", server)
		}
		assert.NotContains(t, logs, " FAIL", logs)
	})
}

// platformProbe is a Job, run as many times as needed, with one container per image: psql
// checks every PostgreSQL instance in turn, redis-cli the Redis server. It mounts each server's
// password and the CA ConfigMap, and connects by the Services' DNS names.
type platformProbe struct {
	r         *release
	instances []string // PostgreSQL instance names, sorted
	psql      corev1.Container
	redisCli  corev1.Container
	runs      int
}

func newPlatformProbe(t *testing.T, r *release) *platformProbe {
	t.Helper()
	p := &platformProbe{r: r}
	stss, err := r.env.client.AppsV1().StatefulSets(r.env.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=postgres"})
	require.NoError(t, err)
	for _, sts := range stss.Items {
		p.instances = append(p.instances, strings.TrimPrefix(sts.Name, r.name+"-postgres-"))
		p.psql = sts.Spec.Template.Spec.Containers[0]
	}
	sort.Strings(p.instances)
	redisSts, err := r.env.client.AppsV1().StatefulSets(r.env.ns).Get(t.Context(), r.name+"-redis", metav1.GetOptions{})
	require.NoError(t, err)
	p.redisCli = redisSts.Spec.Template.Spec.Containers[0]
	return p
}

// credentials are every password of every server's Secret and every certificate (fingerprint).
func (p *platformProbe) credentials(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, i := range p.instances {
		full := p.r.name + "-postgres-" + i
		auth := p.r.secret(t, full+"-auth")
		out[full+"-auth/password"] = string(auth.Data["password"])
		out[full+"-superuser/postgres-password"] = string(p.r.secret(t, full+"-superuser").Data["postgres-password"])
		out[full+"-tls/tls.crt"] = fingerprint(p.r.secret(t, full+"-tls").Data["tls.crt"])
	}
	out["redis-auth/password"] = string(p.r.secret(t, p.r.name+"-redis-auth").Data["password"])
	out["redis-tls/tls.crt"] = fingerprint(p.r.secret(t, p.r.name+"-redis-tls").Data["tls.crt"])
	out["ca/tls.crt"] = fingerprint(p.r.secret(t, p.r.name+"-datastores-ca").Data["tls.crt"])
	for k, v := range out {
		require.NotEmpty(t, v, k)
	}
	return out
}

func (p *platformProbe) podUIDs(t *testing.T) map[string]types.UID {
	t.Helper()
	out := map[string]types.UID{}
	for _, i := range p.instances {
		name := p.r.name + "-postgres-" + i + "-0"
		out[name] = p.r.pod(t, name).UID
	}
	out[p.r.name+"-redis-0"] = p.r.pod(t, p.r.name+"-redis-0").UID
	return out
}

// run runs the probe with a phase ("check": connect, refuse, write a marker; "verify": read the
// marker back) and returns its logs: lines "<server> <check> ok" or "<server> <check> FAIL ...".
func (p *platformProbe) run(t *testing.T, phase string) string {
	t.Helper()
	p.runs++
	var targets []string
	for n, i := range p.instances {
		other := p.instances[(n+1)%len(p.instances)]
		full := p.r.name + "-postgres-" + i
		auth := p.r.secret(t, full+"-auth")
		targets = append(targets, strings.Join([]string{i, p.r.serviceDNS(full), string(auth.Data["database"]), string(auth.Data["username"]), other}, ":"))
	}
	var sources []corev1.VolumeProjection
	for _, i := range append(append([]string{}, p.instances...), "redis") {
		secret := p.r.name + "-postgres-" + i + "-auth"
		if i == "redis" {
			secret = p.r.name + "-redis-auth"
		}
		sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret},
			Items:                []corev1.KeyToPath{{Key: "password", Path: i}},
		}})
	}
	mounts := []corev1.VolumeMount{{Name: "passwords", MountPath: "/secrets", ReadOnly: true}, {Name: "ca", MountPath: "/ca", ReadOnly: true}, {Name: "tmp", MountPath: "/tmp"}}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("probe-%s-%d", phase, p.runs)},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                corev1.RestartPolicyNever,
				AutomountServiceAccountToken: ptr.To(false),
				SecurityContext:              &corev1.PodSecurityContext{FSGroup: ptr.To[int64](70), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				Containers: []corev1.Container{
					{
						Name: "psql", Image: p.psql.Image, ImagePullPolicy: p.psql.ImagePullPolicy,
						Command:         append([]string{"/bin/sh", "-c", psqlProbe, "psql-probe", phase}, targets...),
						Env:             []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}},
						SecurityContext: restrictedContainer(70),
						VolumeMounts:    mounts,
					},
					{
						Name: "redis-cli", Image: p.redisCli.Image, ImagePullPolicy: p.redisCli.ImagePullPolicy,
						Command:         []string{"/bin/sh", "-c", redisProbe, "redis-probe", phase, p.r.serviceDNS(p.r.name + "-redis"), p.instances[0]},
						Env:             []corev1.EnvVar{{Name: "HOME", Value: "/tmp"}},
						SecurityContext: restrictedContainer(999),
						VolumeMounts:    mounts,
					},
				},
				Volumes: []corev1.Volume{
					{Name: "passwords", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: ptr.To[int32](0o440), Sources: sources}}},
					{Name: "ca", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: p.r.name + "-datastores-ca"}}}},
					{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				},
			}},
		},
	}
	start := time.Now()
	logs, ok := p.r.runJob(t, job)
	t.Logf("probe %s of %d servers: %s", phase, len(p.instances)+1, time.Since(start).Round(time.Second))
	require.True(t, ok, logs)
	t.Log(logs)
	return logs
}

// psqlProbe: $1 is the phase, then one "name:host:database:user:other" per instance, where other
// is the instance whose password must not open this one.
const psqlProbe = `set -u
phase=$1; shift
for t in "$@"; do
  IFS=: read -r name host db user other <<EOF
$t
EOF
  own="$(cat "/secrets/$name")"; theirs="$(cat "/secrets/$other")"
  conn="host=$host dbname=$db user=$user sslmode=verify-full sslrootcert=/ca/ca.crt connect_timeout=10"
  result() { if [ "$2" = ok ]; then echo "$name $1 ok"; else echo "$name $1 FAIL: $3"; fi; }
  if [ "$phase" = check ]; then
    out="$(PGPASSWORD="$own" psql -XAtc 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' "$conn" 2>&1)"
    [ "$out" = t ] && result verify-full ok || result verify-full no "$out"
    out="$(PGPASSWORD="$own" psql -XAtc 'SELECT 1' "host=$host dbname=$db user=$user sslmode=disable connect_timeout=10" 2>&1)"
    case "$out" in *"no encryption"*) result plaintext-refused ok ;; *) result plaintext-refused no "$out" ;; esac
    out="$(PGPASSWORD="$theirs" psql -XAtc 'SELECT 1' "$conn" 2>&1)"
    case "$out" in *"password authentication failed"*) result other-password-refused ok ;; *) result other-password-refused no "$out" ;; esac
    out="$(PGPASSWORD="$own" psql -v ON_ERROR_STOP=1 -XAtc "CREATE TABLE e2e_marker (v text); INSERT INTO e2e_marker VALUES ('$name')" "$conn" 2>&1)"
    [ $? -eq 0 ] && result write ok || result write no "$out"
  else
    out="$(PGPASSWORD="$own" psql -XAtc 'SELECT string_agg(v, $$,$$) FROM e2e_marker' "$conn" 2>&1)"
    [ "$out" = "$name" ] && result data-kept ok || result data-kept no "$out"
  fi
done
`

// redisProbe: redis-cli verifies the chain against the CA (hiredis does not match host names;
// the name is checked by go-redis through a tunnel in the test). $1 is the phase, $2 the Service's DNS name, $3 a PostgreSQL instance whose
// password must not open Redis.
const redisProbe = `set -u
phase=$1 host=$2 other=$3
cli="redis-cli --no-auth-warning --tls --cacert /ca/ca.crt -h $host -p 6379"
result() { if [ "$2" = ok ]; then echo "redis $1 ok"; else echo "redis $1 FAIL: $3"; fi; }
own="$(cat /secrets/redis)"
if [ "$phase" = check ]; then
  out="$(REDISCLI_AUTH="$own" $cli ping 2>&1)"
  [ "$out" = PONG ] && result verify-full ok || result verify-full no "$out"
  out="$(timeout 5 redis-cli -h "$host" -p 6379 ping 2>&1)"
  [ "$out" != PONG ] && result plaintext-refused ok || result plaintext-refused no "$out"
  out="$(REDISCLI_AUTH="$(cat "/secrets/$other")" $cli ping 2>&1)"
  case "$out" in *WRONGPASS*) result other-password-refused ok ;; *) result other-password-refused no "$out" ;; esac
  out="$(REDISCLI_AUTH="$own" $cli set e2e_marker redis 2>&1)"
  [ "$out" = OK ] && result write ok || result write no "$out"
else
  out="$(REDISCLI_AUTH="$own" $cli get e2e_marker 2>&1)"
  [ "$out" = redis ] && result data-kept ok || result data-kept no "$out"
fi
`
