//go:build e2e

package e2e_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/helm"
	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/datastores/datastores/test/harness/certs"
	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/pgclient"
)

// env is one test's namespace, labelled to enforce the restricted Pod Security profile, with a
// client for it. It is deleted, with everything in it, when the test ends.
type env struct {
	ns      string
	kubectl *k8s.KubectlOptions
	client  *kubernetes.Clientset
}

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	requireCluster(t)
	ns := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000)
	kubectl := k8s.NewKubectlOptions(kubeContext, kubeconfig, ns)
	k8s.CreateNamespaceWithMetadata(t, kubectl, metav1.ObjectMeta{Name: ns, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	}})
	t.Cleanup(func() { _ = k8s.DeleteNamespaceE(t, kubectl, ns) })
	client, err := clientset()
	require.NoError(t, err)
	return &env{ns: ns, kubectl: kubectl, client: client}
}

// release is one install of the umbrella chart.
type release struct {
	name string
	opts *helm.Options
	env  *env
}

// install installs the chart with a values file of values/ (dev.yaml, bakery-ia.yaml),
// E2E_VALUES and the given values, waits for every pod to be Ready, and logs how long that took.
func install(t *testing.T, e *env, name, valuesFile string, set map[string]string) *release {
	t.Helper()
	return installFrom(t, e, name, chart.RepoRoot(), valuesFile, set)
}

// installFrom is install with the chart and the values file of another checkout of this
// repository (an earlier release's, for the upgrade test).
func installFrom(t *testing.T, e *env, name, repoRoot, valuesFile string, set map[string]string) *release {
	t.Helper()
	values := []string{filepath.Join(repoRoot, "values", valuesFile)}
	if extra := os.Getenv("E2E_VALUES"); extra != "" {
		values = append(values, extra)
	}
	wait := []string{"--wait", "--timeout", "10m"}
	r := &release{name: name, env: e, opts: &helm.Options{
		KubectlOptions: e.kubectl,
		ValuesFiles:    values,
		SetValues:      set,
		ExtraArgs:      map[string][]string{"install": wait, "upgrade": wait},
	}}
	start := time.Now()
	helm.Install(t, r.opts, filepath.Join(repoRoot, "charts", "datastores"), name)
	ready := time.Since(start).Round(time.Second)
	t.Logf("helm install %s to all pods Ready: %s (target: 90s)", name, ready)
	recordTiming("%s: helm install to all pods Ready in %s (target 90s)", t.Name(), ready)
	t.Cleanup(func() { _ = helm.DeleteE(t, r.opts, name, true) })
	return r
}

// upgrade runs helm upgrade with the install's values plus set.
func (r *release) upgrade(t *testing.T, set map[string]string) {
	t.Helper()
	if r.opts.SetValues == nil {
		r.opts.SetValues = map[string]string{}
	}
	for k, v := range set {
		r.opts.SetValues[k] = v
	}
	helm.Upgrade(t, r.opts, chart.ChartDir(), r.name)
}

func (r *release) secret(t *testing.T, name string) *corev1.Secret {
	t.Helper()
	return k8s.GetSecret(t, r.env.kubectl, name)
}

// caPool is the release CA as clients get it: the public ConfigMap.
func (r *release) caPool(t *testing.T) *x509.CertPool {
	t.Helper()
	cm := k8s.GetConfigMap(t, r.env.kubectl, r.name+"-datastores-ca")
	pool, err := certs.Pool([]byte(cm.Data["ca.crt"]))
	require.NoError(t, err)
	return pool
}

// serviceDNS is the name clients in the cluster use, and the one they verify.
func (r *release) serviceDNS(svc string) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", svc, r.env.ns)
}

// tunnel forwards a local port to a Service, closed when the test ends.
func (r *release) tunnel(t *testing.T, svc string, port int) string {
	t.Helper()
	tun := k8s.NewTunnel(r.env.kubectl, k8s.ResourceTypeService, svc, 0, port)
	tun.ForwardPort(t)
	t.Cleanup(tun.Close)
	return tun.Endpoint()
}

// postgres connects to an instance through a tunnel, verifying the certificate against the
// Service's DNS name with the given CA.
func (r *release) postgres(t *testing.T, instance string, pool *x509.CertPool, database string) *pgx.Conn {
	t.Helper()
	conn, err := r.postgresE(t, instance, pgclient.VerifyFull(pool, r.serviceDNS(r.name+"-postgres-"+instance)), database)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (r *release) postgresE(t *testing.T, instance string, tlsConfig *tls.Config, database string) (*pgx.Conn, error) {
	t.Helper()
	full := r.name + "-postgres-" + instance
	auth := r.secret(t, full+"-auth")
	if database == "" {
		database = string(auth.Data["database"])
	}
	addr := r.tunnel(t, full, 5432)
	return pgclient.Connect(t.Context(), addr, pgclient.Client{User: string(auth.Data["username"]), Password: string(auth.Data["password"]), Database: database, TLS: tlsConfig})
}

// redis opens a go-redis client through a tunnel; verify-full against the Service's name.
func (r *release) redis(t *testing.T, password string, plaintext bool) *redis.Client {
	t.Helper()
	svc := r.name + "-redis"
	opts := &redis.Options{Addr: r.tunnel(t, svc, 6379), Password: password, DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second, MaxRetries: -1, Protocol: 2, DisableIdentity: true}
	if !plaintext {
		opts.TLSConfig = &tls.Config{RootCAs: r.caPool(t), ServerName: r.serviceDNS(svc), MinVersion: tls.VersionTLS12}
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// restartPod deletes a StatefulSet's pod and waits for its replacement to be Ready.
func (r *release) restartPod(t *testing.T, pod string) {
	t.Helper()
	old := k8s.GetPod(t, r.env.kubectl, pod)
	require.NoError(t, r.env.client.CoreV1().Pods(r.env.ns).Delete(t.Context(), pod, metav1.DeleteOptions{}))
	require.NoError(t, wait.PollUntilContextTimeout(t.Context(), 2*time.Second, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := r.env.client.CoreV1().Pods(r.env.ns).Get(ctx, pod, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return p.UID != old.UID && k8s.IsPodAvailable(p), nil
	}), "pod %s did not come back", pod)
}

// runJob creates a Job and waits for it to finish; it returns the Job's log and whether it
// succeeded.
func (r *release) runJob(t *testing.T, job *batchv1.Job) (string, bool) {
	t.Helper()
	_, err := r.env.client.BatchV1().Jobs(r.env.ns).Create(t.Context(), job, metav1.CreateOptions{})
	require.NoError(t, err)
	return r.waitJob(t, job.Name)
}

func (r *release) waitJob(t *testing.T, name string) (string, bool) {
	t.Helper()
	var done *batchv1.Job
	require.NoError(t, wait.PollUntilContextTimeout(t.Context(), 2*time.Second, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		j, err := r.env.client.BatchV1().Jobs(r.env.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		if j.Status.Succeeded > 0 || j.Status.Failed > 0 && (j.Spec.BackoffLimit == nil || j.Status.Failed > *j.Spec.BackoffLimit) {
			done = j
			return true, nil
		}
		return false, nil
	}), "job %s did not finish", name)
	pods, err := r.env.client.CoreV1().Pods(r.env.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "job-name=" + name})
	require.NoError(t, err)
	var logs strings.Builder
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			out, _ := k8s.GetPodLogsE(t, r.env.kubectl, &p, c.Name)
			logs.WriteString(out)
			if !strings.HasSuffix(out, "\n") {
				logs.WriteString("\n")
			}
		}
	}
	return logs.String(), done.Status.Succeeded > 0
}

// pod returns a pod of the release's namespace by name.
func (r *release) pod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	p, err := r.env.client.CoreV1().Pods(r.env.ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	return p
}

// restrictedContainer is a container security context that passes the restricted profile.
func restrictedContainer(uid int64) *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To(uid), AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem: ptr.To(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func fingerprint(pemData []byte) string {
	cert, err := certs.Parse(pemData)
	if err != nil {
		return "unparsable: " + err.Error()
	}
	return fingerprintOf(cert)
}

// fingerprintOf is the SHA-256 of a certificate's DER, as the tls-reloader logs it.
func fingerprintOf(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}
