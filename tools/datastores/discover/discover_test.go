package discover

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/datastores/datastores/tools/datastores/inventory"
)

func TestKindOfTellsServersFromEverythingElse(t *testing.T) {
	port := func(n int32, name string) []corev1.ContainerPort {
		return []corev1.ContainerPort{{ContainerPort: n, Name: name}}
	}
	for _, tc := range []struct {
		image string
		ports []corev1.ContainerPort
		kind  Kind
	}{
		{"docker.io/library/postgres:17.6-alpine", port(5432, "postgresql"), Postgres},
		{"postgres:17", port(5432, ""), Postgres},
		{"docker.io/bitnami/postgresql:17.2.0@sha256:0123", port(5432, "tcp-postgresql"), Postgres},
		{"postgis/postgis:16-3.4", port(5432, ""), Postgres},
		{"registry.internal:5000/redis:7.4.5-alpine", port(6379, "redis-tls"), Redis},
		{"valkey/valkey:8", port(6379, ""), Redis},
		{"mirror.local/custom-db:1", port(5432, ""), Postgres},
		{"mirror.local/custom-cache:1", port(7000, "redis"), Redis},
		{"docker.io/library/postgres:17.6-alpine", nil, ""}, // a sidecar or a job: no port, a client
		{"quay.io/prometheuscommunity/postgres-exporter:v0.15.0", port(9187, "metrics"), ""},
		{"docker.io/bitnami/redis-sentinel:7.4", port(26379, "sentinel"), ""},
		{"bitnami/pgbouncer:1.22", port(6432, ""), ""},
		{"nginx:1.27", port(80, "http"), ""},
	} {
		assert.Equal(t, tc.kind, kindOf(corev1.Container{Image: tc.image, Ports: tc.ports}), tc.image)
	}
}

func TestFlavor(t *testing.T) {
	for image, want := range map[string]string{
		"postgres:17": "official", "docker.io/library/redis:7.4": "official", "docker.io/bitnami/postgresql:17": "bitnami",
		"registry.internal:5000/bitnami/redis:7": "bitnami", "ghcr.io/acme/postgres:17": "",
	} {
		assert.Equal(t, want, flavor(image), image)
	}
}

func TestClientServicesLeadToTheServersPort(t *testing.T) {
	svc := func(name string, port int32, target intstr.IntOrString) corev1.Service {
		return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: port, TargetPort: target}}}}
	}
	c := corev1.Container{Ports: []corev1.ContainerPort{{Name: "postgresql", ContainerPort: 5432}, {Name: "metrics", ContainerPort: 9187}}}
	services := []corev1.Service{
		svc("by-name", 5432, intstr.FromString("postgresql")),
		svc("by-number", 6000, intstr.FromInt32(5432)),
		svc("same-port", 5432, intstr.IntOrString{}),
		svc("metrics", 9187, intstr.FromString("metrics")), // a sidecar's Service selects the same pod
	}
	var names []string
	for _, s := range clientServices(services, c, 5432) {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"by-name", "by-number", "same-port"}, names)
}

// The chart mounts its two PostgreSQL passwords from two Secrets into one directory (a projected
// volume): both are found, each with its user, whether or not an environment variable names it.
func TestPasswordsFromAProjectedVolume(t *testing.T) {
	secret := func(name string, data map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Data: map[string][]byte{}}
		for k, v := range data {
			s.Data[k] = []byte(v)
		}
		return s
	}
	source := func(name, key, path string) corev1.VolumeProjection {
		return corev1.VolumeProjection{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Items: []corev1.KeyToPath{{Key: key, Path: path}}}}
	}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}, Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{
			Name: "postgres", Image: "postgres:17", Ports: []corev1.ContainerPort{{Name: "postgresql", ContainerPort: 5432}},
			VolumeMounts: []corev1.VolumeMount{{Name: "credentials", MountPath: "/run/secrets/postgres"}},
		}},
		Volumes: []corev1.Volume{{Name: "credentials", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			source("db-auth", "password", "password"), source("db-superuser", "postgres-password", "postgres-password"),
		}}}}},
	}}}}
	inv := &inventory.Inventory{}
	for _, o := range []any{sts, secret("db-auth", map[string]string{"username": "app_user", "password": "app-secret"}), secret("db-superuser", map[string]string{"postgres-password": "admin-secret"})} {
		inv.Add(o)
	}
	inv.Normalize()
	servers := Find(inv, "cluster.local")
	require.Len(t, servers, 1)
	got := map[string]string{}
	for _, c := range servers[0].Credentials {
		got[c.User] = c.Password + fmt.Sprintf(" admin=%v", c.Admin)
	}
	assert.Equal(t, map[string]string{"app_user": "app-secret admin=false", "postgres": "admin-secret admin=true"}, got)
}
