package render_test

import (
	"strings"
	"testing"

	"github.com/datastores/datastores/test/harness/chart"
	"github.com/datastores/datastores/test/harness/invariants"
)

// fuzzKeys are the values a user writes as free text, each with what makes it reachable. The
// fuzzer picks one and writes any string there.
var fuzzKeys = []struct {
	key   string
	extra []any
}{
	{"postgres.audit.logLinePrefix", nil},
	{"postgres.config.cluster_name", nil},
	{"postgres.instances.app.config.search_path", nil},
	{"postgres.instances.app.database", nil},
	{"postgres.instances.app.user", nil},
	{"postgres.instances.app.priorityClassName", nil},
	{"postgres.instances.app.persistence.size", nil},
	{"postgres.instances.app.persistence.storageClass", nil},
	{"postgres.auth.userPasswordKey", nil},
	{"postgres.auth.existingSecret", nil},
	{"postgres.tls.existingSecret.keys.ca", []any{"postgres.tls.source", "existingSecret", "postgres.tls.existingSecret.name", "t"}},
	{"postgres.tls.certManager.duration", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
	{"postgres.tls.certManager.issuerRef.kind", []any{"postgres.tls.source", "certManager", "postgres.tls.certManager.issuerRef.name", "ca"}},
	{"postgres.image.tag", nil},
	{"postgres.image.registry", nil},
	{"postgres.fullnameOverride", nil},
	{"postgres.backup.schedule", []any{"postgres.backup.enabled", true}},
	{"postgres.backup.compression", []any{"postgres.backup.enabled", true}},
	{"postgres.backup.timeZone", []any{"postgres.backup.enabled", true}},
	{"postgres.podAnnotations.note", nil},
	{"postgres.podLabels.team", nil},
	{"redis.config.maxmemory-policy", nil},
	{"redis.persistence.save", nil},
	{"redis.tls.protocols", nil},
	{"redis.tls.authClients", nil},
	{"redis.auth.passwordKey", nil},
	{"global.clusterDomain", nil},
	{"global.imageRegistry", nil},
}

// fuzzStructures are the Kubernetes structures values pass through (see internal/k8sschema) and
// the other lists of the surface added since 0.1.0, each with one place the fuzzer writes its
// text: a name, a key, a value, a path, a port or a selector. key is the value path a refusal
// must name.
var fuzzStructures = []struct {
	key    string
	values func(v string) string
}{
	{"postgres.tolerations", func(v string) string {
		return at("postgres.tolerations", []any{map[string]any{"key": v, "operator": "Equal", "value": "x", "effect": "NoSchedule"}})
	}},
	{"postgres.tolerations", func(v string) string {
		return at("postgres.tolerations", []any{map[string]any{"key": "k", "operator": v, "value": "x"}})
	}},
	{"redis.tolerations", func(v string) string {
		return at("redis.tolerations", []any{map[string]any{"key": "k", "value": v}})
	}},
	{"postgres.nodeSelector", func(v string) string { return at("postgres.nodeSelector", map[string]any{v: "x"}) }},
	{"postgres.nodeSelector", func(v string) string { return at("postgres.nodeSelector", map[string]any{"zone": v}) }},
	{"postgres.topologySpreadConstraints", func(v string) string {
		return at("postgres.topologySpreadConstraints", []any{map[string]any{"maxSkew": 1, "topologyKey": v, "whenUnsatisfiable": "DoNotSchedule"}})
	}},
	{"postgres.topologySpreadConstraints", func(v string) string {
		return at("postgres.topologySpreadConstraints", []any{map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": []any{v}}})
	}},
	{"postgres.affinity", func(v string) string {
		return at("postgres.affinity", map[string]any{"podAntiAffinity": map[string]any{"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
			"weight": 1, "podAffinityTerm": map[string]any{"topologyKey": v, "labelSelector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}}})
	}},
	{"redis.affinity", func(v string) string {
		return at("redis.affinity", map[string]any{"podAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
			"topologyKey": "zone", "labelSelector": map[string]any{"matchExpressions": []any{map[string]any{"key": v, "operator": "In", "values": []any{"x"}}}}}}}})
	}},
	{"redis.affinity", func(v string) string {
		return at("redis.affinity", map[string]any{"nodeAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": map[string]any{
			"nodeSelectorTerms": []any{map[string]any{"matchExpressions": []any{map[string]any{"key": "cores", "operator": "Gt", "values": []any{v}}}}}}}})
	}},
	{"postgres.networkPolicy.from", func(v string) string {
		return at("postgres.networkPolicy.from", []any{map[string]any{"ipBlock": map[string]any{"cidr": v}}})
	}},
	{"postgres.networkPolicy.from", func(v string) string {
		return at("postgres.networkPolicy.from", []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/8", "except": []any{v}}}})
	}},
	{"redis.networkPolicy.from", func(v string) string {
		return at("redis.networkPolicy.from", []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{v: "x"}}}})
	}},
	{"postgres.networkPolicy.extraIngress", func(v string) string {
		return at("postgres.networkPolicy.extraIngress", []any{map[string]any{"ports": []any{map[string]any{"port": v}}}})
	}},
	{"redis.networkPolicy.extraEgress", func(v string) string {
		return at("redis.networkPolicy.extraEgress", []any{map[string]any{"ports": []any{map[string]any{"port": 443, "protocol": v}}}})
	}},
	{"postgres.extraEnv", func(v string) string { return at("postgres.extraEnv", []any{map[string]any{"name": v, "value": "x"}}) }},
	{"redis.extraEnv", func(v string) string { return at("redis.extraEnv", []any{map[string]any{"name": "X", "value": v}}) }},
	{"redis.extraEnv", func(v string) string {
		return at("redis.extraEnv", []any{map[string]any{"name": "X", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": v}}}})
	}},
	{"postgres.extraEnv", func(v string) string {
		return at("postgres.extraEnv", []any{map[string]any{"name": "X", "valueFrom": map[string]any{"fieldRef": map[string]any{"fieldPath": v}}}})
	}},
	{"postgres.extraVolumes", func(v string) string {
		return at("postgres.extraVolumes", []any{map[string]any{"name": v, "emptyDir": map[string]any{}}})
	}},
	{"postgres.extraVolumes", func(v string) string {
		return at("postgres.extraVolumes", []any{map[string]any{"name": "x", "configMap": map[string]any{"name": "c", "items": []any{map[string]any{"key": "k", "path": v}}}}})
	}},
	{"redis.extraVolumes", func(v string) string {
		return at("redis.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{"sizeLimit": v}}})
	}},
	{"postgres.extraVolumeMounts", func(v string) string {
		return at("postgres.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"postgres.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": v}})
	}},
	{"redis.extraVolumeMounts", func(v string) string {
		return at("redis.extraVolumes", []any{map[string]any{"name": "x", "emptyDir": map[string]any{}}},
			"redis.extraVolumeMounts", []any{map[string]any{"name": "x", "mountPath": "/srv/x", "subPath": v}})
	}},
	{"postgres.sidecars", func(v string) string {
		return at("postgres.sidecars", []any{map[string]any{"name": v, "image": "busybox:1.36"}})
	}},
	{"postgres.sidecars", func(v string) string { return at("postgres.sidecars", []any{map[string]any{"name": "s", "image": v}}) }},
	{"redis.sidecars", func(v string) string {
		return at("redis.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36", "ports": []any{map[string]any{"name": v, "containerPort": 2020}}}})
	}},
	{"redis.sidecars", func(v string) string {
		return at("redis.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36", "readinessProbe": map[string]any{"httpGet": map[string]any{"path": v, "port": 2020}}}})
	}},
	{"postgres.sidecars", func(v string) string {
		return at("postgres.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36", "workingDir": v}})
	}},
	{"postgres.sidecars", func(v string) string {
		return at("postgres.sidecars", []any{map[string]any{"name": "s", "image": "busybox:1.36", "env": []any{map[string]any{"name": v, "value": "x"}}}})
	}},
	{"postgres.instances.app.resources", func(v string) string {
		return at("postgres.instances.app.resources", map[string]any{"requests": map[string]any{"memory": v}, "limits": map[string]any{"memory": "1Gi"}})
	}},
	{"redis.auth.users", func(v string) string {
		return at("redis.auth.users", []any{map[string]any{"name": v, "rules": "~* +@read"}})
	}},
	{"redis.auth.users", func(v string) string {
		return at("redis.auth.users", []any{map[string]any{"name": "app", "rules": "~* +@read", "passwordKey": v}})
	}},
	{"postgres.extensions", func(v string) string { return at("postgres.extensions", []any{"pgcrypto", v}) }},
	{"postgres.external.ext", func(v string) string {
		return at("postgres.external.ext", map[string]any{"url": v, "existingSecret": map[string]any{"name": "ext"}, "ca": map[string]any{"system": true}})
	}},
	{"postgres.external.ext", func(v string) string {
		return at("postgres.external.ext", map[string]any{"host": v, "database": "d", "user": "u", "existingSecret": map[string]any{"name": "ext"}, "ca": map[string]any{"system": true}})
	}},
	{"redis.external", func(v string) string {
		return at("redis.external", map[string]any{"enabled": true, "url": v, "existingSecret": map[string]any{"name": "ext"}, "ca": map[string]any{"system": true}})
	}},
	{"postgres.backup.instances", func(v string) string {
		return at("postgres.backup.enabled", true, "postgres.backup.instances", []any{v})
	}},
	{"postgres.persistence.accessModes", func(v string) string { return at("postgres.persistence.accessModes", []any{v}) }},
	{"postgres.metrics.serviceMonitor.interval", func(v string) string {
		return at("postgres.metrics.enabled", true, "postgres.metrics.serviceMonitor.enabled", true, "postgres.metrics.serviceMonitor.interval", v)
	}},
	{"postgres.metrics.existingSecret", func(v string) string {
		return at("postgres.metrics.enabled", true, "postgres.metrics.existingSecret", v)
	}},
	{"redis.fullnameOverride", func(v string) string { return at("redis.fullnameOverride", v) }},
	{"redis.metrics.podMonitor.labels", func(v string) string {
		return at("redis.metrics.enabled", true, "redis.metrics.podMonitor.enabled", true, "redis.metrics.podMonitor.labels", map[string]any{"release": v})
	}},
}

// fuzzTarget: the values file for pick and value, and the key a refusal must name. Picks below
// fuzzStructuresFrom keep the meaning they had when the corpus in testdata was found: a free-text
// key, or past them the ACL rules; the structures come after.
const fuzzStructuresFrom = 128

func fuzzTarget(pick uint8, value string) (values, key string) {
	switch n := int(pick); {
	case n < len(fuzzKeys):
		k := fuzzKeys[n]
		return at(k.key, value, k.extra...), k.key
	case n < fuzzStructuresFrom:
		return at("redis.auth.users", []map[string]any{{"name": "app", "rules": value}}), "redis.auth.users[0].rules"
	default:
		s := fuzzStructures[(n-fuzzStructuresFrom)%len(fuzzStructures)]
		return s.values(value), s.key
	}
}

// FuzzValues writes arbitrary text into one of fuzzKeys, an ACL rule or one place of
// fuzzStructures, and renders without the schema (to reach the templates' own checks). A render
// must either fail naming the key (never a crash, never a manifest the API server refuses) or keep
// every promise of invariants.Check.
func FuzzValues(f *testing.F) {
	for i := range len(fuzzKeys) {
		for _, p := range payloads {
			f.Add(uint8(i), p.value)
		}
	}
	for i := range fuzzStructures {
		for _, p := range payloads {
			f.Add(uint8(fuzzStructuresFrom+i), p.value)
		}
	}
	f.Add(uint8(len(fuzzKeys)), "~* +@all NoPass")
	f.Add(uint8(len(fuzzKeys)), "~cache:* +@read (~x:* +get)")
	f.Fuzz(func(t *testing.T, pick uint8, value string) {
		values, key := fuzzTarget(pick, value)
		rel, err := chart.RenderE(chart.Options{
			ValuesFiles:          []string{devValues, chart.ValuesFile(t, values)},
			SkipSchemaValidation: true,
		})
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "nil pointer") || strings.Contains(msg, "panic") {
				t.Fatalf("%s = %q crashed the templates: %v", key, value, err)
			}
			if strings.Contains(msg, "the render would not be accepted") {
				t.Fatalf("%s = %q rendered objects the API server refuses: %v", key, value, err)
			}
			if !strings.Contains(msg, key) && !strings.Contains(msg, "values:") && !strings.Contains(msg, "redis.config") {
				t.Fatalf("%s = %q: the refusal does not name the key: %v", key, value, err)
			}
			return
		}
		if err := invariants.Check(rel); err != nil {
			t.Fatalf("%s = %q broke a promise: %v", key, value, err)
		}
	})
}
