//go:build e2e

package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/tools/datastores/grade"
)

// buildDatastores builds the audit command (`go run ./tools/datastores` without the run).
func buildDatastores(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "datastores")
	cmd := exec.Command("go", "build", "-o", bin, "./tools/datastores")
	cmd.Dir = chart.RepoRoot()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// auditNamespace runs `datastores audit` on the live namespace (port-forward and exec through
// the kubeconfig) and returns the report and the exit code.
func auditNamespace(t *testing.T, bin string, e *env, args ...string) (grade.Report, int) {
	t.Helper()
	argv := append([]string{"audit", "--kubeconfig", kubeconfig, "--namespace", e.ns, "--format", "json"}, args...)
	if kubeContext != "" {
		argv = append(argv, "--context", kubeContext)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, argv...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	require.NotEqual(t, 2, code, "datastores audit failed: %s", stderr.String())
	var r grade.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &r), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	t.Logf("datastores audit of %s: grade %s (score %d) in %s", e.ns, r.Grade, r.Score, time.Since(start).Round(time.Millisecond))
	recordTiming("%s: datastores audit in %s", t.Name(), time.Since(start).Round(time.Millisecond))
	return r, code
}

// findings returns the findings of a check on targets containing target, from source.
func findings(r grade.Report, check, target, source string) []grade.Finding {
	var out []grade.Finding
	for _, f := range r.Findings {
		if f.Check == check && strings.Contains(f.Target, target) && f.Source == source {
			out = append(out, f)
		}
	}
	return out
}

func assertStatus(t *testing.T, r grade.Report, check, target, source string, status grade.Status) {
	t.Helper()
	fs := findings(r, check, target, source)
	if !assert.NotEmpty(t, fs, "no %s finding for %q from the %s", check, target, source) {
		return
	}
	for _, f := range fs {
		if f.Status == status {
			return
		}
	}
	assert.Failf(t, "wrong status", "%s on %q from the %s: want %s, have %+v", check, target, source, status, fs)
}

func failed(r grade.Report) string {
	var out []string
	for _, f := range r.Failed() {
		out = append(out, f.Check+" ["+f.Source+"] "+f.Target+": "+f.Message)
	}
	return strings.Join(out, "\n")
}

// TestAuditInstalledRelease audits an install of values/dev.yaml in its namespace, as
// `datastores audit -n <ns>` does: clean it grades A with every wire and cluster check run;
// then faults made in the namespace each lower the grade with their finding.
func TestAuditInstalledRelease(t *testing.T) {
	e := newEnv(t, "ds-audit")
	r := install(t, e, "audit", "dev.yaml", nil)
	bin := buildDatastores(t)

	t.Run("the installed release grades A, probed through port-forward and exec", func(t *testing.T) {
		rep, code := auditNamespace(t, bin, e, "--fail-under", "A")
		assert.Equal(t, 0, code)
		assert.Equal(t, "A", rep.Grade, failed(rep))
		assert.ElementsMatch(t, []string{"postgres " + e.ns + "/audit-postgres-app", "redis " + e.ns + "/audit-redis"}, rep.Servers)
		for _, target := range []string{"postgres", "redis"} {
			for _, check := range []string{"tls-disabled", "plaintext-accepted", "tls-protocol", "cert-chain", "cert-names", "cert-expired"} {
				assertStatus(t, rep, check, target, "server", grade.Pass)
			}
			assertStatus(t, rep, "key-permissions", target, "cluster", grade.Pass)
			assertStatus(t, rep, "pvc-unbound", target, "cluster", grade.Pass)
		}
		assertStatus(t, rep, "auth-weak-method", "postgres", "server", grade.Pass)
		assertStatus(t, rep, "listen-localhost", "postgres", "server", grade.Pass)
		assertStatus(t, rep, "auth-missing", "redis", "server", grade.Pass)
		assertStatus(t, rep, "aof-disabled", "redis", "server", grade.Pass)
		assertStatus(t, rep, "psa-not-restricted", e.ns, "cluster", grade.Pass)
	})

	t.Run("a connection Secret that skips verification", func(t *testing.T) {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "orders-config"}, StringData: map[string]string{
			"DATABASE_URL": "postgresql://app_user:x@audit-postgres-app:5432/app_db?sslmode=require",
			"REDIS_URL":    "rediss://:x@audit-redis:6379/0?ssl_cert_reqs=none",
		}}
		_, err := e.client.CoreV1().Secrets(e.ns).Create(t.Context(), s, metav1.CreateOptions{})
		require.NoError(t, err)
		defer func() {
			_ = e.client.CoreV1().Secrets(e.ns).Delete(context.Background(), s.Name, metav1.DeleteOptions{})
		}()
		rep, code := auditNamespace(t, bin, e, "--fail-under", "A")
		assert.Equal(t, 1, code, "--fail-under A exits 1")
		assert.Equal(t, "C", rep.Grade, "98 (no backup CronJob, low) - 20 (high): %s", failed(rep))
		assertStatus(t, rep, "client-verify-disabled", "secret "+e.ns+"/orders-config key DATABASE_URL", "manifest", grade.Fail)
		assertStatus(t, rep, "client-verify-disabled", "secret "+e.ns+"/orders-config key REDIS_URL", "manifest", grade.Fail)
	})

	t.Run("a namespace that does not enforce restricted", func(t *testing.T) {
		patch := func(value string) {
			body := `{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":` + value + `}}}`
			_, err := e.client.CoreV1().Namespaces().Patch(context.Background(), e.ns, types.MergePatchType, []byte(body), metav1.PatchOptions{})
			require.NoError(t, err)
		}
		patch(`"baseline"`)
		defer patch(`"restricted"`)
		rep, _ := auditNamespace(t, bin, e)
		assertStatus(t, rep, "psa-not-restricted", e.ns, "cluster", grade.Fail)
		assert.Equal(t, "B", rep.Grade, "98 - 8 (medium): %s", failed(rep))
	})

	t.Run("any Redis: a plaintext one without a password, on an emptyDir", func(t *testing.T) {
		// The chart's Redis image (mirrors included), run the way many clusters do: no TLS, no password.
		chartRedis, err := e.client.AppsV1().StatefulSets(e.ns).Get(t.Context(), "audit-redis", metav1.GetOptions{})
		require.NoError(t, err)
		image := chartRedis.Spec.Template.Spec.Containers[0]
		labels := map[string]string{"app": "plain-redis"}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "plain-redis"}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				AutomountServiceAccountToken: ptr.To(false),
				SecurityContext:              &corev1.PodSecurityContext{FSGroup: ptr.To(int64(999))},
				Containers: []corev1.Container{{
					Name: "redis", Image: image.Image, ImagePullPolicy: image.ImagePullPolicy,
					Command:         []string{"redis-server", "--save", "", "--appendonly", "no"},
					Ports:           []corev1.ContainerPort{{Name: "redis", ContainerPort: 6379}},
					SecurityContext: restrictedContainer(999),
					VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
				}},
				Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}},
		}}
		_, err = e.client.AppsV1().Deployments(e.ns).Create(t.Context(), d, metav1.CreateOptions{})
		require.NoError(t, err)
		defer func() {
			_ = e.client.AppsV1().Deployments(e.ns).Delete(context.Background(), d.Name, metav1.DeleteOptions{})
		}()
		require.NoError(t, wait.PollUntilContextTimeout(t.Context(), time.Second, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := e.client.AppsV1().Deployments(e.ns).Get(ctx, d.Name, metav1.GetOptions{})
			return err == nil && got.Status.AvailableReplicas == 1, nil
		}), "plain-redis did not become available")

		rep, code := auditNamespace(t, bin, e, "--fail-under", "C")
		assert.Equal(t, 1, code)
		assert.Equal(t, "F", rep.Grade, failed(rep))
		target := "redis " + e.ns + "/plain-redis"
		assert.Contains(t, rep.Servers, target, "found by its image, not by the chart's labels")
		assertStatus(t, rep, "tls-disabled", target, "server", grade.Fail)
		assertStatus(t, rep, "plaintext-accepted", target, "server", grade.Fail)
		assertStatus(t, rep, "auth-missing", target, "manifest", grade.Fail)
		assertStatus(t, rep, "data-ephemeral", target, "manifest", grade.Fail)
		assertStatus(t, rep, "aof-disabled", target, "manifest", grade.Fail)
	})

	t.Run("backups: unencrypted dumps, and when the last one succeeded", func(t *testing.T) {
		r.upgrade(t, map[string]string{"postgres.backup.enabled": "true", "postgres.backup.storage.size": "1Gi"})
		cj, err := e.client.BatchV1().CronJobs(e.ns).Get(t.Context(), "audit-postgres-backup", metav1.GetOptions{})
		require.NoError(t, err)
		rep, _ := auditNamespace(t, bin, e)
		assertStatus(t, rep, "backup-unencrypted", "cronjob "+e.ns+"/audit-postgres-backup", "manifest", grade.Fail)
		assertStatus(t, rep, "backup-failing", "cronjob "+e.ns+"/audit-postgres-backup", "cluster", grade.Unknown)

		// A run now, as `kubectl create job --from=cronjob/...` makes it: owned by the CronJob.
		job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "audit-backup-now", Labels: cj.Spec.JobTemplate.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, batchv1.SchemeGroupVersion.WithKind("CronJob"))}},
			Spec: cj.Spec.JobTemplate.Spec}
		logs, ok := r.runJob(t, job)
		require.True(t, ok, "the backup job failed:\n%s", logs)
		rep, _ = auditNamespace(t, bin, e)
		assertStatus(t, rep, "backup-failing", "cronjob "+e.ns+"/audit-postgres-backup", "cluster", grade.Pass)
		assert.Equal(t, "B", rep.Grade, "100 - 8: unencrypted dumps are the only fault: %s", failed(rep))
	})
}
