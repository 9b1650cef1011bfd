package apivalidation_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/datastores/datastores/test/harness/apivalidation"
	"github.com/datastores/datastores/test/harness/chart"
)

// What the API server refuses, the check refuses: each mutation of a good render is reported
// with the field the API server names, and the good render passes.
func TestValidateRefusesWhatTheAPIServerRefuses(t *testing.T) {
	tests := []struct {
		name, want string
		mutate     func(objs []runtime.Object) []runtime.Object
	}{
		{"a Service name with a dot", "metadata.name", forFirst(func(s *corev1.Service) { s.Name = "a.b-postgres-app" })},
		{"a CronJob name over 52 characters", "must be no more than 52 characters", forFirst(func(c *batchv1.CronJob) { c.Name = strings.Repeat("c", 53) })},
		{"an invalid cron schedule", "spec.schedule", forFirst(func(c *batchv1.CronJob) { c.Spec.Schedule = "61 * * * *" })},
		{"a Secret over 1 MiB", "Too long", forFirst(func(s *corev1.Secret) { s.Data["big"] = make([]byte, 1<<20+1) })},
		{"a label value over 63 characters", "metadata.labels", forFirst(func(s *appsv1.StatefulSet) { s.Labels["x"] = strings.Repeat("v", 64) })},
		{"a selector that does not match the pods", "selector", forFirst(func(s *appsv1.StatefulSet) { s.Spec.Template.Labels = map[string]string{"other": "x"} })},
		{"a zero-size claim", "must be greater than zero", forFirst(func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("0")
		})},
		{"two volumes of one name", "Duplicate value", forFirst(func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Volumes = append(s.Spec.Template.Spec.Volumes, s.Spec.Template.Spec.Volumes[0])
		})},
		{"an object twice", "rendered twice", func(objs []runtime.Object) []runtime.Object { return append(objs, objs[0]) }},
	}
	good := chart.Render(t, chart.Options{ValuesFiles: []string{"values/dev.yaml"}, SetValues: map[string]string{"postgres.backup.enabled": "true"}})
	objs := append(append([]runtime.Object{}, good.Objects...), good.Hooks...)
	require.NoError(t, apivalidation.All(objs))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			copied := make([]runtime.Object, len(objs))
			for i, o := range objs {
				copied[i] = o.DeepCopyObject()
			}
			err := apivalidation.All(tt.mutate(copied))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValidateAppliesCertManagersLimits(t *testing.T) {
	good := chart.Certificate{Spec: chart.CertificateSpec{SecretName: "s", CommonName: "app", DNSNames: []string{"app.ns.svc"},
		Duration: "2160h", RenewBefore: "360h", IssuerRef: chart.IssuerReference{Name: "ca"}}}
	good.Name, good.Namespace = "app", "ns"
	tests := []struct {
		name, want string
		mutate     func(c *chart.Certificate)
	}{
		{"a common name over 64 bytes", "spec.commonName", func(c *chart.Certificate) { c.Spec.CommonName = strings.Repeat("a", 65) }},
		{"a CA", "spec.isCA", func(c *chart.Certificate) { c.Spec.IsCA = true }},
		{"a duration under an hour", "spec.duration", func(c *chart.Certificate) { c.Spec.Duration = "30m" }},
		{"a renewal longer than the duration", "spec.renewBefore", func(c *chart.Certificate) { c.Spec.RenewBefore = "3000h" }},
		{"no issuer", "spec.issuerRef.name", func(c *chart.Certificate) { c.Spec.IssuerRef.Name = "" }},
		{"a DNS name with a space", "spec.dnsNames[0]", func(c *chart.Certificate) { c.Spec.DNSNames[0] = "a b" }},
	}
	require.NoError(t, apivalidation.Validate(&good))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good.DeepCopyObject().(*chart.Certificate)
			tt.mutate(c)
			err := apivalidation.Validate(c)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// forFirst mutates the first object of type T.
func forFirst[T runtime.Object](mutate func(T)) func([]runtime.Object) []runtime.Object {
	return func(objs []runtime.Object) []runtime.Object {
		for _, o := range objs {
			if typed, ok := o.(T); ok {
				mutate(typed)
				return objs
			}
		}
		panic("no object of that type")
	}
}
