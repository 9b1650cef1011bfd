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

// FuzzValues writes arbitrary text into one of fuzzKeys and renders without the schema (to
// reach the templates' own checks). A render must either fail naming the key (never a crash, never
// a manifest the API server refuses) or keep every promise of invariants.Check. An ACL rule string
// is fuzzed too when the key index is past the end of fuzzKeys.
func FuzzValues(f *testing.F) {
	for i := range fuzzKeys {
		for _, p := range payloads {
			f.Add(uint8(i), p.value)
		}
	}
	f.Add(uint8(len(fuzzKeys)), "~* +@all NoPass")
	f.Add(uint8(len(fuzzKeys)), "~cache:* +@read")
	f.Fuzz(func(t *testing.T, pick uint8, value string) {
		var values, key string
		if int(pick) < len(fuzzKeys) {
			k := fuzzKeys[pick]
			key = k.key
			values = at(k.key, value, k.extra...)
		} else {
			key = "redis.auth.users[0].rules"
			values = at("redis.auth.users", []map[string]any{{"name": "app", "rules": value}})
		}
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
