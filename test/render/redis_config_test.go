package render_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/datastores/datastores/test/harness/chart"
)

const redisName = "test-redis"

// directives parses redis.conf into directive -> arguments (the last occurrence wins).
func directives(conf string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, args, _ := strings.Cut(line, " ")
		out[name] = args
	}
	return out
}

func redisConf(t *testing.T, set map[string]string) map[string]string {
	t.Helper()
	return directives(configFile(t, renderDev(t, set), redisName, "redis.conf"))
}

func TestRedisAcceptsOnlyTLS(t *testing.T) {
	conf := redisConf(t, nil)

	assert.Equal(t, "0", conf["port"], "the plaintext port is closed")
	assert.Equal(t, "6379", conf["tls-port"])
	assert.Equal(t, "* -::*", conf["bind"], "every interface, so the Service reaches it")
	assert.Equal(t, "yes", conf["tls-replication"])
}

// The server reads the files under the names the init container writes: the source platform's
// "redis-cert.pem vs server-cert.pem" fault cannot happen.
func TestRedisCertificatePathsAreWhereTheInitContainerWritesThem(t *testing.T) {
	rel := renderDev(t, nil)
	conf := directives(configFile(t, rel, redisName, "redis.conf"))
	sts := chart.Get[*appsv1.StatefulSet](t, rel, redisName)
	dir := env(container(t, sts, "prepare-tls"))["TLS_DIR"]

	assert.Equal(t, dir, mountPath(t, container(t, sts, "redis"), "tls"))
	assert.Equal(t, dir+"/tls.crt", conf["tls-cert-file"])
	assert.Equal(t, dir+"/tls.key", conf["tls-key-file"])
	assert.Equal(t, dir+"/ca.crt", conf["tls-ca-cert-file"])
}

func TestRedisTLSProtocols(t *testing.T) {
	tests := []struct{ set, want string }{
		{"", `"TLSv1.2 TLSv1.3"`},
		{"TLSv1.3", `"TLSv1.3"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			set := map[string]string{}
			if tt.set != "" {
				set["redis.tls.protocols"] = tt.set
			}
			assert.Equal(t, tt.want, redisConf(t, set)["tls-protocols"])
		})
	}
}

func TestRedisClientCertificateModes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"default", "", "no"},
		{"optional", "redis: {tls: {authClients: optional}}", "optional"},
		{"yes, as a YAML boolean", "redis: {tls: {authClients: yes}}", "yes"},
		{"no, as a YAML boolean", "redis: {tls: {authClients: no}}", "no"},
		{"quoted yes", `redis: {tls: {authClients: "yes"}}`, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := []string{devValues}
			if tt.yaml != "" {
				files = append(files, chart.ValuesFile(t, tt.yaml))
			}
			rel := chart.Render(t, chart.Options{ValuesFiles: files})
			assert.Equal(t, tt.want, directives(configFile(t, rel, redisName, "redis.conf"))["tls-auth-clients"])
			_, issued := chart.Find[*corev1.Secret](rel, redisName+"-client-tls")
			assert.Equal(t, tt.want != "no", issued, "a client certificate is issued when the server asks for one")
		})
	}
}

func TestRedisPersistsAOFAndRDBOnTheVolume(t *testing.T) {
	rel := renderDev(t, nil)
	conf := directives(configFile(t, rel, redisName, "redis.conf"))
	sts := chart.Get[*appsv1.StatefulSet](t, rel, redisName)

	assert.Equal(t, "yes", conf["appendonly"])
	assert.Equal(t, "everysec", conf["appendfsync"])
	assert.Equal(t, "3600 1 300 100 60 10000", conf["save"])
	assert.Equal(t, mountPath(t, container(t, sts, "redis"), "data"), conf["dir"], "AOF and RDB live on the PVC")
	require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
	assert.Equal(t, "data", sts.Spec.VolumeClaimTemplates[0].Name)
}

func TestRedisExtraDirectives(t *testing.T) {
	conf := redisConf(t, map[string]string{"redis.config.maxmemory": "256mb", "redis.config.maxmemory-policy": "allkeys-lru", "redis.config.lazyfree-lazy-eviction": "true"})

	assert.Equal(t, "256mb", conf["maxmemory"])
	assert.Equal(t, "allkeys-lru", conf["maxmemory-policy"])
	assert.Equal(t, "yes", conf["lazyfree-lazy-eviction"])
}

func TestRedisManagedDirectivesCannotBeOverridden(t *testing.T) {
	for _, d := range []string{"port", "tls-port", "bind", "requirepass", "tls-auth-clients", "tls-protocols", "aclfile", "dir", "appendonly", "save"} {
		t.Run(d, func(t *testing.T) {
			_, err := chart.RenderE(chart.Options{ValuesFiles: []string{devValues}, SetValues: map[string]string{"redis.config." + d: "6380"}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "redis.config."+d+": this directive is managed by the chart")
		})
	}
}
