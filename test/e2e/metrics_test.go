//go:build e2e

package e2e_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/k8s"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
)

// scrapePod forwards to a pod's port and polls /metrics until want matches.
func scrapePod(t *testing.T, r *release, pod string, port int, want *regexp.Regexp) string {
	t.Helper()
	tun := k8s.NewTunnel(r.env.kubectl, k8s.ResourceTypePod, pod, 0, port)
	tun.ForwardPort(t)
	defer tun.Close()
	var body string
	err := wait.PollUntilContextTimeout(t.Context(), 2*time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		resp, err := http.Get("http://" + tun.Endpoint() + "/metrics")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return want.MatchString(body), nil
	})
	require.NoError(t, err, "%s:%d has no %s; last scrape:\n%s", pod, port, want, body)
	return body
}

// With metrics on, the exporters in the cluster reach their servers over verified TLS and the
// certificate exporter reads the served certificate, all under the restricted profile.
func TestMetricsSidecarsInTheCluster(t *testing.T) {
	e := newEnv(t, "ds-metrics")
	r := install(t, e, "mx", "dev.yaml", map[string]string{"postgres.metrics.enabled": "true", "redis.metrics.enabled": "true"})
	scrapePod(t, r, "mx-postgres-app-0", 9187, regexp.MustCompile(`(?m)^pg_up 1$`))
	scrapePod(t, r, "mx-redis-0", 9121, regexp.MustCompile(`(?m)^redis_up 1$`))
	for _, pod := range []string{"mx-postgres-app-0", "mx-redis-0"} {
		body := scrapePod(t, r, pod, 9793, regexp.MustCompile(`x509_cert_not_after\{[^}]*filename="tls.crt"`))
		assert.Regexp(t, `x509_cert_expired\{[^}]*filename="tls.crt"[^}]*\} 0`, body, pod)
	}
	out, err := k8s.RunKubectlAndGetOutputE(t, e.kubectl, "exec", "mx-redis-0", "-c", "redis", "--", "sh", "-c",
		`REDISCLI_AUTH="$(cat /run/secrets/redis/password)" redis-cli --no-auth-warning --tls --cacert /tls/ca.crt -h localhost -p 6379 ACL LOG`)
	require.NoError(t, err, out)
	assert.Empty(t, out, "the exporter's ACL is enough: no denied command")
}
