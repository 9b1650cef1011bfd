package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/podsecurity"
)

// Every values file, and the TLS and auth variants, renders only pods the restricted profile admits.
var podSecurityCases = []chart.Options{
	{ValuesFiles: []string{devValues}},
	{ValuesFiles: []string{bakeryValues}},
	{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.tls.source": "certManager", "postgres.tls.certManager.issuerRef.name": "ca", "postgres.tls.clientCertificates": "true"}},
	{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.tls.source": "existingSecret", "postgres.tls.existingSecret.name": "tls", "postgres.instances.app.persistence.existingClaim": "data"}},
	{ValuesFiles: []string{bakeryValues}, SetValues: map[string]string{"postgres.backup.enabled": "true", "redis.tls.authClients": "yes", "redis.auth.users[0].name": "orders", "redis.auth.users[0].rules": "+@all"}},
}

func TestEveryPodPassesTheRestrictedProfile(t *testing.T) {
	for _, opts := range podSecurityCases {
		rel := chart.Render(t, opts)
		pods := rel.PodTemplates()
		require.NotEmpty(t, pods)
		for _, pod := range pods {
			t.Run(pod.Owner, func(t *testing.T) {
				assert.Empty(t, podsecurity.Restricted(&pod.Meta, &pod.Spec))
				assert.Empty(t, podsecurity.Hardened(&pod.Spec))
			})
		}
	}
}

// The check itself must catch what it guards against: each mutation of a rendered pod is refused.
func TestPodSecurityCheckCatchesUnsafePods(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.PodSpec)
	}{
		{"root user", func(s *corev1.PodSpec) { s.SecurityContext.RunAsUser = ptr.To[int64](0) }},
		{"privileged", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Privileged = ptr.To(true) }},
		{"privilege escalation", func(s *corev1.PodSpec) { s.InitContainers[0].SecurityContext.AllowPrivilegeEscalation = ptr.To(true) }},
		{"capability", func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"SYS_ADMIN"}
		}},
		{"no seccomp", func(s *corev1.PodSpec) {
			s.SecurityContext.SeccompProfile = nil
			s.Containers[0].SecurityContext.SeccompProfile = nil
		}},
		{"hostPath", func(s *corev1.PodSpec) {
			s.Volumes = append(s.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}},
		{"writable root", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.ReadOnlyRootFilesystem = ptr.To(false) }},
		{"service account token", func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sts := chart.Get[*appsv1.StatefulSet](t, renderDev(t, nil), devInstance)
			spec := sts.Spec.Template.Spec
			tt.mutate(&spec)
			reasons := append(podsecurity.Restricted(&sts.Spec.Template.ObjectMeta, &spec), podsecurity.Hardened(&spec)...)
			assert.NotEmpty(t, reasons)
		})
	}
}

func TestRootCannotBeConfigured(t *testing.T) {
	for _, field := range []string{"runAsUser", "runAsGroup", "fsGroup"} {
		t.Run(field, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.securityContext." + field: "0"},
				SkipSchemaValidation: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "postgres.securityContext."+field+" must be a non-zero id")

			_, err = chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"postgres.securityContext." + field: "0"}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "at '/securityContext/"+field+"': minimum: got 0, want 1")
		})
	}
}
