// Package render_test is the first test tier: it renders the chart in-process, as `helm install`
// would, and checks the typed objects. No cluster, no servers.
package render_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

const (
	devValues    = "values/dev.yaml"
	bakeryValues = "values/bakery-ia.yaml"
	// With release "test", the instance "app" of values/dev.yaml is named:
	devInstance = "test-postgres-app"
)

// renderDev renders values/dev.yaml with extra --set pairs.
func renderDev(t *testing.T, set map[string]string) *chart.Release {
	t.Helper()
	return chart.Render(t, chart.Options{ValuesFiles: []string{devValues}, SetValues: set})
}

// configFile returns one file of an instance's ConfigMap.
func configFile(t *testing.T, rel *chart.Release, instance, file string) string {
	t.Helper()
	cm := chart.Get[*corev1.ConfigMap](t, rel, instance)
	data, ok := cm.Data[file]
	if !ok {
		t.Fatalf("ConfigMap %s has no %s", instance, file)
	}
	return data
}

// settings parses postgresql.conf lines "name = value" (the last one wins, as in PostgreSQL).
func settings(conf string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if ok {
			out[strings.TrimSpace(name)] = strings.TrimSpace(value)
		}
	}
	return out
}

// hbaLines returns the rule lines of pg_hba.conf, whitespace-normalised.
func hbaLines(hba string) []string {
	var out []string
	for _, line := range strings.Split(hba, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Join(strings.Fields(line), " "))
	}
	return out
}

// container returns the named container or init container of a StatefulSet.
func container(t *testing.T, sts *appsv1.StatefulSet, name string) corev1.Container {
	t.Helper()
	spec := sts.Spec.Template.Spec
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("StatefulSet %s has no container %q", sts.Name, name)
	return corev1.Container{}
}

// volume returns the named volume of a StatefulSet's pod.
func volume(t *testing.T, sts *appsv1.StatefulSet, name string) corev1.Volume {
	t.Helper()
	for _, v := range sts.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("StatefulSet %s has no volume %q", sts.Name, name)
	return corev1.Volume{}
}

// mountPath returns where a container mounts a volume.
func mountPath(t *testing.T, c corev1.Container, volumeName string) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == volumeName {
			return m.MountPath
		}
	}
	t.Fatalf("container %s does not mount %q", c.Name, volumeName)
	return ""
}

// env returns a container's environment as a map of literal values.
func env(c corev1.Container) map[string]string {
	out := map[string]string{}
	for _, e := range c.Env {
		out[e.Name] = e.Value
	}
	return out
}

// names lists the names of objects.
func names[T metav1.Object](objs []T) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return out
}

// existingSecret is a Secret already in the cluster (Options.Existing), as lookup sees it.
func existingSecret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "datastores"},
		Data:       map[string][]byte{},
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}
