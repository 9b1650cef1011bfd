package discover

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
